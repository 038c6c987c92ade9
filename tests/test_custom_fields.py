"""Custom fields: admins define them (kind, required, categories, who sees them); they
appear in the new-ticket forms under their own labels (customers only theirs), in the
workspace, the queue filters (cf_KEY=value), the CSV export and the API; values are
checked per kind; customer-hidden fields never reach a customer's page, mail or API."""
import email
import email.policy

import pytest
from conftest import login, make_ticket, make_user

from helpdesk.extensions import db
from helpdesk.models import Category, OutboxMail, Role, Status, TicketFieldValue
from helpdesk.services.errors import Forbidden, InvalidInput
from helpdesk.services.fields import definitions, values
from helpdesk.services.tickets import conversation, opening


@pytest.fixture
def fields(app, admin):
    def define(key, label, kind, **extra):
        return definitions.save_field(admin, None, key=key, label=label, kind=kind,
                                      required=extra.pop("required", False),
                                      customer_visible=extra.pop("customer_visible", True),
                                      **extra)
    return {
        "plan": define("plan", "Plan", "choice", options="gold\nsilver"),
        "seats": define("seats", "Seats", "number"),
        "renewal": define("renewal", "Renewal date", "date"),
        "vip": define("vip", "VIP", "yesno"),
        "areas": define("areas", "Areas", "multi", options="billing\nshipping\nreturns"),
        "secret": define("risk_note", "Risk note", "text", customer_visible=False),
    }


@pytest.mark.parametrize("key, raw, expected", [
    ("plan", "gold", [("gold", None, None)]),
    ("seats", "12.5", [(None, 12.5, None)]),
    ("vip", "yes", [("yes", None, None)]),
    ("areas", ["billing", "returns"], [("billing", None, None), ("returns", None, None)]),
    ("plan", "", []),
])
def test_values_are_checked_per_kind(app, fields, key, raw, expected):
    assert values.parse_one(fields[key], raw) == expected


@pytest.mark.parametrize("key, raw", [
    ("plan", "platinum"), ("seats", "many"), ("seats", "nan"), ("seats", "1e99"),
    ("renewal", "31/12/2026"), ("vip", "perhaps"), ("areas", ["billing", "moon"]),
    ("secret", "x" * 501),
])
def test_bad_values_are_refused_next_to_the_field(app, fields, key, raw):
    with pytest.raises(InvalidInput) as refused:
        values.parse_one(fields[key], raw)
    assert refused.value.field == f"cf_{fields[key].key}"


def test_definitions_are_checked_and_for_admins(app, admin, agent, fields):
    with pytest.raises(Forbidden):
        definitions.save_field(agent, None, key="x", label="X", kind="text", required=False,
                               customer_visible=True)
    for key, kind, options, field in (("Bad Key", "text", "", "key"),
                                      ("plan", "text", "", "key"),
                                      ("colour", "choice", "", "options"),
                                      ("colour", "weird", "", "kind")):
        with pytest.raises(InvalidInput) as refused:
            definitions.save_field(admin, None, key=key, label="L", kind=kind, required=False,
                                   customer_visible=True, options=options)
        assert refused.value.field == field


def test_console_pages_define_fields(app, client, admin):
    login(client, admin)
    assert client.get("/admin/custom-fields").status_code == 200
    response = client.post("/admin/custom-fields/new", data={
        "label": "Plan", "key": "plan", "kind": "choice", "options": "gold\nsilver",
        "customer_visible": "y", "active": "y", "position": "0"})
    assert response.status_code == 302
    response = client.post("/admin/custom-fields/new", data={
        "label": "Again", "key": "plan", "kind": "text", "position": "0"})
    assert response.status_code == 400 and 'id="key-error"' in response.get_data(as_text=True)


def test_customer_form_shows_only_their_fields_and_checks_required(app, client, customer,
                                                                    admin):
    definitions.save_field(admin, None, key="order_channel", label="Where did you buy",
                           kind="choice", options="web\nshop", required=True,
                           customer_visible=True)
    definitions.save_field(admin, None, key="risk", label="Risk note", kind="text",
                           required=False, customer_visible=False)
    login(client, customer)
    html = client.get("/portal/tickets/new").get_data(as_text=True)
    assert '<label for="cf_order_channel">Where did you buy' in html
    assert "Risk note" not in html and "cf_risk" not in html
    base = {"subject": "Broken", "description": "It broke.", "category": ""}
    response = client.post("/portal/tickets/new", data=base)
    assert response.status_code == 400
    assert "Where did you buy is required." in response.get_data(as_text=True)
    response = client.post("/portal/tickets/new", data={**base, "cf_order_channel": "web",
                                                          "cf_risk": "sneaky"})
    assert response.status_code == 302
    stored = db.session.scalars(db.select(TicketFieldValue.value_text)).all()
    assert stored == ["web"]  # the customer could not set the hidden field


def test_fields_limited_to_categories(app, admin, customer):
    returns = db.session.scalar(db.select(Category).where(Category.active).limit(1))
    definitions.save_field(admin, None, key="rma", label="RMA number", kind="text",
                           required=True, customer_visible=True, category_ids=[returns.id])
    ticket = opening.create_ticket(requester=customer, created_by=customer, subject="s",
                                   description="d", custom_values={})
    assert ticket.id  # no category: the required field does not apply
    with pytest.raises(InvalidInput):
        opening.create_ticket(requester=customer, created_by=customer, subject="s",
                              description="d", category_id=returns.id, custom_values={})


