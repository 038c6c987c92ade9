"""Reference data: categories, teams, FAQ, canned replies, SLA targets and settings."""
from datetime import timedelta

import pytest
from conftest import login, make_ticket, make_user

from helpdesk.extensions import db
from helpdesk.models import (
    AuditEvent,
    CannedReply,
    Category,
    FaqEntry,
    Priority,
    Role,
    Setting,
    SlaTarget,
    Team,
    Ticket,
)
from helpdesk.services.errors import InvalidInput


def one(model, **by):
    db.session.expire_all()
    return db.session.scalar(db.select(model).filter_by(**by))


def last_event():
    return db.session.scalar(db.select(AuditEvent).order_by(AuditEvent.id.desc()))


@pytest.fixture
def admin_client(client, admin):
    login(client, admin)
    return client


def assert_form_error(response, message, kept=None):
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'class="field-error"' in html and message in html
    if kept:
        assert kept in html  # what was typed is still there


# --- categories --------------------------------------------------------------------------

def test_admin_creates_a_category_that_routes_to_a_team(admin_client, customer):
    team = one(Team, name="Billing")
    response = admin_client.post("/admin/categories/new", data={
        "name": "Returns", "description": "Sending things back", "default_team_id": team.id,
        "active": "y"})
    assert response.status_code == 302
    category = one(Category, name="Returns")
    last = db.session.scalar(db.select(db.func.max(Category.position)))
    assert (category.default_team_id, category.active, category.position) == (team.id, True, last)
    assert "Returns" in admin_client.get("/admin/categories").get_data(as_text=True)
    assert (last_event().action, last_event().note) == ("category_created", "Returns")
    ticket = make_ticket(customer, category_id=category.id)
    assert ticket.team_id == team.id  # auto-assignment by category


def test_a_deactivated_category_is_no_longer_offered(admin_client, customer):
    category = one(Category, name="Billing")
    response = admin_client.post(f"/admin/categories/{category.id}", data={
        "name": "Billing", "default_team_id": "None", "position": "0"})  # active unticked
    assert response.status_code == 302
    category = one(Category, name="Billing")
    assert category.active is False and category.default_team_id is None
    with pytest.raises(InvalidInput):
        make_ticket(customer, category_id=category.id)


@pytest.mark.parametrize("data, message", [
    ({"name": "billing", "position": "0"}, "already taken"),  # case-insensitive duplicate
    ({"name": "", "position": "0"}, "required"),
    ({"name": "Ok", "position": "0", "default_team_id": "9999"}, "Not a valid choice"),
])
def test_bad_category_input_is_shown_next_to_the_field(admin_client, data, message):
    before = db.session.scalar(db.select(db.func.count(Category.id)))
    response = admin_client.post("/admin/categories/new", data=data)
    assert_form_error(response, message, kept=data["name"] or None)
    assert db.session.scalar(db.select(db.func.count(Category.id))) == before


def test_unknown_rows_are_404(admin_client):
    for url in ("/admin/categories/999", "/admin/teams/999", "/admin/faq/999",
                "/admin/canned-replies/999", "/admin/teams/999/members"):
        assert admin_client.get(url).status_code == 404, url
    assert admin_client.post("/admin/teams/999/delete").status_code == 404


# --- teams -------------------------------------------------------------------------------

def test_teams_are_created_given_members_and_deleted(admin_client, admin, agent,
                                                     pending_agent, customer):
    assert admin_client.post("/admin/teams/new", data={"name": "Night shift"}
                             ).status_code == 302
    team = one(Team, name="Night shift")
    page = admin_client.get(f"/admin/teams/{team.id}/members").get_data(as_text=True)
    assert agent.name in page and pending_agent.name not in page and customer.name not in page

    admin_client.post(f"/admin/teams/{team.id}/members", data={"members": [agent.id, admin.id]})
    assert {u.name for u in one(Team, name="Night shift").members} == {agent.name, admin.name}
    notice = db.session.scalar(db.select(db.func.count()).where(
        db.text("kind = 'teams_changed'")).select_from(db.table("notifications")))
    assert notice == 1  # the agent is told; the admin who did it is not

    refused = admin_client.post(f"/admin/teams/{team.id}/members",
                                data={"members": [pending_agent.id]})
    assert_form_error(refused, "is not a valid choice")

    category = one(Category, name="Billing")
    category.default_team_id = team.id
    db.session.commit()
    assert admin_client.post(f"/admin/teams/{team.id}/delete").status_code == 302
    assert one(Team, name="Night shift") is None
    assert one(Category, name="Billing").default_team_id is None
    assert last_event().action == "team_deleted"


def test_duplicate_team_names_are_refused(admin_client):
    assert_form_error(admin_client.post("/admin/teams/new", data={"name": "LOGISTICS"}),
                      "already taken", kept="LOGISTICS")


# --- FAQ and canned replies --------------------------------------------------------------

def test_faq_entries_are_written_edited_and_deleted(admin_client, client):
    category = one(Category, name="Billing")
    response = admin_client.post("/admin/faq/new", data={
        "question": "Can I pay by invoice?", "answer": "Yes, for business customers.",
        "category_id": category.id, "position": "1", "published": "y"})
    assert response.status_code == 302
    entry = one(FaqEntry, question="Can I pay by invoice?")
    assert (entry.category_id, entry.published) == (category.id, True)

    admin_client.post(f"/admin/faq/{entry.id}", data={
        "question": "Can I pay by invoice?", "answer": "No longer.", "category_id": "None",
        "position": "1"})
    entry = one(FaqEntry, id=entry.id)
    assert (entry.answer, entry.published, entry.category_id) == ("No longer.", False, None)

    assert_form_error(admin_client.post("/admin/faq/new", data={
        "question": "Half written", "answer": "", "position": "0"}), "required",
        kept="Half written")

    admin_client.post(f"/admin/faq/{entry.id}/delete")
    assert one(FaqEntry, id=entry.id) is None


