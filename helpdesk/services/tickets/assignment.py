"""Staff actions on a ticket: take, assign, priority, escalate."""
from sqlalchemy import update

from ... import permissions
from ...extensions import db
from ...models import Priority, Status, Ticket, User, utcnow
from .. import audit, events, notifications
from ..errors import Conflict, Forbidden, InvalidInput, InvalidTransition
from ..ids import parse_id
from ..people.directory import active_admins, approved_staff
from ..unit_of_work import unit_of_work
from .sla import apply_sla
from .status import apply_transition
from .workflow import Way, can_be_taken, next_status


def take_ticket(ticket: Ticket, agent: User) -> None:
    """Self-assign an unassigned ticket. Race-safe: a conditional UPDATE that only
    matches while nobody has the ticket, so of two agents exactly one wins."""
    if not agent.is_staff:
        raise Forbidden("Only approved agents can take tickets.")
    old_status = Status(ticket.status)
    if not can_be_taken(old_status):
        raise InvalidTransition(f"{ticket.number} is closed: it cannot be taken.")
    with unit_of_work():
        won = db.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.assignee_id.is_(None),
                   Ticket.status == old_status)
            .values(assignee_id=agent.id, updated_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount == 1
        db.session.refresh(ticket)
        if won:
            audit.record(ticket, agent, "taken", field="assignee", new=agent.name)
            events.publish("ticket.updated", ticket, actor=agent, changes=["assignee"])
            new_status = next_status(old_status, Way.TAKE)
            if new_status is not None:  # through the workflow: timestamps, audit, notices
                apply_transition(ticket, agent, new_status)
            else:
                ticket.last_activity_at = utcnow()
    if not won:
        holder = ticket.assignee.name if ticket.assignee else "someone else"
        raise Conflict(f"{ticket.number} was already taken by {holder}.")


def approved_agent(user_id) -> User:
    """The approved agent or admin a picker named, or a refusal next to the picker."""
    user = approved_staff(parse_id(user_id))
    if user is None:
        raise InvalidInput("Choose an approved agent.", field="assignee")
    return user


def assign_ticket(ticket: Ticket, admin: User, assignee: User | None) -> bool:
    """Admins (re)assign to any approved agent, or unassign. A new ticket opens.
    Returns whether the assignee changed."""
    if not admin.is_admin:
        raise Forbidden("Only admins can assign tickets to others.")
    if assignee is not None:
        assignee = approved_agent(assignee.id)
    if ticket.assignee_id == (assignee.id if assignee else None):
        return False
    old_name = ticket.assignee.name if ticket.assignee else None
    with unit_of_work():
        ticket.assignee = assignee
        ticket.last_activity_at = utcnow()
        audit.record(ticket, admin, "assigned", field="assignee", old=old_name,
                     new=assignee.name if assignee else None)
        events.publish("ticket.updated", ticket, actor=admin, changes=["assignee"])
        if assignee is not None:
            notifications.notify([assignee], ticket, "assigned",
                                 f"{ticket.number} was assigned to you: {ticket.subject}",
                                 actor=admin)
            new_status = next_status(ticket.status, Way.ASSIGN)
            if new_status is not None:
                apply_transition(ticket, admin, new_status)
    return True


def assign_by_id(ticket: Ticket, admin: User, user_id) -> bool:
    """The admin's assignee picker: an approved agent's id, or empty to unassign."""
    if not admin.is_admin:
        raise Forbidden("Only admins can assign tickets to others.")
    return assign_ticket(ticket, admin, approved_agent(user_id) if user_id else None)


def change_priority(ticket: Ticket, actor: User, priority: str) -> bool:
    """The assignee or an admin sets the priority (and the SLA due dates follow).
    Returns whether it changed."""
    try:
        priority = Priority(priority)
    except ValueError:
        raise InvalidInput("Choose one of the listed priorities.", field="priority") from None
    if not permissions.can_work_ticket(actor, ticket):
        raise Forbidden("Only the assigned agent or an admin can change the priority.")
    if ticket.priority == priority:
        return False
    with unit_of_work():
        audit.record(ticket, actor, "priority_changed", field="priority",
                     old=ticket.priority, new=priority)
        ticket.priority = priority
        ticket.last_activity_at = utcnow()
        apply_sla(ticket)
        events.publish("ticket.updated", ticket, actor=actor, changes=["priority"])
    return True


def escalate(ticket: Ticket, actor: User, reason: str) -> None:
    """Raise to critical, record why, tell the assignee and the admins."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why this ticket needs escalating.", field="reason")
    if not actor.is_staff:
        raise Forbidden("Only agents can escalate tickets.")
    if not permissions.can_be_escalated(ticket):
        raise InvalidInput("Resolved and closed tickets cannot be escalated.", field="reason")
    with unit_of_work():
        now = utcnow()
        audit.record(ticket, actor, "escalated", field="priority", old=ticket.priority,
                     new=Priority.CRITICAL, note=reason)
        if ticket.priority != Priority.CRITICAL:  # findable as a priority change too
            audit.record(ticket, actor, "priority_changed", field="priority",
                         old=ticket.priority, new=Priority.CRITICAL, note="Escalated")
        ticket.priority = Priority.CRITICAL
        ticket.escalated_at = ticket.last_activity_at = now
        apply_sla(ticket)
        events.publish("ticket.updated", ticket, actor=actor, changes=["priority"],
                       escalated=True)
        notifications.notify([ticket.assignee, *active_admins()], ticket, "escalated",
                             f"{ticket.number} was escalated: {reason}", actor=actor)
