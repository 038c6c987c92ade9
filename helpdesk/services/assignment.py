"""Staff actions on a ticket: take, assign, priority, escalate."""
from sqlalchemy import select, update

from .. import permissions
from ..extensions import db
from ..models import AgentStatus, Priority, Role, Status, Ticket, User, utcnow
from . import audit, notifications
from .attachments import transaction
from .errors import Conflict, Forbidden, InvalidInput
from .tickets import _admins, _set_status, apply_sla
from .workflow import Way, next_status


def take_ticket(ticket: Ticket, agent: User) -> None:
    """Self-assign an unassigned ticket. Race-safe: a conditional UPDATE that only
    matches while nobody has the ticket, so of two agents exactly one wins."""
    if not agent.is_staff:
        raise Forbidden("Only approved agents can take tickets.")
    old_status = Status(ticket.status)
    with transaction():
        won = db.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.assignee_id.is_(None),
                   Ticket.status == old_status)
            .values(assignee_id=agent.id, updated_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount == 1
        db.session.refresh(ticket)
        if won:
            audit.record(ticket, agent, "taken", field="assignee", new=agent.name)
            new_status = next_status(old_status, Way.TAKE)
            if new_status is not None:  # through the workflow: timestamps, audit, notices
                _set_status(ticket, agent, new_status)
            else:
                ticket.last_activity_at = utcnow()
    if not won:
        holder = ticket.assignee.name if ticket.assignee else "someone else"
        raise Conflict(f"{ticket.number} was already taken by {holder}.")


MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def parse_id(value) -> int | None:
    """A row id typed or posted by someone: a positive integer in range, else None."""
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def approved_agent(user_id) -> User:
    user_id = parse_id(user_id)
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.is_active or not (
            user.role == Role.ADMIN or user.agent_status == AgentStatus.APPROVED):
        raise InvalidInput("Choose an approved agent.", field="assignee")
    return user


def assign_ticket(ticket: Ticket, admin: User, assignee: User | None) -> None:
    """Admins (re)assign to any approved agent, or unassign. A new ticket opens."""
    if not admin.is_admin:
        raise Forbidden("Only admins can assign tickets to others.")
    if assignee is not None:
        assignee = approved_agent(assignee.id)
    if ticket.assignee_id == (assignee.id if assignee else None):
        return
    old_name = ticket.assignee.name if ticket.assignee else None
    with transaction():
        ticket.assignee = assignee
        ticket.last_activity_at = utcnow()
        audit.record(ticket, admin, "assigned", field="assignee", old=old_name,
                     new=assignee.name if assignee else None)
        if assignee is not None:
            notifications.notify([assignee], ticket, "assigned",
                                 f"{ticket.number} was assigned to you: {ticket.subject}",
                                 actor=admin)
            new_status = next_status(ticket.status, Way.ASSIGN)
            if new_status is not None:
                _set_status(ticket, admin, new_status)


def assign_by_id(ticket: Ticket, admin: User, user_id) -> None:
    """The admin's assignee picker: an approved agent's id, or empty to unassign."""
    if not admin.is_admin:
        raise Forbidden("Only admins can assign tickets to others.")
    assign_ticket(ticket, admin, approved_agent(user_id) if user_id else None)


def change_priority(ticket: Ticket, actor: User, priority: str) -> None:
    try:
        priority = Priority(priority)
    except ValueError:
        raise InvalidInput("Choose one of the listed priorities.", field="priority") from None
    if not permissions.can_work_ticket(actor, ticket):
        raise Forbidden("Only the assigned agent or an admin can change the priority.")
    if ticket.priority == priority:
        return
    with transaction():
        audit.record(ticket, actor, "priority_changed", field="priority",
                     old=ticket.priority, new=priority)
        ticket.priority = priority
        ticket.last_activity_at = utcnow()
        apply_sla(ticket)


def can_escalate(ticket: Ticket) -> bool:
    """Only tickets still being worked on can be escalated."""
    return ticket.status not in (Status.RESOLVED, Status.CLOSED)


def escalate(ticket: Ticket, actor: User, reason: str) -> None:
    """Raise to critical, record why, tell the assignee and the admins."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why this ticket needs escalating.", field="reason")
    if not actor.is_staff:
        raise Forbidden("Only agents can escalate tickets.")
    if not can_escalate(ticket):
        raise InvalidInput("Resolved and closed tickets cannot be escalated.", field="reason")
    with transaction():
        now = utcnow()
        audit.record(ticket, actor, "escalated", field="priority", old=ticket.priority,
                     new=Priority.CRITICAL, note=reason)
        ticket.priority = Priority.CRITICAL
        ticket.escalated_at = ticket.last_activity_at = now
        apply_sla(ticket)
        notifications.notify([ticket.assignee, *_admins()], ticket, "escalated",
                             f"{ticket.number} was escalated: {reason}", actor=actor)


def staff_choices() -> list[User]:
    """Approved agents and admins, for assignee pickers."""
    return list(db.session.scalars(select(User).where(
        User.active, (User.role == Role.ADMIN) | (User.agent_status == AgentStatus.APPROVED))
        .order_by(User.name)))
