"""Ticket lists for the JSON API: filters, a stable order, keyset (cursor) pages and a
bounded total.

Visibility comes from `permissions.visible_tickets`, as on every page. Pages are cut by
keyset, not OFFSET: the cursor holds the sort key of the last row sent, and the next page
starts right after it in the index order (`created_at, id`, `last_activity_at, id`,
the priority-rank index, `due_at, id`), so page 500 costs what page 1 costs and rows
that arrive meanwhile neither repeat nor go missing. A page is three statements whatever
its size: the bounded count, the rows with their people, category and team joined, and
their tags.

Customers do not see the staff's side of a ticket (team, tags, due dates, internal
notes): they cannot filter on it, their "updated" is the last change they could see,
and their free text searches public messages only.
"""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from ... import permissions
from ...extensions import db
from ...models import OPEN_STATUSES, Priority, Status, Ticket, User, utcnow
from ..catalog.settings import ticket_prefix
from ..errors import InvalidInput
from ..ids import parse_id
from ..tickets.customer import public_text_conditions
from . import filters as filters_module
from . import search
from .filters import PRIORITY_RANK, _unindexed, bounded_count, overdue_condition
from .keyset import SortKey, after, decode_cursor, encode_cursor, order_by

SORTS = ("-created", "created", "-updated", "updated", "priority", "-priority", "due",
         "newest", "oldest")
# The queue's words for the same orders (the queue and the API share them): "newest" and
# "oldest" are -created and created. ("updated" keeps the API's meaning: oldest first.)
SORT_ALIASES = {"newest": "-created", "oldest": "created"}
DEFAULT_SORT = "-created"
MAX_LIMIT = 100
STAFF_ONLY = {"team_id": "team", "overdue": "overdue"}  # attribute: field


@dataclass(frozen=True)
class ListFilters:
    """What the caller asked for, already parsed (see api/schemas.py)."""
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    category_id: int | None = None
    team_id: int | None = None
    assignee: str | None = None          # "me", "none" or an id
    organization_id: int | None = None
    open_only: bool = False
    overdue: bool = False
    q: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    sort: str = DEFAULT_SORT


@dataclass
class TicketList:
    tickets: list[Ticket]
    next_cursor: str | None
    total: int
    total_exact: bool


def _activity(viewer: User):
    """The "updated" time this person may see: any activity for staff, only what the
    customer could see happen for customers (internal notes do not move it)."""
    return Ticket.last_activity_at if viewer.is_staff else Ticket.public_activity_at


def sort_keys(viewer: User, sort: str) -> list[SortKey]:
    """The ORDER BY of each sort, ending with the id so the order is total (stable)."""
    sort = SORT_ALIASES.get(sort, sort)
    activity = _activity(viewer)
    nullable_activity = not viewer.is_staff
    by_id = SortKey(Ticket.id, True, "int")
    if sort in ("created", "-created"):
        desc = sort.startswith("-")
        return [SortKey(Ticket.created_at, desc), SortKey(Ticket.id, desc, "int")]
    if sort in ("updated", "-updated"):
        desc = sort.startswith("-")
        return [SortKey(activity, desc, nullable=nullable_activity),
                SortKey(Ticket.id, desc, "int")]
    if sort == "priority":   # most urgent first (the queue's index: rank, activity, id)
        return [SortKey(PRIORITY_RANK, False, "int"),
                SortKey(activity, True, nullable=nullable_activity), by_id]
    if sort == "-priority":
        return [SortKey(PRIORITY_RANK, True, "int"),
                SortKey(activity, False, nullable=nullable_activity),
                SortKey(Ticket.id, False, "int")]
    if sort == "due":        # soonest first, tickets without a due date last
        if not viewer.is_staff:
            raise InvalidInput("Only agents and admins can sort by due date.", field="sort")
        return [SortKey(Ticket.due_at, False, nullable=True), SortKey(Ticket.id, False, "int")]
    raise InvalidInput(f"Sort by one of: {', '.join(SORTS)}.", field="sort")


