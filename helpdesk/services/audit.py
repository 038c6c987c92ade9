"""The audit trail: every change, who made it and when. Callers commit."""
from ..extensions import db
from ..models import AuditEvent, Ticket, User


def _text(value) -> str | None:
    return None if value is None else str(value)


def record(ticket: Ticket | None, actor: User | None, action: str, *, field: str | None = None,
           old=None, new=None, note: str | None = None, internal: bool = False,
           subject_user: User | None = None) -> AuditEvent:
    event = AuditEvent(
        ticket_id=ticket.id if ticket is not None else None,
        ticket_number=ticket.number if ticket is not None else None,
        actor_id=actor.id if actor is not None else None,
        subject_user_id=subject_user.id if subject_user is not None else None,
        action=action, field=field, old_value=_text(old), new_value=_text(new), note=note,
        internal=internal)
    db.session.add(event)
    return event
