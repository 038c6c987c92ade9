"""Reference data admins manage: categories, teams, FAQ entries, canned replies, SLA
targets and settings. Each change is one transaction with an audit event."""
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ... import permissions
from ...extensions import db
from ...models import (
    CannedReply,
    Category,
    FaqEntry,
    Priority,
    SlaTarget,
    Team,
    User,
)
from .. import audit
from ..errors import Forbidden, InvalidInput, NotFound
from ..unit_of_work import unit_of_work

MAX_SLA_HOURS = 24 * 365
MAX_SLA_MINUTES = MAX_SLA_HOURS * 60


# --- shared ------------------------------------------------------------------------------

def get(model, row_id) -> object:
    row = db.session.get(model, row_id)
    if row is None:
        raise NotFound("Not found.")
    return row


def require_admin(admin: User, *, staff_may: bool = False) -> None:
    """Reference data is the admins'; the FAQ (staff_may) is every agent's to edit."""
    allowed = permissions.can_edit_faq if staff_may else permissions.can_manage_reference
    if not allowed(admin):
        raise Forbidden("Only admins manage reference data.")


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


def _save(admin: User, model, row, *, kind: str, label: str, unique: str | None = None,
          staff_may: bool = False, **values):
    """Create (`row` None) or update a row; names in `unique` stay unique regardless of
    case. One transaction with an audit event `<kind>_created|_updated`."""
    require_admin(admin, staff_may=staff_may)
    if unique is not None:
        column = getattr(model, unique)
        clash = db.session.scalar(select(model).where(
            func.lower(column) == values[unique].lower()))
        if clash is not None and clash is not row:
            raise InvalidInput(f"“{values[unique]}” is already taken.", field=unique)
    created = row is None
    try:
        with unit_of_work():
            if created:
                row = model(**values)
                db.session.add(row)
            else:
                for name, value in values.items():
                    setattr(row, name, value)
            audit.record(None, admin, f"{kind}_{'created' if created else 'updated'}",
                         note=label)
    except IntegrityError:  # a concurrent save took the name first
        if unique is None:
            raise
        raise InvalidInput(f"“{values[unique]}” is already taken.", field=unique) from None
    return row


def _delete(admin: User, row, *, kind: str, label: str, staff_may: bool = False) -> None:
    require_admin(admin, staff_may=staff_may)
    with unit_of_work():
        db.session.delete(row)
        audit.record(None, admin, f"{kind}_deleted", note=label)


# --- categories --------------------------------------------------------------------------

def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).options(
        selectinload(Category.default_team)).order_by(Category.position, Category.name)))


def save_category(admin: User, category: Category | None, *, name: str,
                  description: str | None, active: bool, default_team_id: int | None,
                  position: int | None = None,
                  mail_address: str | None = None) -> Category:
    """Categories are never deleted (tickets point at them); deactivate one instead.
    A new category goes last unless a position is given; an edit keeps its place."""
    name = name.strip()
    team = get(Team, int(default_team_id)) if default_team_id else None
    if position is None:
        position = category.position if category is not None else _next_position()
    return _save(admin, Category, category, kind="category", label=name, unique="name",
                 name=name, description=_clean(description), active=bool(active),
                 default_team=team, position=position,
                 mail_address=_mail_address(category, mail_address))


def _next_position() -> int:
    last = db.session.scalar(select(func.max(Category.position)))
    return 0 if last is None else last + 1


MOVES = {"up": -1, "down": 1}


def move_category(admin: User, category: Category, direction: str) -> bool:
    """Swap a category with its neighbour in the list's order; positions are renumbered
    0, 1, 2 … on the way, so equal numbers from before sort themselves out. Returns
    whether it moved (the first cannot go up, the last not down)."""
    require_admin(admin)
    if direction not in MOVES:
        raise InvalidInput("Move a category up or down.")
    ordered = categories()
    index = next(i for i, row in enumerate(ordered) if row.id == category.id)
    other = index + MOVES[direction]
    if not 0 <= other < len(ordered):
        return False
    ordered[index], ordered[other] = ordered[other], ordered[index]
    with unit_of_work():
        for position, row in enumerate(ordered):
            row.position = position
        audit.record(None, admin, "category_moved", note=f"{category.name} {direction}")
    return True


def _mail_address(category: Category | None, address: str | None) -> str | None:
    """Each address opens tickets in one category only."""
    address = (address or "").strip().lower() or None
    if address is not None:
        clash = db.session.scalar(select(Category).where(Category.mail_address == address))
        if clash is not None and clash is not category:
            raise InvalidInput(f"{address} already opens tickets in {clash.name}.",
                               field="mail_address")
    return address