# --- the list ------------------------------------------------------------------------------

def conditions(viewer: User, filters: ListFilters, now: datetime) -> list:
    """The WHERE clauses, each on an indexed column (or the search indexes)."""
    if not viewer.is_staff:
        for name, field in STAFF_ONLY.items():
            if getattr(filters, name, None):
                raise InvalidInput("Only agents and admins can filter by this.", field=field)
    # SQLite without statistics: keep it walking the sort order's index (filters.py).
    c = _unindexed if db.session.get_bind().dialect.name == "sqlite" else (lambda x: x)
    where = []
    if filters.statuses:
        where.append(c(Ticket.status).in_([Status(s) for s in filters.statuses]))
    if filters.open_only or filters.overdue:
        where.append(c(Ticket.status).in_(OPEN_STATUSES))
    if filters.overdue:
        where.append(overdue_condition(now))
    if filters.priorities:
        where.append(c(Ticket.priority).in_([Priority(p) for p in filters.priorities]))
    if filters.category_id is not None:
        where.append(c(Ticket.category_id) == filters.category_id)
    if filters.team_id is not None:
        where.append(c(Ticket.team_id) == filters.team_id)
    if filters.assignee:
        where.append(_assignee_condition(viewer, filters.assignee, c))
    if filters.organization_id is not None:
        where.append(organization_condition(filters.organization_id))
    if filters.created_after is not None:
        where.append(Ticket.created_at >= filters.created_after)
    if filters.created_before is not None:
        where.append(Ticket.created_at < filters.created_before)
    if filters.q.strip():
        if viewer.is_staff:
            where.append(search.ticket_search_condition(
                filters.q, prefix=ticket_prefix(),
                digits=current_app.config["TICKET_NUMBER_DIGITS"],
                limit=filters_module.COUNT_LIMIT + 1,
                newest_first=SORT_ALIASES.get(filters.sort, filters.sort) != "created"))
        else:
            where.extend(public_text_conditions(filters.q))
    return where


def _assignee_condition(viewer: User, assignee: str, c):
    if assignee == "me":
        return c(Ticket.assignee_id) == viewer.id
    if assignee == "none":
        return c(Ticket.assignee_id).is_(None)
    user_id = parse_id(assignee)
    if user_id is None:
        raise InvalidInput('Use "me", "none" or the id of an agent.', field="assignee")
    return c(Ticket.assignee_id) == user_id


def organization_condition(organization_id: int):
    """Tickets opened for this organization (ix_tickets_organization_activity)."""
    return Ticket.organization_id == organization_id


def ticket_list(viewer: User, filters: ListFilters, *, limit: int | None = None,
                cursor: str | None = None) -> TicketList:
    """One page of the tickets this person may see, in the asked order."""
    limit = max(1, min(limit or current_app.config["API_PAGE_SIZE"], MAX_LIMIT))
    now = utcnow()
    keys = sort_keys(viewer, filters.sort)
    where = conditions(viewer, filters, now)
    base = permissions.visible_tickets(viewer).where(*where)
    total, exact = bounded_count(base)
    query = base
    sort = SORT_ALIASES.get(filters.sort, filters.sort)
    if cursor:
        query = query.where(after(keys, decode_cursor(cursor, sort, keys)))
    query = (query.add_columns(*(key.expr.label(f"sort_{i}") for i, key in enumerate(keys)))
             .options(joinedload(Ticket.requester), joinedload(Ticket.assignee),
                      joinedload(Ticket.category), joinedload(Ticket.team),
                      joinedload(Ticket.organization), selectinload(Ticket.tags))
             .order_by(*order_by(keys)).limit(limit + 1))
    rows = db.session.execute(query).all()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(sort, list(rows[-1][1:]))
    return TicketList(tickets=[row[0] for row in rows], next_cursor=next_cursor,
                      total=total, total_exact=exact)
