"""Agents open tickets on a customer's behalf (product.md: "created by")."""
from conftest import login

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Priority, Ticket


def test_an_agent_opens_a_ticket_for_a_customer(client, agent, customer):
    login(client, agent)
    assert "New ticket for a customer" in client.get("/agent/queue").get_data(as_text=True)
    response = client.post("/agent/tickets/new", data={
        "customer_email": customer.email.upper(), "subject": "Called about a late parcel",
        "description": "Customer phoned: parcel is a week late.", "priority": "high"})
    assert response.status_code == 302
    ticket = db.session.scalar(db.select(Ticket))
    assert (ticket.requester_id, ticket.created_by_id) == (customer.id, agent.id)
    assert ticket.priority == Priority.HIGH
    event = db.session.scalar(db.select(AuditEvent).filter_by(ticket_id=ticket.id,
                                                                action="created"))
    assert event.actor_id == agent.id and customer.email in event.note


def test_an_unknown_customer_is_refused_next_to_the_field(client, agent, other_agent):
    login(client, agent)
    for email in ("nobody@example.com", other_agent.email):  # agents are not customers
        response = client.post("/agent/tickets/new", data={
            "customer_email": email, "subject": "Typed subject", "description": "Typed"})
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "No active customer has this e-mail address." in html
        assert "Typed subject" in html
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 0
