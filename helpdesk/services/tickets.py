"""The ticket use cases shared by every role: open, reply, move through the workflow,
rate. Each public function is one transaction: rules, change, audit, notifications."""
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import permissions
from ..extensions import db
from ..models import (
    DONE_STATUSES,
    STATUS_LABELS,
    Category,
    Feedback,
    Message,
    Priority,
    Role,
    SlaTarget,
    Status,
    Ticket,
    User,
    utcnow,
)
from . import audit, notifications
from .attachments import Upload, check_uploads, real_uploads, store_uploads, transaction
from .errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from .numbering import next_ticket_number
from .workflow import Way, is_allowed, manual_ways, next_status

CLOSED_REPLY_REFUSED = ("This ticket is closed, so it cannot take new replies. "
                        "Open a follow-up ticket instead.")


# --- opening ---------------------------------------------------------------------------

def create_ticket(*, requester: User, created_by: User, subject: str, description: str,
                  category_id: int | None = None, priority: str = Priority.MEDIUM,
                  order_reference: str | None = None, files: Sequence[Upload] = (),
                  parent: Ticket | None = None) -> Ticket:
    """Ticket, files, audit event and notifications in one transaction."""
    if not requester.is_customer:
        raise InvalidInput("Tickets are opened for customers.", field="requester")
    if created_by.id != requester.id and not created_by.is_staff:
        raise Forbidden("Only agents may open a ticket on a customer's behalf.")
    category = _active_category(category_id)
    files = real_uploads(files)
    check_uploads(files)
    with transaction():
        now = utcnow()
        ticket = Ticket(
            number=next_ticket_number(), subject=" ".join(subject.split()),
            description=description.strip(), category=category,
            team_id=category.default_team_id if category else None,
            priority=Priority(priority), status=Status.NEW, requester=requester,
            created_by=created_by, order_reference=(order_reference or "").strip() or None,
            parent=parent, created_at=now, updated_at=now, last_activity_at=now,
            public_activity_at=now)
        apply_sla(ticket, now)
        db.session.add(ticket)
        db.session.flush()
        store_uploads(files, ticket=ticket, uploader=created_by)
        audit.record(ticket, created_by, "created", note=f"for {requester.email}"
                     if created_by.id != requester.id else None)
        if files:
            audit.record(ticket, created_by, "attachment_added", new=len(files))
        recipients = ticket.team.members if ticket.team and ticket.team.members else _admins()
        notifications.notify(recipients, ticket, "ticket_created",
                             f"New ticket {ticket.number}: {ticket.subject}", actor=created_by)
    return ticket


def open_for_customer(agent: User, *, customer_email: str, **fields) -> Ticket:
    """An agent opens a ticket on a customer's behalf; created_by records who did."""
    customer = db.session.scalar(select(User).where(
        User.email == (customer_email or "").strip().lower(), User.role == Role.CUSTOMER))
    if customer is None or not customer.is_active:
        raise InvalidInput("No active customer has this e-mail address.",
                           field="customer_email")
    return create_ticket(requester=customer, created_by=agent, **fields)


def _active_category(category_id: int | None) -> Category | None:
    if category_id in (None, "", 0):
        return None
    category = db.session.get(Category, int(category_id))
    if category is None or not category.active:
        raise InvalidInput("Choose one of the listed categories.", field="category")
    return category


def _admins() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == Role.ADMIN, User.active)))


def apply_sla(ticket: Ticket, start=None) -> None:
    """Due dates from the SLA targets for the ticket's priority, unless set by hand."""
    target = db.session.get(SlaTarget, str(ticket.priority))
    if target is None or ticket.due_set_manually:
        return
    start = start or ticket.created_at or utcnow()
    ticket.due_at = start + timedelta(hours=target.resolution_hours)
    ticket.first_response_due_at = start + timedelta(hours=target.first_response_hours)


# --- the thread ------------------------------------------------------------------------

def thread(viewer: User, ticket: Ticket) -> list[Message]:
    """The messages this person may read, with authors and files, in two queries.
    Customers never get internal notes: they are filtered here, in the query."""
    query = (select(Message).where(Message.ticket_id == ticket.id)
             .options(selectinload(Message.author), selectinload(Message.attachments))
             .order_by(Message.created_at, Message.id))
    if not viewer.is_staff:
        query = query.where(Message.is_internal.is_(False))
    return list(db.session.scalars(query))


def post_reply(ticket: Ticket, author: User, body: str, *, internal: bool = False,
               files: Sequence[Upload] = ()) -> Message:
    """A public reply or an internal note, with its files, in one transaction."""
    body = (body or "").strip()
    if not body:
        raise InvalidInput("Write a message.", field="body")
    files = real_uploads(files)
    check_uploads(files)
    if author.is_customer:
        new_status = _customer_reply_status(ticket, author)
    else:
        new_status = None
        if not author.is_staff:
            raise Forbidden("You may not reply to this ticket.")
        if not internal and not permissions.can_work_ticket(author, ticket):
            raise Forbidden("Only the assigned agent or an admin can reply publicly. "
                            "You can add an internal note.")
        if not internal and ticket.status == Status.CLOSED:
            raise InvalidTransition("This ticket is closed: reopen it before replying to the "
                                    "customer. You can add an internal note.", field="body")
    with transaction():
        now = utcnow()
        message = Message(ticket=ticket, author=author, body=body,
                          is_internal=internal and not author.is_customer, created_at=now)
        db.session.add(message)
        db.session.flush()
        store_uploads(files, ticket=ticket, uploader=author, message=message)
        ticket.last_activity_at = now
        if not message.is_internal:
            ticket.public_activity_at = now
        action = "internal_note" if message.is_internal else "replied"
        audit.record(ticket, author, action, internal=message.is_internal)
        if files:
            audit.record(ticket, author, "attachment_added", new=len(files),
                         internal=message.is_internal)
        if author.is_customer:
            _after_customer_reply(ticket, author, new_status, bool(files))
        elif not message.is_internal:
            ticket.last_agent_reply_at = now
            if ticket.first_response_at is None:
                ticket.first_response_at = now
            notifications.notify([ticket.requester], ticket, "agent_replied",
                                 f"New reply on {ticket.number}: {ticket.subject}",
                                 actor=author)
        if files and not author.is_customer:  # a colleague's file on the assignee's ticket
            notifications.notify([ticket.assignee], ticket, "attachment_added",
                                 f"{author.name} attached files to {ticket.number}",
                                 actor=author)
    return message


