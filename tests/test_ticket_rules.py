"""Rules found in review: each is a product.md rule that a shortcut had skipped."""
import pytest
from conftest import login, make_ticket, make_user

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, Category, Notification, Role, Status, Team
from helpdesk.services.errors import InvalidTransition
from helpdesk.services.tickets import assignment, conversation, opening
from helpdesk.services.tickets import status as ticket_status


def kinds_for(user):
    return db.session.scalars(db.select(Notification.kind).filter_by(user_id=user.id)).all()


def test_taking_a_new_ticket_tells_the_customer_it_is_in_progress(customer, agent):
    ticket = make_ticket(customer)
    assignment.take_ticket(ticket, agent)
    assert ticket.status == Status.IN_PROGRESS and ticket.assignee_id == agent.id
    assert "status_changed" in kinds_for(customer)


def test_agents_cannot_reply_publicly_on_a_closed_ticket_but_can_note(customer, admin):
    ticket = make_ticket(customer)
    assignment.assign_ticket(ticket, admin, admin)
    ticket_status.change_status(ticket, admin, Status.CLOSED)
    before = len(kinds_for(customer))
    with pytest.raises(InvalidTransition):
        conversation.post_reply(ticket, admin, "Hello again")
    assert len(kinds_for(customer)) == before
    note = conversation.post_reply(ticket, admin, "For the file", internal=True)
    assert note.is_internal


def test_a_line_break_in_the_subject_is_folded_into_one_line(app_config, app, customer):
    app.config["MAIL_HOST"] = "127.0.0.1"  # headers are built even if nothing listens
    app.config["MAIL_PORT"] = 9  # discard port: sending fails quietly after commit
    ticket = opening.create_ticket(requester=customer, created_by=customer,
                                   subject="Broken\r\nBcc: victim@example.com",
                                   description="x")
    assert ticket.subject == "Broken Bcc: victim@example.com"


def test_suspended_agents_hear_nothing_more_about_tickets(customer, admin):
    team_mate = make_user(Role.AGENT)
    suspended = make_user(Role.AGENT)
    team = db.session.scalar(db.select(Team).filter_by(name="Logistics"))
    team.members.extend([team_mate, suspended])
    suspended.agent_status = AgentStatus.SUSPENDED
    db.session.commit()
    category = db.session.scalar(db.select(Category).filter_by(name="Delivery — lost"))
    make_ticket(customer, category_id=category.id)
    assert kinds_for(team_mate) == ["ticket_created"]
    assert kinds_for(suspended) == []


def test_an_internal_note_does_not_move_the_ticket_in_my_tickets(client, customer, admin):
    older = make_ticket(customer, subject="Older one")
    make_ticket(customer, subject="Newer one")
    seen_before = older.public_activity_at
    conversation.post_reply(older, admin, "Internal: SECRET-NOTE", internal=True)
    assert older.public_activity_at == seen_before  # internal activity is not public
    login(client, customer)
    html = client.get("/portal/tickets").get_data(as_text=True)
    assert html.index("Newer one") < html.index("Older one")
    assignment.assign_ticket(older, admin, admin)  # a status change is public
    html = client.get("/portal/tickets").get_data(as_text=True)
    assert html.index("Older one") < html.index("Newer one")
