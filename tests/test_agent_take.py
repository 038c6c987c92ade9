"""Take is race-safe: of several agents taking the same ticket at once, exactly one wins
(a conditional UPDATE), the others are told it is taken. Each thread has its own app
context, hence its own session and connection — on SQLite and on PostgreSQL."""
import threading

from conftest import make_user
from sqlalchemy import func, select

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Role, Status, Ticket, User
from helpdesk.services.errors import Conflict
from helpdesk.services.tickets import assignment

RACERS = 6


def test_concurrent_takes_have_exactly_one_winner(app, ticket):
    agents = [make_user(Role.AGENT) for _ in range(RACERS)]
    agent_ids, ticket_id = [a.id for a in agents], ticket.id
    db.session.remove()  # the main thread's session lets go of its connection
    start = threading.Barrier(RACERS)
    outcomes: dict[int, str] = {}

    def race(agent_id):
        with app.app_context():
            me = db.session.get(User, agent_id)
            target = db.session.get(Ticket, ticket_id)
            start.wait()
            try:
                assignment.take_ticket(target, me)
                outcomes[agent_id] = "won"
            except Conflict:
                outcomes[agent_id] = "refused"
            except Exception as error:  # reported by the assertion below
                outcomes[agent_id] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=race, args=(a,)) for a in agent_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["refused"] * (RACERS - 1) + ["won"], outcomes
    winner = next(a for a, outcome in outcomes.items() if outcome == "won")
    taken = db.session.get(Ticket, ticket_id)
    assert (taken.assignee_id, taken.status) == (winner, Status.IN_PROGRESS)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.ticket_id == ticket_id, AuditEvent.action == "taken")) == 1


def test_taking_an_assigned_ticket_raises_conflict_and_changes_nothing(
        app, ticket, agent, other_agent):
    assignment.take_ticket(ticket, other_agent)
    try:
        assignment.take_ticket(ticket, agent)
    except Conflict as error:
        assert "Oscar Agent" in error.message
    else:
        raise AssertionError("a second take must be refused")
    db.session.refresh(ticket)
    assert ticket.assignee_id == other_agent.id
