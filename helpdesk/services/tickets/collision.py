"""Mid-air collisions: an action taken on a page that is out of date is held, not applied.

Every workspace form carries the ticket's *version* as the page loaded it. The version is
made of what a colleague's action changes: the last activity (every reply, internal
note, file, status change and merge moves it), the status, the assignee and the
priority. No extra column: it is read from the ticket row the action loads anyway, so
the check costs no query when nothing changed. A customer merely opening the ticket
does not change it (`requester_seen_at` is not part of it).

When the version sent differs from the ticket's, the action is not applied; the page
shows what happened since (the new messages and history events) and offers to apply
it anyway with the new version. A form without a version (an old page, a script) is
not checked: the API has its own check (ETag / If-Match).
"""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import AuditEvent, Message, Ticket, User

STAMP = "%Y%m%d%H%M%S%f"
MAX_SHOWN = 20


def version_of(ticket: Ticket) -> str:
    """The ticket's version as forms carry it, e.g. "20261201234501123456.open.7.high"."""
    stamp = ticket.last_activity_at.strftime(STAMP) if ticket.last_activity_at else "0"
    return f"{stamp}.{ticket.status}.{ticket.assignee_id or 0}.{ticket.priority}"


def _loaded_at(version: str) -> datetime | None:
    try:
        return datetime.strptime(version.split(".", 1)[0], STAMP)
    except ValueError:
        return None


@dataclass
class Changes:
    """What happened since a page was loaded."""
    version: str                  # the ticket's version now (the confirm button sends it)
    messages: list[Message]       # new messages, oldest first
    events: list[AuditEvent]      # history events, oldest first


def changes_since(viewer: User, ticket: Ticket, version: str | None) -> Changes | None:
    """None when the page is up to date (or sent no version); else what changed. Staff
    see internal notes among the new messages; anyone else only public ones."""
    if not version:
        return None
    current = version_of(ticket)
    if version == current:
        return None
    since = _loaded_at(version)
    messages = select(Message).where(Message.ticket_id == ticket.id)
    events = select(AuditEvent).where(AuditEvent.ticket_id == ticket.id)
    if since is not None:
        messages = messages.where(Message.created_at > since)
        events = events.where(AuditEvent.created_at > since)
    if not viewer.is_staff:
        messages = messages.where(Message.is_internal.is_(False))
        events = events.where(AuditEvent.internal.is_(False))
    new_messages = list(db.session.scalars(
        messages.options(selectinload(Message.author), selectinload(Message.attachments))
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(MAX_SHOWN)))
    new_events = list(db.session.scalars(
        events.options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(MAX_SHOWN)))
    return Changes(version=current, messages=new_messages[::-1], events=new_events[::-1])
