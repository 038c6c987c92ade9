"""Who is who: the staff and admins that pickers list and notifications reach."""
from sqlalchemy import func, select

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


# --- telling people apart ------------------------------------------------------------------

def shared_staff_names() -> frozenset[str]:
    """Names (lower case) that more than one member of staff carries, in one statement:
    wherever staff are listed, those are shown with their e-mail address."""
    lowered = func.lower(User.name)
    return frozenset(db.session.scalars(
        select(lowered).where(User.is_staff).group_by(lowered).having(func.count() > 1)))


def name_with_email(name: str | None, email: str | None, shared: frozenset[str],
                    *, staff: bool = True) -> str:
    """"Alex Agent" — or "Alex Agent (alex2@example.com)" when another member of staff
    has that name too. The one rule for pickers, the audit log, history and CSV."""
    name = name or ""
    if staff and email and name.lower() in shared:
        return f"{name} ({email})"
    return name
