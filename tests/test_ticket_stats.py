"""The dashboard's counters (ticket_stats) are kept by the database in the same transaction
as every change: after any mix of operations they equal a recount from scratch, exactly."""
import random
from datetime import timedelta

from conftest import make_ticket, make_user
from sqlalchemy import delete, update

from helpdesk.extensions import db
from helpdesk.models import (
    Category,
    Feedback,
    Priority,
    Role,
    Status,
    Team,
    Ticket,
    TicketStat,
    utcnow,
)
from helpdesk.services.reporting import counters, stats
from helpdesk.services.tickets import status as status_service


def _same():
    db.session.expire_all()
    kept, recounted = counters.kept(), counters.recount()
    assert {k: v for k, v in kept.items() if v} == {k: v for k, v in recounted.items() if v}


def test_counters_match_a_recount_after_random_operations(app, customer):
    rng = random.Random(20261201)
    staff = [make_user(Role.AGENT) for _ in range(3)] + [make_user(Role.ADMIN)]
    categories = [*db.session.scalars(db.select(Category)), None]
    teams = [*db.session.scalars(db.select(Team)), None]
    tickets = [make_ticket(customer, subject=f"Stats {i}") for i in range(12)]
    _same()
    now = utcnow()
    for step in range(160):
        action = rng.choice(["create", "status", "assign", "fields", "delete", "rating",
                             "unrate", "bulk", "rollback"])
        live = [t for t in tickets if t in db.session]
        ticket = rng.choice(live) if live else None
        if action == "create" or ticket is None:
            tickets.append(make_ticket(customer, subject=f"More {step}",
                                       priority=rng.choice(list(Priority))))
        elif action == "status":
            target = rng.choice(list(Status))
            ticket.status = target
            if target in (Status.RESOLVED, Status.CLOSED):
                ticket.resolved_at = now - timedelta(minutes=rng.randint(0, 90000))
            elif rng.random() < 0.7:
                ticket.resolved_at = None
            if rng.random() < 0.5:
                ticket.first_response_at = now - timedelta(seconds=rng.randint(1, 900000))
        elif action == "assign":
            ticket.assignee = rng.choice([*staff, None])
        elif action == "fields":
            ticket.priority = rng.choice(list(Priority))
            ticket.category = rng.choice(categories)
            ticket.team = rng.choice(teams)
            ticket.due_at = rng.choice([None, now - timedelta(days=rng.randint(-5, 40))])
            ticket.created_at = now - timedelta(days=rng.randint(0, 60), seconds=rng.random())
        elif action == "delete":
            db.session.delete(ticket)
        elif action == "rating":
            if ticket.feedback:
                ticket.feedback.rating = rng.randint(1, 5)
            else:
                ticket.feedback = Feedback(author_id=customer.id, rating=rng.randint(1, 5))
        elif action == "unrate" and ticket.feedback:
            db.session.delete(ticket.feedback)
        elif action == "bulk":  # one statement over many rows (raw SQL is counted too)
            db.session.execute(update(Ticket).where(Ticket.id % 3 == step % 3)
                               .values(status=rng.choice(list(Status)), assignee_id=None))
        elif action == "rollback":  # a change that never commits moves nothing
            ticket.status = rng.choice(list(Status))
            ticket.priority = rng.choice(list(Priority))
            db.session.flush()
            db.session.rollback()
            continue
        db.session.commit()
        if step % 20 == 0:
            _same()
    # Deleting everything at once (a cascade takes the feedback along) leaves zeros.
    db.session.execute(delete(Ticket))
    db.session.commit()
    _same()
    assert not counters.kept()


def test_a_service_status_change_moves_the_counters(app, customer, agent):
    ticket = make_ticket(customer)
    before = stats.dashboard()
    ticket.assignee = agent
    db.session.commit()
    status_service.change_status(ticket, agent, Status.RESOLVED)
    after = stats.dashboard()
    assert dict(after.by_status)["Resolved"] == dict(before.by_status)["Resolved"] + 1
    assert after.open == before.open - 1
    assert after.resolved_per_day[-1] == before.resolved_per_day[-1] + 1
    _same()


def test_an_update_that_moves_nothing_counted_writes_no_counter(app, customer):
    ticket = make_ticket(customer)
    db.session.expire_all()
    rows = {(r.dimension, r.key): r.n for r in db.session.scalars(db.select(TicketStat))}
    ticket.last_activity_at = utcnow()  # a reply, say
    ticket.subject = "Another subject"
    ticket.status = ticket.status  # in the SET list, unchanged
    db.session.commit()
    db.session.expire_all()
    assert {(r.dimension, r.key): r.n
            for r in db.session.scalars(db.select(TicketStat))} == rows
