"""The queue: filters in the query string, side links with counts, bulk actions, CSV."""
from urllib.parse import parse_qsl, urlsplit

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from .. import permissions
from ..models import STATUS_LABELS, utcnow
from ..permissions import can_export_tickets, require
from ..services.errors import DomainError
from ..services.fields.definitions import fields_for
from ..services.people import organizations
from ..services.queue import filters as queues
from ..services.queue import saved_views
from ..services.reporting import export
from ..services.tickets import bulk as bulk_actions
from ..services.tickets import customer, macros, opening, workspace
from ..web import (
    choices,
    form_status,
    grouped_choices,
    page_arg,
    person_name,
    refuse,
    show_refusal,
)
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
    form.assignee.choices = choices([ANY] + [(u.id, person_name(u)) for u in refs.staff])
    form.organization.choices = choices([ANY] + organizations.choices())
    form.prepare(args)
    return form


MERGE_INTO = "merge:into"  # not a bulk_update kind: it opens the "Merge into…" page


def bulk_choices(refs) -> list:
    """Grouped options of the bulk-action select ("kind:value"): only what the policy
    lets this person do (permissions.bulk_actions)."""
    kinds = permissions.bulk_actions(current_user)
    groups: dict[str, list] = {}
    if "assign" in kinds:
        assign = [(f"assign:{u.id}", person_name(u)) for u in refs.staff]
        assign.append(("assign:none", "Nobody (unassign)"))
        groups["Assign to"] = assign
    elif "take" in kinds:  # agents assign only themselves: a take, of unassigned tickets
        groups["Take"] = [(f"assign:{current_user.id}", "Take (unassigned tickets, for me)")]
    if "status" in kinds:
        groups["Set status"] = [(f"status:{s.value}", STATUS_LABELS[s])
                                for s in permissions.bulk_statuses(current_user)]
    if "priority" in kinds:
        groups["Set priority"] = [(f"priority:{v}", label) for v, label in PRIORITY_PAIRS]
    if "delete" in kinds:
        groups["Delete"] = [("delete:tickets", "Delete the selected tickets")]
    groups["Merge"] = [(MERGE_INTO, "Merge into…")]
    groups["Tags (name it in “Tag”)"] = [("tag:add", "Add tag"), ("tag:remove", "Remove tag")]
    groups["Apply macro"] = [(f"macro:{m.id}", m.title) for m in macros.macros_for(current_user)]
    return grouped_choices(("", "Choose an action…"), groups)


def _queue_args(args: MultiDict) -> dict:
    """The filters to keep in links (pagination, export): everything but the page and
    its keyset cursor."""
    return {k: v for k, v in args.to_dict(flat=False).items() if k not in ("page", "after")}


def render_queue(args: MultiDict, bulk_form: BulkForm | None = None, status: int = 200):
    refs = workspace.references()
    form = _filter_form(args, refs)
    if args and not form.validate():
        status = 400  # the rest of the filters still apply; the bad one shows its error
    asked = form.filters()
    filters = queues.widened_for_identifier(asked)  # a number or e-mail: closed ones too
    page = queues.queue_page(current_user, filters, page=page_arg(args.get("page")),
                             after=args.get("after"))
    bulk_form = bulk_form or BulkForm(formdata=None)
    bulk_form.bulk_action.choices = bulk_choices(refs)
    bulk_form.next.data = url_for(".queue", **_queue_args(args), page=page.page)
    query_args = _queue_args(args)
    return render_template(
        "agent/queue.html", form=form, page=page, bulk_form=bulk_form,
        counts=queues.side_counts(current_user), side_links=queues.SIDE_LINKS,
        active_link=queues.active_side_link(filters),
        narrowed_link=queues.narrowed_side_link(filters), sort=filters.sort,
        widened=filters is not asked,
        hidden_done=queues.hidden_done_count(current_user, filters),
        query_args=query_args, sort_links=_sort_links(query_args, filters.sort),
        more_open=_more_filters_open(form), today=utcnow().date(),
        **queue_tools(args, refs, _filter_form)), status


