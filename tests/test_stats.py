"""Dashboard statistics: every figure equals a count made independently, in Python, over
the same seeded mix of tickets — and the SQL does not grow with the number of tickets."""
import random
import re
from collections import Counter
from datetime import timedelta
from statistics import mean

import pytest
from conftest import login, make_user
from sqlalchemy import event

from helpdesk.extensions import db
from helpdesk.models import (
    OPEN_STATUSES,
    STATUS_LABELS,
    AgentStatus,
    Category,
    Feedback,
    Priority,
    Role,
    Status,
    Team,
    Ticket,
    utcnow,
)
from helpdesk.services.reporting import stats


def seed_mix(customer, staff, count=80, seed=7):
    """Tickets with every status, priority, category/team (or none), assignee (or none),
    and timestamps spread over 45 days; ratings on some done tickets."""
    rng = random.Random(seed)
    now = utcnow()
    categories = list(db.session.scalars(db.select(Category))) + [None]
    teams = list(db.session.scalars(db.select(Team))) + [None]
    rows = []
    for i in range(count):
        status = rng.choice(list(Status))
        created = now - timedelta(minutes=rng.randint(1, 45 * 24 * 60))
        ticket = Ticket(
            number=f"MIX-{i:04d}", subject=f"Mix {i}", description="seeded",
            status=status, priority=rng.choice(list(Priority)),
            category=rng.choice(categories), team=rng.choice(teams),
            requester=customer, created_by=customer,
            assignee=rng.choice([*staff, None]) if status != Status.NEW else None,
            created_at=created, updated_at=created, last_activity_at=created,
            due_at=created + timedelta(hours=rng.choice([2, 24, 24 * 20, 24 * 60])))
        if status != Status.NEW and rng.random() < 0.8:
            ticket.first_response_at = min(created + timedelta(minutes=rng.randint(3, 3000)),
                                           now)
        if status in (Status.RESOLVED, Status.CLOSED):
            ticket.resolved_at = min(created + timedelta(minutes=rng.randint(30, 20000)), now)
            ticket.last_activity_at = ticket.resolved_at
            if rng.random() < 0.6:
                ticket.feedback = Feedback(author_id=customer.id, rating=rng.randint(1, 5))
        db.session.add(ticket)
        rows.append(ticket)
    db.session.commit()
    return now, rows


def hours(start, end):
    return (end - start).total_seconds() / 3600


def expected_figures(now, rows, staff):
    """The same figures, counted by hand in Python over the seeded objects."""
    open_rows = [t for t in rows if t.status in OPEN_STATUSES]
    first = [hours(t.created_at, t.first_response_at) for t in rows if t.first_response_at]
    resolved = [hours(t.created_at, t.resolved_at) for t in rows if t.resolved_at]
    ratings = [t.feedback.rating for t in rows if t.feedback]
    days = [now.date() - timedelta(days=29 - i) for i in range(30)]
    created_on = Counter(t.created_at.date() for t in rows)
    resolved_on = Counter(t.resolved_at.date() for t in rows if t.resolved_at)
    load = Counter(t.assignee_id for t in open_rows if t.assignee_id)
    return {
        "total": len(rows),
        "open": len(open_rows),
        "overdue": sum(1 for t in open_rows if t.due_at < now),
        "unassigned": sum(1 for t in open_rows if t.assignee_id is None),
        "by_status": {STATUS_LABELS[s]: sum(t.status == s for t in rows) for s in Status},
        "by_priority": {p.value.title(): sum(t.priority == p for t in rows) for p in Priority},
        "by_category": Counter(t.category.name if t.category else "No category" for t in rows),
        "by_team": Counter(t.team.name if t.team else "No team" for t in rows),
        "first_response": mean(first),
        "resolution": mean(resolved),
        "csat": mean(ratings),
        "csat_count": len(ratings),
        "csat_distribution": [(r, ratings.count(r)) for r in range(1, 6)],
        "created_per_day": [created_on[d] for d in days],
        "resolved_per_day": [resolved_on[d] for d in days],
        "days": days,
        "workload": {u.name: load[u.id] for u in staff},
    }


