"""Related tickets: a link both sides show, without merging anything. Audited on both."""
from sqlalchemy import delete, or_, select

from ... import permissions
from ...extensions import db
from ...models import Ticket, TicketLink, User
from .. import audit
from ..errors import Forbidden, InvalidInput
from ..unit_of_work import unit_of_work

MAX_LINKS = 50


def related_tickets(ticket: Ticket) -> list[Ticket]:
    """The tickets linked to this one (staff pages only), in one indexed query."""
    return list(db.session.scalars(
        select(Ticket).join(TicketLink, TicketLink.related_id == Ticket.id)
        .where(TicketLink.ticket_id == ticket.id)
        .order_by(Ticket.id).limit(MAX_LINKS)))


def _check(actor: User, ticket: Ticket) -> None:
    if not permissions.is_staff(actor):
        raise Forbidden("Only agents can link tickets.")


def _linked(ticket: Ticket, other: Ticket) -> bool:
    return db.session.get(TicketLink, (ticket.id, other.id)) is not None


def link_tickets(actor: User, ticket: Ticket, other: Ticket) -> bool:
    """Mark two tickets as related (both rows, both histories). False: already linked."""
    _check(actor, ticket)
    if ticket.id == other.id:
        raise InvalidInput("A ticket cannot be related to itself.", field="related")
    if _linked(ticket, other):
        return False
    with unit_of_work():
        db.session.add_all([
            TicketLink(ticket_id=ticket.id, related_id=other.id, created_by_id=actor.id),
            TicketLink(ticket_id=other.id, related_id=ticket.id, created_by_id=actor.id)])
        audit.record(ticket, actor, "linked", field="related", new=other.number)
        audit.record(other, actor, "linked", field="related", new=ticket.number)
    return True


def unlink_tickets(actor: User, ticket: Ticket, other: Ticket) -> bool:
    """Remove the link both ways. False: they were not linked."""
    _check(actor, ticket)
    if not _linked(ticket, other):
        return False
    with unit_of_work():
        db.session.execute(delete(TicketLink).where(or_(
            (TicketLink.ticket_id == ticket.id) & (TicketLink.related_id == other.id),
            (TicketLink.ticket_id == other.id) & (TicketLink.related_id == ticket.id))))
        audit.record(ticket, actor, "unlinked", field="related", old=other.number)
        audit.record(other, actor, "unlinked", field="related", old=ticket.number)
    return True
