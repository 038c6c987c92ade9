"""Many people at once: 20 threads creating tickets, replying and taking tickets.
Runs on SQLite and, in CI, on PostgreSQL with real parallel transactions."""
import threading

from conftest import make_ticket, make_user

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Message, Role, Ticket, User
from helpdesk.services.errors import Conflict
from helpdesk.services.tickets import assignment, conversation, opening

CREATORS, REPLIERS, TAKERS = 6, 6, 8
PER_THREAD = 8


def run_threads(app, jobs):
    """Run each job in its own thread and app context; collect unexpected errors."""
    errors = []
    barrier = threading.Barrier(len(jobs))

    def runner(job):
        try:
            with app.app_context():
                barrier.wait()
                job()
        except Exception as error:  # reported by the assertion below
            errors.append(repr(error))

    threads = [threading.Thread(target=runner, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_twenty_threads_create_reply_and_take_without_losing_anything(app):
    customers = [make_user(Role.CUSTOMER) for _ in range(CREATORS + REPLIERS)]
    agents = [make_user(Role.AGENT) for _ in range(TAKERS)]
    targets = [make_ticket(customers[CREATORS + i]) for i in range(REPLIERS)]
    target_ids = [t.id for t in targets]
    wins = []

    def create(user_id):
        def job():
            user = db.session.get(User, user_id)
            for n in range(PER_THREAD):
                opening.create_ticket(requester=user, created_by=user, subject=f"Load {n}",
                                      description="Created under load")
        return job

    def reply(user_id, ticket_id):
        def job():
            user = db.session.get(User, user_id)
            for n in range(PER_THREAD):
                ticket = db.session.get(Ticket, ticket_id)
                conversation.post_reply(ticket, user, f"Reply {n}")
        return job

    def take(agent_id):
        def job():
            agent = db.session.get(User, agent_id)
            for ticket_id in target_ids:
                ticket = db.session.get(Ticket, ticket_id)
                try:
                    assignment.take_ticket(ticket, agent)
                    wins.append((ticket_id, agent_id))
                except Conflict:
                    pass
                db.session.expire_all()
        return job

    jobs = [create(c.id) for c in customers[:CREATORS]]
    jobs += [reply(customers[CREATORS + i].id, target_ids[i]) for i in range(REPLIERS)]
    jobs += [take(a.id) for a in agents]
    assert run_threads(app, jobs) == []

    db.session.expire_all()
    total = REPLIERS + CREATORS * PER_THREAD
    numbers = sorted(db.session.scalars(db.select(Ticket.number)))
    assert numbers == [f"TKT-{n:06d}" for n in range(1, total + 1)]
    for ticket_id in target_ids:
        replies = db.session.scalar(db.select(db.func.count(Message.id))
                                    .filter_by(ticket_id=ticket_id))
        assert replies == PER_THREAD
        reply_events = db.session.scalar(db.select(db.func.count(AuditEvent.id))
                                         .filter_by(ticket_id=ticket_id, action="replied"))
        assert reply_events == PER_THREAD
        taken = db.session.scalars(db.select(AuditEvent).filter_by(
            ticket_id=ticket_id, action="taken")).all()
        assert len(taken) == 1  # each ticket taken exactly once
        winner = [agent_id for tid, agent_id in wins if tid == ticket_id]
        assert len(winner) == 1
        assert db.session.get(Ticket, ticket_id).assignee_id == winner[0]