@pytest.fixture
def staff(app, agent, other_agent, admin):
    make_user(Role.AGENT, agent_status=AgentStatus.SUSPENDED)  # not counted: suspended
    return [agent, other_agent, admin]


def without_zeros(pairs):
    return {label: n for label, n in pairs if n}


def test_dashboard_figures_equal_independent_counts(customer, staff):
    now, rows = seed_mix(customer, staff)
    want = expected_figures(now, rows, staff)
    got = stats.dashboard(now)

    assert (got.total, got.open, got.overdue, got.unassigned) == (
        want["total"], want["open"], want["overdue"], want["unassigned"])
    assert dict(got.by_status) == want["by_status"]
    assert dict(got.by_priority) == want["by_priority"]
    assert without_zeros(got.by_category) == dict(want["by_category"])
    assert without_zeros(got.by_team) == dict(want["by_team"])
    assert got.avg_first_response_hours == pytest.approx(want["first_response"], abs=1e-3)
    assert got.avg_resolution_hours == pytest.approx(want["resolution"], abs=1e-3)
    assert got.csat_average == pytest.approx(want["csat"])
    assert got.csat_count == want["csat_count"]
    assert got.csat_distribution == want["csat_distribution"]
    assert got.days == want["days"]
    assert got.created_per_day == want["created_per_day"]
    assert got.resolved_per_day == want["resolved_per_day"]
    assert sum(got.created_per_day) > 0 and sum(got.resolved_per_day) > 0
    assert dict(got.workload) == want["workload"]  # suspended agent left out, zeros kept


def test_every_category_and_team_is_listed_even_without_tickets(app):
    figures = stats.dashboard()
    names = {name for name, _ in figures.by_category}
    assert {"Billing", "Order", "General"} <= names
    assert all(n == 0 for _, n in figures.by_category + figures.by_team)
    assert figures.avg_first_response_hours is None and figures.csat_average is None
    assert figures.csat_distribution == [(r, 0) for r in range(1, 6)]


def test_the_dashboard_page_shows_the_same_numbers(client, customer, staff, admin):
    now, rows = seed_mix(customer, staff, count=40, seed=11)
    want = expected_figures(now, rows, staff)
    login(client, admin)
    response = client.get("/admin/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200

    def tile(key):
        return re.search(rf'data-stat="{key}" data-value="([^"]*)"', html).group(1)

    for key in ("total", "open", "overdue", "unassigned"):
        assert int(tile(key)) == want[key], key
    assert float(tile("first_response")) == pytest.approx(want["first_response"], abs=1e-3)
    assert float(tile("resolution")) == pytest.approx(want["resolution"], abs=1e-3)
    assert float(tile("csat")) == pytest.approx(want["csat"])
    # The charts' data tables (the screen-reader alternative) carry the counts too.
    for label, n in want["by_status"].items():
        assert re.search(rf'<th scope="row">{re.escape(label)}</th>\s*<td>{n}</td>', html), label
    assert html.count("<figure") >= 7 and "<svg" in html
    assert "<script>" not in html and 'style="' not in html


def count_queries():
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)
    event.listen(db.engine, "before_cursor_execute", before)
    return statements, lambda: event.remove(db.engine, "before_cursor_execute", before)


def test_the_number_of_queries_does_not_grow_with_the_tickets(customer, staff):
    seed_mix(customer, staff, count=5, seed=1)
    statements, stop = count_queries()
    stats.dashboard()
    few = len(statements)
    stop()
    for i in range(60):
        db.session.add(Ticket(number=f"MORE-{i}", subject="More", description="x",
                              requester=customer, created_by=customer, status=Status.OPEN,
                              assignee=staff[i % len(staff)]))
    db.session.commit()
    statements, stop = count_queries()
    stats.dashboard()
    stop()
    assert len(statements) == few
    # Aggregates only: the counters the database keeps, counts, and the names of
    # categories, teams and staff (never one row per ticket).
    assert all("GROUP BY" in s.upper() or "count(" in s.lower() or "FROM ticket_stats" in s
               or "FROM categories" in s or "FROM teams" in s or "FROM users" in s
               for s in statements), statements
    assert not any("FROM tickets" in s and "count(" not in s.lower() for s in statements)
