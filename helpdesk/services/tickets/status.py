"""Moving a ticket through the workflow: by a person choosing a status, or as the
consequence of another action (take, assign, customer reply, auto-close).

`apply_transition` is the one place a ticket's status is written: timestamps, audit
event and notifications. Callers ask the workflow first (`next_status`, `is_allowed`).
"""
from ... import permissions
from ...models import DONE_STATUSES, STATUS_LABELS, Status, Ticket, User, utcnow
from .. import audit, events, notifications
from ..errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from ..unit_of_work import unit_of_work
from .workflow import Way, is_allowed, manual_ways, next_status


# The status changes a customer is told about: someone picked the new ticket up, it
# waits for them, is solved, is closed, or comes back from done. The team's internal
# shuffles (open ⇄ in progress, on hold → open or in progress by an agent) are not news
# for the customer: no notification, no mail.
def customer_cares(old: Status, new: Status) -> bool:
    return (old == Status.NEW
            or new in (Status.ON_HOLD, Status.RESOLVED, Status.CLOSED)
            or (old in DONE_STATUSES and new not in DONE_STATUSES))


def apply_transition(ticket: Ticket, actor: User | None, new: Status, *,
                     action: str = "status_changed", note: str | None = None,
                     tell_requester: bool = True, notify: bool = True) -> None:
    """Apply a transition already allowed by the workflow: timestamps, audit, notices.
    Runs inside the caller's unit of work. The requester hears only of changes they
    care about (`customer_cares`), and not at all with `tell_requester=False` (a reply
    that carries the change has told them already: one event, one notification).
    `notify=False`: the caller tells people itself, in its own words (a merge)."""
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
    if notify:
        told = [ticket.assignee]
        if tell_requester and customer_cares(old, Status(new)):
            told.insert(0, ticket.requester)
        notifications.notify(told, ticket, kind, text, actor=actor)
    events.publish("ticket.status_changed", ticket, actor=actor, old=old, new=new)


def check_status_change(ticket: Ticket, actor: User, target: str) -> Status:
    """The status `target` if this person may move the ticket there now, else a refusal
    (field: status). Writes nothing."""
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
    return target


def change_status(ticket: Ticket, actor: User, target: str, *, note: str | None = None) -> None:
    """A person moves the ticket to another status (agents: on their tickets; admins:
    anywhere), as far as the workflow allows."""
    target = check_status_change(ticket, actor, target)
    with unit_of_work():
        apply_transition(ticket, actor, target, note=note)


def pick_status(ticket: Ticket, actor: User, target: str) -> bool:
    """A form that offers the current status among the choices: picking it changes
    nothing. Returns whether the status changed."""
    if target == ticket.status:
        return False
    change_status(ticket, actor, target)
    return True


def _customer_move(ticket: Ticket, customer: User, way: Way, refusal: str) -> None:
    if not permissions.can_view_ticket(customer, ticket):
        raise NotFound("Ticket not found.")
    if not permissions.is_requester(customer, ticket):  # a colleague's shared ticket
        raise Forbidden("Only the person who opened this ticket can close or withdraw it.")
    target = next_status(ticket.status, way)
    if target is None:
        raise InvalidTransition(refusal)
    with unit_of_work():
        apply_transition(ticket, customer, target, action=str(way))


def withdraw(ticket: Ticket, customer: User) -> None:
    """The customer no longer needs help with an unresolved ticket."""
    _customer_move(ticket, customer, Way.WITHDRAW, "Only an unresolved ticket can be withdrawn.")


def confirm_resolution(ticket: Ticket, customer: User) -> None:
    """"This is solved": the customer closes a resolved ticket."""
    _customer_move(ticket, customer, Way.CONFIRM, "Only a resolved ticket can be closed here.")


def request_status(ticket: Ticket, actor: User, target: str, *, note: str | None = None
                   ) -> None:
    """One call for "move this ticket to `target`", whoever asks: staff choose by hand;
    the requester can only close, which confirms a resolution or withdraws the ticket."""
    if not actor.is_customer:
        change_status(ticket, actor, target, note=note)
        return
    if target != Status.CLOSED:
        raise InvalidTransition("Customers can only close their tickets; reply to reopen one.",
                                field="status")
    if next_status(ticket.status, Way.CONFIRM) is not None:
        confirm_resolution(ticket, actor)
    else:
        withdraw(ticket, actor)
