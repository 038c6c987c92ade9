"""Macros: a canned reply with placeholders (sandboxed) plus actions that go through the
same services and policy as the workspace's buttons; shared ones are the admins', agents
keep their own; applied from the workspace and in bulk."""
import json

import pytest
from conftest import login, make_ticket

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Macro, Message, Status, Team
from helpdesk.services.errors import Forbidden, InvalidInput, NotFound
from helpdesk.services.tickets import macros

HOSTILE = [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ customer.__class__ }}",
    "{{ customer['__class__'] }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "{{ lipsum() }}",
    "{{ config }}",
    "{{ self.__init__ }}",
    "{{ request }}",
    "{% set x = 1 %}",
    "{{ customer.name|attr('__class__') }}",
    "{{ (customer.name * 100000) * 100000 }}",
    "{% include 'base.html' %}",
    "{% macro m() %}{% endmacro %}",
    "{{ customer.name.upper() }}",
    "{{ unclosed",
]


def _shared(title="Thanks", body="Hello {{ customer.first_name }}, about {{ ticket.number }}. "
            "— {{ agent.name }}", **actions):
    macro = Macro(title=title, body=body, owner_id=None, actions=json.dumps(actions))
    db.session.add(macro)
    db.session.commit()
    return macro


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_templates_are_refused_when_saved(app, admin, source):
    with pytest.raises(InvalidInput) as refused:
        macros.save_macro(admin, None, title="Bad", body=source, shared=True, actions={})
    assert refused.value.field == "body"


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_templates_in_the_database_are_inert_when_applied(
        app, client, agent, customer, source):
    ticket = make_ticket(customer)
    ticket.assignee = agent
    db.session.commit()
    macro = _shared(title="Planted", body=source)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/macro", data={"macro": macro.id})
    assert response.status_code == 400
    assert "cannot be filled in" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 0


def test_placeholders_fill_in_from_plain_values(app, agent, customer):
    ticket = make_ticket(customer)
    text = macros.render_body("Hi {{ customer.first_name|upper }} {{ ticket.number }} "
                              "{% if ticket.category %}x{% else %}none{% endif %} "
                              "{{ agent.name }}", ticket, agent)
    assert text == f"Hi CARLA {ticket.number} none Agnes Agent"


def test_applying_posts_the_reply_and_runs_the_actions(app, client, agent, customer):
    ticket = make_ticket(customer)
    ticket.assignee, ticket.status = agent, Status.IN_PROGRESS
    team = Team(name="Macro team")
    db.session.add(team)
    db.session.commit()
    macro = _shared(status="resolved", priority="high", add_tags=["refund"],
                    team_id=team.id)
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/macro", data={"macro": macro.id})
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == Status.RESOLVED and ticket.priority == "high"
    assert ticket.tag_names == ["refund"] and ticket.team_id == team.id
    message = ticket.messages[-1]
    assert message.body == f"Hello Carla, about {ticket.number}. — Agnes Agent"
    actions = set(db.session.scalars(db.select(AuditEvent.action)
                                     .where(AuditEvent.ticket_id == ticket.id)))
    assert {"macro_applied", "status_changed", "priority_changed", "tags_changed"} <= actions


def test_a_macro_cannot_do_what_the_agent_cannot(app, client, agent, other_agent, customer):
    """Someone else's ticket: no public reply, no status change — and nothing is saved."""
    ticket = make_ticket(customer)
    ticket.assignee, ticket.status = other_agent, Status.IN_PROGRESS
    db.session.commit()
    macro = _shared(status="resolved")
    login(client, agent)
    response = client.post(f"/agent/tickets/{ticket.number}/macro", data={"macro": macro.id})
    assert response.status_code == 403
    db.session.refresh(ticket)
    assert ticket.status == Status.IN_PROGRESS and ticket.messages == []


def test_an_agent_macro_cannot_assign_to_others(app, agent, customer, other_agent):
    ticket = make_ticket(customer)
    ticket.assignee = agent
    db.session.commit()
    macro = _shared(body="", assignee=str(other_agent.id))
    with pytest.raises(Forbidden):
        macros.apply_macro(ticket, agent, macro)
    assert ticket.assignee_id == agent.id


