"""Who is who: the staff and admins that pickers list and notifications reach."""
from sqlalchemy import select

from ...extensions import db
from ...models import User


def active_admins() -> list[User]:
    """Admins who can still sign in: told about tickets nobody else is told about."""
    return list(db.session.scalars(select(User).where(User.is_admin, User.active)))


def staff_members() -> list[User]:
    """Approved agents and admins who can sign in, by name: assignee and team pickers."""
    return list(db.session.scalars(select(User).where(User.active, User.is_staff)
                                   .order_by(User.name, User.id)))


def approved_staff(user_id: int | None) -> User | None:
    """The active approved agent or admin with this id, else None."""
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.is_active and user.is_staff else None
