"""The queue: filters in the query string, side links with counts, bulk actions, CSV."""
from urllib.parse import parse_qsl, urlsplit

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..models import STATUS_LABELS, Status
from ..permissions import can_assign, can_export_tickets, require
from ..services.errors import DomainError
from ..services.fields.definitions import fields_for
from ..services.people import organizations
from ..services.queue import filters as queues
from ..services.queue import saved_views
from ..services.reporting import export
from ..services.tickets import bulk as bulk_actions
from ..services.tickets import customer, macros, opening, workspace
from ..web import choices, form_status, grouped_choices, page_arg, refuse, show_refusal
from . import bp
from .forms import (
    ANY,
    PRIORITY_PAIRS,
    BulkForm,
    QueueFilterForm,
    TicketForCustomerForm,
    custom_fields_form,
    custom_values,
)
from .tools_views import queue_tools


def _filter_form(args: MultiDict, refs) -> QueueFilterForm:
    form = QueueFilterForm(formdata=args)
    form.category.choices = choices([ANY] + [(c.id, c.name) for c in refs.categories])
    form.team.choices = choices([ANY] + [(t.id, t.name) for t in refs.teams])
    form.assignee.choices = choices([ANY] + [(u.id, u.name) for u in refs.staff])
    form.organization.choices = choices([ANY] + organizations.choices())
    form.prepare(args)
    return form


MERGE_INTO = "merge:into"  # not a bulk_update kind: it opens the "Merge into…" page


def bulk_choices(refs) -> list:
    """Grouped options of the bulk-action select ("kind:value")."""
    if can_assign(current_user):
        assign = [(f"assign:{u.id}", u.name) for u in refs.staff]
        assign.append(("assign:none", "Nobody (unassign)"))
    else:  # agents assign only themselves: a take, for unassigned tickets
        assign = [(f"assign:{current_user.id}", "Me (take unassigned tickets)")]
    return grouped_choices(("", "Choose an action…"), {
        "Assign to": assign,
        "Set status": [(f"status:{s.value}", STATUS_LABELS[s]) for s in Status],
        "Set priority": [(f"priority:{v}", label) for v, label in PRIORITY_PAIRS],
        "Merge": [(MERGE_INTO, "Merge into…")],
        "Tags (name it in “Tag”)": [("tag:add", "Add tag"), ("tag:remove", "Remove tag")],
        "Apply macro": [(f"macro:{m.id}", m.title)
                        for m in macros.macros_for(current_user)]})


def _queue_args(args: MultiDict) -> dict:
    """The filters to keep in links (pagination, export): everything but the page and
    its keyset cursor."""
    return {k: v for k, v in args.to_dict(flat=False).items() if k not in ("page", "after")}


def render_queue(args: MultiDict, bulk_form: BulkForm | None = None, status: int = 200):
    refs = workspace.references()
    form = _filter_form(args, refs)
    if args and not form.validate():
        status = 400  # the rest of the filters still apply; the bad one shows its error
    filters = form.filters()
    page = queues.queue_page(current_user, filters, page=page_arg(args.get("page")),
                             after=args.get("after"))
    bulk_form = bulk_form or BulkForm(formdata=None)
    bulk_form.bulk_action.choices = bulk_choices(refs)
    bulk_form.next.data = url_for(".queue", **_queue_args(args), page=page.page)
    return render_template(
        "agent/queue.html", form=form, page=page, bulk_form=bulk_form,
        counts=queues.side_counts(current_user), side_links=queues.SIDE_LINKS,
        active_link=queues.active_side_link(filters), sort=filters.sort,
        query_args=_queue_args(args), **queue_tools(args, refs, _filter_form)), status


@bp.get("/queue")
def queue():
    if not request.args:  # the bare queue opens with the agent's default view, if any
        default = saved_views.default_view(current_user)
        if default is not None and default.query:
            return redirect(url_for(".queue") + "?" + default.query)
    return render_queue(request.args)


def _safe_queue_url(target: str | None) -> str:
    """Back to the queue view the bulk form came from — never anywhere else."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or parts.path != url_for(".queue"):
        return url_for(".queue")
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.post("/queue/bulk")
def bulk():
    form = BulkForm()
    back = _safe_queue_url(form.next.data)
    form.bulk_action.choices = bulk_choices(workspace.references())
    if form.validate() and form.bulk_action.data == MERGE_INTO:  # a page of its own
        return redirect(url_for(".bulk_merge", ticket_ids=form.ticket_ids.data, next=back))
    if form.validate():
        try:
            result = bulk_actions.bulk_update(current_user, form.ticket_ids.data,
                                              form.bulk_action.data, tag=form.bulk_tag.data)
        except DomainError as error:
            status = show_refusal(form, error, "bulk_action")
        else:
            _flash_bulk_result(result)
            return redirect(back)
    else:
        status = 400
    args = MultiDict(parse_qsl(urlsplit(back).query, keep_blank_values=True))
    return render_queue(args, bulk_form=form, status=status)


MAX_LISTED = 60  # flashes live in the session cookie: keep them small


def _numbers(numbers: list[str]) -> str:
    listed = ", ".join(numbers[:MAX_LISTED])
    more = len(numbers) - MAX_LISTED
    return listed + (f" and {more} more" if more > 0 else "")


def _flash_bulk_result(result: bulk_actions.BulkResult) -> None:
    def tickets(n):
        return f"{n} ticket" + ("" if n == 1 else "s")
    if result.changed:
        flash(f"Changed {tickets(len(result.changed))}: {_numbers(result.changed)}.",
              "success")
    if result.unchanged:
        flash(f"Already like that, left as they were: {_numbers(result.unchanged)}.", "info")
    for reason, numbers in result.refusals_by_reason().items():
        flash(f"Refused for {tickets(len(numbers))}: {_numbers(numbers)}. {reason}", "error")


@bp.get("/queue.csv")
def export_csv():
    """The filtered queue as CSV (admins, with the password typed in this session),
    streamed row batch by row batch."""
    refused = require(can_export_tickets, action="export_tickets")
    if refused is not None:
        return refused
    refs = workspace.references()
    form = _filter_form(request.args, refs)
    form.validate()
    try:
        rows = export.export_rows(current_user, form.filters())
    except DomainError as error:
        refuse(error)
    return Response(
        stream_with_context(export.csv_chunks(rows)), mimetype="text/csv",
        headers={"Content-Disposition":
                 f'attachment; filename="{export.export_filename()}"',
                 "Cache-Control": "no-store"})


@bp.route("/tickets/new", methods=["GET", "POST"])
def new_ticket():
    """Open a ticket for a customer who phoned or wrote in."""
    form = custom_fields_form(fields_for(current_user, any_category=True),
                              TicketForCustomerForm)()
    form.set_categories(customer.category_choices())
    status = form_status(form)
    if form.validate_on_submit():
        try:
            ticket = opening.open_for_customer(
                current_user, customer_email=form.customer_email.data,
                subject=form.subject.data, description=form.description.data,
                category_id=form.category.data, priority=form.priority.data,
                order_reference=form.order_reference.data, files=form.attachments.data,
                custom_values=custom_values(form))
        except DomainError as error:
            status = show_refusal(form, error, "customer_email")
        else:
            flash(f"Ticket {ticket.number} is open for {ticket.requester.name}.", "success")
            return redirect(url_for(".ticket", number=ticket.number))
    return render_template("agent/new_ticket.html", form=form,
                           custom_fields=fields_for(current_user, any_category=True)), status
