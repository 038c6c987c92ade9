"""Side-panel details (team, category, due date, tags, hours) and the SLA due dates."""
from datetime import timedelta

import pytest
from conftest import login, make_ticket
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Category, Priority, SlaTarget, Status, Team
from helpdesk.services.catalog.defaults import SLA_DEFAULTS
from helpdesk.services.tickets import assignment


def _assigned(ticket, agent):
    ticket.assignee, ticket.status = agent, Status.IN_PROGRESS
    db.session.commit()
    return ticket


def _form(ticket, **changes):
    data = {"team": str(ticket.team_id or ""), "category": str(ticket.category_id or ""),
            "due_at": ticket.due_at.strftime("%Y-%m-%dT%H:%M") if ticket.due_at else "",
            "tags": "", "estimated_hours": "", "actual_hours": ""}
    data.update(changes)
    return data


@pytest.mark.parametrize("priority", list(Priority))
def test_new_tickets_get_due_dates_from_the_sla_targets(app, customer, priority):
    ticket = make_ticket(customer, priority=priority)
    first, resolution = SLA_DEFAULTS[priority]
    assert ticket.due_at - ticket.created_at == timedelta(hours=resolution)
    assert ticket.first_response_due_at - ticket.created_at == timedelta(hours=first)


def test_a_priority_change_moves_the_due_date_unless_it_was_set_by_hand(
        app, customer, agent):
    ticket = _assigned(make_ticket(customer), agent)
    assignment.change_priority(ticket, agent, Priority.URGENT)
    urgent = db.session.get(SlaTarget, "urgent").resolution_minutes
    assert ticket.due_at - ticket.created_at == timedelta(minutes=urgent)
    ticket.due_at, ticket.due_set_manually = ticket.created_at + timedelta(days=30), True
    db.session.commit()
    assignment.change_priority(ticket, agent, Priority.LOW)
    assert ticket.due_at - ticket.created_at == timedelta(days=30)


def test_the_assignee_edits_details_with_an_audit_event_per_field(
        app, client, customer, agent):
    ticket = _assigned(make_ticket(customer), agent)
    team = db.session.scalar(select(Team).filter_by(name="Billing"))
    category = db.session.scalar(select(Category).filter_by(name="Billing"))
    due = (ticket.created_at + timedelta(days=3)).replace(second=0, microsecond=0)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/details", data=_form(
        ticket, team=str(team.id), category=str(category.id),
        due_at=due.strftime("%Y-%m-%dT%H:%M"), tags="Refund, carrier ,refund",
        estimated_hours="2.5", actual_hours="1"))
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert (ticket.team_id, ticket.category_id) == (team.id, category.id)
    assert ticket.tag_names == ["carrier", "refund"]
    assert (ticket.estimated_hours, ticket.actual_hours) == (2.5, 1.0)
    assert ticket.due_at == due and ticket.due_set_manually
    fields = set(db.session.scalars(select(AuditEvent.field).where(
        AuditEvent.ticket_id == ticket.id, AuditEvent.actor_id == agent.id)))
    assert fields == {"team", "category", "tags", "estimated_hours", "actual_hours", "due_at"}

    # saving again unchanged writes nothing; clearing the due date brings the SLA back
    before = db.session.query(AuditEvent).count()
    client.post(f"/agent/tickets/{ticket.number}/details", data=_form(
        ticket, tags="carrier, refund", estimated_hours="2.5", actual_hours="1"))
    assert db.session.query(AuditEvent).count() == before
    client.post(f"/agent/tickets/{ticket.number}/details", data=_form(
        ticket, due_at="", tags="carrier, refund", estimated_hours="2.5", actual_hours="1"))
    db.session.refresh(ticket)
    medium = db.session.get(SlaTarget, "medium").resolution_minutes
    assert not ticket.due_set_manually
    assert ticket.due_at - ticket.created_at == timedelta(minutes=medium)


def test_bad_hours_are_refused_next_to_the_field_with_the_input_kept(
        app, client, customer, agent):
    ticket = _assigned(make_ticket(customer), agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/details",
                           data=_form(ticket, estimated_hours="-4", tags="keep-me"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="estimated_hours-error"' in html and 'value="keep-me"' in html
    db.session.refresh(ticket)
    assert ticket.estimated_hours is None and ticket.tag_names == []


def test_other_agents_cannot_edit_details(app, client, customer, agent, other_agent):
    ticket = _assigned(make_ticket(customer), other_agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/details",
                           data=_form(ticket, tags="mine"))
    assert response.status_code == 403
    assert "Only the assigned agent or an admin" in response.get_data(as_text=True)
    db.session.refresh(ticket)
    assert ticket.tag_names == []
