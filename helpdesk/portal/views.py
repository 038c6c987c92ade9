"""The customer portal: my tickets, a new ticket, the ticket page and what a customer
may do there (reply, confirm, withdraw, rate). Views parse, call one service, answer."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..permissions import RATING_CHANGE_DAYS, get_visible_ticket
from ..services.errors import DomainError
from ..services.fields.definitions import fields_for
from ..services.files import pending
from ..services.files.uploads import describe_limit
from ..services.people import mail_links
from ..services.text.markdown import render_markdown
from ..services.tickets import conversation, merging
from ..services.tickets import customer as portal
from ..services.tickets import feedback as ticket_feedback
from ..services.tickets import status as ticket_status
from ..web import form_status, paginate, refusal_status, refuse, show_refusal
from . import bp
from .forms import (
    RATING_WORDS,
    FeedbackForm,
    NewTicketForm,
    ReplyForm,
    custom_fields_form,
    custom_values,
)

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
    kept = []
    if form.is_submitted():
        kept = pending.kept_for(current_user, request.form.getlist("kept"))
        if request.form.get("remove_kept"):
            return _without_kept_file(form, kept, "portal/new_ticket.html")
    if form.validate_on_submit():
        try:
            ticket = portal.open_ticket(
                current_user, subject=form.subject.data, description=form.description.data,
                category_id=form.category.data, order_reference=form.order_reference.data,
                files=form.attachments.data, follow_up=form.follow_up.data, kept=kept,
                custom_values=custom_values(form))
        except DomainError as error:
            status = show_refusal(form, error)
            kept = _keep(form, kept, error)
        else:
            flash(f"Ticket {ticket.number} is open. We will answer you on this page.",
                  "success")
            return redirect(url_for(".ticket", number=ticket.number))
    elif form.is_submitted():
        kept = _keep(form, kept)
    return render_template("portal/new_ticket.html", form=form, kept=kept,
                           custom_fields=fields_for(current_user, any_category=True)), status


def _keep(form, kept, error: DomainError | None = None):
    """The form failed: its acceptable files are kept for this person (pending uploads),
    unless the files themselves were what the service refused."""
    if error is not None and error.field == "attachments":
        return kept
    return pending.keep_uploads(current_user, form.attachments.data, already=kept)


def _without_kept_file(form, kept, template: str, **context):
    """"(remove)" on a kept file: the form again, as typed, without that file."""
    removed = request.form["remove_kept"]
    pending.discard_pending(current_user, removed)
    kept = [k for k in kept if str(k.id) != removed]
    kept = pending.keep_uploads(current_user, form.attachments.data, already=kept)
    return render_template(template, form=form, kept=kept, **context), 200


# --- the ticket page -------------------------------------------------------------------

def render_ticket(ticket, *, reply_form=None, feedback_form=None, error=None, status=200,
                  kept=(), reply_preview=None):
    page = portal.ticket_page(current_user, ticket)
    if feedback_form is None:
        feedback_form = FeedbackForm(formdata=None)
        if ticket.feedback is not None:  # changeable for a while: shown as given
            feedback_form.rating.data = ticket.feedback.rating
            feedback_form.comment.data = ticket.feedback.comment
    return render_template(
        "portal/ticket.html", ticket=ticket, page=page, error=error, kept=kept,
        reply_form=reply_form or ReplyForm(formdata=None), feedback_form=feedback_form,
        rating_words=RATING_WORDS, rating_final_days=RATING_CHANGE_DAYS,
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
    target = merging.redirect_target(current_user, ticket)
    if target is not None:  # merged into a ticket this customer may see: go there
        flash(f"{ticket.number} was merged into {target.number}; we continue here.", "info")
        return redirect(url_for(".ticket", number=target.number))
    portal.mark_seen(current_user, ticket)
    return render_ticket(ticket)


@bp.post("/tickets/<number>/reply")
def reply(number):
    ticket = get_visible_ticket(current_user, number)
    form = ReplyForm()
    status = 400
    kept = pending.kept_for(current_user, request.form.getlist("kept"))
    if request.form.get("remove_kept"):
        removed = request.form["remove_kept"]
        pending.discard_pending(current_user, removed)
        kept = _keep(form, [k for k in kept if str(k.id) != removed])
        return render_ticket(ticket, reply_form=form, kept=kept)
    if form.validate_on_submit():
        try:
            message = conversation.post_reply(ticket, current_user, form.body.data,
                                              files=form.attachments.data, kept=kept)
        except DomainError as error:
            status = show_refusal(form, error)
            kept = _keep(form, kept, error)
        else:
            flash("Your reply is sent.", "success")
            return redirect(url_for(".ticket", number=ticket.number,
                                    _anchor=f"message-{message.id}"))
    else:
        kept = _keep(form, kept)
    return render_ticket(ticket, reply_form=form, status=status, kept=kept)


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
        changing = ticket.feedback is not None
        try:
            ticket_feedback.submit_feedback(ticket, current_user, form.rating.data,
                                            form.comment.data)
        except DomainError as error:
            status = show_refusal(form, error)
        else:
            if request.headers.get("X-Requested-With") == "fetch":  # app.js: one tap
                return {"rating": form.rating.data}, 200
            flash("Your rating is changed. Thank you!" if changing
                  else "Thank you for rating the help you got.", "success")
            return redirect(url_for(".ticket", number=ticket.number, _anchor="feedback"))
    if request.headers.get("X-Requested-With") == "fetch":
        return {"errors": form.errors}, status
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


@bp.get("/tickets/<number>/solved")
def confirm_page(number):
    """ "This is solved" asks first (without JavaScript: this page; with it, a dialog)."""
    ticket = get_visible_ticket(current_user, number)
    return render_template("portal/confirm_solved.html", ticket=ticket)


@bp.post("/tickets/<number>/solved")
def confirm(number):
    """ "This is solved": the customer closes a resolved ticket; the rating is offered
    right there (the page comes back at #feedback)."""
    ticket = get_visible_ticket(current_user, number)
    try:
        ticket_status.confirm_resolution(ticket, current_user)
    except DomainError as error:
        return refused_action(ticket, error)
    flash(f"Thank you! {ticket.number} is closed. How did we do?", "success")
    return redirect(url_for(".ticket", number=ticket.number, _anchor="feedback"))


@bp.post("/tickets/<number>/withdraw")
def withdraw(number):
    return _customer_action(number, ticket_status.withdraw, "{number} is withdrawn and closed.")
