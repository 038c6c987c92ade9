"""Service-level targets on a ticket: due dates from the targets per priority, and
whether they are met."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from ...extensions import db
from ...models import OPEN_STATUSES, SlaTarget, Ticket, utcnow


def apply_sla(ticket: Ticket, start: datetime | None = None) -> None:
    """Due dates from the SLA targets for the ticket's priority, unless set by hand."""
    target = db.session.get(SlaTarget, str(ticket.priority))
    if target is None or ticket.due_set_manually:
        return
    start = start or ticket.created_at or utcnow()
    ticket.due_at = start + timedelta(minutes=target.resolution_minutes)
    ticket.first_response_due_at = start + timedelta(minutes=target.first_response_minutes)


@dataclass
class SlaState:
    first_response_due_at: datetime | None
    first_response_at: datetime | None
    due_at: datetime | None
    first_response_overdue: bool
    overdue: bool


def sla_state(ticket: Ticket, now: datetime | None = None) -> SlaState:
    now = now or utcnow()
    is_open = ticket.status in OPEN_STATUSES
    return SlaState(
        first_response_due_at=ticket.first_response_due_at,
        first_response_at=ticket.first_response_at,
        due_at=ticket.due_at,
        first_response_overdue=bool(
            ticket.first_response_at is None and ticket.first_response_due_at
            and ticket.first_response_due_at < now and is_open),
        overdue=bool(ticket.due_at and ticket.due_at < now and is_open))
