"""The customer portal: my tickets, opening a ticket, follow-ups, the ticket page."""
import re
from datetime import timedelta

import pytest
from conftest import login, make_ticket, make_user
from sqlalchemy import event, func, select

from helpdesk.extensions import db
from helpdesk.models import (
    AuditEvent,
    Category,
    Notification,
    Role,
    Status,
    Ticket,
    utcnow,
)
from helpdesk.services.tickets import assignment, conversation
from helpdesk.services.tickets import status as ticket_status


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def category(name: str) -> Category:
    return db.session.scalar(select(Category).filter_by(name=name))


def set_status(ticket, admin, *statuses):
    for status in statuses:
        ticket_status.change_status(ticket, admin, status)


def numbers_on(html: str) -> list[str]:
    """Ticket numbers in the order the list shows them (each row links it twice)."""
    seen = []
    for number in re.findall(r"/portal/tickets/(TKT-\d+)", html):
        if number not in seen:
            seen.append(number)
    return seen


def label_for(html: str, text: str) -> str:
    """The id of the field that a <label> with this text is bound to."""
    match = re.search(r'<label for="([^"]+)">\s*' + re.escape(text) + r"\s*</label>", html)
    assert match, f"no <label for> with text {text!r}"
    return match.group(1)


# --- who may come in ---------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/portal/tickets", "/portal/tickets/new",
                                  "/portal/tickets/TKT-000001"])
def test_portal_sends_anonymous_people_to_sign_in_and_refuses_staff(client, app, agent,
                                                                    path):
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login(client, agent)
    assert client.get(path).status_code == 403


# --- my tickets ----------------------------------------------------------------------------

def test_my_tickets_lists_only_my_own_tickets_newest_activity_first(
        client, customer, other_customer):
    old = make_ticket(customer, subject="Old question")
    recent = make_ticket(customer, subject="Recent question")
    theirs = make_ticket(other_customer, subject="Somebody else's parcel")
    old.last_activity_at = utcnow() - timedelta(days=3)
    recent.last_activity_at = utcnow() - timedelta(days=1)
    db.session.commit()
    conversation.post_reply(old, customer, "Any news?")  # activity moves the old one up

    login(client, customer)
    html = client.get("/portal/tickets").get_data(as_text=True)
    assert numbers_on(html) == [old.number, recent.number]
    assert theirs.number not in html and "Somebody else" not in html


def test_my_tickets_shows_number_subject_status_priority_category_and_last_update(
        client, customer, admin):
    ticket = make_ticket(customer, subject="Invoice is wrong",
                         category_id=category("Billing").id)
    set_status(ticket, admin, "in_progress")
    login(client, customer)
    html = client.get("/portal/tickets").get_data(as_text=True)
    row = html[html.index(ticket.number):]
    row = row[:row.index("</tr>")]
    for text in ("Invoice is wrong", "In progress", "Medium", "Billing",
                 ticket.last_activity_at.strftime("%Y-%m-%d %H:%M")):
        assert text in row


@pytest.mark.parametrize("status_filter, expected", [
    ("open", {"new", "on_hold"}),
    ("resolved", {"resolved"}),
    ("closed", {"closed"}),
    ("all", {"new", "on_hold", "resolved", "closed"}),
    ("nonsense", {"new", "on_hold", "resolved", "closed"}),
])
def test_my_tickets_filter_by_status(client, customer, admin, status_filter, expected):
    by_status = {"new": make_ticket(customer, subject="Still new")}
    by_status["on_hold"] = make_ticket(customer, subject="Waiting on me")
    set_status(by_status["on_hold"], admin, "in_progress", "on_hold")
    by_status["resolved"] = make_ticket(customer, subject="Sorted out")
    set_status(by_status["resolved"], admin, "resolved")
    by_status["closed"] = make_ticket(customer, subject="Long done")
    set_status(by_status["closed"], admin, "closed")

    login(client, customer)
    html = client.get(f"/portal/tickets?status={status_filter}").get_data(as_text=True)
    shown = {status for status, t in by_status.items() if t.number in html}
    assert shown == expected


