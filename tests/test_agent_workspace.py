"""The ticket workspace: thread, replies and notes, status, priority, assignee, take,
escalation, and who may do which."""
import re

import pytest
from conftest import PNG_BYTES, login, make_ticket, upload
from sqlalchemy import func, select

from helpdesk.extensions import db
from helpdesk.models import (
    AuditEvent,
    Message,
    Notification,
    Priority,
    Status,
    Ticket,
)
from helpdesk.services.tickets import conversation
from helpdesk.services.tickets.workflow import allowed_targets, manual_ways


def html_of(response) -> str:
    return response.get_data(as_text=True)


def labelled(html: str, label: str) -> str | None:
    """The id of the field a <label> with this text is bound to."""
    match = re.search(r'<label for="([^"]+)">\s*' + re.escape(label) + r"\s*</label>", html)
    return match.group(1) if match else None


def options_of(html: str, select_id: str) -> list[str]:
    block = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option[^>]*value="([^"]*)"', block.group(1)) if block else []


def events(ticket, action=None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.ticket_id == ticket.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def assign(ticket, agent, status=Status.IN_PROGRESS):
    ticket.assignee, ticket.status = agent, status
    db.session.commit()
    return ticket


# --- the page --------------------------------------------------------------------------

def test_workspace_shows_number_status_priority_and_the_contract_labels(
        app, client, agent, ticket):
    assign(ticket, agent)
    login(client, agent)
    html = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    assert ticket.number in html and "In progress" in html and "Medium" in html
    for label in ("Message", "Attachments", "Internal note", "Status", "Priority", "Assignee"):
        field_id = labelled(html, label)
        assert field_id and f'id="{field_id}"' in html, label
    assert re.search(r'<button[^>]*>Send</button>', html)
    assert re.search(r'<button[^>]*>Escalate</button>', html)


def test_thread_shows_internal_notes_visibly_different(app, client, agent, customer, ticket):
    conversation.post_reply(ticket, customer, "Customer says hello")
    note = conversation.post_reply(ticket, agent, "Secret note for staff", internal=True)
    login(client, agent)
    html = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    assert "Customer says hello" in html and "Secret note for staff" in html
    assert re.search(rf'class="message message-internal" id="message-{note.id}"', html)
    assert html.count("message-internal") == 1


@pytest.mark.parametrize("status", list(Status))
def test_status_picker_offers_only_the_allowed_transitions(app, client, agent, ticket, status):
    assign(ticket, agent, status)
    login(client, agent)
    html = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    offered = options_of(html, "status")
    assert offered[0] == status
    assert offered[1:] == list(allowed_targets(status, manual_ways(agent.role)))


def test_the_canned_reply_picker_fills_the_message_box(app, client, agent, ticket):
    login(client, agent)
    html = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    body_id = labelled(html, "Message")
    assert re.search(rf'<select id="canned" data-canned-target="{body_id}">', html)
    assert 'data-body="Could you send us your order reference' in html


def test_history_lists_events_with_actor_names_and_other_tickets(
        app, client, agent, customer, ticket):
    older = make_ticket(customer, subject="An older question")
    conversation.post_reply(ticket, customer, "More details")
    login(client, agent)
    client.post(f"/agent/tickets/{ticket.number}/take")
    html = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    history = html.split('id="history-title"')[1]
    assert "Carla Customer</strong> opened the ticket" in history
    assert "Agnes Agent</strong> took the ticket" in history
    assert "In progress" in history  # status_changed New → In progress
    assert older.number in html and "An older question" in html


def test_attachment_links_go_through_the_download_view(app, client, agent, customer):
    ticket = make_ticket(customer, files=[_file("photo.png")])
    conversation.post_reply(ticket, customer, "Another one", files=[_file("second.png")])
    login(client, agent)
    html = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    for name in ("photo.png", "second.png"):
        assert re.search(r'href="/files/\d+"[^>]*>' + re.escape(name), html), name


def _file(name):
    from werkzeug.datastructures import FileStorage
    stream, filename = upload(name, PNG_BYTES)
    return FileStorage(stream=stream, filename=filename)


# --- replies ---------------------------------------------------------------------------

def test_the_assignee_replies_publicly_and_sets_first_response(app, client, agent, ticket):
    assign(ticket, agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/reply", data={
        "body": "We are on it", "attachments": [upload("a.png", PNG_BYTES)]})
    assert response.status_code == 302
    db.session.refresh(ticket)
    message = db.session.scalars(select(Message).where(Message.ticket_id == ticket.id)).one()
    assert not message.is_internal and len(message.attachments) == 1
    assert ticket.first_response_at is not None
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == ticket.requester_id, Notification.kind == "agent_replied")) == 1


