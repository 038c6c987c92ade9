"""Admin decisions about people: agent applications, suspensions, promotions, customer
accounts and team membership. Each decision is one transaction with its audit event
and a notification to the person it is about.

Refusing or ending access also changes the session nonce, so every session of that
person ends at its next request — and stays ended if access is later given back.
"""
from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from ... import permissions
from ...extensions import db
from ...models import AgentStatus, Role, Team, User
from .. import audit, notifications
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..ids import parse_id
from ..matching import contains_pattern
from ..unit_of_work import unit_of_work
from . import sessions
from .directory import staff_members

PENDING_LIMIT = 200


# --- reading -----------------------------------------------------------------------------

def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such person.")
    return user


def pending_agents() -> list[User]:
    """Applications waiting for a decision, oldest first."""
    return list(db.session.scalars(
        select(User).where(User.is_pending_agent)
        .order_by(User.created_at, User.id).limit(PENDING_LIMIT)))


def agents_in_state(state: AgentStatus, limit: int = PENDING_LIMIT) -> list[User]:
    """Agent accounts in one state (pending, approved, rejected, suspended), oldest
    first."""
    return list(db.session.scalars(
        select(User).where(User.role == Role.AGENT, User.agent_status == state)
        .order_by(User.created_at, User.id).limit(limit)))


def staff_query():
    """Agents past the application stage, and admins; teams loaded in one more query."""
    return (select(User)
            .where(or_(User.role == Role.ADMIN,
                       (User.role == Role.AGENT) & (User.agent_status != AgentStatus.PENDING)))
            .options(selectinload(User.teams))
            .order_by(User.role, User.name, User.id))


def customers_query(search: str | None = None):
    """Customers, optionally matching a name or e-mail fragment."""
    query = select(User).where(User.is_customer).order_by(User.name, User.id)
    term = (search or "").strip().lower()
    if term:
        like = contains_pattern(term)
        query = query.where(or_(func.lower(User.name).like(like, escape="\\"),
                                User.email.like(like, escape="\\")))
    return query


# --- agent decisions ---------------------------------------------------------------------

def _agent(admin: User, user: User, decision: str, *, verb: str) -> None:
    """Refuse unless the policy lets this admin take `decision` on this account now."""
    if not admin.is_admin:
        raise Forbidden("Only admins decide on agent accounts.")
    if admin.id == user.id:
        raise Forbidden("You cannot change your own account here.")
    if not user.is_agent:
        raise InvalidInput(f"Only agent accounts can be {verb}.")
    if not permissions.can_decide(admin, user, decision):
        raise Conflict(f"{user.name} cannot be {verb}: the account is "
                       f"{user.agent_status or 'not an agent account'}.")


def _decide(admin: User, user: User, *, status: AgentStatus, action: str, text: str,
            end_sessions: bool = False) -> None:
    with unit_of_work():
        old = user.agent_status
        user.agent_status = status
        if end_sessions:
            sessions.end_everywhere(user)
        audit.record(None, admin, action, field="agent_status", old=old, new=status,
                     subject_user=user)
        notifications.notify([user], None, action, text, actor=admin)


def approve_agent(admin: User, user: User) -> None:
    """A pending (or earlier rejected) applicant becomes an approved agent."""
    _agent(admin, user, "approve", verb="approved")
    _decide(admin, user, status=AgentStatus.APPROVED, action="agent_approved",
            text="Your agent account is approved. You can now work the queue.")


def reject_agent(admin: User, user: User) -> None:
    _agent(admin, user, "reject", verb="rejected")
    _decide(admin, user, status=AgentStatus.REJECTED, action="agent_rejected",
            text="Your application for an agent account was not approved.",
            end_sessions=True)


def suspend_agent(admin: User, user: User) -> None:
    """The agent loses the queue at once: every session ends at its next request."""
    _agent(admin, user, "suspend", verb="suspended")
    _decide(admin, user, status=AgentStatus.SUSPENDED, action="agent_suspended",
            text="Your agent account is suspended.", end_sessions=True)


def reactivate_agent(admin: User, user: User) -> None:
    _agent(admin, user, "reactivate", verb="reactivated")
    _decide(admin, user, status=AgentStatus.APPROVED, action="agent_reactivated",
            text="Your agent account is active again.")


def promote_to_admin(admin: User, user: User) -> None:
    """An approved agent becomes an admin (keeps their teams and tickets)."""
    _agent(admin, user, "promote", verb="promoted")
    with unit_of_work():
        user.role = Role.ADMIN
        user.agent_status = None
        audit.record(None, admin, "promoted_to_admin", field="role", old=Role.AGENT,
                     new=Role.ADMIN, subject_user=user)
        notifications.notify([user], None, "promoted_to_admin",
                             "You are now an admin of this helpdesk.", actor=admin)


# --- customers ---------------------------------------------------------------------------

def _customer_account(admin: User, user: User, *, active: bool) -> None:
    if not admin.is_admin:
        raise Forbidden("Only admins manage customer accounts.")
    if user.role != Role.CUSTOMER:
        raise InvalidInput("That is not a customer account.")
    if user.active == active:
        raise Conflict(f"{user.name} is already {'active' if active else 'deactivated'}.")
    with unit_of_work():
        user.active = active
        if not active:
            sessions.end_everywhere(user)
        action = "customer_reactivated" if active else "customer_deactivated"
        audit.record(None, admin, action, field="active", old=not active, new=active,
                     subject_user=user)


def deactivate_customer(admin: User, user: User) -> None:
    """The customer can no longer sign in; a session in use ends at its next request."""
    _customer_account(admin, user, active=False)


def reactivate_customer(admin: User, user: User) -> None:
    _customer_account(admin, user, active=True)


# --- teams -------------------------------------------------------------------------------

def _pick(ids: Iterable, allowed: Iterable, field: str) -> list:
    wanted = {parse_id(i) for i in ids}
    by_id = {row.id: row for row in allowed}
    if not wanted <= by_id.keys():
        raise InvalidInput("Choose from the listed options.", field=field)
    return [by_id[i] for i in sorted(wanted)]


def set_agent_teams(admin: User, user: User, team_ids: Iterable[int]) -> None:
    """The teams one agent or admin belongs to."""
    if not admin.is_admin:
        raise Forbidden("Only admins manage teams.")
    if not permissions.can_change_teams(admin, user):
        raise InvalidInput("Only approved agents and admins can join teams.", field="teams")
    teams = _pick(team_ids, db.session.scalars(select(Team)), "teams")
    old = sorted(t.name for t in user.teams)
    new = sorted(t.name for t in teams)
    if old == new:
        return
    with unit_of_work():
        user.teams = teams
        audit.record(None, admin, "teams_changed", field="teams", old=", ".join(old),
                     new=", ".join(new), subject_user=user)
        notifications.notify([user], None, "teams_changed",
                             f"Your teams: {', '.join(new) or 'none'}.", actor=admin)


def set_team_members(admin: User, team: Team, user_ids: Iterable[int]) -> None:
    """The members of one team (approved agents and admins only)."""
    if not admin.is_admin:
        raise Forbidden("Only admins manage teams.")
    members = _pick(user_ids, staff_members(), "members")
    old = {u.id for u in team.members}
    new = {u.id for u in members}
    if old == new:
        return
    with unit_of_work():
        team.members = members
        audit.record(None, admin, "team_members_changed", field="members",
                     old=len(old), new=len(new), note=team.name)
        joined = [u for u in members if u.id not in old]
        notifications.notify(joined, None, "teams_changed",
                             f"You were added to the team {team.name}.", actor=admin)
