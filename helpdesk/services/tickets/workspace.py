"""The agent's ticket workspace: everything the page shows, loaded in a fixed number of
queries. The actions it offers are services of their own (status, assignment,
conversation, details)."""
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ... import permissions
from ...extensions import db
from ...models import (
    Attachment,
    AuditEvent,
    CannedReply,
    Message,
    Status,
    Ticket,
    User,
)
from .. import notifications
from ..catalog import cache
from ..errors import NotFound
from .conversation import thread
from .sla import SlaState, sla_state
from .workflow import allowed_targets, manual_ways

OTHER_TICKETS = 10


@dataclass
class Workspace:
    ticket: Ticket
    messages: list[Message]
    ticket_files: list[Attachment]      # attached when the ticket was opened
    history: list[AuditEvent]
    other_tickets: list[Ticket]
    can_work: bool
    status_targets: list[Status]
    sla: SlaState


def get_ticket(viewer: User, number: str, *, for_update: bool = False) -> Ticket:
    """The ticket with what its header and side panel show, or NotFound. `for_update`:
    lock its row until the transaction ends (PostgreSQL), so a change that checked
    the ticket's state first cannot interleave with another one."""
    query = (permissions.visible_tickets(viewer).where(Ticket.number == number)
             .options(joinedload(Ticket.requester), joinedload(Ticket.assignee),
                      joinedload(Ticket.category), joinedload(Ticket.team),
                      joinedload(Ticket.organization), selectinload(Ticket.tags)))
    if for_update:
        query = query.with_for_update(of=Ticket)
    ticket = db.session.scalar(query)
    if ticket is None:
        raise NotFound("Ticket not found.")
    return ticket


def open_workspace(viewer: User, number: str) -> Workspace:
    """The whole page's data in a fixed number of queries. Opening the ticket marks its
    notifications read first — a write only when some are unread — so the ticket is
    loaded once, after that commit (staff see every ticket: no visibility to check)."""
    if not viewer.is_staff:
        raise NotFound("Ticket not found.")
    notifications.mark_read_by_number(viewer, number)
    ticket = get_ticket(viewer, number)
    messages = thread(viewer, ticket)
    ticket_files = list(db.session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id,
                                 Attachment.message_id.is_(None)).order_by(Attachment.id)))
    history = ticket_history(ticket)
    other = list(db.session.scalars(
        select(Ticket).where(Ticket.requester_id == ticket.requester_id,
                             Ticket.id != ticket.id)
        .order_by(Ticket.last_activity_at.desc(), Ticket.id.desc()).limit(OTHER_TICKETS)))
    can_work = permissions.can_work_ticket(viewer, ticket)
    targets = allowed_targets(ticket.status, manual_ways(viewer.role)) if can_work else []
    return Workspace(ticket=ticket, messages=messages, ticket_files=ticket_files,
                     history=history, other_tickets=other, can_work=can_work,
                     status_targets=targets, sla=sla_state(ticket))


def ticket_history(ticket: Ticket) -> list[AuditEvent]:
    """The ticket's audit events with their actors, newest first (staff only: internal
    events are among them)."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.ticket_id == ticket.id)
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())))


@dataclass
class References:
    """Choices for the pickers: categories, teams, staff (id, name, active tuples from
    the process cache, services/catalog/cache.py), canned replies."""
    categories: list
    teams: list
    staff: list
    canned_replies: list[CannedReply] = field(default_factory=list)


def references(*, canned: bool = False) -> References:
    known = cache.catalog()
    return References(
        categories=known.categories, teams=known.teams, staff=known.staff,
        canned_replies=list(db.session.scalars(
            select(CannedReply).where(CannedReply.owner_id.is_(None))
            .order_by(CannedReply.title))) if canned else [])