def test_a_workflow_refusal_refuses_the_whole_macro(app, agent, customer):
    ticket = make_ticket(customer)
    ticket.assignee, ticket.status = agent, Status.CLOSED
    db.session.commit()
    macro = _shared(body="", status="new", add_tags=["x"])
    with pytest.raises(Exception):  # noqa: B017 — InvalidTransition, or the doomed unit
        macros.apply_macro(ticket, agent, macro)
    db.session.rollback()
    assert ticket.tag_names == []


def test_shared_macros_are_for_admins_and_personal_ones_private(app, agent, other_agent, admin):
    with pytest.raises(Forbidden):
        macros.save_macro(agent, None, title="Team", body="x", shared=True, actions={})
    mine = macros.save_macro(agent, None, title="Mine", body="x", shared=False, actions={})
    shared = macros.save_macro(admin, None, title="All", body="y", shared=True, actions={})
    seen = [m.title for m in macros.macros_for(agent)]
    assert "All" in seen and seen[-1] == "Mine"  # shared first, then their own
    assert "All" in [m.title for m in macros.macros_for(other_agent)]
    assert "Mine" not in [m.title for m in macros.macros_for(other_agent)]
    with pytest.raises(NotFound):
        macros.get_macro(other_agent, mine.id)
    with pytest.raises(Forbidden):
        macros.save_macro(agent, shared, title="All", body="z", shared=False, actions={})
    with pytest.raises(NotFound):
        macros.apply_macro(make_ticket_for(other_agent), other_agent, mine)


def make_ticket_for(agent):
    from conftest import make_user

    from helpdesk.models import Role
    ticket = make_ticket(make_user(Role.CUSTOMER))
    ticket.assignee = agent
    db.session.commit()
    return ticket


def test_macro_pages_save_and_refuse_next_to_the_field(app, client, agent):
    login(client, agent)
    assert client.get("/agent/macros").status_code == 200
    response = client.post("/agent/macros/new", data={
        "title": "Bad", "body": "{{ ''.__class__ }}"})
    assert response.status_code == 400
    assert 'id="body-error"' in response.get_data(as_text=True)
    response = client.post("/agent/macros/new", data={
        "title": "Close it", "body": "Done, {{ customer.name }}.", "status": "resolved",
        "add_tags": "done"})
    assert response.status_code == 302
    macro = db.session.scalar(db.select(Macro).where(Macro.title == "Close it"))
    assert macro.owner_id == agent.id
    assert json.loads(macro.actions) == {"status": "resolved", "add_tags": ["done"]}


def test_bulk_macro_applies_to_each_ticket(app, client, agent, customer):
    tickets = [make_ticket(customer, subject=f"Bulk {i}") for i in range(3)]
    for t in tickets:
        t.assignee, t.status = agent, Status.IN_PROGRESS
    db.session.commit()
    macro = _shared(body="Sorted, {{ customer.first_name }}.", status="resolved")
    login(client, agent)
    response = client.post("/agent/queue/bulk", data={
        "ticket_ids": [str(t.id) for t in tickets], "bulk_action": f"macro:{macro.id}",
        "next": "/agent/queue"})
    assert response.status_code == 302
    for t in tickets:
        db.session.refresh(t)
        assert t.status == Status.RESOLVED and t.messages[-1].body == "Sorted, Carla."


def test_canned_replies_are_shared_macros_and_the_console_page_works(app, client, admin):
    login(client, admin)
    client.post("/admin/canned-replies/new", data={"title": "Hello", "body": "Hi there"})
    macro = db.session.scalar(db.select(Macro).where(Macro.title == "Hello"))
    assert macro.owner_id is None and macros.actions_of(macro) == {}
    assert "Hello" in client.get("/admin/canned-replies").get_data(as_text=True)


def test_the_canned_reply_picker_inserts_the_text_filled_in(app, client, agent, customer):
    """The workspace's "Insert a canned reply" list gives the text as the customer will
    read it, not the placeholders."""
    _shared(body="Hello {{ customer.first_name }}, about {{ ticket.number }}.")
    ticket = make_ticket(customer)
    login(client, agent)
    html = client.get(f"/agent/tickets/{ticket.number}").get_data(as_text=True)
    assert f'data-body="Hello Carla, about {ticket.number}."' in html
    assert "{{ customer.first_name }}" not in html
