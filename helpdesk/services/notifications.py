"""In-app notifications, and e-mail for the same events when SMTP is configured.

Notification rows are written in the caller's transaction. E-mails are queued on the
session and sent only after it commits, so a rolled-back change never sends mail.
"""
import logging
import smtplib
from collections.abc import Iterable
from email.message import EmailMessage

from flask import current_app, has_app_context, has_request_context, url_for
from sqlalchemy import event, func, select, update

from ..extensions import db
from ..models import Notification, Ticket, User, utcnow
from .unit_of_work import unit_of_work

log = logging.getLogger(__name__)
OUTBOX = "helpdesk_outbox"


def notify(recipients: Iterable[User], ticket: Ticket | None, kind: str, text: str, *,
           actor: User | None = None) -> list[Notification]:
    """Tell each recipient once; never the person who caused it."""
    seen: set[int] = set()
    created = []
    for user in recipients:
        if user is None or user.id in seen or (actor is not None and user.id == actor.id):
            continue
        if ticket is not None and not _may_hear_about_tickets(user):
            continue
        seen.add(user.id)
        note = Notification(user_id=user.id, ticket_id=ticket.id if ticket else None,
                            kind=kind, text=text[:300])
        db.session.add(note)
        created.append(note)
        _queue_email(user, ticket, text)
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


def mark_all_read(user: User) -> None:
    with unit_of_work():
        db.session.execute(update(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow()))


def _queue_email(user: User, ticket: Ticket | None, text: str) -> None:
    if not (has_app_context() and current_app.config.get("MAIL_HOST")):
        return
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_FROM"]
    msg["To"] = user.email
    subject = f"[{ticket.number}] {ticket.subject}" if ticket else "Helpdesk"
    msg["Subject"] = " ".join(subject.split())  # no CR/LF in a header, whatever was typed
    body = [f"Hello {user.name},", "", text]
    if ticket is not None and has_request_context():  # the CLI has no host to link to
        endpoint = "portal.ticket" if user.is_customer else "agent.ticket"
        body += ["", url_for(endpoint, number=ticket.number, _external=True)]
    msg.set_content("\n".join(body))
    db.session.info.setdefault(OUTBOX, []).append(msg)


def _send_outbox(session) -> None:
    messages = session.info.pop(OUTBOX, [])
    if not messages:
        return
    cfg = current_app.config
    try:
        with smtplib.SMTP(cfg["MAIL_HOST"], cfg["MAIL_PORT"], timeout=10) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
            for msg in messages:
                smtp.send_message(msg)
    except (OSError, smtplib.SMTPException):
        # The change is committed and the in-app notification exists; mail is best effort.
        log.exception("could not send %d notification e-mail(s)", len(messages))


def _drop_outbox(session, _previous_transaction) -> None:
    session.info.pop(OUTBOX, None)


def init_app(app) -> None:
    """Hook the outbox to the session class (once per process, whatever the app count)."""
    for name, listener in (("after_commit", _send_outbox),
                           ("after_soft_rollback", _drop_outbox)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)