# Column headers that sort: (header, sort when clicked, its opposite when already on).
SORT_HEADERS = {"Created": ("newest", "oldest"), "Priority": ("priority", None),
                "Due": ("due", None), "Last activity": ("updated", None)}


def _sort_links(query_args: dict, current: str) -> dict[str, tuple[str, str | None]]:
    """Each sortable header: (its link, aria-sort or None). Clicking "Created" while
    newest first gives oldest first, and back."""
    links = {}
    for header, (sort, opposite) in SORT_HEADERS.items():
        here = current in (sort, opposite)
        target = opposite if here and opposite and current == sort else sort
        args = {k: v for k, v in query_args.items() if k != "sort"}
        aria = None
        if here:
            aria = "ascending" if current in ("oldest", "due") else "descending"
            if header == "Priority":
                aria = "descending"  # most urgent first
        links[header] = (url_for(".queue", **args, sort=target), aria)
    return links


MORE_FILTERS = ("team", "assignee", "organization", "created_from", "created_to", "sort")


def _more_filters_open(form: QueueFilterForm) -> bool:
    """"More filters" starts open when one of them is in use or has an error."""
    for name in MORE_FILTERS:
        field = form[name]
        if field.errors or (name != "sort" and field.data not in (None, "", "None")):
            return True
    return False


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
        if _needs_confirmation(form):
            return render_template(
                "agent/bulk_confirm.html", form=form, back=back,
                tickets=bulk_actions.tickets_to_confirm(current_user, form.ticket_ids.data),
                action=_action_label(form))
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


def _needs_confirmation(form: BulkForm) -> bool:
    kind = (form.bulk_action.data or "").partition(":")[0]
    return kind in bulk_actions.NEEDS_CONFIRMATION and form.confirmed.data != "1"


def _action_label(form: BulkForm) -> str:
    for choice in form.bulk_action.iter_choices():
        if choice[0] == form.bulk_action.data:
            return str(choice[1])
    return form.bulk_action.data or ""


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


EXPORT_SCOPES = {"all": "All tickets", "view": "This view"}


@bp.get("/queue/export")
def export_page():
    """The console's export: its scope said in words — every ticket, or the queue view it
    came from (the view's filters passed along) — with the count, before downloading."""
    if not permissions.can_export_tickets(current_user):
        abort(403)
    scope = request.args.get("scope", "all")
    scope = scope if scope in EXPORT_SCOPES else "all"
    if scope == "all":  # a submitted filter form with "Open only" unticked: everything
        args = MultiDict({"filtered": "1"})
    else:
        args = MultiDict([(k, v) for k, v in request.args.items(multi=True)
                          if k not in ("scope", "page")])
    form = _filter_form(args, workspace.references())
    form.validate()
    filters = queues.widened_for_identifier(form.filters())
    return render_template(
        "agent/export.html", scope=scope, scopes=EXPORT_SCOPES, form=form,
        total=queues.count(current_user, filters),
        csv_url=url_for(".export_csv", **_queue_args(args)),
        view_url=url_for(".queue", **_queue_args(args)),
        described=_describe_filters(form))


def _describe_filters(form: QueueFilterForm) -> list[tuple[str, str]]:
    """The view's filters in words: [("Status", "Open"), ("Search", "parcel"), …]."""
    shown = []
    for name in ("q", "status", "priority", "category", "team", "assignee", "organization",
                 "created_from", "created_to"):
        field = form[name]
        if field.data in (None, "", "None"):
            continue
        text = field.data
        if hasattr(field, "iter_choices"):
            text = next((str(c[1]) for c in field.iter_choices() if c[0] == str(field.data)),
                        field.data)
        shown.append((str(field.label.text), str(text)))
    for name in ("mine", "unassigned", "overdue"):
        if form[name].data:
            shown.append((str(form[name].label.text), "yes"))
    shown.append(("Open only", "yes" if form.open_only.data else "no (every status)"))
    return shown


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
        rows = export.export_rows(current_user, queues.widened_for_identifier(form.filters()))
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
