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
                  position: int = 0, mail_address: str | None = None) -> Category:
    """Categories are never deleted (tickets point at them); deactivate one instead."""
    name = name.strip()
    team = get(Team, int(default_team_id)) if default_team_id else None
    return _save(admin, Category, category, kind="category", label=name, unique="name",
                 name=name, description=_clean(description), active=bool(active),
                 default_team=team, position=position or 0,
                 mail_address=_mail_address(category, mail_address))


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
    """Hours (first response, resolution) per priority; None where none is set."""
    rows = {t.priority: t for t in db.session.scalars(select(SlaTarget))}
    return {p: ((rows[p].first_response_hours, rows[p].resolution_hours) if p in rows
                else (None, None)) for p in Priority}


def save_sla_targets(admin: User, targets: Mapping[str, tuple[int, int]]) -> None:
    """New targets apply to tickets opened (or re-prioritised) from now on."""
    require_admin(admin)
    for priority, (first, resolution) in targets.items():
        field = f"{priority}_first_response"
        if priority not in {p.value for p in Priority}:
            raise InvalidInput("Unknown priority.", field=field)
        for hours in (first, resolution):
            if not isinstance(hours, int) or not 1 <= hours <= MAX_SLA_HOURS:
                raise InvalidInput(f"Use whole hours from 1 to {MAX_SLA_HOURS}.", field=field)
        if first > resolution:
            raise InvalidInput("The first response cannot be due after the resolution.",
                               field=field)
    with unit_of_work():
        for priority, (first, resolution) in targets.items():
            row = db.session.get(SlaTarget, str(priority))
            old = (row.first_response_hours, row.resolution_hours) if row else None
            if old == (first, resolution):
                continue
            if row is None:
                row = SlaTarget(priority=str(priority))
                db.session.add(row)
            row.first_response_hours, row.resolution_hours = first, resolution
            audit.record(None, admin, "sla_updated", field=str(priority),
                         old=f"{old[0]}h / {old[1]}h" if old else None,
                         new=f"{first}h / {resolution}h")
