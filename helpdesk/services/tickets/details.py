"""The side panel's details of a ticket: team, category, due date, tags and hours."""
from datetime import datetime
from decimal import Decimal

from ... import permissions
from ...extensions import db
from ...models import Category, Team, Ticket, TicketTag, User, utcnow
from .. import audit, events
from ..errors import Forbidden, InvalidInput
from ..ids import parse_id
from ..unit_of_work import unit_of_work
from .sla import apply_sla

MAX_TAGS = 10


def parse_tags(text: str | None) -> list[str]:
    """"Refund, carrier ,refund" → ["carrier", "refund"]."""
    names = sorted({t.strip().lower() for t in (text or "").split(",") if t.strip()})
    if len(names) > MAX_TAGS:
        raise InvalidInput(f"Use at most {MAX_TAGS} tags.", field="tags")
    if any(len(n) > 50 for n in names):
        raise InvalidInput("Keep each tag under 50 characters.", field="tags")
    return names


def parse_hours(value, field: str = "estimated_hours") -> float | None:
    if value in (None, ""):
        return None
    try:
        hours = float(Decimal(str(value)))
    except ArithmeticError:
        raise InvalidInput("Enter a number of hours, e.g. 1.5.", field=field) from None
    if not 0 <= hours <= 10000:
        raise InvalidInput("Use 0 to 10,000 hours.", field=field)
    return hours


def _by_id(model, value, field_name: str):
    if value in (None, "", 0, "0"):
        return None
    row_id = parse_id(value)
    row = db.session.get(model, row_id) if row_id else None
    if row is None or (hasattr(row, "active") and not row.active):
        raise InvalidInput("Choose one of the listed options.", field=field_name)
    return row


def update_details(ticket: Ticket, actor: User, *, team_id=None, category_id=None,
                   due_at: datetime | None = None, tags: str | None = None,
                   estimated_hours=None, actual_hours=None) -> list[str]:
    """Change the side-panel details in one transaction, an audit event per changed
    field (old → new). A due date set by hand sticks; clearing it brings back the SLA
    target. Returns the names of the fields that changed."""
    if not permissions.can_work_ticket(actor, ticket):
        raise Forbidden("Only the assigned agent or an admin can change these details.")
    team = _by_id(Team, team_id, "team")
    if ticket.category_id is not None and parse_id(category_id) == ticket.category_id:
        category = ticket.category  # kept even if archived since; a new pick must be active
    else:
        category = _by_id(Category, category_id, "category")
    names = parse_tags(tags)
    estimated = parse_hours(estimated_hours, "estimated_hours")
    actual = parse_hours(actual_hours, "actual_hours")

    changes = []
    with unit_of_work():
        def change(name, old, new, apply):
            if old != new:
                audit.record(ticket, actor, f"{name}_changed", field=name, old=old, new=new)
                apply()
                changes.append(name)

        change("team", ticket.team.name if ticket.team else None,
               team.name if team else None, lambda: setattr(ticket, "team", team))
        change("category", ticket.category.name if ticket.category else None,
               category.name if category else None,
               lambda: setattr(ticket, "category", category))
        change("tags", ", ".join(ticket.tag_names) or None, ", ".join(names) or None,
               lambda: _set_tags(ticket, names))
        change("estimated_hours", ticket.estimated_hours, estimated,
               lambda: setattr(ticket, "estimated_hours", estimated))
        change("actual_hours", ticket.actual_hours, actual,
               lambda: setattr(ticket, "actual_hours", actual))
        _change_due(ticket, actor, due_at, changes)
        if changes:
            ticket.last_activity_at = utcnow()
            events.publish("ticket.updated", ticket, actor=actor, changes=list(changes))
    return changes


def _set_tags(ticket: Ticket, names: list[str]) -> None:
    ticket.tags = [TicketTag(name=n) for n in names]
    db.session.flush()


def _change_due(ticket: Ticket, actor: User, due_at: datetime | None, changes) -> None:
    old = ticket.due_at
    if due_at is not None:
        due_at = due_at.replace(second=0, microsecond=0, tzinfo=None)
        if old is not None and old.replace(second=0, microsecond=0) == due_at:
            return  # what the form showed (to the minute): unchanged
        ticket.due_at, ticket.due_set_manually = due_at, True
    elif ticket.due_set_manually:  # cleared: back to the SLA target
        ticket.due_set_manually = False
        apply_sla(ticket)
    else:
        return
    if ticket.due_at != old:
        audit.record(ticket, actor, "due_changed", field="due_at", old=old, new=ticket.due_at)
        changes.append("due_at")
