"""The customer's side of tickets: their own list, search, the ticket page, follow-ups.

Every query starts from `permissions.visible_tickets`, so a customer can only ever
reach their own tickets (and their colleagues', where the organization shares them);
messages and files come through loaders that drop internal notes in the query.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from ... import permissions
from ...extensions import db
from ...models import (
    OPEN_STATUSES,
    STATUS_LABELS,
    Attachment,
    Category,
    Message,
    Status,
    Ticket,
    User,
    utcnow,
)
from .. import notifications
from ..errors import Forbidden, InvalidTransition, NotFound
from ..files.attachments import Upload
from ..matching import contains_pattern
from ..people import mail_links
from ..unit_of_work import unit_of_work
from .conversation import thread
from .merging import own_part
from .opening import create_ticket


class StatusFilter(NamedTuple):
    label: str
    statuses: tuple[Status, ...] | None  # None: every status


# The status filter of "My tickets", in the order the page offers them.
STATUS_FILTERS: dict[str, StatusFilter] = {
    "open": StatusFilter("Open", OPEN_STATUSES),
    "resolved": StatusFilter(STATUS_LABELS[Status.RESOLVED], (Status.RESOLVED,)),
    "closed": StatusFilter(STATUS_LABELS[Status.CLOSED], (Status.CLOSED,)),
    "all": StatusFilter("All", None),
}
DEFAULT_STATUS_FILTER = "all"
VERIFY_FIRST = ("Confirm your e-mail address first: open the link we mailed you, then open "
                "your ticket.")
SEARCH_MAX = 100


# --- my tickets ------------------------------------------------------------------------

def sees_shared_tickets(customer: User) -> bool:
    """The customer's organization shares tickets: their list shows colleagues' too."""
    return (customer.organization_id is not None
            and customer.organization.shares_tickets)


def my_tickets(customer: User, *, status: str = DEFAULT_STATUS_FILTER, q: str = "",
               mine_only: bool = False):
    """A SELECT of the tickets the customer may see (their own, and their colleagues'
    where the organization shares), newest activity first, categories loaded.

    `q` matches the number, subject, description, order reference and the *public*
    messages; internal notes are never searched for a customer."""
    query = (permissions.visible_tickets(customer)
             .options(selectinload(Ticket.category))
             .order_by(Ticket.public_activity_at.desc(), Ticket.id.desc()))
    if mine_only:
        query = query.where(Ticket.requester_id == customer.id)
    elif customer.organization_id is not None:  # the list says who opened a colleague's
        query = query.options(joinedload(Ticket.requester))
    statuses = STATUS_FILTERS.get(status, STATUS_FILTERS[DEFAULT_STATUS_FILTER]).statuses
    if statuses is not None:
        query = query.where(Ticket.status.in_([str(s) for s in statuses]))
    return query.where(*public_text_conditions(q))


def public_text_conditions(q: str | None) -> list:
    """WHERE conditions for a customer's search: every word in the number, subject,
    description, order reference or a *public* message (never an internal note)."""
    conditions = []
    for word in (q or "").strip()[:SEARCH_MAX].split():
        pattern = contains_pattern(word)
        in_public_messages = exists().where(
            Message.ticket_id == Ticket.id, Message.is_internal.is_(False),
            Message.body.ilike(pattern, escape="\\"))
        conditions.append(or_(
            Ticket.number.ilike(pattern, escape="\\"),
            Ticket.subject.ilike(pattern, escape="\\"),
            Ticket.description.ilike(pattern, escape="\\"),
            Ticket.order_reference.ilike(pattern, escape="\\"),
            in_public_messages))
    return conditions


def has_unseen_reply(ticket: Ticket) -> bool:
    """An agent replied publicly since the customer last opened the ticket."""
    if ticket.last_agent_reply_at is None:
        return False
    return (ticket.requester_seen_at is None
            or ticket.last_agent_reply_at > ticket.requester_seen_at)


# --- the ticket page -------------------------------------------------------------------

@dataclass(frozen=True)
class TicketPage:
    """What the customer's ticket page shows and offers, decided here, not in Jinja."""
    messages: list[Message]
    files: list[Attachment]
    can_reply: bool
    can_rate: bool
    can_confirm: bool
    can_withdraw: bool
    can_follow_up: bool
    is_requester: bool  # False: a colleague's ticket, shared by the organization
    merged: bool = False  # merged into a ticket this customer may not see: their part only


