"""Sign-up, agent applications, sign-in and sessions."""
import pytest
from conftest import PASSWORD, login, make_user

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, Role, User


def test_landing_page_links_to_sign_in_sign_up_and_faq(client):
    html = client.get("/").get_data(as_text=True)
    for href in ("/auth/login", "/auth/register", "/faq"):
        assert f'href="{href}"' in html


def test_customer_signs_up_and_lands_in_the_portal(client, app):
    response = client.post("/auth/register", data={
        "name": "Nina New", "email": "Nina@Example.com", "password": "long-enough"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/portal/tickets")
    user = db.session.scalar(db.select(User).filter_by(email="nina@example.com"))
    assert user.role == Role.CUSTOMER and user.password_hash != "long-enough"
    assert client.get("/portal/tickets").status_code == 200


@pytest.mark.parametrize("data, field_message", [
    # Without outgoing mail a taken address can only be refused (throttled, finding 4);
    # with mail it is answered like a new one (test_security_findings.py).
    ({"name": "X", "email": "CUSTOMER@EXAMPLE.COM", "password": "long-enough"},
     "already exists"),
    ({"name": "X", "email": "short@example.com", "password": "short"}, "at least 8"),
    ({"name": "X", "email": "not-an-email", "password": "long-enough"}, "valid e-mail"),
    ({"name": "", "email": "noname@example.com", "password": "long-enough"}, "required"),
])
def test_bad_sign_up_is_rerendered_with_the_message_and_nothing_saved(client, app, data,
                                                                      field_message):
    make_user(Role.CUSTOMER, email="customer@example.com")
    before = db.session.scalar(db.select(db.func.count(User.id)))
    response = client.post("/auth/register", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_message in html
    assert 'class="field-error"' in html
    assert data["name"] in html if data["name"] else True  # what was typed is kept
    assert db.session.scalar(db.select(db.func.count(User.id))) == before


def test_agent_application_is_pending_and_sees_only_the_waiting_page(client, app, admin):
    response = client.post("/auth/register/agent", data={
        "name": "Ana Applicant", "email": "ana@example.com", "password": "long-enough",
        "contact_number": "+44 20 7946 0000"})
    assert response.headers["Location"].endswith("/auth/pending")
    user = db.session.scalar(db.select(User).filter_by(email="ana@example.com"))
    assert (user.role, user.agent_status) == (Role.AGENT, AgentStatus.PENDING)
    assert "Waiting for approval" in client.get("/auth/pending").get_data(as_text=True)
    assert client.get("/agent/queue").status_code == 403


def test_agent_application_requires_a_contact_number(client, app):
    response = client.post("/auth/register/agent", data={
        "name": "Ana", "email": "ana@example.com", "password": "long-enough",
        "contact_number": ""})
    assert response.status_code == 400
    assert db.session.scalar(db.select(User).filter_by(email="ana@example.com")) is None


@pytest.mark.parametrize("role, home", [
    (Role.CUSTOMER, "/portal/tickets"), (Role.AGENT, "/agent/queue"), (Role.ADMIN, "/agent/queue"),
])
def test_sign_in_lands_on_the_role_home(client, app, role, home):
    response = login(client, make_user(role))
    assert response.headers["Location"].endswith(home)


def test_wrong_password_and_unknown_email_get_the_same_message(client, customer):
    wrong = client.post("/auth/login", data={"email": customer.email, "password": "nope-nope"})
    unknown = client.post("/auth/login", data={"email": "ghost@example.com",
                                               "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 400
    assert "Wrong e-mail or password." in wrong.get_data(as_text=True)
    assert "Wrong e-mail or password." in unknown.get_data(as_text=True)


def test_sign_in_email_is_case_insensitive(client, customer):
    response = client.post("/auth/login", data={"email": customer.email.upper(),
                                                "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("target, expected", [
    ("/portal/tickets/new", "/portal/tickets/new"),
    ("https://evil.example/x", "/portal/tickets"),
    ("//evil.example/x", "/portal/tickets"),
    ("/\\evil.example", "/portal/tickets"),
])
def test_next_only_goes_to_paths_on_this_site(client, customer, target, expected):
    response = client.post("/auth/login", query_string={"next": target},
                           data={"email": customer.email, "password": PASSWORD})
    assert response.headers["Location"] == expected


def test_anonymous_user_is_sent_to_sign_in(client):
    response = client.get("/portal/tickets")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_sign_out_is_a_post(client, customer):
    login(client, customer)
    assert client.get("/auth/logout").status_code == 405
    client.post("/auth/logout")
    assert client.get("/portal/tickets").status_code == 302


@pytest.mark.parametrize("change", ["deactivate", "suspend"])
def test_deactivated_or_suspended_user_is_signed_out_at_next_request(client, app, change):
    user = make_user(Role.AGENT)
    login(client, user)
    assert client.get("/agent/queue").status_code == 200
    if change == "deactivate":
        user.active = False
    else:
        user.agent_status = AgentStatus.SUSPENDED
    db.session.commit()
    assert client.get("/agent/queue").status_code == 302
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}
                       ).status_code == 400


def test_password_change_needs_current_password_and_signs_out_other_sessions(app, customer):
    first, second = app.test_client(), app.test_client()
    login(first, customer)
    login(second, customer)
    refused = first.post("/auth/password", data={"current_password": "wrong-one",
                                                 "new_password": "brand-new-pass"})
    assert refused.status_code == 400
    assert "not correct" in refused.get_data(as_text=True)
    ok = first.post("/auth/password", data={"current_password": PASSWORD,
                                            "new_password": "brand-new-pass"})
    assert ok.status_code == 302
    assert first.get("/portal/tickets").status_code == 200
    assert second.get("/portal/tickets").status_code == 302


@pytest.mark.parametrize("role, status", [
    (Role.CUSTOMER, 403), (Role.AGENT, 403),
])
def test_non_admins_get_403_in_the_console(client, app, role, status):
    login(client, make_user(role))
    assert client.get("/admin/").status_code == status


def test_customers_get_403_in_the_queue(client, customer):
    login(client, customer)
    assert client.get("/agent/queue").status_code == 403


def test_console_asks_for_the_password_again_after_a_remembered_sign_in(app, client, admin):
    client.post("/auth/login", data={"email": admin.email, "password": PASSWORD,
                                     "remember": "y"})
    assert client.get("/admin/").status_code == 200
    client.delete_cookie("session")  # the browser was closed; only the remember cookie
    assert client.get("/agent/queue").status_code == 200  # remembered: still signed in
    response = client.get("/admin/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get("/auth/login").status_code == 200  # the form, not a redirect home
    login(client, admin)
    assert client.get("/admin/").status_code == 200