def test_search_finds_my_tickets_by_number_subject_description_and_public_replies(
        client, customer, other_customer, admin):
    by_subject = make_ticket(customer, subject="Blender arrived cracked")
    by_reply = make_ticket(customer, subject="Question about delivery")
    conversation.post_reply(by_reply, admin, "Your courier is Zephyrlogistics.")
    by_note = make_ticket(customer, subject="Something else")
    conversation.post_reply(by_note, admin, "Internal: Zephyrlogistics lost it", internal=True)
    make_ticket(other_customer, subject="Blender arrived cracked too")
    login(client, customer)

    def found(q):
        return numbers_on(client.get("/portal/tickets", query_string={"q": q})
                          .get_data(as_text=True))

    assert found("blender") == [by_subject.number]
    assert found("zephyrlogistics") == [by_reply.number]  # the internal note is not searched
    assert found(by_reply.number) == [by_reply.number]
    assert found("crushed") == sorted([by_subject.number, by_reply.number, by_note.number],
                                      reverse=True)  # the description
    assert found("blender delivery") == []  # every word must match
    assert "No tickets match" in client.get("/portal/tickets?q=nothing-like-this").get_data(
        as_text=True)


def test_search_takes_percent_and_underscore_literally(client, customer):
    make_ticket(customer, subject="Refund of 50 percent")
    literal = make_ticket(customer, subject="Discount code SAVE_50% did not work")
    login(client, customer)
    html = client.get("/portal/tickets", query_string={"q": "_50%"}).get_data(as_text=True)
    assert numbers_on(html) == [literal.number]
    html = client.get("/portal/tickets", query_string={"q": "%"}).get_data(as_text=True)
    assert numbers_on(html) == [literal.number]


def test_my_tickets_are_paginated(client, customer):
    made = [make_ticket(customer, subject=f"Ticket {n}") for n in range(23)]
    login(client, customer)
    first = numbers_on(client.get("/portal/tickets").get_data(as_text=True))
    second = numbers_on(client.get("/portal/tickets?page=2").get_data(as_text=True))
    assert len(first) == 20 and len(second) == 3
    assert set(first) | set(second) == {t.number for t in made}
    assert client.get("/portal/tickets?page=99").status_code == 200
    assert client.get("/portal/tickets?page=abc").status_code == 200


def test_my_tickets_page_runs_the_same_number_of_queries_for_3_or_15_tickets(
        app, client, customer):
    statements = []

    def counter(_conn, _cursor, statement, *_args):
        statements.append(statement)

    def queries_for_list():
        db.session.expire_all()  # as in a fresh request: nothing cached
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            assert client.get("/portal/tickets").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
        return len(statements)

    names = ["Order", "Billing", "Technical"]
    for n in range(3):
        make_ticket(customer, subject=f"A {n}", category_id=category(names[n % 3]).id)
    login(client, customer)
    few = queries_for_list()
    for n in range(12):
        make_ticket(customer, subject=f"B {n}", category_id=category(names[n % 3]).id)
    assert queries_for_list() == few <= 6


def test_unseen_reply_marker_shows_after_an_agent_reply_until_the_ticket_is_opened(
        client, customer, admin):
    ticket = make_ticket(customer)
    login(client, customer)
    assert "unseen-dot" not in client.get("/portal/tickets").get_data(as_text=True)

    conversation.post_reply(ticket, admin, "We are on it.")
    assert "unseen-dot" in client.get("/portal/tickets").get_data(as_text=True)
    conversation.post_reply(ticket, admin, "A colleague's note.", internal=True)

    client.get(f"/portal/tickets/{ticket.number}")
    assert "unseen-dot" not in client.get("/portal/tickets").get_data(as_text=True)
    db.session.refresh(ticket)
    assert ticket.requester_seen_at >= ticket.last_agent_reply_at


# --- a new ticket ------------------------------------------------------------------------

