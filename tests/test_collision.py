"""Mid-air collisions and presence on the workspace (issue 15).

A form sent from a page that is out of date (someone replied, noted, changed the status
or the assignee since it loaded) is held: 409, the new activity shown, what was typed
kept, and a "Send anyway" / "Apply anyway" button carrying the new version. A fresh
form goes straight through. The presence poll is for staff, one indexed query."""
import re

import pytest
from conftest import login, make_ticket
from sqlalchemy import select
from test_queue_queries import counting

from helpdesk.extensions import db
from helpdesk.models import Message, Status, Ticket
from helpdesk.services.errors import Forbidden, InvalidInput
from helpdesk.services.tickets import assignment, collision, conversation, presence
from helpdesk.services.tickets.status import change_status


def assign(ticket, agent, status=Status.IN_PROGRESS):
    ticket.assignee, ticket.status = agent, status
    db.session.commit()
    return ticket


def version_on_page(html: str, action: str) -> str:
    """The version hidden in the form posting to `action`."""
    form = re.search(r'<form[^>]*action="[^"]*' + re.escape(action) + r'[^"]*"[^>]*>(.*?)</form>',
                     html, re.S)
    assert form, action
    return re.search(r'name="version"[^>]*value="([^"]*)"', form.group(1)).group(1)


def messages_on(ticket) -> list[str]:
    return list(db.session.scalars(select(Message.body).where(Message.ticket_id == ticket.id)
                                   .order_by(Message.id)))


@pytest.fixture
def worked(customer, agent):
    return assign(make_ticket(customer), agent)


def test_every_workspace_form_carries_the_version(app, client, agent, worked):
    login(client, agent)
    html = client.get(f"/agent/tickets/{worked.number}").get_data(as_text=True)
    version = collision.version_of(db.session.get(Ticket, worked.id))
    # the side panel is one form (/update) for status, priority, assignee and details
    for action in ("/reply", "/update", "/escalate", "/merge", "/links"):
        assert version_on_page(html, action) == version, action


def test_a_fresh_reply_goes_straight_through(app, client, agent, worked):
    login(client, agent)
    html = client.get(f"/agent/tickets/{worked.number}").get_data(as_text=True)
    response = client.post(f"/agent/tickets/{worked.number}/reply", data={
        "body": "Fresh reply.", "version": version_on_page(html, "/reply")})
    assert response.status_code == 302
    assert messages_on(worked) == ["Fresh reply."]


def test_a_stale_reply_is_held_and_shown_with_the_new_activity(
        app, client, agent, admin, worked):
    login(client, agent)
    html = client.get(f"/agent/tickets/{worked.number}").get_data(as_text=True)
    loaded = version_on_page(html, "/reply")
    # meanwhile an admin replies and adds a note
    conversation.post_reply(db.session.get(Ticket, worked.id), admin, "Admin got there first.")
    conversation.post_reply(db.session.get(Ticket, worked.id), admin, "Note by the admin.",
                            internal=True)
    response = client.post(f"/agent/tickets/{worked.number}/reply", data={
        "body": "My stale words.", "version": loaded})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "changed since you opened it" in page
    held = page[page.index('id="collision"'):page.index("</section>", page.index(
        'id="collision"'))]
    assert "Admin got there first." in held and "Note by the admin." in held
    assert "Send anyway" in held
    assert "My stale words." in page  # kept: in the reply box and in the confirm form
    assert messages_on(worked) == ["Admin got there first.", "Note by the admin."]
    # the confirm button carries the new version: it goes through
    new_version = version_on_page(held, "/reply")
    assert new_version == collision.version_of(db.session.get(Ticket, worked.id))
    response = client.post(f"/agent/tickets/{worked.number}/reply", data={
        "body": "My stale words.", "version": new_version})
    assert response.status_code == 302
    assert messages_on(worked)[-1] == "My stale words."


@pytest.mark.parametrize("change", ["status", "assignee", "note"])
def test_a_stale_status_change_is_held_after_any_change(
        app, client, agent, admin, other_agent, worked, change):
    login(client, agent)
    html = client.get(f"/agent/tickets/{worked.number}").get_data(as_text=True)
    loaded = version_on_page(html, "/update")
    ticket = db.session.get(Ticket, worked.id)
    if change == "status":
        change_status(ticket, admin, Status.ON_HOLD)
    elif change == "assignee":
        assignment.assign_ticket(ticket, admin, other_agent)
        assignment.assign_ticket(db.session.get(Ticket, worked.id), admin, agent)  # and back
    else:
        conversation.post_reply(ticket, admin, "A note.", internal=True)
    before = db.session.get(Ticket, worked.id).status
    response = client.post(f"/agent/tickets/{worked.number}/update",
                           data={"status": "resolved", "version": loaded})
    assert response.status_code == 409
    assert "Update anyway" in response.get_data(as_text=True)
    assert db.session.get(Ticket, worked.id).status == before


def test_a_customer_looking_at_the_ticket_is_not_a_change(app, client, agent, worked):
    before = collision.version_of(db.session.get(Ticket, worked.id))
    conversation.post_reply(worked, agent, "Answer.")  # so the customer has something new
    after_reply = collision.version_of(db.session.get(Ticket, worked.id))
    assert after_reply != before
    login(client, worked.requester)
    client.get(f"/portal/tickets/{worked.number}")
    assert collision.version_of(db.session.get(Ticket, worked.id)) == after_reply


def test_a_form_without_a_version_is_not_checked(app, client, agent, worked):
    login(client, agent)
    response = client.post(f"/agent/tickets/{worked.number}/reply", data={"body": "No version."})
    assert response.status_code == 302


# --- presence -----------------------------------------------------------------------------

def test_agents_see_each_other_on_a_ticket(app, client, agent, other_agent, worked):
    presence.mark_present(other_agent, worked.number, "replying")
    login(client, agent)
    response = client.get(f"/agent/tickets/{worked.number}/presence")
    assert response.status_code == 200
    assert response.get_json()["text"] == f"{other_agent.name} is replying."
    response = client.post(f"/agent/tickets/{worked.number}/presence",
                           data={"state": "viewing"})
    assert response.status_code == 200
    assert presence.others_on(other_agent, worked.number) == [(agent.name, "viewing")]
    assert presence.others_on(agent, worked.number) == [(other_agent.name, "replying")]


def test_the_presence_poll_refuses_customers(app, client, customer, worked):
    login(client, customer)
    assert client.get(f"/agent/tickets/{worked.number}/presence").status_code == 404
    assert client.post(f"/agent/tickets/{worked.number}/presence",
                       data={"state": "viewing"}).status_code == 404


def test_the_presence_poll_is_one_query(app, client, agent, other_agent, admin, worked):
    login(client, agent)
    client.get(f"/agent/tickets/{worked.number}/presence")  # warm up
    with counting() as few:
        client.get(f"/agent/tickets/{worked.number}/presence")
    for person in (other_agent, admin):
        presence.mark_present(person, worked.number, "viewing")
    client.get(f"/agent/tickets/{worked.number}/presence")  # warm up again (after commits)
    with counting() as many:
        client.get(f"/agent/tickets/{worked.number}/presence")
    assert [s for s in many if "ticket_presence" in s] == many[-1:]
    assert len(many) == len(few) <= 2  # the signed-in user, and the one indexed query


def test_presence_states_are_checked(app, agent, worked):
    with pytest.raises(InvalidInput):
        presence.mark_present(agent, worked.number, "dancing")
    with pytest.raises(Forbidden):
        presence.mark_present(worked.requester, worked.number, "viewing")
