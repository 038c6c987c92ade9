"""The agent queue: filters → SQL, sort orders, one page of rows, the side-link counts.

Everything is decided in the database on indexed columns: the filters below map to the
indexes on `tickets` (status, priority, category_id, team_id, assignee_id, created_at,
due_at, last_activity_at, organization_id and the composite ones), free text goes through
services.queue.search, and "overdue" is a SQL expression, never a Python loop. A page loads its
rows and their requesters and assignees in a fixed number of statements.
"""
import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import Select, and_, func, literal_column, select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from ... import permissions
from ...extensions import db
from ...models import OPEN_STATUSES, Priority, Status, Ticket, TicketTag, User, utcnow
from ..catalog.settings import ticket_prefix
from ..errors import InvalidInput
from . import keyset, search
from .keyset import SortKey

# The sort contract of the queue (and the API's words for the same orders): `sort=`.
SORTS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "updated": "Last activity",
    "priority": "Priority",
    "due": "Due date",
}
DEFAULT_SORT = "newest"
OLD_SORTS = {"created": "newest", "activity": "updated"}  # links bookmarked before
SORT_ALIASES = OLD_SORTS

# Counts stop here: a count reads at most COUNT_LIMIT + 1 index entries, so it costs the
# same at a thousand tickets and at a million. Up to the bound a count is exact; beyond it
# people see "10,000+". The queue's total, its side links and the API's `total` use it.
COUNT_LIMIT = 10_000
PRIORITY_RANK = literal_column(search.PRIORITY_RANK_SQL.replace(
    "CASE priority", "CASE tickets.priority"))
# The due sort puts tickets without a due date last on both databases with one index,
# ix_tickets_due_order ((due_at IS NULL), due_at, id): NULLS LAST on an ascending
# column cannot use a plain index in SQLite (which sorts NULLs first).
DUE_MISSING = literal_column(f"({search.DUE_MISSING_SQL})".replace("due_at", "tickets.due_at"))


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
    # agents-tools: tags (any or all of them) and custom fields ((key, value) pairs).
    tags: tuple[str, ...] = ()
    tags_all: bool = False
    field_values: tuple[tuple[str, str], ...] = ()

    def with_(self, **changes) -> "QueueFilters":
        return replace(self, **changes)


def sort_value(value: str | None) -> str:
    """A `sort=` value as one of SORTS (old words mapped, anything else the default)."""
    value = OLD_SORTS.get(value or "", value)
    return value if value in SORTS else DEFAULT_SORT


class Count(int):
    """A count that may have stopped at COUNT_LIMIT: formats as "10,000+" then."""
    exact: bool

    def __new__(cls, value: int, exact: bool = True):
        count = super().__new__(cls, value)
        count.exact = exact
        return count

    def __format__(self, spec: str) -> str:
        return format(int(self), spec) + ("" if self.exact else "+")

    def __str__(self) -> str:
        return format(self, "")


def bounded_count(query: Select, limit: int | None = None) -> tuple[int, bool]:
    """(count, exact) of the rows of `query`, reading at most limit + 1 of them
    (`SELECT count(*) FROM (SELECT 1 ... LIMIT COUNT_LIMIT + 1)`); beyond the bound
    the count is COUNT_LIMIT and not exact (a lower bound)."""
    limit = COUNT_LIMIT if limit is None else limit
    limited = (query.with_only_columns(literal_column("1").label("one"),
                                       maintain_column_froms=True)
               .order_by(None).limit(limit + 1).subquery())
    found = db.session.scalar(select(func.count()).select_from(limited)) or 0
    return (found, True) if found <= limit else (limit, False)


@dataclass
class QueuePage:
    """One page of the queue; quacks like Flask-SQLAlchemy's Pagination for the macro.
    `total` is a Count (exact up to COUNT_LIMIT); beyond it the number of pages is not
    known (`pages` None) and the page shows Previous / Next only. `next_args` carries
    the keyset cursor of the next page (`after=`)."""
    rows: list[tuple[Ticket, bool]]  # (ticket, overdue)
    page: int
    per_page: int
    total: Count
    more: bool = False               # a row exists after this page
    next_args: dict = field(default_factory=dict)
    pages: int | None = field(init=False)

    def __post_init__(self):
        self.pages = (max(1, math.ceil(self.total / self.per_page)) if self.total.exact
                      else None)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.more

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def first_row(self) -> int:
        return 0 if not self.rows else (self.page - 1) * self.per_page + 1

    @property
    def last_row(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)


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
        digits=current_app.config["TICKET_NUMBER_DIGITS"], limit=COUNT_LIMIT + 1,
        newest_first=sort_value(filters.sort) != "oldest")


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
    where.extend(tag_conditions(filters.tags, every=filters.tags_all))
    where.extend(field_conditions(filters.field_values))
    return where


# --- tags and custom fields (agents-tools) ------------------------------------------------

TAG_TERM = re.compile(r"(?:^|\s)tag:(\S+)", re.IGNORECASE)


def split_tag_terms(text: str) -> tuple[str, tuple[str, ...]]:
    """"tag:refund late parcel" → ("late parcel", ("refund",)): the search box's tag terms."""
    tags = tuple(dict.fromkeys(t.lower()[:50] for t in TAG_TERM.findall(text or "")))
    return " ".join(TAG_TERM.sub(" ", text or "").split()), tags


def tag_conditions(tags: tuple[str, ...], *, every: bool = False) -> list:
    """Tickets with any (or every) one of these tags: each an index range on
    ix_ticket_tags_name_ticket (name, ticket_id) giving ticket ids."""
    if not tags:
        return []
    if every:
        return [Ticket.id.in_(select(TicketTag.ticket_id).where(TicketTag.name == name))
                for name in tags]
    return [Ticket.id.in_(select(TicketTag.ticket_id).where(TicketTag.name.in_(tags)))]


