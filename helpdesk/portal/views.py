"""The customer portal: my tickets, a new ticket, the ticket page and what a customer
may do there (reply, confirm, withdraw, rate). Views parse, call one service, answer."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..permissions import get_visible_ticket
from ..services.errors import DomainError
from ..services.fields.definitions import fields_for
from ..services.files.uploads import describe_limit
from ..services.people import mail_links
from ..services.text.markdown import render_markdown
from ..services.tickets import conversation
from ..services.tickets import customer as portal
from ..services.tickets import feedback as ticket_feedback
from ..services.tickets import status as ticket_status
from ..web import form_status, paginate, refusal_status, refuse, show_refusal
from . import bp
from .forms import FeedbackForm, NewTicketForm, ReplyForm, custom_fields_form, custom_values

PER_PAGE = 20


def attachments_help() -> str:
    cfg = current_app.config
    return (f"Up to {cfg['MAX_FILES']} files, {describe_limit(cfg['MAX_FILE_BYTES'])} each: "
            "photos, PDFs, Office or text files.")


@bp.app_context_processor
def portal_helpers():
    return {"attachments_help": attachments_help, "has_unseen_reply": portal.has_unseen_reply}


# --- my tickets ------------------------------------------------------------------------

@bp.get("/")
def home():
    return redirect(url_for(".tickets"))


@bp.get("/tickets", endpoint="tickets")
def tickets_list():
    status = request.args.get("status", portal.DEFAULT_STATUS_FILTER)
    if status not in portal.STATUS_FILTERS:
        status = portal.DEFAULT_STATUS_FILTER
    q = request.args.get("q", "").strip()[:portal.SEARCH_MAX]
    shared = portal.sees_shared_tickets(current_user)
    mine = shared and request.args.get("who") == "mine"
    page = paginate(portal.my_tickets(current_user, status=status, q=q, mine_only=mine),
                    PER_PAGE)
    filtered = bool(q) or status != portal.DEFAULT_STATUS_FILTER or mine
    return render_template(
        "portal/tickets.html", page=page, status=status, q=q, filtered=filtered,
        status_filters=[(name, f.label) for name, f in portal.STATUS_FILTERS.items()],
        shared=shared, who="mine" if mine else "",
        query_args={"status": "" if status == portal.DEFAULT_STATUS_FILTER else status,
                    "q": q, "who": "mine" if mine else ""})


# --- a new ticket ----------------------------------------------------------------------

@bp.route("/tickets/new", methods=["GET", "POST"])
def new_ticket():
    if mail_links.needs_verification(current_user):
        return render_template("portal/verify_first.html"), 403
    data = None
    if request.method == "GET" and request.args.get("follow_up"):
        try:
            parent = portal.follow_up_parent(current_user, request.args["follow_up"])
        except DomainError as error:
            if refusal_status(error) == 404:
                refuse(error)
            flash(error.message, "info")
            return redirect(url_for(".ticket", number=request.args["follow_up"]))
        data = portal.follow_up_defaults(parent)
    form = custom_fields_form(fields_for(current_user, any_category=True),
                              NewTicketForm)(data=data)
    form.set_categories(portal.category_choices())
    status = form_status(form)
    if form.validate_on_submit():
        try:
            ticket = portal.open_ticket(
                current_user, subject=form.subject.data, description=form.description.data,
                category_id=form.category.data, order_reference=form.order_reference.data,
                files=form.attachments.data, follow_up=form.follow_up.data,
                custom_values=custom_values(form))
        except DomainError as error:
            status = show_refusal(form, error)
        else:
            flash(f"Ticket {ticket.number} is open. We will answer you on this page.",
                  "success")
            return redirect(url_for(".ticket", number=ticket.number))
    return render_template("portal/new_ticket.html", form=form,
                           custom_fields=fields_for(current_user, any_category=True)), status


# --- the ticket page -------------------------------------------------------------------

def render_ticket(ticket, *, reply_form=None, feedback_form=None, error=None, status=200,
                  reply_preview=None):
    page = portal.ticket_page(current_user, ticket)
    return render_template(
        "portal/ticket.html", ticket=ticket, page=page, error=error,
        reply_form=reply_form or ReplyForm(formdata=None),
        feedback_form=feedback_form or FeedbackForm(formdata=None),
        reply_preview=reply_preview), status


def refused_action(ticket, error: DomainError):
    """A one-button action the rules said no to: the page again, with the reason."""
    status = refusal_status(error)
    if status == 404:
        refuse(error)
    return render_ticket(ticket, error=error.message, status=status)


@bp.get("/tickets/<number>")
def ticket(number):
    ticket = get_visible_ticket(current_user, number)
    portal.mark_seen(current_user, ticket)
    return render_ticket(ticket)


@bp.post("/tickets/<number>/reply")
def reply(number):
    ticket = get_visible_ticket(current_user, number)
    form = ReplyForm()
    status = 400
    if form.validate_on_submit():
        try:
            message = conversation.post_reply(ticket, current_user, form.body.data,
                                              files=form.attachments.data)
        except DomainError as error:
            status = show_refusal(form, error)
        else:
            flash("Your reply is sent.", "success")
            return redirect(url_for(".ticket", number=ticket.number,
                                    _anchor=f"message-{message.id}"))
    return render_ticket(ticket, reply_form=form, status=status)


@bp.post("/tickets/<number>/preview")
def preview_reply(number):
    """Without JavaScript: the page again, the reply as typed and its rendering above it."""
    ticket = get_visible_ticket(current_user, number)
    form = ReplyForm()
    return render_ticket(ticket, reply_form=form,
                         reply_preview=render_markdown(form.body.data or ""))


@bp.post("/tickets/<number>/feedback")
def feedback(number):
    ticket = get_visible_ticket(current_user, number)
    form = FeedbackForm()
    status = 400
    if form.validate_on_submit():
        try:
            ticket_feedback.submit_feedback(ticket, current_user, form.rating.data,
                                            form.comment.data)
        except DomainError as error:
            status = show_refusal(form, error)
        else:
            flash("Thank you for rating the help you got.", "success")
            return redirect(url_for(".ticket", number=ticket.number))
    return render_ticket(ticket, feedback_form=form, status=status)


def _customer_action(number: str, action, done: str):
    """A one-button customer action on their own ticket: the service decides."""
    ticket = get_visible_ticket(current_user, number)
    try:
        action(ticket, current_user)
    except DomainError as error:
        return refused_action(ticket, error)
    flash(done.format(number=ticket.number), "success")
    return redirect(url_for(".ticket", number=ticket.number))


@bp.post("/tickets/<number>/solved")
def confirm(number):
    """ "This is solved": the customer closes a resolved ticket."""
    return _customer_action(number, ticket_status.confirm_resolution,
                            "Thank you! {number} is closed.")


@bp.post("/tickets/<number>/withdraw")
def withdraw(number):
    return _customer_action(number, ticket_status.withdraw, "{number} is withdrawn and closed.")
