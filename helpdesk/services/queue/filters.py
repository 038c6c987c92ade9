"""The agent queue: filters → SQL, sort orders, one page of rows, the side-link counts.

Everything is decided in the database on indexed columns: the filters below map to the
indexes on `tickets` (status, priority, category_id, team_id, assignee_id, created_at,
due_at, last_activity_at, organization_id and the composite ones), free text goes through
services.queue.search, and "overdue" is a SQL expression, never a Python loop. A page loads its
rows and their requesters and assignees in a fixed number of statements.
"""
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import Select, and_, func, literal_column, select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from ... import permissions
from ...extensions import db
from ...models import OPEN_STATUSES, Priority, Status, Ticket, User, utcnow
from ..catalog.settings import ticket_prefix
from . import search

SORTS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "updated": "Last activity",
    "priority": "Priority",
    "due": "Due date",
}
DEFAULT_SORT = "newest"
# Older names of the same orders, still accepted in links and saved views.
SORT_ALIASES = {"created": "newest", "activity": "updated"}


def sort_value(value: str | None) -> str:
    """A `sort` from a URL as one of SORTS (unknown values: the default)."""
    value = SORT_ALIASES.get(value or "", value or "")
    return value if value in SORTS else DEFAULT_SORT
PRIORITY_RANK = literal_column(search.PRIORITY_RANK_SQL.replace(
    "CASE priority", "CASE tickets.priority"))


@dataclass(frozen=True)
class QueueFilters:
    """What the person asked for, already checked (see agent.forms.QueueFilterForm)."""
    status: str | None = None
    priority: str | None = None
    category_id: int | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    organization_id: int | None = None
    mine: bool = False
    unassigned: bool = False
    overdue: bool = False
    open_only: bool = True          # ignored when a status is chosen
    created_from: date | None = None
    created_to: date | None = None
    search: str = ""
    sort: str = DEFAULT_SORT

    def with_(self, **changes) -> "QueueFilters":
        return replace(self, **changes)