def field_conditions(pairs: tuple[tuple[str, str], ...]) -> list:
    """`cf_<key>=value` filters: each an index range on ticket_field_values
    (field_id, value_*, ticket_id); see services.fields.values."""
    if not pairs:
        return []
    from ..fields.values import filter_condition  # fields → queue would be a cycle
    return [filter_condition(key, value) for key, value in pairs]


def sort_keys(sort: str) -> list[SortKey]:
    """Each order, ending with the id (a total order, stable pages), and the index that
    serves it: created_at (newest, oldest), last_activity_at (updated),
    ix_tickets_priority_rank (priority), ix_tickets_due_order (due: soonest first,
    tickets without a due date last)."""
    sort = sort_value(sort)
    if sort == "oldest":
        return [SortKey(Ticket.created_at, False), SortKey(Ticket.id, False, "int")]
    if sort == "updated":
        return [SortKey(Ticket.last_activity_at, True), SortKey(Ticket.id, True, "int")]
    if sort == "priority":
        return [SortKey(PRIORITY_RANK, False, "int"), SortKey(Ticket.last_activity_at, True),
                SortKey(Ticket.id, True, "int")]
    if sort == "due":
        return [SortKey(DUE_MISSING, False, "int"),
                SortKey(Ticket.due_at, False, nullable=True, nulls_last=False),
                SortKey(Ticket.id, False, "int")]
    return [SortKey(Ticket.created_at, True), SortKey(Ticket.id, True, "int")]


def order_by(sort: str) -> list:
    return keyset.order_by(sort_keys(sort))


def base_query(viewer: User, filters: QueueFilters, now: datetime | None = None,
               where: list | None = None) -> Select:
    """The tickets this person may see, filtered (no order, no columns chosen yet)."""
    if where is None:
        where = conditions(viewer, filters, now)
    return permissions.visible_tickets(viewer).where(*where)


def count(viewer: User, filters: QueueFilters, now: datetime | None = None,
          where: list | None = None) -> Count:
    """The matching tickets, exact up to COUNT_LIMIT."""
    return Count(*bounded_count(base_query(viewer, filters, now, where)))


def queue_page(viewer: User, filters: QueueFilters, page: int = 1,
               per_page: int | None = None, after: str | None = None) -> QueuePage:
    """Two statements whatever the page: the bounded count, then the rows (one more than
    a page, to know whether a next one exists) with their requester and assignee joined.
    `after` (a cursor from the previous page's next link) starts the page right after
    that row in index order, instead of skipping (page - 1) pages with OFFSET; a cursor
    that is not ours is ignored (the page by its number instead)."""
    per_page = per_page or current_app.config["PAGE_SIZE"]
    now = utcnow()
    matched = text_match(filters)
    total = count(viewer, filters, now, conditions(viewer, filters, now, matched=matched))
    page = max(1, page)
    if total.exact:
        page = min(page, max(1, math.ceil(total / per_page)))
    hint = db.session.get_bind().dialect.name == "sqlite"
    where = conditions(viewer, filters, now, matched=matched, hint_planner=hint)
    keys = sort_keys(filters.sort)
    sort = sort_value(filters.sort)
    query = base_query(viewer, filters, now, where)
    start = None
    if after:
        try:
            start = keyset.decode_cursor(after, sort, keys)
        except InvalidInput:
            start = None
    if start is not None:
        query = query.where(keyset.after(keys, start))
    query = (query.add_columns(overdue_condition(now).label("overdue"),
                               *(key.expr.label(f"sort_{i}") for i, key in enumerate(keys)))
             .options(joinedload(Ticket.requester), joinedload(Ticket.assignee))
             .order_by(*keyset.order_by(keys)).limit(per_page + 1))
    if start is None:
        query = query.offset((page - 1) * per_page)
    found = db.session.execute(query).all()
    rows = [(row[0], bool(row[1])) for row in found[:per_page]]
    more = len(found) > per_page
    next_args = ({"after": keyset.encode_cursor(sort, list(found[per_page - 1][2:]))}
                 if more else {})
    return QueuePage(rows=rows, page=page, per_page=per_page, total=total, more=more,
                     next_args=next_args)


def side_counts(viewer: User) -> dict[str, Count]:
    """Counts for the side links, in one statement of four bounded counts (each reads at
    most COUNT_LIMIT + 1 index entries): open tickets that are mine, unassigned, overdue,
    and all open ones. Exact up to COUNT_LIMIT, "10,000+" beyond."""
    now = utcnow()
    is_open = Ticket.status.in_(OPEN_STATUSES)

    def counted(*where):
        limited = (select(literal_column("1")).select_from(Ticket).where(is_open, *where)
                   .limit(COUNT_LIMIT + 1).subquery())
        return select(func.count()).select_from(limited).scalar_subquery()
    row = db.session.execute(select(
        counted(Ticket.assignee_id == viewer.id).label("mine"),
        counted(Ticket.assignee_id.is_(None)).label("unassigned"),
        counted(Ticket.due_at < now).label("overdue"),
        counted().label("open"),
    )).one()
    return {name: Count(min(n, COUNT_LIMIT), n <= COUNT_LIMIT)
            for name, n in row._mapping.items()}


# The side links: name → the filters they stand for (open only, as everywhere).
SIDE_LINKS = {
    "mine": ("Mine", {"mine": "1"}),
    "unassigned": ("Unassigned", {"unassigned": "1"}),
    "overdue": ("Overdue", {"overdue": "1"}),
    "open": ("All open", {}),
}


def active_side_link(filters: QueueFilters) -> str | None:
    """Which side link the current view is exactly (for aria-current)."""
    plain = QueueFilters(sort=sort_value(filters.sort))
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