def test_new_ticket_form_has_the_contract_labels_and_active_categories_only(client, customer):
    category("Quality").active = False
    db.session.commit()
    login(client, customer)
    html = client.get("/portal/tickets/new").get_data(as_text=True)
    ids = {text: label_for(html, text)
           for text in ("Subject", "Description", "Category", "Order reference",
                        "Attachments")}
    file_input = re.search(rf'<input[^>]*id="{ids["Attachments"]}"[^>]*>', html).group(0)
    assert " multiple" in file_input and 'type="file"' in file_input
    assert 'enctype="multipart/form-data"' in html
    assert re.search(r'data-suggest-url="/faq/suggest"[^>]*data-suggest-target="faq-suggestions"'
                     r'|data-suggest-target="faq-suggestions"[^>]*data-suggest-url="/faq/suggest"',
                     html)
    assert 'id="faq-suggestions"' in html
    assert ">Billing</option>" in html and ">Quality</option>" not in html
    assert re.search(r"<button[^>]*>Submit</button>", html)


def test_opening_a_ticket_routes_it_writes_audit_and_notifies_the_team(
        client, customer, admin):
    billing = category("Billing")
    clerk = make_user(Role.AGENT, name="Bill Clerk")
    billing.default_team.members.append(clerk)
    db.session.commit()
    login(client, customer)
    response = client.post("/portal/tickets/new", data={
        "subject": "Charged twice", "description": "Two payments for one order.",
        "category": str(billing.id), "order_reference": "ORD-991"})
    ticket = db.session.scalar(select(Ticket).filter_by(subject="Charged twice"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/portal/tickets/{ticket.number}")
    assert (ticket.requester_id, ticket.created_by_id) == (customer.id, customer.id)
    assert ticket.status == Status.NEW and ticket.team_id == billing.default_team_id
    assert ticket.order_reference == "ORD-991" and ticket.due_at is not None
    assert db.session.scalar(select(AuditEvent.action).filter_by(ticket_id=ticket.id)) \
        == "created"
    assert db.session.scalar(select(Notification.user_id).filter_by(ticket_id=ticket.id)) \
        == clerk.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Ticket {ticket.number} is open" in page  # the flash names the number


@pytest.mark.parametrize("data, message", [
    ({"subject": "", "description": "Typed text stays"}, "Give your ticket a subject."),
    ({"subject": "Typed text stays", "description": "  "}, "Tell us what happened."),
    ({"subject": "Typed text stays", "description": "x", "category": "99999"},
     "Choose one of the listed categories."),
    ({"subject": "Typed text stays", "description": "x", "category": "Billing"},
     "could not coerce"),
    ({"subject": "x" * 201, "description": "Typed text stays"}, "200 characters"),
])
def test_a_bad_new_ticket_is_shown_again_with_the_message_and_nothing_saved(
        client, customer, data, message):
    login(client, customer)
    response = client.post("/portal/tickets/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html and 'class="field-error"' in html
    assert "Typed text stays" in html or "x" * 201 in html
    assert count(Ticket) == 0


def test_an_inactive_category_is_refused_by_the_service(client, customer):
    quality = category("Quality")
    quality.active = False
    db.session.commit()
    login(client, customer)
    response = client.post("/portal/tickets/new", data={
        "subject": "Broken kettle", "description": "It leaks.", "category": str(quality.id)})
    assert response.status_code == 400
    assert "Choose one of the listed categories." in response.get_data(as_text=True)
    assert count(Ticket) == 0


# --- follow-ups --------------------------------------------------------------------------

def test_a_follow_up_form_is_prefilled_and_the_new_ticket_points_at_the_old_one(
        client, customer, admin):
    old = make_ticket(customer, subject="Late parcel", order_reference="ORD-7",
                      category_id=category("Delivery — late").id)
    set_status(old, admin, "closed")
    login(client, customer)
    html = client.get(f"/portal/tickets/new?follow_up={old.number}").get_data(as_text=True)
    assert f"Follow-up to {old.number}: Late parcel" in html
    assert 'value="ORD-7"' in html
    assert f'name="follow_up" type="hidden" value="{old.number}"' in html

    response = client.post("/portal/tickets/new", data={
        "subject": f"Follow-up to {old.number}", "description": "Still not here.",
        "follow_up": old.number})
    new = db.session.scalar(select(Ticket).where(Ticket.id != old.id))
    assert response.status_code == 302 and new.parent_id == old.id
    page = client.get(f"/portal/tickets/{new.number}").get_data(as_text=True)
    assert "Follows up on" in page and f"/portal/tickets/{old.number}" in page


def test_a_follow_up_to_someone_elses_ticket_is_not_found(client, customer, other_customer,
                                                         admin):
    theirs = make_ticket(other_customer)
    set_status(theirs, admin, "closed")
    login(client, customer)
    assert client.get(f"/portal/tickets/new?follow_up={theirs.number}").status_code == 404
    response = client.post("/portal/tickets/new", data={
        "subject": "Sneaky", "description": "x", "follow_up": theirs.number})
    assert response.status_code == 404
    assert count(Ticket) == 1


def test_a_follow_up_to_a_ticket_that_is_not_closed_sends_the_customer_to_reply(
        client, customer):
    still_open = make_ticket(customer)
    login(client, customer)
    response = client.get(f"/portal/tickets/new?follow_up={still_open.number}")
    assert response.headers["Location"].endswith(f"/portal/tickets/{still_open.number}")
    response = client.post("/portal/tickets/new", data={
        "subject": "Again", "description": "x", "follow_up": still_open.number})
    assert response.status_code == 400 and "reply on it instead" in response.get_data(
        as_text=True)
    assert count(Ticket) == 1


# --- the ticket page ---------------------------------------------------------------------

def test_ticket_page_shows_number_subject_status_priority_category_dates_and_assignee(
        client, customer, admin, agent):
    ticket = make_ticket(customer, subject="Missing screws",
                         category_id=category("Quality").id)
    assignment.assign_ticket(ticket, admin, agent)
    login(client, customer)
    html = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    for text in (ticket.number, "Missing screws", "Open", "Medium", "Quality", "Agnes Agent",
                 "The box was crushed.", ticket.created_at.strftime("%Y-%m-%d")):
        assert text in html
    assert "Not assigned yet" not in html


@pytest.mark.parametrize("method, path", [
    ("get", "/portal/tickets/{n}"),
    ("post", "/portal/tickets/{n}/reply"),
    ("post", "/portal/tickets/{n}/feedback"),
    ("post", "/portal/tickets/{n}/solved"),
    ("post", "/portal/tickets/{n}/withdraw"),
    ("get", "/portal/tickets/new?follow_up={n}"),
])
def test_another_customers_ticket_is_not_found_and_nothing_is_written(
        client, customer, other_customer, admin, method, path):
    theirs = make_ticket(other_customer)
    set_status(theirs, admin, "resolved")
    events = count(AuditEvent)
    login(client, customer)
    response = getattr(client, method)(path.format(n=theirs.number),
                                       data={"body": "Mine now", "rating": "1"})
    assert response.status_code == 404
    assert count(AuditEvent) == events
    db.session.refresh(theirs)
    assert theirs.status == Status.RESOLVED and theirs.feedback is None
    assert theirs.requester_seen_at is None


def test_an_unknown_number_is_not_found(client, customer):
    login(client, customer)
    assert client.get("/portal/tickets/TKT-999999").status_code == 404


def test_opening_a_ticket_marks_its_notifications_read_and_no_others(client, customer,
                                                                     admin):
    ticket = make_ticket(customer)
    other = make_ticket(customer, subject="Another one")
    conversation.post_reply(ticket, admin, "First answer")
    conversation.post_reply(other, admin, "Second answer")
    updated_at = db.session.get(Ticket, ticket.id).updated_at
    login(client, customer)
    assert "(2 unread)" in client.get("/portal/tickets").get_data(as_text=True)

    html = client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)
    assert "(1 unread)" in html
    unread = db.session.scalars(select(Notification.ticket_id).where(
        Notification.user_id == customer.id, Notification.read_at.is_(None))).all()
    assert unread == [other.id]
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).updated_at == updated_at  # looking is no change