# --- teams -------------------------------------------------------------------------------

def teams() -> list[Team]:
    return list(db.session.scalars(select(Team).options(selectinload(Team.members))
                                   .order_by(Team.name)))


def save_team(admin: User, team: Team | None, *, name: str,
              description: str | None) -> Team:
    name = name.strip()
    return _save(admin, Team, team, kind="team", label=name, unique="name", name=name,
                 description=_clean(description))


def delete_team(admin: User, team: Team) -> None:
    """Its tickets and categories keep working, without a team."""
    _delete(admin, team, kind="team", label=team.name)


# --- FAQ ---------------------------------------------------------------------------------

def faq_entries() -> list[FaqEntry]:
    return list(db.session.scalars(select(FaqEntry).options(selectinload(FaqEntry.category))
                                   .order_by(FaqEntry.position, FaqEntry.id)))


def save_faq_entry(admin: User, entry: FaqEntry | None, *, question: str, answer: str,
                   category_id: int | None, published: bool, position: int = 0) -> FaqEntry:
    question = question.strip()
    category = get(Category, int(category_id)) if category_id else None
    return _save(admin, FaqEntry, entry, kind="faq", label=question, staff_may=True,
                 question=question,
                 answer=answer.strip(), category=category, published=bool(published),
                 position=position or 0)


def delete_faq_entry(admin: User, entry: FaqEntry) -> None:
    _delete(admin, entry, kind="faq", label=entry.question, staff_may=True)


# --- canned replies ----------------------------------------------------------------------

def canned_replies() -> list[CannedReply]:
    """The shared macros (a canned reply is a macro; agents' own are not listed here)."""
    return list(db.session.scalars(select(CannedReply).where(CannedReply.owner_id.is_(None))
                                   .order_by(CannedReply.title)))


def save_canned_reply(admin: User, reply: CannedReply | None, *, title: str,
                      body: str) -> CannedReply:
    title = title.strip()
    require_admin(admin)
    clash = db.session.scalar(select(CannedReply).where(
        CannedReply.owner_id.is_(None), func.lower(CannedReply.title) == title.lower()))
    if clash is not None and clash is not reply:
        raise InvalidInput(f"“{title}” is already taken.", field="title")
    return _save(admin, CannedReply, reply, kind="canned_reply", label=title,
                 title=title, body=body.strip())


def delete_canned_reply(admin: User, reply: CannedReply) -> None:
    _delete(admin, reply, kind="canned_reply", label=reply.title)


# --- SLA targets -------------------------------------------------------------------------

def sla_targets() -> dict[Priority, tuple[int | None, int | None]]:
    """Minutes (first response, resolution) per priority; None where none is set."""
    rows = {t.priority: t for t in db.session.scalars(select(SlaTarget))}
    return {p: ((rows[p].first_response_minutes, rows[p].resolution_minutes) if p in rows
                else (None, None)) for p in Priority}


def duration_text(minutes: int | None) -> str:
    """"2 h 30 min", "45 min", "8 h": how SLA targets read in the audit log."""
    if minutes is None:
        return "—"
    hours, rest = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "",
                                      f"{rest} min" if rest else "") if part) or "0 min"


def save_sla_targets(admin: User, targets: Mapping[str, tuple[int, int]]) -> None:
    """Targets in minutes, per priority. New targets apply to tickets opened (or
    re-prioritised) from now on."""
    require_admin(admin)
    for priority, (first, resolution) in targets.items():
        field = f"{priority}_first_response"
        if priority not in {p.value for p in Priority}:
            raise InvalidInput("Unknown priority.", field=field)
        for minutes in (first, resolution):
            if not isinstance(minutes, int) or not 1 <= minutes <= MAX_SLA_MINUTES:
                raise InvalidInput(f"Use 1 minute to {MAX_SLA_HOURS} hours.", field=field)
        if first > resolution:
            raise InvalidInput("The first response cannot be due after the resolution.",
                               field=field)
    with unit_of_work():
        for priority, (first, resolution) in targets.items():
            row = db.session.get(SlaTarget, str(priority))
            old = (row.first_response_minutes, row.resolution_minutes) if row else None
            if old == (first, resolution):
                continue
            if row is None:
                row = SlaTarget(priority=str(priority))
                db.session.add(row)
            row.first_response_minutes, row.resolution_minutes = first, resolution
            audit.record(None, admin, "sla_updated", field=str(priority),
                         old=(f"{duration_text(old[0])} / {duration_text(old[1])}"
                              if old else None),
                         new=f"{duration_text(first)} / {duration_text(resolution)}")
