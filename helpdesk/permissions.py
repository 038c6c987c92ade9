"""Who may do what: one policy module for views, queries and templates.

Blueprints guard themselves as a whole with `before_request` (see `guard_blueprint`),
so a forgotten decorator cannot leak a page. Object-level rules (may this person see
or act on this ticket?) live here too, and the services call them again.
"""

from flask import abort
from flask_login import current_user
from sqlalchemy import false, select

from .extensions import db, login_manager
from .models import Role, Ticket, User

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.refresh_view = "auth.login"
login_manager.needs_refresh_message = "Please confirm your password to open the console."
login_manager.needs_refresh_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The session holds `id:nonce`; a changed nonce (new password) or an inactive,
    suspended or rejected account ends the session at the next request."""
    user_id, _, nonce = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_nonce != nonce or not user.is_active:
        return None
    return user


# --- role checks -------------------------------------------------------------------

def is_customer(user) -> bool:
    return user.is_authenticated and user.is_customer


def is_staff(user) -> bool:
    return user.is_authenticated and user.is_staff


def is_admin(user) -> bool:
    return user.is_authenticated and user.is_admin


def require(check):
    """Signed out → the sign-in page; signed in without the right → 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not check(current_user):
        abort(403)
    return None


def guard_blueprint(bp, check) -> None:
    """Every view of `bp` requires `check(current_user)`."""
    bp.before_request(lambda: require(check))


def home_endpoint(user) -> str:
    """Where a signed-in person starts."""
    if user.is_staff:
        return "agent.queue"
    if user.role == Role.AGENT:
        return "auth.pending"
    return "portal.tickets"


# --- tickets -------------------------------------------------------------------------

def can_view_ticket(user, ticket: Ticket) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_staff or (user.is_customer and ticket.requester_id == user.id)


def can_work_ticket(user, ticket: Ticket) -> bool:
    """Public replies and status/priority changes: the assignee, or any admin."""
    return user.is_admin or (user.is_staff and ticket.assignee_id == user.id)


def visible_tickets(user):
    """A SELECT of the tickets this person may see; list pages start from it."""
    query = select(Ticket)
    if user.is_staff:
        return query
    if user.is_customer:
        return query.where(Ticket.requester_id == user.id)
    return query.where(false())


def get_visible_ticket(user, number: str) -> Ticket:
    """The ticket, or 404 — also when it exists but is not this person's."""
    ticket = db.session.scalar(visible_tickets(user).where(Ticket.number == number))
    if ticket is None:
        abort(404)
    return ticket

