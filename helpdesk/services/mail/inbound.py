"""Mail received, as agents and admins see it: the originals kept with a ticket (.eml
downloads, staff only) and the console's log of incoming mail."""
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ... import permissions
from ...extensions import db
from ...models import InboundMail, Ticket, User
from ..files.attachments import storage

ORIGINALS_SHOWN = 20


def received_mails(viewer: User, ticket: Ticket) -> list[InboundMail]:
    """The originals of the mails threaded onto this ticket, newest first (staff only)."""
    if not permissions.is_staff(viewer):
        return []
    return list(db.session.scalars(
        select(InboundMail).where(InboundMail.ticket_id == ticket.id,
                                  InboundMail.stored_name.is_not(None))
        .order_by(InboundMail.received_at.desc(), InboundMail.id.desc())
        .limit(ORIGINALS_SHOWN)))


def original_file(viewer: User, mail_id: int) -> tuple[InboundMail, Path] | None:
    """The kept .eml of one received mail, for staff; None for anyone else or if gone."""
    if not permissions.is_staff(viewer):
        return None
    mail = db.session.get(InboundMail, mail_id)
    if mail is None or mail.stored_name is None:
        return None
    path = storage().path(mail.stored_name)
    return (mail, path) if path.is_file() else None


def inbound_log(outcome: str | None = None):
    """A SELECT of received mail for the console, newest first."""
    query = (select(InboundMail).options(selectinload(InboundMail.ticket))
             .order_by(InboundMail.received_at.desc(), InboundMail.id.desc()))
    if outcome:
        query = query.where(InboundMail.outcome == outcome)
    return query