@dataclass
class QueuePage:
    """One page of the queue; quacks like Flask-SQLAlchemy's Pagination for the macro."""
    rows: list[tuple[Ticket, bool]]  # (ticket, overdue)
    page: int
    per_page: int
    total: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def first_row(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last_row(self) -> int:
        return min(self.total, self.page * self.per_page)


def overdue_condition(now: datetime):
    """Due date passed and not resolved or closed."""
    return and_(Ticket.due_at < now, Ticket.status.in_(OPEN_STATUSES))


def _as_is(column):
    return column


def _unindexed(column):
    """SQLite's "+column": the same value, but the planner will not pick an index for it.
    Without statistics SQLite guesses that `status IN (4 values)` matches ~40 rows, picks
    the status index and sorts; with a million tickets that is 450,000 rows. Marking the
    broad, low-cardinality filters lets it walk the sort order's index instead and stop
    after one page of matches (search and date ranges keep their indexes)."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def text_match(filters: QueueFilters):
    """The free-text condition (or None): computed once per request, used twice."""
    if not filters.search:
        return None
    return search.ticket_search_condition(
        filters.search, prefix=ticket_prefix(),
        digits=current_app.config["TICKET_NUMBER_DIGITS"])


_NOT_GIVEN = object()


def conditions(viewer: User, filters: QueueFilters, now: datetime | None = None, *,
               matched=_NOT_GIVEN, hint_planner: bool = False) -> list:
    """The WHERE clauses for these filters, each on an indexed column."""
    now = now or utcnow()
    c = _unindexed if hint_planner else _as_is
    where = []
    if filters.status:
        where.append(c(Ticket.status) == Status(filters.status))
    elif filters.open_only or filters.overdue:
        where.append(c(Ticket.status).in_(OPEN_STATUSES))
    if filters.priority:
        where.append(c(Ticket.priority) == Priority(filters.priority))
    if filters.category_id:
        where.append(c(Ticket.category_id) == filters.category_id)
    if filters.team_id:
        where.append(c(Ticket.team_id) == filters.team_id)
    if filters.assignee_id:
        where.append(c(Ticket.assignee_id) == filters.assignee_id)
    if filters.organization_id:
        # Never hinted away: ix_tickets_organization_activity serves the filter and the
        # default sort at once, and one organization is a small part of the tickets.
        where.append(Ticket.organization_id == filters.organization_id)
    if filters.mine:
        where.append(c(Ticket.assignee_id) == viewer.id)
    if filters.unassigned:
        where.append(c(Ticket.assignee_id).is_(None))
    if filters.overdue:
        where.append(c(Ticket.due_at) < now)
    if filters.created_from:
        where.append(Ticket.created_at >= datetime.combine(filters.created_from, time.min))
    if filters.created_to:
        where.append(Ticket.created_at < datetime.combine(filters.created_to, time.min)
                     + timedelta(days=1))
    if matched is _NOT_GIVEN:
        matched = text_match(filters)
    if matched is not None:
        where.append(matched)
    return where


def order_by(sort: str) -> list:
    """Each order is served by an index: last_activity_at, created_at, due_at, and
    ix_tickets_priority_rank; the id makes pages stable when times tie."""
    sort = sort_value(sort)
    if sort == "newest":
        return [Ticket.created_at.desc(), Ticket.id.desc()]
    if sort == "oldest":
        return [Ticket.created_at.asc(), Ticket.id.asc()]
    if sort == "priority":
        return [PRIORITY_RANK, Ticket.last_activity_at.desc(), Ticket.id.desc()]
    if sort == "due":
        return [Ticket.due_at.asc(), Ticket.id.asc()]
    return [Ticket.last_activity_at.desc(), Ticket.id.desc()]


def base_query(viewer: User, filters: QueueFilters, now: datetime | None = None,
               where: list | None = None) -> Select:
    """The tickets this person may see, filtered (no order, no columns chosen yet)."""
    if where is None:
        where = conditions(viewer, filters, now)
    return permissions.visible_tickets(viewer).where(*where)


def count(viewer: User, filters: QueueFilters, now: datetime | None = None,
          where: list | None = None) -> int:
    query = base_query(viewer, filters, now, where)
    query = query.with_only_columns(func.count()).select_from(Ticket).order_by(None)
    return db.session.scalar(query) or 0


def queue_page(viewer: User, filters: QueueFilters, page: int = 1,
               per_page: int | None = None) -> QueuePage:
    """Two statements whatever the page size: the count, then the rows with their
    requester and assignee joined in."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    now = utcnow()
    matched = text_match(filters)
    total = count(viewer, filters, now, conditions(viewer, filters, now, matched=matched))
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    hint = db.session.get_bind().dialect.name == "sqlite"
    where = conditions(viewer, filters, now, matched=matched, hint_planner=hint)
    query = (base_query(viewer, filters, now, where)
             .add_columns(overdue_condition(now).label("overdue"))
             .options(joinedload(Ticket.requester), joinedload(Ticket.assignee))
             .order_by(*order_by(filters.sort))
             .limit(per_page).offset((page - 1) * per_page))
    rows = [(ticket, bool(overdue)) for ticket, overdue in db.session.execute(query)]
    return QueuePage(rows=rows, page=page, per_page=per_page, total=total)


def side_counts(viewer: User) -> dict[str, int]:
    """Live counts for the side links, in one statement of four indexed counts:
    open tickets that are mine, unassigned, overdue, and all open ones."""
    now = utcnow()
    is_open = Ticket.status.in_(OPEN_STATUSES)

    def counted(*where):
        return (select(func.count()).select_from(Ticket).where(is_open, *where)
                .scalar_subquery())
    row = db.session.execute(select(
        counted(Ticket.assignee_id == viewer.id).label("mine"),
        counted(Ticket.assignee_id.is_(None)).label("unassigned"),
        counted(Ticket.due_at < now).label("overdue"),
        counted().label("open"),
    )).one()
    return dict(row._mapping)


# The side links: name → the filters they stand for (open only, as everywhere).
SIDE_LINKS = {
    "mine": ("Mine", {"mine": "1"}),
    "unassigned": ("Unassigned", {"unassigned": "1"}),
    "overdue": ("Overdue", {"overdue": "1"}),
    "open": ("All open", {}),
}


def active_side_link(filters: QueueFilters) -> str | None:
    """Which side link the current view is exactly (for aria-current)."""
    plain = QueueFilters(sort=filters.sort)
    for name, wanted in (("mine", plain.with_(mine=True)),
                         ("unassigned", plain.with_(unassigned=True)),
                         ("overdue", plain.with_(overdue=True)), ("open", plain)):
        if filters == wanted:
            return name
    return None


def narrowed_side_link(filters: QueueFilters) -> str | None:
    """Which side link the current view narrows (its filter, plus others): "mine" with a
    priority chosen is still inside Mine. Only open tickets are inside the side links."""
    if filters.status or not filters.open_only:
        return None
    for name in ("mine", "unassigned", "overdue"):
        if getattr(filters, name):
            return name
    return "open"


# --- searches for one ticket or one person -----------------------------------------------

def looks_like_identifier(text: str) -> bool:
    """A ticket number ("TKT-000042", "#42", "42") or an e-mail address: someone looking
    for one ticket or one person wants it whatever its status."""
    text = (text or "").strip()
    if "@" in text:
        return " " not in text
    return bool(search.number_candidates(text, ticket_prefix(),
                                         current_app.config["TICKET_NUMBER_DIGITS"]))


def widened_for_identifier(filters: QueueFilters) -> QueueFilters:
    """"Open only" does not hide the ticket or person asked for by number or e-mail."""
    if filters.search and filters.open_only and not filters.status \
            and looks_like_identifier(filters.search):
        return filters.with_(open_only=False)
    return filters


def hidden_done_count(viewer: User, filters: QueueFilters) -> int:
    """How many resolved or closed tickets a text search inside "Open only" leaves out
    (the "+N closed" hint); 0 without a search, or when done tickets are shown anyway."""
    if not filters.search or not filters.open_only or filters.status or filters.overdue:
        return 0
    everything = filters.with_(open_only=False)
    where = conditions(viewer, everything)
    where.append(Ticket.status.notin_(OPEN_STATUSES))
    return count(viewer, everything, where=where)
