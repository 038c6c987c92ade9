"""Bulk actions on ticked queue rows: each ticket goes through the same service as a
single change; the allowed ones change, the others are listed as refused."""
import re

from conftest import login, make_ticket
from sqlalchemy import func, select

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Priority, Status, Ticket


def _tickets(customer, owner, count, status=Status.IN_PROGRESS):
    made = []
    for i in range(count):
        ticket = make_ticket(customer, subject=f"Bulk {owner.name if owner else 'none'} {i}")
        ticket.assignee, ticket.status = owner, status
        made.append(ticket)
    db.session.commit()
    return made


def _post(client, tickets, action):
    return client.post("/agent/queue/bulk", data={
        "ticket_ids": [str(t.id) for t in tickets], "bulk_action": action,
        "next": "/agent/queue?filtered=1&q=bulk"}, follow_redirects=True)


def _flashes(response) -> str:
    html = response.get_data(as_text=True)
    return " ".join(re.findall(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', html, re.S))


def test_bulk_status_over_fifty_changes_the_allowed_and_lists_the_refused(
        app, client, customer, agent, other_agent):
    mine = _tickets(customer, agent, 30)
    theirs = _tickets(customer, other_agent, 15)
    closed = _tickets(customer, agent, 5, status=Status.CLOSED)
    login(client, agent)
    response = _post(client, mine + theirs + closed, "status:resolved")
    assert response.status_code == 200
    assert response.request.path == "/agent/queue"  # back to the view it came from

    statuses = dict(db.session.execute(select(Ticket.id, Ticket.status)).all())
    assert all(statuses[t.id] == Status.RESOLVED for t in mine)
    assert all(statuses[t.id] == Status.IN_PROGRESS for t in theirs)
    assert all(statuses[t.id] == Status.CLOSED for t in closed)
    moved = set(db.session.scalars(select(AuditEvent.ticket_id).where(
        AuditEvent.field == "status", AuditEvent.actor_id == agent.id)))
    assert moved == {t.id for t in mine}

    flashes = _flashes(response)
    assert "Changed 30 tickets" in flashes
    assert "Refused for 15 tickets" in flashes and "Only the assigned agent" in flashes
    assert "Refused for 5 tickets" in flashes and "cannot be moved to Resolved" in flashes
    for ticket in theirs + closed:
        assert ticket.number in flashes


def test_bulk_priority_and_the_agents_bulk_take(app, client, customer, agent, other_agent):
    mine = _tickets(customer, agent, 3)
    free = _tickets(customer, None, 3, status=Status.NEW)
    theirs = _tickets(customer, other_agent, 2)
    login(client, agent)
    _post(client, mine + theirs, "priority:high")
    priorities = dict(db.session.execute(select(Ticket.id, Ticket.priority)).all())
    assert [priorities[t.id] for t in mine] == [Priority.HIGH] * 3
    assert [priorities[t.id] for t in theirs] == [Priority.MEDIUM] * 2

    response = _post(client, free + theirs, f"assign:{agent.id}")
    owners = dict(db.session.execute(select(Ticket.id, Ticket.assignee_id)).all())
    assert [owners[t.id] for t in free] == [agent.id] * 3
    assert [owners[t.id] for t in theirs] == [other_agent.id] * 2
    assert "already taken by Oscar Agent" in _flashes(response)

    response = _post(client, free, f"assign:{other_agent.id}")
    assert "Only admins can assign" in _flashes(response)
    assert db.session.scalar(select(func.count(Ticket.id)).where(
        Ticket.assignee_id == other_agent.id)) == 2


def test_admins_bulk_assign_anyone(app, client, customer, admin, agent, other_agent):
    tickets = _tickets(customer, None, 4, status=Status.NEW) + _tickets(customer, agent, 2)
    login(client, admin)
    response = _post(client, tickets, f"assign:{other_agent.id}")
    assert "Changed 6 tickets" in _flashes(response)
    assert db.session.scalar(select(func.count(Ticket.id)).where(
        Ticket.assignee_id == other_agent.id)) == 6
    assert db.session.scalar(select(func.count(Ticket.id)).where(
        Ticket.status == Status.OPEN)) == 4  # assigned new tickets open


def test_bulk_without_a_ticked_ticket_is_refused_with_a_message(app, client, agent, ticket):
    login(client, agent)
    response = client.post("/agent/queue/bulk", data={"bulk_action": "priority:low",
                                                      "next": "/agent/queue"})
    assert response.status_code == 400
    assert "Tick at least one ticket." in response.get_data(as_text=True)
    assert db.session.get(Ticket, ticket.id).priority == Priority.MEDIUM


def test_bulk_never_redirects_off_the_queue(app, client, agent, ticket):
    ticket.assignee = agent
    db.session.commit()
    login(client, agent)
    response = client.post("/agent/queue/bulk", data={
        "ticket_ids": [str(ticket.id)], "bulk_action": "priority:low",
        "next": "https://evil.example/agent/queue"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/agent/queue"