def test_an_agent_cannot_reply_publicly_on_someone_elses_ticket(
        app, client, agent, other_agent, ticket):
    assign(ticket, other_agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/reply",
                           data={"body": "Let me answer that"})
    assert response.status_code == 403
    html = html_of(response)
    assert "Let me answer that" in html and "Only the assigned agent" in html
    assert db.session.scalar(select(func.count(Message.id))) == 0
    db.session.refresh(ticket)
    assert ticket.first_response_at is None


def test_any_agent_can_add_an_internal_note(app, client, agent, other_agent, ticket):
    assign(ticket, other_agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/reply",
                           data={"body": "Checked the warehouse", "internal": "y"})
    assert response.status_code == 302
    note = db.session.scalars(select(Message)).one()
    assert note.is_internal and note.author_id == agent.id
    db.session.refresh(ticket)
    assert ticket.first_response_at is None
    assert not db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == ticket.requester_id, Notification.kind == "agent_replied"))


def test_an_empty_reply_is_refused_next_to_the_field(app, client, agent, ticket):
    assign(ticket, agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/reply", data={"body": "  "})
    assert response.status_code == 400
    assert 'id="body-error"' in html_of(response)


# --- status and priority ---------------------------------------------------------------

def test_the_assignee_changes_status_and_priority(app, client, agent, ticket):
    assign(ticket, agent)
    login(client, agent)
    assert client.post(f"/agent/tickets/{ticket.number}/status",
                       data={"status": "resolved"}).status_code == 302
    assert client.post(f"/agent/tickets/{ticket.number}/priority",
                       data={"priority": "high"}).status_code == 302
    db.session.refresh(ticket)
    assert (ticket.status, ticket.priority) == (Status.RESOLVED, Priority.HIGH)
    assert [e.new_value for e in events(ticket, "priority_changed")] == ["high"]


def test_a_refused_transition_is_shown_next_to_the_status(app, client, agent, ticket):
    assign(ticket, agent, Status.CLOSED)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/status", data={"status": "open"})
    assert response.status_code == 400
    assert 'id="status-error"' in html_of(response)
    db.session.refresh(ticket)
    assert ticket.status == Status.CLOSED and not events(ticket, "status_changed")


@pytest.mark.parametrize("path, data", [("status", {"status": "resolved"}),
                                        ("priority", {"priority": "urgent"})])
def test_an_agent_cannot_change_someone_elses_ticket(app, client, agent, other_agent, ticket,
                                                    path, data):
    assign(ticket, other_agent)
    login(client, agent)
    assert client.post(f"/agent/tickets/{ticket.number}/{path}", data=data).status_code == 403
    db.session.refresh(ticket)
    assert (ticket.status, ticket.priority) == (Status.IN_PROGRESS, Priority.MEDIUM)
    assert not [e for e in events(ticket) if e.actor_id == agent.id]


def test_admins_change_any_ticket(app, client, admin, other_agent, ticket):
    assign(ticket, other_agent)
    login(client, admin)
    assert client.post(f"/agent/tickets/{ticket.number}/status",
                       data={"status": "on_hold"}).status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == Status.ON_HOLD


# --- take and assign -------------------------------------------------------------------

def test_take_assigns_an_unassigned_ticket_and_starts_it(app, client, agent, ticket):
    login(client, agent)
    html = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    assert re.search(r"<button[^>]*>Take</button>", html)
    assert client.post(f"/agent/tickets/{ticket.number}/take").status_code == 302
    db.session.refresh(ticket)
    assert (ticket.assignee_id, ticket.status) == (agent.id, Status.IN_PROGRESS)
    assert len(events(ticket, "taken")) == 1


def test_taking_an_assigned_ticket_is_refused(app, client, agent, other_agent, ticket):
    assign(ticket, other_agent, Status.OPEN)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/take")
    assert response.status_code == 409
    assert "already taken by Oscar Agent" in html_of(response)
    db.session.refresh(ticket)
    assert (ticket.assignee_id, ticket.status) == (other_agent.id, Status.OPEN)
    assert not events(ticket, "taken")


def test_admins_assign_any_approved_agent_who_is_notified(app, client, admin, agent, ticket):
    login(client, admin)
    assert client.post(f"/agent/tickets/{ticket.number}/assign",
                       data={"assignee": str(agent.id)}).status_code == 302
    db.session.refresh(ticket)
    assert (ticket.assignee_id, ticket.status) == (agent.id, Status.OPEN)
    assert db.session.scalar(select(Notification.kind).where(
        Notification.user_id == agent.id, Notification.kind == "assigned")) == "assigned"


def test_agents_cannot_assign_others_nor_assign_to_pending_agents(
        app, client, agent, other_agent, pending_agent, admin, ticket):
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/assign",
                           data={"assignee": str(other_agent.id)})
    assert response.status_code == 403
    client.post("/auth/logout")
    login(client, admin)
    response = client.post(f"/agent/tickets/{ticket.number}/assign",
                           data={"assignee": str(pending_agent.id)})
    assert response.status_code == 400 and 'id="assignee-error"' in html_of(response)
    assert db.session.get(Ticket, ticket.id).assignee_id is None