def _customer_reply_status(ticket: Ticket, customer: User) -> Status | None:
    if ticket.requester_id != customer.id:
        raise NotFound("Ticket not found.")
    if ticket.status == Status.CLOSED:
        raise InvalidTransition(CLOSED_REPLY_REFUSED, field="body")
    return next_status(ticket.status, Way.CUSTOMER_REPLY)


def _after_customer_reply(ticket: Ticket, customer: User, new_status, has_files) -> None:
    if new_status is not None:
        action = "reopened" if ticket.status == Status.RESOLVED else "status_changed"
        _set_status(ticket, customer, new_status, action=action)
    text = f"{customer.name} replied on {ticket.number}"
    if has_files:
        text += " and attached files"
    notifications.notify([ticket.assignee] if ticket.assignee else _admins(), ticket,
                         "customer_replied", text, actor=customer)


# --- status ----------------------------------------------------------------------------

def _set_status(ticket: Ticket, actor: User | None, new: Status, *, action="status_changed",
                note: str | None = None) -> None:
    """Apply a transition already allowed by the workflow: timestamps, audit, notices."""
    old = Status(ticket.status)
    now = utcnow()
    ticket.status = new
    ticket.last_activity_at = ticket.public_activity_at = now
    if new == Status.RESOLVED:
        ticket.resolved_at = now
    elif new == Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    else:  # back to work: the old resolution no longer counts
        ticket.resolved_at = ticket.closed_at = None
    audit.record(ticket, actor, action, field="status", old=old, new=new, note=note)
    text = f"{ticket.number} is now {STATUS_LABELS[new]}"
    kind = "closed" if new == Status.CLOSED else "status_changed"
    notifications.notify([ticket.requester, ticket.assignee], ticket, kind, text, actor=actor)


def change_status(ticket: Ticket, actor: User, target: str, *, note: str | None = None) -> None:
    """A person picks a status. Agents: on their tickets; admins: anywhere."""
    try:
        target = Status(target)
    except ValueError:
        raise InvalidInput("Choose one of the listed statuses.", field="status") from None
    if not permissions.can_work_ticket(actor, ticket):
        raise Forbidden("Only the assigned agent or an admin can change the status.")
    if not is_allowed(ticket.status, target, manual_ways(actor.role)):
        raise InvalidTransition(
            f"A ticket that is {STATUS_LABELS[Status(ticket.status)]} cannot be moved to "
            f"{STATUS_LABELS[target]}.", field="status")
    with transaction():
        _set_status(ticket, actor, target, note=note)


def _customer_move(ticket: Ticket, customer: User, way: Way, refusal: str) -> None:
    if ticket.requester_id != customer.id:
        raise NotFound("Ticket not found.")
    target = next_status(ticket.status, way)
    if target is None:
        raise InvalidTransition(refusal)
    with transaction():
        _set_status(ticket, customer, target, action=str(way))


def withdraw(ticket: Ticket, customer: User) -> None:
    """The customer no longer needs help with an unresolved ticket."""
    _customer_move(ticket, customer, Way.WITHDRAW, "Only an unresolved ticket can be withdrawn.")


def confirm_resolution(ticket: Ticket, customer: User) -> None:
    """"This is solved": the customer closes a resolved ticket."""
    _customer_move(ticket, customer, Way.CONFIRM, "Only a resolved ticket can be closed here.")


# --- feedback --------------------------------------------------------------------------

def can_rate(ticket: Ticket, customer: User) -> bool:
    return (ticket.requester_id == customer.id and ticket.status in DONE_STATUSES
            and ticket.feedback is None)


def submit_feedback(ticket: Ticket, customer: User, rating: int,
                    comment: str | None = None) -> Feedback:
    if ticket.requester_id != customer.id:
        raise NotFound("Ticket not found.")
    if ticket.status not in DONE_STATUSES:
        raise InvalidTransition("You can rate a ticket once it is resolved.", field="rating")
    if ticket.feedback is not None:
        raise Conflict("You have already rated this ticket.", field="rating")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput("Choose a rating from 1 to 5.", field="rating")
    try:
        with transaction():
            feedback = Feedback(ticket=ticket, author_id=customer.id, rating=rating,
                                comment=(comment or "").strip() or None)
            db.session.add(feedback)
            audit.record(ticket, customer, "feedback", new=rating)
            notifications.notify([ticket.assignee], ticket, "feedback",
                                 f"{ticket.number} was rated {rating}/5", actor=customer)
    except IntegrityError:  # a second rating raced the first one in
        raise Conflict("You have already rated this ticket.", field="rating") from None
    return feedback
