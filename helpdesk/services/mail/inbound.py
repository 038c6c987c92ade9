"""Mail received, as agents and admins see it: the originals kept with a ticket (.eml
downloads, staff only) and the console's log of incoming mail."""
from typing import BinaryIO

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


def original_file(viewer: User, mail_id: int) -> tuple[InboundMail, BinaryIO] | None:
    """The kept .eml of one received mail, open for reading from whichever storage
    holds it, for staff; None for anyone else or if it is gone."""
    if not permissions.is_staff(viewer):
        return None
    mail = db.session.get(InboundMail, mail_id)
    if mail is None or mail.stored_name is None:
        return None
    try:
        return mail, storage().open(mail.stored_name)
    except FileNotFoundError:
        return None


def inbound_log(outcome: str | None = None):
    """A SELECT of received mail for the console, newest first."""
    query = (select(InboundMail).options(selectinload(InboundMail.ticket))
             .order_by(InboundMail.received_at.desc(), InboundMail.id.desc()))
    if outcome:
        query = query.where(InboundMail.outcome == outcome)
    return query
