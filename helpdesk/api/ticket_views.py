"""Tickets: the list, opening one, reading and changing it, and the workflow's actions.
Each view parses, calls the same service the pages call, and answers."""
from flask import request, url_for
from flask.views import MethodView

from .. import permissions
from ..models import utcnow
from ..services.errors import InvalidInput, InvalidTransition, NotFound
from ..services.fields.values import values_by_ticket
from ..services.queue import listing
from ..services.tickets import (
    assignment,
    customer,
    details,
    feedback,
    housekeeping,
    merging,
    opening,
    workspace,
)
from ..services.tickets import status as ticket_status
from ..services.unit_of_work import unit_of_work
from . import bp, errors, present
from .access import access, caller_user
from .problems import Problem, from_domain_error
from .schemas import (
    AssignSchema,
    EscalateSchema,
    FeedbackCreateSchema,
    FeedbackSchema,
    HistorySchema,
    StatusChangeSchema,
    TicketCreateSchema,
    TicketDetailSchema,
    TicketListArgsSchema,
    TicketPageSchema,
    TicketUpdateSchema,
)

DETAIL_FIELDS = ("category", "team", "due_at", "tags", "estimated_hours", "actual_hours")
ETAG = {"ETag": {"description": "Send it back as If-Match when you change the ticket.",
                 "schema": {"type": "string"}}}
LOCATION = {"Location": {"description": "The new ticket.", "schema": {"type": "string"}}}


def visible_ticket(number: str, *, for_update: bool = False, follow_merge: bool = True):
    """The ticket if the caller may see it; 404 otherwise (also for odd numbers). A
    merged ticket answers 308 Permanent Redirect to the same call on the ticket it was
    merged into (method and body kept), for callers who may see that one — never for a
    DELETE (`follow_merge=False`: deleting a merged ticket deletes that one only)."""
    if len(number) > 32 or not number.isprintable():
        raise Problem(404, "Ticket not found.")
    ticket = workspace.get_ticket(caller_user(), number, for_update=for_update)
    if follow_merge and ticket.merged_into_id is not None:
        target = merging.redirect_target(caller_user(), ticket)
        if target is not None:
            location = request.full_path.rstrip("?").replace(
                f"/tickets/{number}", f"/tickets/{target.number}", 1)
            raise Problem(308, f"{ticket.number} was merged into {target.number}.",
                          headers={"Location": location})
    return ticket


def detail(ticket, status: int = 200, headers: dict | None = None):
    """The ticket as the caller sees it, with its ETag."""
    user = caller_user()
    body = present.ticket_detail(ticket, user, customer.ticket_files(user, ticket))
    return body, status, {"ETag": present.etag(ticket, user), **(headers or {})}


@bp.route("/tickets", tags=["Tickets"])
class Tickets(MethodView):

    @access(permissions.can_use_api)
    @bp.arguments(TicketListArgsSchema, location="query")
    @bp.response(200, TicketPageSchema)
    @errors(401, 403, 422, 429)
    def get(self, args):
        """List the tickets you may see

        Customers: their own. Filters combine (AND); `cursor` comes from `next_cursor`.
        """
        user = caller_user()
        filters = listing.ListFilters(
            statuses=tuple(args.get("status") or ()),
            priorities=tuple(args.get("priority") or ()),
            category_id=(opening.category_id_from(args["category"])
                         if "category" in args else None),
            team_id=args.get("team"), assignee=args.get("assignee"),
            organization_id=args.get("organization"), open_only=args.get("open", False),
            overdue=args.get("overdue", False), q=args.get("q", ""),
            created_after=args.get("created_after"),
            created_before=args.get("created_before"), sort=args["sort"])
        page = listing.ticket_list(user, filters, limit=args.get("limit"),
                                   cursor=args.get("cursor"))
        now = utcnow()
        custom = values_by_ticket([t.id for t in page.tickets], user)
        return {"items": [present.ticket(t, user, now, custom.get(t.id, {}))
                          for t in page.tickets],
                "next_cursor": page.next_cursor, "total": page.total,
                "total_exact": page.total_exact}

    @access(permissions.can_use_api)
    @bp.arguments(TicketCreateSchema)
    @bp.response(201, TicketDetailSchema, headers={**ETAG, **LOCATION})
    @errors(400, 401, 403, 404, 409, 413, 422, 429)
    def post(self, body):
        """Open a ticket

        Customers open their own (optionally as a `follow_up` of a closed one); agents
        and admins open one for a customer by e-mail (`requester`). Add files with
        POST /tickets/{number}/attachments.
        """
        user = caller_user()
        fields = {"subject": body["subject"], "description": body["description"],
                  "category_id": opening.category_id_from(body.get("category")),
                  "order_reference": body.get("order_reference"),
                  "custom_values": body.get("custom_fields") or {}}
        if user.is_customer:
            for name in ("requester", "priority"):
                if name in body:
                    raise InvalidInput("Agents set this; leave it out.", field=name)
            try:
                ticket = customer.open_ticket(user, follow_up=body.get("follow_up"),
                                              **fields)
            except NotFound:  # the follow-up's number, not this URL
                raise InvalidInput("None of your tickets has this number.",
                                   field="follow_up") from None
        else:
            if "follow_up" in body:
                raise InvalidInput("Only customers open follow-ups.", field="follow_up")
            if not body.get("requester"):
                raise InvalidInput("Give the customer's e-mail address.", field="requester")
            ticket = opening.open_for_customer(
                user, customer_email=body["requester"],
                priority=body.get("priority", "medium"), **fields)
        location = url_for("api.Ticket", number=ticket.number)
        return detail(ticket, 201, {"Location": location})


