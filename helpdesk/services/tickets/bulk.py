"""Bulk actions from the queue: one action applied to many tickets.

One unit of work per ticket, through the same services as a single change: the tickets
the person may change are changed, the others are reported with the reason. A refusal
on one ticket never undoes the others (and a crash part-way keeps what was done).
"""
from dataclasses import dataclass, field

from sqlalchemy.orm import joinedload

from ... import permissions
from ...extensions import db
from ...models import Ticket, User
from ..errors import DomainError, Forbidden, InvalidInput
from ..ids import parse_id
from ..unit_of_work import unit_of_work
from .assignment import approved_agent, assign_ticket, change_priority, take_ticket
from .housekeeping import delete_ticket
from .macros import apply_macro, get_macro
from .status import pick_status
from .tags import change_tags, clean_tag


@dataclass
class BulkResult:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (number, reason)

    def refusals_by_reason(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for number, reason in self.refused:
            grouped.setdefault(reason, []).append(number)
        return grouped


BULK_KINDS = ("assign", "status", "priority", "tag", "macro", "delete")
NEEDS_CONFIRMATION = frozenset({"delete"})  # cannot be undone: the view asks first
MAX_BULK = 200


def parse_bulk_action(value: str) -> tuple[str, str]:
    """"status:resolved" → ("status", "resolved")."""
    kind, _, target = (value or "").partition(":")
    if kind not in BULK_KINDS or not target:
        raise InvalidInput("Choose what to do with the selected tickets.", field="bulk_action")
    return kind, target


def bulk_update(actor: User, ticket_ids: list[int], action: str, *,
                tag: str | None = None) -> BulkResult:
    """Apply one action to each ticket through the same service as a single change, one
    transaction per ticket: the allowed ones change, the others are reported."""
    kind, target = parse_bulk_action(action)
    if not actor.is_staff:
        raise Forbidden("Only agents can change tickets.")
    if kind == "delete" and not permissions.can_delete_tickets(actor):
        raise Forbidden("Only admins can delete tickets.", field="bulk_action")
    ids = [i for i in dict.fromkeys(ticket_ids) if parse_id(i)][:MAX_BULK]
    if not ids:
        raise InvalidInput("Tick at least one ticket.", field="ticket_ids")
    assignee = None
    if kind == "assign":
        assignee = None if target == "none" else approved_agent(target)
    if kind == "tag":
        if target not in ("add", "remove"):
            raise InvalidInput("Choose what to do with the selected tickets.",
                               field="bulk_action")
        try:
            target = f"{target}:{clean_tag(tag)}"
        except InvalidInput as error:
            raise InvalidInput("Name the tag to add or remove (" + error.message + ")",
                               field="bulk_tag") from None
    if kind == "macro":
        assignee = get_macro(actor, target)  # the macro (NotFound unless theirs or shared)
    rows = list(db.session.scalars(
        permissions.visible_tickets(actor).where(Ticket.id.in_(ids))
        .options(joinedload(Ticket.assignee), joinedload(Ticket.requester))
        .order_by(Ticket.id)))
    result = BulkResult()
    for ticket in rows:
        number = ticket.number
        try:
            with unit_of_work():  # this ticket alone: a refusal leaves the others done
                changed = _bulk_one(ticket, actor, kind, target, assignee)
        except DomainError as error:
            result.refused.append((number, error.message))
        else:
            (result.changed if changed else result.unchanged).append(number)
    return result


def _bulk_one(ticket: Ticket, actor: User, kind: str, target: str,
              assignee: User | None) -> bool:
    if kind == "delete":
        delete_ticket(ticket, actor, reason="Deleted from the queue (bulk)")
        return True
    if kind == "tag":
        how, _, name = target.partition(":")
        return change_tags(ticket, actor, add=[name] if how == "add" else [],
                           remove=[name] if how == "remove" else [])
    if kind == "macro":  # the reply and actions, as applied from the workspace
        apply_macro(ticket, actor, assignee)
        return True
    if kind == "status":
        return pick_status(ticket, actor, target)
    if kind == "priority":
        return change_priority(ticket, actor, target)
    # assign: admins assign anyone; an agent can only take unassigned tickets
    if permissions.can_assign(actor):
        return assign_ticket(ticket, actor, assignee)
    if assignee is None or assignee.id != actor.id:
        raise Forbidden("Only admins can assign tickets to others.")
    if ticket.assignee_id == actor.id:
        return False
    take_ticket(ticket, actor)
    return True


def tickets_to_confirm(actor: User, ticket_ids: list[int]) -> list[Ticket]:
    """The ticked tickets this person may see, for a confirmation page (by number)."""
    ids = [i for i in dict.fromkeys(ticket_ids) if parse_id(i)][:MAX_BULK]
    return list(db.session.scalars(permissions.visible_tickets(actor)
                                   .where(Ticket.id.in_(ids)).order_by(Ticket.id)))
