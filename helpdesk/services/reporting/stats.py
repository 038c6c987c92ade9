"""Statistics for the admin dashboard, all from aggregate SQL.

Every figure is a COUNT / AVG with GROUP BY in the database; Python only labels the
handful of rows that come back. The queries are shaped for the indexes on `tickets`
(status, priority, category_id, team_id, created_at, (status, due_at),
(assignee_id, status, ...), (status, last_activity_at)) so the page stays quick at a
million tickets. Only the duration averages read every resolved ticket.

SQL differs per database in two places, both branched on the dialect here:
durations (SQLite: julianday() differences; PostgreSQL: EXTRACT(EPOCH FROM ...)) and
per-day buckets (SQLite: date(); PostgreSQL: date_trunc('day', ...)).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Date, cast, func, literal, select

from ...extensions import db
from ...models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    PRIORITY_LABELS,
    STATUS_LABELS,
    Category,
    Priority,
    Status,
    Team,
    Ticket,
    TicketStat,
    User,
    utcnow,
)
from . import counters

DAYS = 30


@dataclass
class Dashboard:
    by_status: list[tuple[str, int]]
    by_priority: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    by_team: list[tuple[str, int]]
    total: int
    open: int
    overdue: int
    unassigned: int
    avg_first_response_hours: float | None
    avg_resolution_hours: float | None
    csat_average: float | None
    csat_count: int
    csat_distribution: list[tuple[int, int]]
    days: list[date] = field(default_factory=list)
    created_per_day: list[int] = field(default_factory=list)
    resolved_per_day: list[int] = field(default_factory=list)
    workload: list[tuple[str, int]] = field(default_factory=list)


def dashboard(now: datetime | None = None) -> Dashboard:
    """Every figure from the counters the database keeps (reporting/counters.py): three
    small statements plus the names of categories, teams and staff, whatever the number
    of tickets."""
    now = now or utcnow()
    first_day = now.date() - timedelta(days=DAYS - 1)
    kept = counters.read(COUNTED, since_day=first_day.isoformat())
    status_counts = _counts(kept, "status")
    durations = _durations(kept)
    ratings = {int(k): n for k, (n, _t) in kept["rating"].items()}
    csat_count = sum(ratings.values())
    created = _counts(kept, "created_day")
    resolved = _counts(kept, "resolved_day")
    days = [first_day + timedelta(days=i) for i in range(DAYS)]
    open_by_assignee = _counts(kept, "open_assignee")
    return Dashboard(
        by_status=[(STATUS_LABELS[s], status_counts.get(s, 0)) for s in Status],
        by_priority=_labelled(_counts(kept, "priority"),
                              [(p, PRIORITY_LABELS[p]) for p in Priority]),
        by_category=_named(_ids(_counts(kept, "category")), Category, "No category"),
        by_team=_named(_ids(_counts(kept, "team")), Team, "No team"),
        total=sum(status_counts.values()),
        open=sum(status_counts.get(s, 0) for s in OPEN_STATUSES),
        overdue=overdue_count(now),
        unassigned=open_by_assignee.get("", 0),
        avg_first_response_hours=durations[0],
        avg_resolution_hours=durations[1],
        csat_average=(sum(r * n for r, n in ratings.items()) / csat_count
                      if csat_count else None),
        csat_count=csat_count,
        csat_distribution=[(r, ratings.get(r, 0)) for r in range(1, 6)],
        days=days, created_per_day=[created.get(d.isoformat(), 0) for d in days],
        resolved_per_day=[resolved.get(d.isoformat(), 0) for d in days],
        workload=agent_workload(_ids(open_by_assignee)),
    )


COUNTED = ("status", "priority", "category", "team", "open_assignee", "created_day",
           "resolved_day", "first_response", "resolution", "rating")


def _counts(kept: counters.Counters, dimension: str) -> dict[str, int]:
    return {key: n for key, (n, _total) in kept[dimension].items()}


def _ids(counts: dict[str, int]) -> dict[int | None, int]:
    """Counter keys are text: '' is "none", anything else an id."""
    return {(int(k) if k else None): n for k, n in counts.items()}


def _durations(kept: counters.Counters) -> tuple[float | None, float | None]:
    def hours(dimension):
        n, total = kept[dimension].get("", (0, 0))
        return total / n / 3600.0 if n else None
    return hours("first_response"), hours("resolution")


# --- counts ------------------------------------------------------------------------------

def count_by(column) -> dict:
    """{value: number of tickets} — one GROUP BY over an indexed column."""
    rows = db.session.execute(select(column, func.count()).group_by(column))
    return {value: count for value, count in rows}


def overdue_count(now: datetime) -> int:
    """Due date passed and not resolved or closed: the open tickets due on the days
    before today (counters), plus those due earlier today (index: status, due_at)."""
    today = now.date().isoformat()
    before_today = db.session.scalar(
        select(func.coalesce(func.sum(TicketStat.n), 0)).where(
            TicketStat.dimension == "open_due_day", TicketStat.key < today)) or 0
    since = datetime.combine(now.date(), datetime.min.time())
    earlier_today = db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.status.in_(OPEN_STATUSES), Ticket.due_at >= since, Ticket.due_at < now)) or 0
    return int(before_today) + earlier_today


def unassigned_count() -> int:
    """Open tickets nobody has (index: assignee_id, status, ...)."""
    return db.session.scalar(select(func.count()).select_from(Ticket).where(
        Ticket.assignee_id.is_(None), Ticket.status.in_(OPEN_STATUSES))) or 0


def agent_workload(open_by_assignee: dict[int | None, int] | None = None
                   ) -> list[tuple[str, int]]:
    """Open tickets per active agent or admin, busiest first; agents with none too
    (the counts from the counters, the people from one query)."""
    if open_by_assignee is None:
        open_by_assignee = _ids(_counts(counters.read(["open_assignee"]), "open_assignee"))
    people = db.session.execute(select(User.id, User.name).where(User.active, User.is_staff))
    rows = [(name, open_by_assignee.get(user_id, 0)) for user_id, name in people]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def category_counts() -> list[tuple[str, int]]:
    """(category name, tickets) for every category, then those without one."""
    return _named(_ids(_counts(counters.read(["category"]), "category")), Category,
                  "No category")


def counts_by(dimension: str) -> dict[str, int]:
    """{value: tickets} for "status" or "priority", from the counters."""
    return _counts(counters.read([dimension]), dimension)


def _labelled(counts: dict, labels: list[tuple[object, str]]) -> list[tuple[str, int]]:
    return [(label, counts.get(key, 0)) for key, label in labels]


def _named(counts: dict, model, none_label: str) -> list[tuple[str, int]]:
    """Counts keyed by id → (name, count) for every row of `model` (zeros too), then the
    tickets without one."""
    rows = db.session.execute(select(model.id, model.name).order_by(model.name))
    named = [(name, counts.get(row_id, 0)) for row_id, name in rows]
    if counts.get(None):
        named.append((none_label, counts[None]))
    return named


# --- durations ---------------------------------------------------------------------------

def _dialect() -> str:
    return db.engine.dialect.name


def hours_between(start, end):
    """SQL for (end - start) in hours, as a float, on this database."""
    if _dialect() == "postgresql":
        return func.extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


def average_durations() -> tuple[float | None, float | None]:
    """Average hours to first response and to resolution, over every ticket that has
    them (sums and counts kept by the database)."""
    return _durations(counters.read(["first_response", "resolution"]))


def _float(value) -> float | None:
    return None if value is None else float(value)


# --- satisfaction ------------------------------------------------------------------------

def csat_summary() -> tuple[float | None, int, list[tuple[int, int]]]:
    """(average rating, number of ratings, [(1, n1) ... (5, n5)])."""
    counts = {int(k): n for k, n in _counts(counters.read(["rating"]), "rating").items()}
    total = sum(counts.values())
    average = (sum(r * n for r, n in counts.items()) / total) if total else None
    return average, total, [(r, counts.get(r, 0)) for r in range(1, 6)]


# --- over time ---------------------------------------------------------------------------

def day_bucket(column):
    """SQL for the calendar day (UTC) of a timestamp."""
    if _dialect() == "postgresql":
        return cast(func.date_trunc(literal("day"), column), Date)
    return func.date(column)


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def daily_flow(now: datetime, days: int = DAYS) -> tuple[list[date], list[int], list[int]]:
    """Tickets created and resolved on each of the last `days` days (today included)."""
    first_day = now.date() - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time())
    created_day = day_bucket(Ticket.created_at)
    created = dict(db.session.execute(
        select(created_day, func.count()).where(Ticket.created_at >= since)
        .group_by(created_day)).all())
    resolved_day = day_bucket(Ticket.resolved_at)
    # resolved_at is indexed (ix_tickets_resolved_at): the range picks the rows. Only
    # resolved and closed tickets have one (tickets.status.apply_transition clears it on
    # the way back), so the status condition changes no result.
    resolved = dict(db.session.execute(
        select(resolved_day, func.count())
        .where(Ticket.status.in_(DONE_STATUSES), Ticket.resolved_at >= since)
        .group_by(resolved_day)).all())
    created = {_as_date(k): v for k, v in created.items()}
    resolved = {_as_date(k): v for k, v in resolved.items()}
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    return (day_list, [created.get(d, 0) for d in day_list],
            [resolved.get(d, 0) for d in day_list])