@bp.route("/tickets/<number>", tags=["Tickets"])
class Ticket(MethodView):

    @access(permissions.can_use_api)
    @bp.response(200, TicketDetailSchema, headers=ETAG)
    @errors(401, 403, 404, 429)
    def get(self, number):
        """A ticket (with an ETag for If-Match)"""
        return detail(visible_ticket(number))

    @access(permissions.can_use_api)
    @bp.arguments(TicketUpdateSchema)
    @bp.response(200, TicketDetailSchema, headers=ETAG)
    @errors(400, 401, 403, 404, 412, 422, 429)
    @bp.doc(parameters=[{"in": "header", "name": "If-Match", "required": False,
                         "schema": {"type": "string"},
                         "description": "The ETag you read; 412 if the ticket changed."}])
    def patch(self, body, number):
        """Change priority, category, team, due date, tags or hours

        The assigned agent or an admin. Send `If-Match` with the ETag you read so you do
        not overwrite someone else's change (412 when it no longer matches).
        """
        user = caller_user()
        if not body:
            raise InvalidInput("Send at least one field to change.")
        ticket = visible_ticket(number, for_update=True)
        if request.if_match and not request.if_match.contains_raw(present.etag(ticket, user)):
            raise Problem(412, "The ticket changed since you read it; read it again.")
        with unit_of_work():  # all the changes, or none
            if "priority" in body:
                assignment.change_priority(ticket, user, body["priority"])
            if any(name in body for name in DETAIL_FIELDS):
                details.update_details(ticket, user, **_details(ticket, body))
        return detail(ticket)

    @access(permissions.can_use_api, body=None)
    @bp.response(204)
    @errors(401, 403, 404, 429)
    def delete(self, number):
        """Delete a ticket with everything on it (admins)"""
        housekeeping.delete_ticket(visible_ticket(number, follow_merge=False),
                                   caller_user())
        return None


def _details(ticket, body: dict) -> dict:
    """update_details takes every field: what the body leaves out stays as it is."""
    def given(name, current):
        return body[name] if name in body else current
    due = ticket.due_at if ticket.due_set_manually else None
    return {
        "team_id": given("team", ticket.team_id),
        "category_id": (opening.category_id_from(body["category"]) if "category" in body
                        else ticket.category_id),
        "due_at": given("due_at", due),
        "tags": ", ".join(given("tags", ticket.tag_names)),
        "estimated_hours": given("estimated_hours", ticket.estimated_hours),
        "actual_hours": given("actual_hours", ticket.actual_hours),
    }


@bp.route("/tickets/<number>/status", tags=["Tickets"], methods=["POST"])
@access(permissions.can_use_api)
@bp.arguments(StatusChangeSchema)
@bp.response(200, TicketDetailSchema)
@errors(400, 401, 403, 404, 409, 422, 429)
def change_status(body, number):
    """Move a ticket through the workflow

    Agents on their tickets and admins choose by hand; the requester can close (confirm a
    resolution, or withdraw). A move the workflow refuses is a 409 whose `allowed` lists
    the statuses you may choose.
    """
    user = caller_user()
    ticket = visible_ticket(number)
    try:
        ticket_status.request_status(ticket, user, body["status"], note=body.get("note"))
    except InvalidTransition as error:
        raise from_domain_error(
            error, allowed=permissions.requestable_statuses(user, ticket)) from None
    return detail(ticket)


@bp.route("/tickets/<number>/take", tags=["Tickets"], methods=["POST"])
@access(permissions.is_staff, body=None)
@bp.response(200, TicketDetailSchema)
@errors(401, 403, 404, 409, 429)
def take(number):
    """Take an unassigned ticket (agents, admins); 409 if someone was faster"""
    ticket = visible_ticket(number)
    assignment.take_ticket(ticket, caller_user())
    return detail(ticket)


@bp.route("/tickets/<number>/assign", tags=["Tickets"], methods=["POST"])
@access(permissions.can_assign)
@bp.arguments(AssignSchema)
@bp.response(200, TicketDetailSchema)
@errors(400, 401, 403, 404, 422, 429)
def assign(body, number):
    """Assign to an approved agent, or unassign with null (admins)"""
    ticket = visible_ticket(number)
    assignment.assign_by_id(ticket, caller_user(), body["assignee"])
    return detail(ticket)


@bp.route("/tickets/<number>/escalate", tags=["Tickets"], methods=["POST"])
@access(permissions.is_staff)
@bp.arguments(EscalateSchema)
@bp.response(200, TicketDetailSchema)
@errors(400, 401, 403, 404, 422, 429)
def escalate(body, number):
    """Escalate: raise to critical, say why, tell the assignee and the admins"""
    ticket = visible_ticket(number)
    assignment.escalate(ticket, caller_user(), body["reason"])
    return detail(ticket)


@bp.route("/tickets/<number>/history", tags=["Tickets"], methods=["GET"])
@access(permissions.is_staff)
@bp.response(200, HistorySchema)
@errors(401, 403, 404, 429)
def history(number):
    """The ticket's audit trail, newest first (agents, admins)"""
    ticket = visible_ticket(number)
    return {"items": [present.history_event(e) for e in workspace.ticket_history(ticket)]}


@bp.route("/tickets/<number>/feedback", tags=["Tickets"], methods=["POST"])
@access(permissions.is_customer)
@bp.arguments(FeedbackCreateSchema)
@bp.response(201, FeedbackSchema)
@errors(400, 401, 403, 404, 409, 422, 429)
def rate(body, number):
    """Rate the help, 1 to 5, once the ticket is resolved (the requester; the rating may
    be changed for 7 days, then it is final: 409)"""
    given = feedback.submit_feedback(visible_ticket(number), caller_user(), body["rating"],
                                     body.get("comment"))
    return {"rating": given.rating, "comment": given.comment, "created_at": given.created_at}

