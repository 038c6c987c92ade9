"""Writing mail to the outbox: rendered from templates/mail/ in the caller's transaction,
sent later by the worker (sending.py). Nothing is queued when no SMTP server is
configured (in-app notifications only), and nothing survives a rollback.

Every header value passes `one_line` first: a name or subject with CR/LF in it must
never start a new header. Internal notes never get here (`queue_mail` refuses one).
"""
import logging
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from ... import permissions
from ...extensions import db
from ...models import STATUS_LABELS, Message, OutboxMail, Ticket, TicketMailId, User, utcnow
from .tokens import parse_address, reply_address, support_address

log = logging.getLogger(__name__)

SITE_NAME = "Helpdesk"
REFERENCES_KEPT = 10
# RFC 3834: answers to a mail someone sent us are "auto-replied"; mail the helpdesk
# writes by itself (status changes, notices) is "auto-generated".
AUTO_REPLIED = "auto-replied"
AUTO_GENERATED = "auto-generated"


class InternalContentRefused(ValueError):
    """Someone tried to mail an internal note: a bug, never to be sent."""


def mail_enabled() -> bool:
    return bool(current_app.config.get("MAIL_HOST"))


def one_line(value) -> str:
    """Header text on one line: CR, LF and every other line break become one space."""
    return " ".join(str(value or "").split())


def site_url(endpoint: str, **values) -> str:
    """An absolute link built from BASE_URL, never from a request's Host header."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme or "http")
    return adapter.build(endpoint, values, force_external=True)


def ticket_link(user: User, ticket: Ticket) -> str:
    endpoint = "agent.ticket" if user is not None and user.is_staff else "portal.ticket"
    return site_url(endpoint, number=ticket.number)


def render(template: str, **context) -> tuple[str, str]:
    """The text and HTML parts. Mail templates see only what they are given (no request,
    no current user); .html templates autoescape, and reference no remote images."""
    env = current_app.jinja_env
    context.setdefault("site_name", SITE_NAME)
    context.setdefault("site_url", current_app.config["BASE_URL"])
    context.setdefault("note_marker", current_app.config["MAIL_NOTE_MARKER"])
    # Staff may reply by mail with an internal note: the policy decides, not the template.
    user = context.get("user")
    context.setdefault("may_note_by_mail", user is not None and permissions.is_staff(user))
    ticket = context.get("ticket")
    if ticket is not None:
        context.setdefault("status_label", STATUS_LABELS.get(ticket.status, ticket.status))
    message = context.get("message")
    context.setdefault("files", [a.original_name for a in message.attachments]
                       if message is not None else [])
    text = env.get_template(f"mail/{template}.txt").render(context)
    html = env.get_template(f"mail/{template}.html").render(context)
    return text, html


def thread_ids(ticket: Ticket) -> list[str]:
    """Message-IDs on this ticket's thread, oldest first (first one and the latest few)."""
    ids = list(db.session.scalars(select(TicketMailId.message_id)
                                  .where(TicketMailId.ticket_id == ticket.id)
                                  .order_by(TicketMailId.id)))
    if len(ids) > REFERENCES_KEPT:
        ids = [ids[0], *ids[-(REFERENCES_KEPT - 1):]]
    return ids


def remember_message_id(ticket: Ticket, message_id: str, direction: str) -> None:
    """Replies naming this id thread onto the ticket. An id already known (a copy of our
    own mail sent back to us) keeps the ticket it has."""
    message_id = message_id[:255]
    known = db.session.scalar(select(TicketMailId.id).where(
        TicketMailId.message_id == message_id))
    if known is None:
        db.session.add(TicketMailId(ticket_id=ticket.id, message_id=message_id,
                                    direction=direction))


def queue_mail(*, kind: str, to: User | str, template: str, subject: str,
               ticket: Ticket | None = None, message: Message | None = None,
               auto: str | None = AUTO_GENERATED, name: str | None = None,
               **context) -> OutboxMail | None:
    """Render and queue one mail in the caller's unit of work. Returns None when mail is
    off or the address cannot take mail."""
    if not mail_enabled():
        return None
    if message is not None and message.is_internal:
        raise InternalContentRefused("internal notes never leave the helpdesk")
    user = to if isinstance(to, User) else None
    address = user.email if user is not None else str(to)
    recipient = _address(name if name is not None else getattr(user, "name", ""), address)
    if recipient is None:
        log.warning("not queuing %s mail: %r is not a usable address", kind, address)
        return None
    support = support_address()
    sender = parse_address(current_app.config["MAIL_FROM"])
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(SITE_NAME, sender.username, sender.domain)
    msg["To"] = recipient
    full_subject = one_line(subject)
    if ticket is not None:
        full_subject = f"[{ticket.number}] {full_subject}"
    msg["Subject"] = full_subject[:250]
    msg["Date"] = format_datetime(_aware_now())
    message_id = make_msgid(idstring=ticket.number if ticket else kind,
                            domain=support.domain)
    msg["Message-ID"] = message_id
    if ticket is not None:
        msg["Reply-To"] = Address(SITE_NAME, addr_spec=reply_address(ticket))
        previous = thread_ids(ticket)
        if previous:
            msg["In-Reply-To"] = previous[-1]
            msg["References"] = " ".join(previous)
    if auto:
        msg["Auto-Submitted"] = auto
        msg["X-Auto-Response-Suppress"] = "All"  # no out-of-office answers to our mail
    text, html = render(template, user=user, name=recipient.display_name, ticket=ticket,
                        message=message,
                        link=ticket_link(user, ticket) if ticket is not None else None,
                        **context)
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    row = OutboxMail(kind=kind, to_address=address, user_id=user.id if user else None,
                     ticket_id=ticket.id if ticket else None, subject=full_subject[:300],
                     message_id=message_id, raw=msg.as_string())
    db.session.add(row)
    if ticket is not None:  # a fresh id: nothing to look up
        db.session.add(TicketMailId(ticket_id=ticket.id, message_id=message_id,
                                    direction="out"))
    return row


def _address(name: str, address: str) -> Address | None:
    address = (address or "").strip()
    local, _, domain = address.rpartition("@")
    if not local or not domain or any(ch.isspace() or ord(ch) < 32 for ch in address):
        return None
    try:
        return Address(display_name=one_line(name), username=local, domain=domain)
    except (ValueError, TypeError):
        return None


def _aware_now() -> datetime:
    return utcnow().replace(tzinfo=UTC)
