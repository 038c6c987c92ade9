"""Removing tickets and closing old resolved ones.

`delete_ticket` deletes the ticket row and lets the database cascade to its messages,
attachments, tags, feedback and notifications (ON DELETE CASCADE); audit events keep
their ticket number (ON DELETE SET NULL), so the deletion itself stays on record. The
files go from disk only after the commit: a failed delete leaves every file in place.
"""
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from ...extensions import db
from ...models import Attachment, Message, Status, Ticket, User, utcnow
from .. import audit
from ..catalog.settings import autoclose_days
from ..errors import Forbidden, NotFound
from ..files.attachments import delete_files_after_commit
from ..unit_of_work import unit_of_work
from .status import apply_transition
from .workflow import Way, next_status

AUTOCLOSE_BATCH = 500


def get_ticket(number: str) -> Ticket:
    ticket = db.session.scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None:
        raise NotFound("Ticket not found.")
    return ticket


def deletion_summary(ticket: Ticket) -> dict[str, int]:
    """What a deletion removes, for the confirmation page."""
    messages = db.session.scalar(select(func.count(Message.id))
                                 .where(Message.ticket_id == ticket.id)) or 0
    files = db.session.scalar(select(func.count(Attachment.id))
                              .where(Attachment.ticket_id == ticket.id)) or 0
    return {"messages": messages, "attachments": files}


def delete_ticket(ticket: Ticket, admin: User, *, reason: str | None = None) -> str:
    """Delete a ticket with everything on it; returns its number."""
    if not admin.is_admin:
        raise Forbidden("Only admins can delete tickets.")
    number, ticket_id = ticket.number, ticket.id
    keys = list(db.session.scalars(select(Attachment.stored_name)
                                   .where(Attachment.ticket_id == ticket_id)))
    with unit_of_work():
        audit.record(ticket, admin, "deleted", old=ticket.subject, note=_clean(reason))
        db.session.flush()  # the event row exists before the cascade nulls its ticket_id
        db.session.expunge(ticket)
        db.session.execute(delete(Ticket).where(Ticket.id == ticket_id)
                           .execution_options(synchronize_session=False))
        delete_files_after_commit(keys)
    return number


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


def autoclose(now: datetime | None = None, days: int | None = None) -> int:
    """Close tickets resolved more than `days` (default: the setting) days ago, through
    the workflow, with an audit event each. Commits in batches, so a long run keeps its
    progress and running it again only picks up what is left. Returns how many closed."""
    days = autoclose_days() if days is None else days
    target = next_status(Status.RESOLVED, Way.AUTOCLOSE)
    if days <= 0 or target is None:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    note = f"Resolved for more than {days} day{'s' if days != 1 else ''}."
    closed = 0
    while True:
        with unit_of_work():  # one per batch: a long run keeps its progress
            # FOR UPDATE (PostgreSQL): a customer replying at this moment waits for us,
            # then sees a closed ticket; SKIP LOCKED lets two runs share the work.
            batch = list(db.session.scalars(
                select(Ticket).where(Ticket.status == Status.RESOLVED,
                                     Ticket.resolved_at <= cutoff)
                .order_by(Ticket.id).limit(AUTOCLOSE_BATCH)
                .with_for_update(skip_locked=True)))
            for ticket in batch:
                apply_transition(ticket, None, target, action="autoclosed", note=note)
        closed += len(batch)
        if len(batch) < AUTOCLOSE_BATCH:
            return closed
