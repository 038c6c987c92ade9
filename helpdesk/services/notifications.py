"""In-app notifications, and e-mail for the same events when SMTP is configured.

Notification rows and their mails (outbox rows) are written in the caller's
transaction: a rolled-back change leaves neither, and the worker sends what committed.
"""
from collections.abc import Iterable

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Message, Notification, Ticket, User, utcnow
from .mail.outbox import mail_enabled, queue_mail
from .mail.preferences import wants_mail
from .unit_of_work import unit_of_work


def notify(recipients: Iterable[User], ticket: Ticket | None, kind: str, text: str, *,
           actor: User | None = None, message: Message | None = None,
           anchor: str | None = None) -> list[Notification]:
    """Tell each recipient once; never the person who caused it. `message`, a public
    reply, is quoted in the mail (an internal note is refused by the outbox). The
    notification links to where it happened: the message, or `anchor` on the page."""
    if anchor is None and message is not None and message.id is not None:
        anchor = f"message-{message.id}"
    seen: set[int] = set()
    created = []
    for user in recipients:
        if user is None or user.id in seen or (actor is not None and user.id == actor.id):
            continue
        if ticket is not None and not _may_hear_about_tickets(user):
            continue
        seen.add(user.id)
        note = Notification(user_id=user.id, ticket_id=ticket.id if ticket else None,
                            kind=kind, text=text[:300], anchor=anchor)
        db.session.add(note)
        created.append(note)
        _queue_email(user, ticket, kind, text, message)
    return created


def _may_hear_about_tickets(user: User) -> bool:
    """Ticket news (subjects, replies) goes to active customers and working staff only;
    decisions about someone's own account reach them whatever its state."""
    return user.is_active and (user.is_customer or user.is_staff)


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def unread_about(user: User, ticket: Ticket):
    """A SELECT of this person's unread notifications about this ticket (indexed)."""
    return select(Notification.id).where(
        Notification.user_id == user.id, Notification.ticket_id == ticket.id,
        Notification.read_at.is_(None))


def mark_ticket_read(user: User, ticket: Ticket) -> None:
    """Opening a ticket marks its notifications read, in the caller's unit of work."""
    db.session.execute(update(Notification).where(Notification.id.in_(
        unread_about(user, ticket))).values(read_at=utcnow()))


def has_unread_about(user: User, ticket: Ticket) -> bool:
    return bool(db.session.scalar(select(unread_about(user, ticket).exists())))


def _unread_about_number(user: User, number: str):
    return select(Notification.id).where(
        Notification.user_id == user.id, Notification.read_at.is_(None),
        Notification.ticket_id.in_(select(Ticket.id).where(Ticket.number == number)))


def mark_read_by_number(user: User, number: str) -> bool:
    """Mark this person's notifications about ticket `number` read, before the page
    loads the ticket (so it loads it once): one EXISTS, and only when some are unread
    one UPDATE ... WHERE read_at IS NULL and a commit. Reading is not writing.
    For staff, who may see every ticket; returns whether anything was marked."""
    if not db.session.scalar(select(_unread_about_number(user, number).exists())):
        return False
    with unit_of_work():
        db.session.execute(update(Notification).where(Notification.id.in_(
            _unread_about_number(user, number))).values(read_at=utcnow()))
    return True


def mark_all_read(user: User) -> None:
    with unit_of_work():
        db.session.execute(update(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow()))


def _queue_email(user: User, ticket: Ticket | None, kind: str, text: str,
                 message: Message | None) -> None:
    """The mail for one notification, if this person wants mail for this event and
    their address has not been bouncing."""
    if not mail_enabled() or not wants_mail(user, kind) or user.email_failing_since:
        return
    if ticket is None:
        queue_mail(kind=kind, to=user, template="notice", subject=text, text=text)
        return
    queue_mail(kind=kind, to=user, template="ticket_event", subject=ticket.subject,
               ticket=ticket, message=message, text=text)