# --- escalation ------------------------------------------------------------------------

def test_escalation_needs_a_reason(app, client, agent, ticket):
    assign(ticket, agent)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/escalate", data={"reason": " "})
    assert response.status_code == 400 and 'id="reason-error"' in html_of(response)
    db.session.refresh(ticket)
    assert ticket.priority == Priority.MEDIUM and not events(ticket, "escalated")


def test_escalation_raises_to_critical_records_why_and_notifies(
        app, client, agent, other_agent, admin, ticket):
    assign(ticket, other_agent)
    login(client, agent)  # any agent may escalate
    response = client.post(f"/agent/tickets/{ticket.number}/escalate",
                           data={"reason": "Customer threatens chargeback"})
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.priority == Priority.CRITICAL and ticket.escalated_at is not None
    (event,) = events(ticket, "escalated")
    assert (event.actor_id, event.note) == (agent.id, "Customer threatens chargeback")
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "escalated")))
    assert told == {other_agent.id, admin.id}
    html = html_of(client.get(f"/agent/tickets/{ticket.number}"))
    assert "Critical" in html and "Customer threatens chargeback" in html


# --- notifications to agents -----------------------------------------------------------

def test_the_assignee_hears_of_customer_replies_and_new_files(
        app, agent, other_agent, customer, ticket):
    assign(ticket, agent)
    conversation.post_reply(ticket, customer, "Here is a photo", files=[_file("p.png")])
    conversation.post_reply(ticket, other_agent, "Carrier's report", internal=True,
                       files=[_file("report.png")])
    kinds = list(db.session.scalars(select(Notification.kind).where(
        Notification.user_id == agent.id).order_by(Notification.id)))
    assert kinds == ["customer_replied", "attachment_added"]


def test_opening_the_ticket_marks_its_notifications_read(app, client, agent, customer, ticket):
    assign(ticket, agent)
    conversation.post_reply(ticket, customer, "Any news?")
    login(client, agent)
    client.get(f"/agent/tickets/{ticket.number}")
    assert db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == agent.id, Notification.read_at.is_(None))) == 0
