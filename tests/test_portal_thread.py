"""The customer's ticket page: the public thread, replying, closing, withdrawing, rating."""
import io
import re
from datetime import timedelta

import pytest
from conftest import PNG_BYTES, login, make_ticket, upload
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Feedback, Message, Notification, Status, Ticket
from helpdesk.services.errors import Conflict, InvalidInput, InvalidTransition
from helpdesk.services.tickets import conversation, feedback
from helpdesk.services.tickets import status as ticket_status


def a_file(name: str, content: bytes) -> FileStorage:
    """A file as a view hands it to a service."""
    return FileStorage(io.BytesIO(content), filename=name)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def set_status(ticket, admin, *statuses):
    for status in statuses:
        ticket_status.change_status(ticket, admin, status)


def page_of(client, ticket) -> str:
    return client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)


def status_of(ticket) -> str:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id).status


# --- the thread ------------------------------------------------------------------------

def test_the_customer_sees_public_replies_but_never_internal_notes(client, customer, admin):
    ticket = make_ticket(customer)
    conversation.post_reply(ticket, admin, "Public: a new one is on its way.")
    conversation.post_reply(ticket, admin, "Secret: the courier was careless again.",
                       internal=True, files=[a_file("courier-report.png", PNG_BYTES)])
    login(client, customer)
    html = page_of(client, ticket)
    assert "Public: a new one is on its way." in html
    assert "Secret" not in html and "courier was careless" not in html
    assert "courier-report.png" not in html and "message-internal" not in html

    notes = client.get("/notifications").get_data(as_text=True)
    assert "New reply on" in notes
    texts = db.session.scalars(select(Notification.text).filter_by(user_id=customer.id))
    assert all("Secret" not in text and "careless" not in text for text in texts)


def test_the_thread_lists_messages_oldest_first_with_authors(client, customer, admin):
    ticket = make_ticket(customer)
    conversation.post_reply(ticket, admin, "First: hello from support")
    conversation.post_reply(ticket, customer, "Second: thanks!")
    login(client, customer)
    html = page_of(client, ticket)
    assert html.index("The box was crushed.") < html.index("First: hello") \
        < html.index("Second: thanks!")
    assert "Ada Admin" in html and "Support" in html


def test_message_text_is_escaped(client, customer):
    ticket = make_ticket(customer, subject="<script>alert(1)</script>",
                         description="<img src=x onerror=alert(2)>")
    login(client, customer)
    html = page_of(client, ticket)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- replying ----------------------------------------------------------------------------

def test_reply_form_has_message_and_attachments_labels_and_a_send_button(client, customer):
    ticket = make_ticket(customer)
    login(client, customer)
    html = page_of(client, ticket)
    assert '<label for="body">Message</label>' in html
    assert '<label for="attachments">Attachments</label>' in html
    assert re.search(r'<input[^>]*id="attachments"[^>]*multiple', html)
    assert re.search(r"<button[^>]*>Send</button>", html)


def test_a_reply_is_added_to_the_thread_and_tells_the_assignee(client, customer, admin):
    ticket = make_ticket(customer)
    login(client, customer)
    response = client.post(f"/portal/tickets/{ticket.number}/reply",
                           data={"body": "Here is my order number: 12345"})
    assert response.status_code == 302
    assert "Here is my order number: 12345" in page_of(client, ticket)
    message = db.session.scalar(select(Message))
    assert (message.author_id, message.is_internal) == (customer.id, False)
    assert db.session.scalar(select(Notification).filter_by(
        user_id=admin.id, kind="customer_replied")) is not None


def test_an_empty_reply_is_refused_next_to_the_message_field(client, customer):
    ticket = make_ticket(customer)
    login(client, customer)
    response = client.post(f"/portal/tickets/{ticket.number}/reply", data={"body": "   "})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="body-error">.*Write a message\.', html)
    assert count(Message) == 0


