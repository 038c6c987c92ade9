"""A customer as agents see them: contact details, organization, their tickets.

Staff only (`permissions.can_see_customer`); anybody else, and any account that is not
a customer's, is "not found" — customers cannot probe who else has an account."""
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ... import permissions
from ...extensions import db
from ...models import OPEN_STATUSES, Ticket, User
from ..errors import NotFound


def get_customer(viewer: User, user_id: int) -> User:
    """The customer with this id, for staff; NotFound for everyone else."""
    if not permissions.can_see_customer(viewer):
        raise NotFound("Not found.")
    user = db.session.scalar(select(User).where(User.id == user_id)
                             .options(joinedload(User.organization)))
    if user is None or not user.is_customer:
        raise NotFound("Not found.")
    return user


def tickets_query(customer: User):
    """Their tickets, latest activity first (ix_tickets_requester_activity); the caller
    paginates."""
    return (select(Ticket).where(Ticket.requester_id == customer.id)
            .options(joinedload(Ticket.assignee))
            .order_by(Ticket.last_activity_at.desc(), Ticket.id.desc()))


def open_count(customer: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.requester_id == customer.id, Ticket.status.in_(OPEN_STATUSES))) or 0
