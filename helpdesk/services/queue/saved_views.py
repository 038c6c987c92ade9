"""Saved views: the queue's filters and sort under a name, personal or shared by an admin
with every agent or one team; ordered by hand; one of them an agent's default.

A view stores the queue's query string (only the queue's own parameters), so opening it
is opening a queue URL: the same form checks it, the same filters run, and its count is
the queue's own count function (services.queue.filters.count)."""
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import joinedload

from ... import permissions
from ...extensions import db
from ...models import DefaultView, SavedView, Team, User, team_members
from .. import audit
from ..errors import Forbidden, InvalidInput, NotFound
from ..ids import parse_id
from ..unit_of_work import unit_of_work

QUEUE_KEYS = {"q", "status", "priority", "category", "team", "assignee", "organization",
              "created_from", "created_to", "sort", "mine", "unassigned", "overdue",
              "open_only", "filtered", "tags", "tags_mode"}
MAX_VIEWS = 50           # per person (personal) and shared in all
MAX_QUERY = 2000


def clean_query(query: str | list) -> str:
    """Only the queue's own parameters (and cf_<key>), never the page."""
    pairs = parse_qsl(query, keep_blank_values=False) if isinstance(query, str) else query
    kept = [(k, v) for k, v in pairs
            if (k in QUEUE_KEYS or (k.startswith("cf_") and len(k) <= 43)) and v != ""]
    text = urlencode(kept)
    if len(text) > MAX_QUERY:
        raise InvalidInput("These filters are too long to save.", field="view_name")
    return text


def _visible(user: User):
    my_teams = select(team_members.c.team_id).where(team_members.c.user_id == user.id)
    return or_(SavedView.owner_id == user.id,
               and_(SavedView.owner_id.is_(None), SavedView.team_id.is_(None)),
               and_(SavedView.owner_id.is_(None), SavedView.team_id.in_(my_teams)))


def views_for(user: User) -> list[SavedView]:
    """Shared views first (in their order), then the person's own."""
    if not user.is_staff:
        return []
    return list(db.session.scalars(
        select(SavedView).where(_visible(user))
        .order_by(SavedView.owner_id.is_not(None), SavedView.position, SavedView.id)))


def views_and_default(user: User) -> tuple[list[SavedView], int | None]:
    """The views (as views_for) and the id of the person's default among them, in one
    statement (the queue's side bar)."""
    if not user.is_staff:
        return [], None
    rows = db.session.execute(
        select(SavedView, DefaultView.view_id)
        .outerjoin(DefaultView, and_(DefaultView.view_id == SavedView.id,
                                     DefaultView.user_id == user.id))
        .options(joinedload(SavedView.team)).where(_visible(user))
        .order_by(SavedView.owner_id.is_not(None), SavedView.position, SavedView.id)).all()
    return [view for view, _ in rows], next((d for _, d in rows if d is not None), None)


def get_view(user: User, view_id) -> SavedView:
    view = db.session.scalar(select(SavedView).where(
        SavedView.id == (parse_id(view_id) or 0), _visible(user))) if user.is_staff else None
    if view is None:
        raise NotFound("View not found.")
    return view


def save_view(user: User, *, name: str, query, share: str = "personal") -> SavedView:
    """share: "personal", "all" (every agent) or "team:<id>"; sharing is for admins."""
    if not user.is_staff:
        raise Forbidden("Only agents save views.")
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("Name the view.", field="view_name")
    if len(name) > 80:
        raise InvalidInput("Keep the name under 80 characters.", field="view_name")
    team = None
    if share not in ("", "personal", "all"):
        team = db.session.get(Team, parse_id(share.removeprefix("team:")) or 0)
        if not share.startswith("team:") or team is None:
            raise InvalidInput("Choose who sees the view.", field="share")
    shared = share not in ("", "personal")
    if shared and not permissions.can_share(user):
        raise Forbidden("Only admins share views.")
    owner_id = None if shared else user.id
    mine = SavedView.owner_id.is_(None) if shared else SavedView.owner_id == user.id
    count, last = db.session.execute(
        select(func.count(), func.max(SavedView.position)).where(mine)).one()
    if count >= MAX_VIEWS:
        raise InvalidInput(f"Keep at most {MAX_VIEWS} views; delete one first.",
                           field="view_name")
    with unit_of_work():
        view = SavedView(name=name, query=clean_query(query), owner_id=owner_id,
                         shared=shared, team=team, position=(last or 0) + 1)
        db.session.add(view)
        audit.record(None, user, "view_saved", note=f"{name} ({_audience(view)})")
    return view


def _audience(view: SavedView) -> str:
    if view.owner_id is not None:
        return "personal"
    return f"team {view.team.name}" if view.team else "all agents"


def _manage(user: User, view: SavedView) -> None:
    if not permissions.can_manage_view(user, view):
        raise Forbidden("Only admins change shared views; agents their own.")


def delete_view(user: User, view: SavedView) -> None:
    _manage(user, view)
    with unit_of_work():
        audit.record(None, user, "view_deleted", note=view.name)
        db.session.execute(delete(DefaultView).where(DefaultView.view_id == view.id))
        db.session.delete(view)


def move_view(user: User, view: SavedView, direction: str) -> bool:
    """Up or down among the views of the same kind (shared, or this person's own)."""
    _manage(user, view)
    if direction not in ("up", "down"):
        raise InvalidInput("Move up or down.", field="direction")
    same = (SavedView.owner_id.is_(None) if view.owner_id is None
            else SavedView.owner_id == view.owner_id)
    siblings = list(db.session.scalars(select(SavedView).where(same)
                                       .order_by(SavedView.position, SavedView.id)))
    index = siblings.index(view)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return False
    siblings[index], siblings[other] = siblings[other], siblings[index]
    with unit_of_work():
        for position, row in enumerate(siblings, start=1):
            row.position = position
    return True


def default_view(user: User) -> SavedView | None:
    """The person's default view, if they may still see it."""
    if not user.is_staff:
        return None
    return db.session.scalar(select(SavedView).join(
        DefaultView, DefaultView.view_id == SavedView.id)
        .where(DefaultView.user_id == user.id, _visible(user)))


def set_default(user: User, view: SavedView | None) -> None:
    """`view` None: the plain queue again."""
    if not user.is_staff:
        raise Forbidden("Only agents have a queue.")
    with unit_of_work():
        row = db.session.get(DefaultView, user.id)
        if view is None:
            if row is not None:
                db.session.delete(row)
            return
        if row is None:
            db.session.add(DefaultView(user_id=user.id, view_id=view.id))
        else:
            row.view_id = view.id