def test_canned_replies_are_managed(admin_client):
    response = admin_client.post("/admin/canned-replies/new", data={
        "title": "Out of stock", "body": "Sorry, that item is out of stock."})
    assert response.status_code == 302
    reply = one(CannedReply, title="Out of stock")
    assert reply.body == "Sorry, that item is out of stock."
    assert_form_error(admin_client.post("/admin/canned-replies/new", data={
        "title": "greeting", "body": "Hi"}), "already taken")
    admin_client.post(f"/admin/canned-replies/{reply.id}", data={
        "title": "Out of stock", "body": "Back next week."})
    assert one(CannedReply, id=reply.id).body == "Back next week."
    admin_client.post(f"/admin/canned-replies/{reply.id}/delete")
    assert one(CannedReply, title="Out of stock") is None


# --- SLA and settings --------------------------------------------------------------------

def sla_data(**changes):
    data = {}
    for p in Priority:
        target = db.session.get(SlaTarget, p.value)  # stored in minutes, entered as h + min
        for kind, minutes in (("first_response", target.first_response_minutes),
                              ("resolution", target.resolution_minutes)):
            data[f"{p.value}_{kind}"], data[f"{p.value}_{kind}_minutes"] = divmod(minutes, 60)
    data.update(changes)
    return data


def test_new_sla_targets_apply_to_new_tickets(admin_client, customer):
    response = admin_client.post("/admin/sla", data=sla_data(high_first_response=2,
                                                             high_resolution=10))
    assert response.status_code == 302
    target = one(SlaTarget, priority="high")
    assert (target.first_response_minutes, target.resolution_minutes) == (120, 600)
    ticket = make_ticket(customer, priority=Priority.HIGH)
    assert ticket.due_at - ticket.created_at == timedelta(hours=10)
    assert ticket.first_response_due_at - ticket.created_at == timedelta(hours=2)
    [event] = db.session.scalars(db.select(AuditEvent).filter_by(action="sla_updated"))
    assert (event.field, event.old_value, event.new_value) == ("high", "8 h / 48 h", "2 h / 10 h")


@pytest.mark.parametrize("changes, message", [
    ({"low_first_response": 300, "low_resolution": 200}, "cannot be due after"),
    ({"urgent_resolution": 0}, "Use 1 minute to"),
    ({"medium_first_response": "soon"}, "Not a valid integer"),
])
def test_bad_sla_targets_are_refused(admin_client, changes, message):
    before = sla_data()
    assert_form_error(admin_client.post("/admin/sla", data=sla_data(**changes)), message)
    db.session.expire_all()
    assert sla_data() == before


def test_the_ticket_prefix_setting_numbers_new_tickets(admin_client, customer):
    first = make_ticket(customer)
    response = admin_client.post("/admin/settings", data={"ticket_prefix": "HELP-",
                                                          "autoclose_days": "3"})
    assert response.status_code == 302
    second = make_ticket(customer)
    assert first.number.startswith("TKT-") and second.number.startswith("HELP-")
    assert one(Ticket, id=first.id).number == first.number  # old numbers never change
    assert one(Setting, key="autoclose_days").value == "3"
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert 'value="HELP-"' in page and 'value="3"' in page


@pytest.mark.parametrize("data, message", [
    ({"ticket_prefix": "a b", "autoclose_days": "7"}, "Use 1 to 12"),
    ({"ticket_prefix": "TKT-", "autoclose_days": "-1"}, "Use 0 (off)"),
    ({"ticket_prefix": "TKT-", "autoclose_days": ""}, "Enter a number of days"),
])
def test_bad_settings_are_refused(admin_client, data, message):
    assert_form_error(admin_client.post("/admin/settings", data=data), message)
    assert db.session.scalar(db.select(db.func.count(Setting.key))) == 0  # nothing saved


# --- audit log ---------------------------------------------------------------------------

def test_the_audit_log_filters_by_actor_action_ticket_and_date(admin_client, admin, customer,
                                                               pending_agent):
    carol = make_user(Role.CUSTOMER, name="Carol Filter", email="carol@filter.example")
    mine, theirs = make_ticket(customer), make_ticket(carol, subject="Carol's ticket")
    admin_client.post(f"/admin/agents/{pending_agent.id}/approve")
    old = db.session.scalar(db.select(AuditEvent).filter_by(ticket_id=theirs.id))
    old.created_at -= timedelta(days=40)
    db.session.commit()

    def rows(query):
        html = admin_client.get(f"/admin/audit?{query}").get_data(as_text=True)
        return html.count('<td data-label="When"')

    assert rows("") == 3
    assert rows("actor=carol@filter") == 1
    assert rows("actor=system") == 0
    assert rows("action=agent_approved") == 1
    assert rows(f"ticket={mine.number.lower()}") == 1
    day = (old.created_at + timedelta(days=1)).date().isoformat()
    assert rows(f"date_to={day}") == 1 and rows(f"date_from={day}") == 2

    bad = admin_client.get("/admin/audit?date_from=2030-01-02&date_to=2030-01-01")
    assert bad.status_code == 400 and "before the start" in bad.get_data(as_text=True)


def test_the_audit_log_is_paginated(admin_client, customer):
    for _ in range(55):
        make_ticket(customer)
    first = admin_client.get("/admin/audit").get_data(as_text=True)
    second = admin_client.get("/admin/audit?page=2").get_data(as_text=True)
    assert first.count('<td data-label="When"') == 50
    assert second.count('<td data-label="When"') == 5
    assert "Page 1 of 2" in first
