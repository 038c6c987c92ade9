"""Merge and related tickets over the API: the same services and rules as the workspace
(issue 15). A merged ticket's number answers 308 on every other ticket route
(ticket_views.visible_ticket)."""
from marshmallow import Schema, fields, validate

from .. import permissions
from ..services.errors import InvalidInput
from ..services.tickets import linking, merging
from . import bp, errors, present
from .access import access, caller_user
from .fields import Text
from .problems import Problem
from .schemas import TicketDetailSchema, TicketSchema
from .ticket_views import detail, visible_ticket


class MergeSchema(Schema):
    target = Text(required=True, validate=validate.Length(1, 40), metadata={
        "description": "The number of the ticket to merge into, e.g. TKT-000042."})
    confirm_requesters = fields.Boolean(load_default=False, metadata={
        "description": "Needed (agents) when the two tickets have different requesters."})


class RelatedSchema(Schema):
    related = Text(required=True, validate=validate.Length(1, 40), metadata={
        "description": "The number of the related ticket."})


class RelatedListSchema(Schema):
    items = fields.List(fields.Nested(TicketSchema), required=True)


def _related(ticket) -> dict:
    user = caller_user()
    return {"items": [present.ticket(t, user) for t in linking.related_tickets(ticket)]}


@bp.route("/tickets/<number>/merge", tags=["Tickets"], methods=["POST"])
@access(permissions.is_staff)
@bp.arguments(MergeSchema)
@bp.response(200, TicketDetailSchema)
@errors(400, 401, 403, 404, 409, 422, 429)
def merge(body, number):
    """Merge this ticket into another (its assignee, admins)

    Its description, messages, files and history move to the target (marked with this
    number); this ticket is closed and its number then answers 308 to the target.
    Refused: into itself or a closed ticket (422/409), a cycle or a ticket merged already
    (409), different requesters without `confirm_requesters` unless an admin (422).
    Answers the target.
    """
    user = caller_user()
    source = visible_ticket(number, follow_merge=False)
    target = merging.find_target(user, body["target"])
    merging.merge_tickets(user, source, target,
                          confirm_requesters=body.get("confirm_requesters", False))
    return detail(target)


@bp.route("/tickets/<number>/links", tags=["Tickets"], methods=["GET"])
@access(permissions.is_staff)
@bp.response(200, RelatedListSchema)
@errors(401, 403, 404, 429)
def related(number):
    """Related tickets (agents, admins)"""
    return _related(visible_ticket(number))


@bp.route("/tickets/<number>/links", tags=["Tickets"], methods=["POST"])
@access(permissions.is_staff)
@bp.arguments(RelatedSchema)
@bp.response(200, RelatedListSchema)
@errors(400, 401, 403, 404, 422, 429)
def link(body, number):
    """Mark a ticket as related (both sides show it; audited on both)"""
    ticket = visible_ticket(number)
    linking.link_tickets(caller_user(), ticket,
                         merging.find_target(caller_user(), body["related"], field="related"))
    return _related(ticket)


@bp.route("/tickets/<number>/links/<related_number>", tags=["Tickets"], methods=["DELETE"])
@access(permissions.is_staff, body=None)
@bp.response(204)
@errors(401, 403, 404, 429)
def unlink(number, related_number):
    """Remove a related-ticket link (both sides; audited on both)"""
    ticket = visible_ticket(number)
    try:
        other = merging.find_target(caller_user(), related_number)
    except InvalidInput:
        raise Problem(404, "Ticket not found.") from None
    linking.unlink_tickets(caller_user(), ticket, other)
    return None