def ticket_page(customer: User, ticket: Ticket) -> TicketPage:
    """Colleagues read and reply; rating, closing, withdrawing and follow-ups stay with
    the requester (see permissions)."""
    own = permissions.is_requester(customer, ticket)
    merged = ticket.merged_into_id is not None
    return TicketPage(
        messages=own_part(customer, ticket) if merged else thread(customer, ticket),
        files=ticket_files(customer, ticket),
        can_reply=permissions.can_reply(customer, ticket),
        can_rate=permissions.can_rate(customer, ticket),
        can_confirm=permissions.can_confirm_resolution(customer, ticket),
        can_withdraw=permissions.can_withdraw(customer, ticket),
        can_follow_up=own and ticket.status == Status.CLOSED,
        is_requester=own,
        merged=merged,
    )


def ticket_files(viewer: User, ticket: Ticket) -> list[Attachment]:
    """Files attached when the ticket was opened (no message): public, like the
    description. Checked against the viewer all the same."""
    if not permissions.can_view_ticket(viewer, ticket):
        return []
    query = (select(Attachment)
             .where(Attachment.ticket_id == ticket.id, Attachment.message_id.is_(None))
             .order_by(Attachment.id))
    return list(db.session.scalars(query))


def mark_seen(customer: User, ticket: Ticket) -> None:
    """The customer opened a ticket: its notifications are read, and for the requester
    the "new reply" marker goes. `updated_at` is left alone: looking is not a change,
    and nothing is written when there is nothing new to mark."""
    if not permissions.can_view_ticket(customer, ticket):
        return
    unseen = ticket.requester_id == customer.id and has_unseen_reply(ticket)
    if not (unseen or notifications.has_unread_about(customer, ticket)):
        return
    # The page goes on showing this ticket: keep it loaded (one load per page).
    with unit_of_work(keep_loaded=True):
        if unseen:
            now = utcnow()
            db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(
                requester_seen_at=now, updated_at=Ticket.updated_at))
            set_committed_value(ticket, "requester_seen_at", now)
        notifications.mark_ticket_read(customer, ticket)


# --- new tickets -----------------------------------------------------------------------

def category_choices() -> list[tuple[int, str]]:
    """The admin-managed categories a customer may choose (active only), in order."""
    rows = db.session.execute(select(Category.id, Category.name)
                              .where(Category.active.is_(True))
                              .order_by(Category.position, Category.name))
    return [(row.id, row.name) for row in rows]


def follow_up_parent(customer: User, number: str | None) -> Ticket | None:
    """The customer's own closed ticket a new one follows up on (None: no follow-up).
    Someone else's ticket is "not found"; an unclosed one takes a reply instead."""
    number = (number or "").strip()
    if not number:
        return None
    parent = db.session.scalar(select(Ticket).where(Ticket.number == number,
                                                    Ticket.requester_id == customer.id))
    if parent is None:
        raise NotFound("Ticket not found.")
    if parent.status != Status.CLOSED:
        raise InvalidTransition(f"{parent.number} is still open: reply on it instead of "
                                "opening a follow-up.")
    return parent


def follow_up_defaults(parent: Ticket) -> dict:
    """What the new-ticket form starts with when it follows up on `parent`."""
    subject = f"Follow-up to {parent.number}: {parent.subject}"
    if len(subject) > 200:
        subject = subject[:199].rstrip() + "…"
    return {
        "subject": subject,
        "description": f"This follows up on {parent.number} ({parent.subject}).\n\n",
        "category": parent.category_id if parent.category and parent.category.active
        else None,
        "order_reference": parent.order_reference,
        "follow_up": parent.number,
    }


def open_ticket(customer: User, *, subject: str, description: str,
                category_id: int | None = None, order_reference: str | None = None,
                files: Sequence[Upload] = (), follow_up: str | None = None,
                kept: Sequence = (), custom_values: dict | None = None) -> Ticket:
    """A customer opens a ticket, possibly as a follow-up to one of their closed ones.
    A customer who signed up on the web confirms the address first."""
    if mail_links.needs_verification(customer):
        raise Forbidden(VERIFY_FIRST)
    parent = follow_up_parent(customer, follow_up)
    return create_ticket(
        requester=customer, created_by=customer, subject=subject, description=description,
        category_id=category_id, order_reference=order_reference, files=files,
        parent=parent, kept=kept, custom_values=custom_values)
