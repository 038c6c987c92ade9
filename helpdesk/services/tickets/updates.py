"""The workspace's side panel as one form: status, priority, assignee, team, category,
due date, tags and hours changed in one unit of work, through the services that own
each of them (status, assignment, details), so every rule, audit event and
notification is theirs.

Every field is checked first, and all refusals are reported at once, each with its
field (`FieldRefusals`); only when none is refused does anything change. A field left
out (None) or unchanged is not touched.
"""
from dataclasses import dataclass, field
from datetime import datetime

from ... import permissions
from ...models import STATUS_LABELS, Priority, Status, Ticket, User
from ..errors import DomainError, Forbidden, InvalidInput, InvalidTransition
from ..unit_of_work import unit_of_work
from . import assignment, details, status
from .workflow import is_allowed, manual_ways

UNCHANGED = object()


class FieldRefusals(InvalidInput):
    """Several refusals, each for its field ({field: message}); nothing was changed."""

    def __init__(self, errors: dict[str, str]):
        first_field, first = next(iter(errors.items()))
        super().__init__(first, field=first_field)
        self.errors = errors


@dataclass
class TicketChanges:
    """What the side panel asks for; None means "leave as it is"."""
    status: str | None = None
    priority: str | None = None
    assignee_id: object = UNCHANGED      # "" / None: unassign (admins)
    team_id: object = None
    category_id: object = None
    due_at: datetime | None = None
    tags: str | None = None
    estimated_hours: object = None
    actual_hours: object = None
    details_sent: bool = True            # the details fields were on the form
    changed: list[str] = field(default_factory=list)


def _check(ticket: Ticket, actor: User, changes: TicketChanges) -> dict[str, str]:
    errors: dict[str, str] = {}
    works = permissions.can_work_ticket(actor, ticket)
    if changes.status and changes.status != ticket.status:
        try:
            target = Status(changes.status)
        except ValueError:
            errors["status"] = "Choose one of the listed statuses."
        else:
            if not works:
                errors["status"] = "Only the assigned agent or an admin can change the status."
            elif not is_allowed(ticket.status, target, manual_ways(actor.role)):
                errors["status"] = (
                    f"A ticket that is {STATUS_LABELS[Status(ticket.status)]} cannot be "
                    f"moved to {STATUS_LABELS[target]}.")
    if changes.priority and changes.priority != ticket.priority:
        try:
            Priority(changes.priority)
        except ValueError:
            errors["priority"] = "Choose one of the listed priorities."
        else:
            if not works:
                errors["priority"] = ("Only the assigned agent or an admin can change the "
                                      "priority.")
    if changes.assignee_id is not UNCHANGED:
        wanted = changes.assignee_id or None
        if str(wanted or "") != str(ticket.assignee_id or ""):
            if not actor.is_admin:
                errors["assignee"] = "Only admins can assign tickets to others."
            elif wanted is not None:
                try:
                    assignment.approved_agent(wanted)
                except DomainError as error:
                    errors["assignee"] = error.message
    if changes.details_sent:
        if not works:
            errors.setdefault("team", "Only the assigned agent or an admin can change these "
                                      "details.")
        else:
            try:
                details.parse_tags(changes.tags)
            except DomainError as error:
                errors[error.field or "tags"] = error.message
            for name in ("estimated_hours", "actual_hours"):
                try:
                    details.parse_hours(getattr(changes, name), name)
                except DomainError as error:
                    errors[name] = error.message
    return errors


def update_ticket(ticket: Ticket, actor: User, changes: TicketChanges) -> list[str]:
    """Apply the side panel in one transaction; returns the names of what changed.
    Raises FieldRefusals (nothing changed) when any field is refused."""
    if not permissions.can_work_ticket(actor, ticket):
        raise Forbidden("Only the assigned agent or an admin can change this ticket; "
                        "take it first.", field="status")
    errors = _check(ticket, actor, changes)
    if errors:
        raise FieldRefusals(errors)
    changed = changes.changed
    original = ticket.status
    try:
        with unit_of_work():
            if changes.priority and assignment.change_priority(ticket, actor,
                                                               changes.priority):
                changed.append("priority")
            if changes.details_sent:
                changed += details.update_details(
                    ticket, actor, team_id=changes.team_id, category_id=changes.category_id,
                    due_at=changes.due_at, tags=changes.tags,
                    estimated_hours=changes.estimated_hours,
                    actual_hours=changes.actual_hours)
            if changes.assignee_id is not UNCHANGED and (
                    str(changes.assignee_id or "") != str(ticket.assignee_id or "")):
                if assignment.assign_by_id(ticket, actor, changes.assignee_id or None):
                    changed.append("assignee")
            # the status the person picked, if it differs from the one the page showed
            # (an assignment may have moved a new ticket to open meanwhile)
            if (changes.status and changes.status != original
                    and status.pick_status(ticket, actor, changes.status)):
                changed.append("status")
    except (InvalidInput, InvalidTransition, Forbidden) as error:
        # a rule the first pass could not see (a category archived meanwhile): nothing
        # was saved; the refusal goes next to its field
        raise FieldRefusals({error.field or "status": error.message}) from None
    return changed