def test_workspace_block_edits_values_with_audit(app, client, agent, customer, fields):
    ticket = make_ticket(customer)
    ticket.assignee, ticket.status = agent, Status.IN_PROGRESS
    db.session.commit()
    login(client, agent)
    html = client.get(f"/agent/tickets/{ticket.number}").get_data(as_text=True)
    assert '<label for="cf_risk_note">Risk note' in html
    response = client.post(f"/agent/tickets/{ticket.number}/fields", data={
        "cf_plan": "gold", "cf_seats": "3", "cf_areas": ["billing", "returns"],
        "cf_risk_note": "Chargeback risk", "cf_vip": "yes", "cf_renewal": "2027-01-31"})
    assert response.status_code == 302
    found = values.values_by_ticket([ticket.id], agent)[ticket.id]
    assert found == {"plan": ["gold"], "seats": [3], "areas": ["billing", "returns"],
                     "risk_note": ["Chargeback risk"], "vip": ["yes"],
                     "renewal": ["2027-01-31"]}
    response = client.post(f"/agent/tickets/{ticket.number}/fields", data={"cf_seats": "x"})
    assert response.status_code == 400


def test_only_the_assignee_or_an_admin_edits_values(app, agent, other_agent, customer, fields):
    ticket = make_ticket(customer)
    ticket.assignee = other_agent
    db.session.commit()
    with pytest.raises(Forbidden):
        values.update_ticket_fields(ticket, agent, {"cf_plan": "gold"})


def _with_values(customer, agent, **raw):
    ticket = make_ticket(customer)
    ticket.assignee, ticket.status = agent, Status.IN_PROGRESS
    db.session.commit()
    values.update_ticket_fields(ticket, agent, raw)
    return ticket


def test_queue_filters_by_custom_fields(app, client, agent, customer, fields):
    gold = _with_values(customer, agent, cf_plan="gold", cf_seats="10", cf_vip="yes")
    silver = _with_values(customer, agent, cf_plan="silver", cf_seats="2")
    login(client, agent)
    for query, shown, hidden in (("cf_plan=gold", gold, silver),
                                 ("cf_seats=2", silver, gold),
                                 ("cf_vip=yes", gold, silver)):
        html = client.get(f"/agent/queue?{query}").get_data(as_text=True)
        assert shown.number in html and hidden.number not in html
    html = client.get("/agent/queue?cf_plan=nonsense&cf_nosuch=1").get_data(as_text=True)
    assert gold.number not in html  # an unknown value matches nothing, never an error


def test_csv_export_has_a_column_per_field(app, client, admin, agent, customer, fields):
    _with_values(customer, agent, cf_plan="gold", cf_areas=["billing", "shipping"])
    login(client, admin)
    text = client.get("/agent/queue.csv").get_data(as_text=True)
    header, row = text.splitlines()[:2]
    assert header.endswith("Areas,Plan,Renewal date,Risk note,Seats,VIP")  # by position, label
    assert row.endswith('"billing, shipping",gold,,,,')


def _token(client, user):
    return client.post("/api/v1/auth/token", json={"email": user.email,
                                                    "password": "password123"}
                       ).get_json()["access_token"]


def test_api_shows_fields_and_hides_staff_only_ones_from_customers(
        app, client, agent, customer, fields):
    ticket = _with_values(customer, agent, cf_plan="gold", cf_risk_note="Fraud?",
                          cf_areas=["returns"])
    staff = client.get(f"/api/v1/tickets/{ticket.number}", headers={
        "Authorization": f"Bearer {_token(client, agent)}"}).get_json()
    assert staff["custom_fields"] == {"plan": "gold", "risk_note": "Fraud?",
                                      "areas": ["returns"]}
    auth = {"Authorization": f"Bearer {_token(client, customer)}"}
    mine = client.get(f"/api/v1/tickets/{ticket.number}", headers=auth)
    assert "Fraud?" not in mine.get_data(as_text=True)
    assert mine.get_json()["custom_fields"] == {"plan": "gold", "areas": ["returns"]}
    listed = client.get("/api/v1/tickets", headers=auth).get_data(as_text=True)
    assert "Fraud?" not in listed and "risk_note" not in listed


def test_api_create_takes_fields_and_refuses_bad_ones(app, client, customer, fields):
    auth = {"Authorization": f"Bearer {_token(client, customer)}"}
    response = client.post("/api/v1/tickets", headers=auth, json={
        "subject": "S", "description": "D", "custom_fields": {"plan": "platinum"}})
    assert response.status_code == 422 and "cf_plan" in response.get_json()["errors"]
    response = client.post("/api/v1/tickets", headers=auth, json={
        "subject": "S", "description": "D",
        "custom_fields": {"plan": "gold", "risk_note": "set by customer"}})
    assert response.status_code == 201
    assert response.get_json()["custom_fields"] == {"plan": "gold"}


def test_customer_pages_and_mail_never_show_hidden_fields(smtp, app, client, customer, admin):
    agent = make_user(Role.AGENT)
    definitions.save_field(admin, None, key="risk_note", label="Risk note", kind="text",
                           required=False, customer_visible=False)
    ticket = _with_values(customer, agent, cf_risk_note="Chargeback risk")
    conversation.post_reply(ticket, agent, "We are on it.")
    login(client, customer)
    for url in ("/portal/tickets", f"/portal/tickets/{ticket.number}", "/portal/tickets/new"):
        html = client.get(url).get_data(as_text=True)
        assert "Chargeback risk" not in html and "Risk note" not in html
    for mail in db.session.scalars(db.select(OutboxMail)).all():
        assert "Chargeback risk" not in email.message_from_string(
            mail.raw, policy=email.policy.default).as_string()