def test_a_reply_on_a_resolved_ticket_reopens_it(client, customer, admin):
    ticket = make_ticket(customer)
    set_status(ticket, admin, "resolved")
    login(client, customer)
    assert "Replying opens the ticket again." in page_of(client, ticket)
    client.post(f"/portal/tickets/{ticket.number}/reply", data={"body": "Not fixed, sorry."})
    assert status_of(ticket) == Status.OPEN
    event = db.session.scalar(select(AuditEvent).filter_by(ticket_id=ticket.id,
                                                           action="reopened"))
    assert (event.actor_id, event.old_value, event.new_value) == (
        customer.id, "resolved", "open")
    assert db.session.get(Ticket, ticket.id).resolved_at is None


def test_a_reply_on_a_ticket_on_hold_moves_it_back_to_open(client, customer, admin):
    ticket = make_ticket(customer)
    set_status(ticket, admin, "in_progress", "on_hold")
    login(client, customer)
    client.post(f"/portal/tickets/{ticket.number}/reply", data={"body": "Here are the photos"})
    assert status_of(ticket) == Status.OPEN


def test_a_reply_on_a_closed_ticket_is_refused_with_a_follow_up_link(client, customer, admin):
    ticket = make_ticket(customer)
    set_status(ticket, admin, "closed")
    events, notes = count(AuditEvent), count(Notification)
    login(client, customer)
    html = page_of(client, ticket)
    assert 'id="body"' not in html  # no reply form on a closed ticket
    follow_up = f'href="/portal/tickets/new?follow_up={ticket.number}"'
    assert follow_up in html

    response = client.post(f"/portal/tickets/{ticket.number}/reply",
                           data={"body": "One more thing", "attachments": [
                               upload("photo.png", PNG_BYTES)]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This ticket is closed, so it cannot take new replies." in html
    assert follow_up in html
    assert (count(Message), count(AuditEvent), count(Notification)) == (0, events, notes)
    assert status_of(ticket) == Status.CLOSED


# --- closing and withdrawing ---------------------------------------------------------------

def test_this_is_solved_closes_a_resolved_ticket(client, customer, admin):
    ticket = make_ticket(customer)
    set_status(ticket, admin, "resolved")
    login(client, customer)
    assert re.search(r"<button[^>]*>This is solved</button>", page_of(client, ticket))
    # it asks first: the button leads to a question (a dialog with JavaScript)
    assert "Yes, close it" in client.get(f"/portal/tickets/{ticket.number}/solved").get_data(
        as_text=True)
    assert status_of(ticket) == Status.RESOLVED
    response = client.post(f"/portal/tickets/{ticket.number}/solved")
    assert response.status_code == 302
    assert status_of(ticket) == Status.CLOSED
    assert db.session.scalar(select(AuditEvent.actor_id).filter_by(
        ticket_id=ticket.id, action="confirm")) == customer.id


def test_this_is_solved_is_not_offered_and_refused_before_resolution(client, customer):
    ticket = make_ticket(customer)
    login(client, customer)
    assert "This is solved" not in page_of(client, ticket)
    response = client.post(f"/portal/tickets/{ticket.number}/solved")
    assert response.status_code == 400
    assert "Only a resolved ticket can be closed here." in response.get_data(as_text=True)
    assert status_of(ticket) == Status.NEW


def test_the_customer_can_withdraw_an_unresolved_ticket(client, customer):
    ticket = make_ticket(customer)
    login(client, customer)
    assert "Withdraw ticket" in page_of(client, ticket)
    assert client.post(f"/portal/tickets/{ticket.number}/withdraw").status_code == 302
    assert status_of(ticket) == Status.CLOSED


def test_a_resolved_ticket_cannot_be_withdrawn(client, customer, admin):
    ticket = make_ticket(customer)
    set_status(ticket, admin, "resolved")
    login(client, customer)
    assert "Withdraw ticket" not in page_of(client, ticket)
    response = client.post(f"/portal/tickets/{ticket.number}/withdraw")
    assert response.status_code == 400
    assert "Only an unresolved ticket can be withdrawn." in response.get_data(as_text=True)
    assert status_of(ticket) == Status.RESOLVED


# --- feedback ------------------------------------------------------------------------------

def test_no_rating_form_before_resolution_and_a_forced_rating_is_refused(client, customer):
    ticket = make_ticket(customer)
    login(client, customer)
    html = page_of(client, ticket)
    assert 'id="rating"' not in html and "once this ticket is resolved" in html
    response = client.post(f"/portal/tickets/{ticket.number}/feedback",
                           data={"rating": "5", "comment": "Great"})
    assert response.status_code == 400
    assert "You can rate a ticket once it is resolved." in response.get_data(as_text=True)
    assert count(Feedback) == 0


@pytest.mark.parametrize("status_path", [("resolved",), ("resolved", "closed")])
def test_a_resolved_or_closed_ticket_can_be_rated_once(client, customer, admin, status_path):
    ticket = make_ticket(customer)
    set_status(ticket, admin, *status_path)
    login(client, customer)
    html = page_of(client, ticket)
    assert '<legend id="rating-legend">Rating</legend>' in html  # a radio group, 1 to 5
    assert '<label for="comment">Comment</label>' in html
    assert all(re.search(rf'<input[^>]*type="radio"[^>]*value="{n}"', html)
               for n in range(1, 6))

    response = client.post(f"/portal/tickets/{ticket.number}/feedback",
                           data={"rating": "4", "comment": "Quick and friendly"})
    assert response.status_code == 302
    feedback = db.session.scalar(select(Feedback))
    assert (feedback.rating, feedback.comment, feedback.author_id) == (
        4, "Quick and friendly", customer.id)
    html = page_of(client, ticket)
    assert "4 out of 5" in html and "Quick and friendly" in html
    assert "You can change it for 7 days" in html  # issue 17: changeable for a while

    feedback_row = db.session.scalar(select(Feedback))
    feedback_row.created_at -= timedelta(days=8)
    db.session.commit()
    again = client.post(f"/portal/tickets/{ticket.number}/feedback", data={"rating": "1"})
    assert again.status_code == 409  # a Conflict, as on every page (helpdesk.web)
    assert "this one is final now" in again.get_data(as_text=True)
    assert count(Feedback) == 1 and db.session.scalar(select(Feedback.rating)) == 4


@pytest.mark.parametrize("rating", ["0", "6", "", "five", "-1"])
def test_a_rating_outside_1_to_5_is_refused_next_to_the_field(client, customer, admin,
                                                              rating):
    ticket = make_ticket(customer)
    set_status(ticket, admin, "resolved")
    login(client, customer)
    response = client.post(f"/portal/tickets/{ticket.number}/feedback",
                           data={"rating": rating, "comment": "Typed comment stays"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="rating-error">.*(Choose a rating from 1 to 5|Invalid Choice)',
                     html)
    assert "Typed comment stays" in html
    assert count(Feedback) == 0


@pytest.mark.parametrize("rating", [0, 6])
def test_the_feedback_service_refuses_ratings_outside_1_to_5(app, customer, admin, rating):
    ticket = make_ticket(customer)
    set_status(ticket, admin, "resolved")
    with pytest.raises(InvalidInput, match="1 to 5"):
        feedback.submit_feedback(ticket, customer, rating)
    assert count(Feedback) == 0


def test_the_feedback_service_refuses_early_and_second_ratings(app, customer, admin):
    ticket = make_ticket(customer)
    with pytest.raises(InvalidTransition):
        feedback.submit_feedback(ticket, customer, 5)
    set_status(ticket, admin, "resolved")
    first = feedback.submit_feedback(ticket, customer, 5)
    feedback.submit_feedback(ticket, customer, 3)  # changed within 7 days
    first.created_at -= timedelta(days=8)
    db.session.commit()
    with pytest.raises(Conflict):
        feedback.submit_feedback(ticket, customer, 1)
    assert count(Feedback) == 1 and db.session.scalar(select(Feedback.rating)) == 3
