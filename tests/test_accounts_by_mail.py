"""Accounts by mail: "Forgot password?", the sign-up address check, a new address
confirmed by a link sent to it, and the account page's mail settings."""
import re
import time

import pytest
from conftest import PASSWORD, login, make_user
from mailtools import BASE_URL, send_mail
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import OutboxMail, Role, User

LINK = re.compile(re.escape(BASE_URL) + r"(/auth/[\w/.-]+)")


def link_in(received) -> str:
    """The path of the first link to /auth/… in a mail (the site's part of it)."""
    return LINK.search(received.text).group(1)


def reset_mail(smtp, address):
    send_mail()
    return [m for m in smtp.messages_to(address) if "password" in m["Subject"].lower()]


def page_without_csrf(response) -> str:
    return re.sub(r'name="csrf_token"[^>]*>', "", response.get_data(as_text=True))


# --- password reset ----------------------------------------------------------------------

def test_the_sign_in_page_links_forgot_password_to_a_form_labelled_email(client, app):
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<a href="/auth/reset">Forgot password?</a>' in html
    form = client.get("/auth/reset").get_data(as_text=True)
    assert re.search(r'<label for="email">Email</label>', form)


def test_a_reset_link_sets_a_new_password_signs_in_and_ends_other_sessions(
        smtp, app, client, customer):
    other_device = app.test_client()
    login(other_device, customer)
    assert other_device.get("/portal/tickets").status_code == 200
    client.post("/auth/reset", data={"email": customer.email.upper()})
    [received] = reset_mail(smtp, customer.email)
    path = link_in(received)
    form = client.get(path)
    assert form.status_code == 200 and "New password" in form.get_data(as_text=True)
    response = client.post(path, data={"new_password": "a-brand-new-one"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/portal/tickets")
    assert client.get("/portal/tickets").status_code == 200  # signed in
    assert other_device.get("/portal/tickets").status_code == 302  # signed out there
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"email": customer.email, "password": PASSWORD}
                       ).status_code == 400
    login(client, customer, "a-brand-new-one")


def test_a_reset_link_works_once(smtp, app, client, customer):
    client.post("/auth/reset", data={"email": customer.email})
    path = link_in(reset_mail(smtp, customer.email)[0])
    assert client.post(path, data={"new_password": "first-new-pass"}).status_code == 302
    again = app.test_client()
    assert again.get(path).status_code == 400
    assert again.post(path, data={"new_password": "second-new-pass"}).status_code == 400
    login(again, customer, "first-new-pass")


def test_a_reset_link_expires_after_an_hour(smtp, app, client, customer, monkeypatch):
    client.post("/auth/reset", data={"email": customer.email})
    path = link_in(reset_mail(smtp, customer.email)[0])
    later = time.time() + 3601
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    response = client.post(path, data={"new_password": "too-late-now"})
    assert response.status_code == 400 and "no longer works" in response.get_data(as_text=True)
    db.session.refresh(customer)
    login(app.test_client(), customer)  # the old password still works


def test_a_forged_reset_link_does_nothing(app, client, customer):
    assert client.get("/auth/reset/not-a-token").status_code == 400


def test_unknown_and_known_addresses_get_the_same_page(smtp, app, client, customer):
    known = client.post("/auth/reset", data={"email": customer.email})
    unknown = client.post("/auth/reset", data={"email": "nobody@nowhere.example"})
    assert known.status_code == unknown.status_code == 200
    assert (page_without_csrf(known).replace(customer.email, "ADDRESS")
            == page_without_csrf(unknown).replace("nobody@nowhere.example", "ADDRESS"))
    rows = db.session.scalars(select(OutboxMail.to_address)
                              .where(OutboxMail.kind == "password_reset")).all()
    assert rows == [customer.email]


def test_a_deactivated_account_gets_no_reset_link(smtp, app, client):
    gone = make_user(Role.CUSTOMER, active=False)
    client.post("/auth/reset", data={"email": gone.email})
    assert reset_mail(smtp, gone.email) == []


@pytest.fixture
def throttled(app_config):
    """Sign-in and reset throttling on, with a low limit (list it before `app`)."""
    app_config.update(RATELIMIT_ENABLED=True, RESET_RATE_LIMIT="2 per minute")


def test_reset_requests_are_throttled(smtp, throttled, app, client, customer):
    for _ in range(2):
        assert client.post("/auth/reset", data={"email": customer.email}).status_code == 200
    assert client.post("/auth/reset", data={"email": customer.email}).status_code == 429


# --- sign-up verification ----------------------------------------------------------------

def sign_up(client, email="nina@example.com"):
    return client.post("/auth/register", data={"name": "Nina New", "email": email,
                                               "password": "long-enough"})


def test_a_new_customer_confirms_the_address_before_the_first_portal_ticket(smtp, app,
                                                                           client):
    answer = sign_up(client)  # "check your mail", the same for a taken address
    assert answer.status_code == 200 and "Check your mail" in answer.get_data(as_text=True)
    assert client.get("/portal/tickets").status_code == 302  # not signed in by sign-up
    client.post("/auth/login", data={"email": "nina@example.com", "password": "long-enough"})
    refused = client.get("/portal/tickets/new")
    assert refused.status_code == 403
    assert "Confirm your e-mail address" in refused.get_data(as_text=True)
    assert client.post("/portal/tickets/new", data={
        "subject": "x", "description": "y"}).status_code == 403
    send_mail()
    [received] = smtp.messages_to("nina@example.com")
    response = client.get(link_in(received))
    assert response.status_code == 302
    assert client.get("/portal/tickets/new").status_code == 200
    user = db.session.scalar(select(User).where(User.email == "nina@example.com"))
    assert user.email_verified_at is not None


def test_the_first_opening_of_the_sign_up_link_signs_in(smtp, app, client):
    sign_up(client)
    send_mail()
    path = link_in(smtp.messages_to("nina@example.com")[0])
    stranger = app.test_client()
    assert stranger.get(path).headers["Location"].endswith("/portal/tickets")
    assert stranger.get("/portal/tickets/new").status_code == 200
    later = app.test_client()  # a second opening only says it is confirmed
    assert later.get(path).headers["Location"].endswith("/auth/login")
    assert later.get("/portal/tickets").status_code == 302


def test_without_outgoing_mail_nobody_is_asked_to_confirm(app, client):
    sign_up(client)
    assert client.get("/portal/tickets/new").status_code == 200


def test_a_verification_link_for_an_old_address_does_nothing(smtp, app, client):
    sign_up(client)
    send_mail()
    path = link_in(smtp.messages_to("nina@example.com")[0])
    user = db.session.scalar(select(User).where(User.email == "nina@example.com"))
    user.email = "nina.new@example.com"
    db.session.commit()
    client.get(path)
    db.session.refresh(user)
    assert user.email_verified_at is None


# --- the account page --------------------------------------------------------------------

def test_changing_the_address_waits_for_the_link_sent_to_the_new_one(smtp, app, client,
                                                                     customer):
    old = customer.email
    login(client, customer)
    page = client.get("/auth/account").get_data(as_text=True)
    assert '<label for="new_email">New email</label>' in page
    response = client.post("/auth/account/email", data={"new_email": "Carla@New.example",
                                                        "password": PASSWORD})
    assert response.status_code == 302
    db.session.refresh(customer)
    assert customer.email == old  # nothing changes before the link is opened
    send_mail()
    [received] = smtp.messages_to("carla@new.example")
    path = link_in(received)
    assert client.get(path).status_code == 302
    db.session.refresh(customer)
    assert customer.email == "carla@new.example" and customer.email_verified_at is not None
    send_mail()
    assert any("changed" in m["Subject"] for m in smtp.messages_to(old))
    assert client.get(path).status_code == 302  # a second use changes nothing
    db.session.refresh(customer)
    assert customer.email == "carla@new.example"


@pytest.mark.parametrize("data, message", [
    ({"new_email": "x@new.example", "password": "wrong-password"}, "not correct"),
    ({"new_email": "not-an-address", "password": PASSWORD}, "valid e-mail"),
])
def test_a_bad_address_change_is_shown_next_to_its_field(smtp, app, client, customer, data,
                                                         message):
    login(client, customer)
    response = client.post("/auth/account/email", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_an_address_someone_else_has_is_refused(smtp, app, client, customer, other_customer):
    login(client, customer)
    response = client.post("/auth/account/email", data={"new_email": other_customer.email,
                                                        "password": PASSWORD})
    assert response.status_code == 400 and "already exists" in response.get_data(as_text=True)


def test_the_account_page_saves_which_events_mail_me(app, client, agent):
    login(client, agent)
    page = client.get("/auth/account").get_data(as_text=True)
    assert '<label for="event-new_tickets">New tickets for my team</label>' in page
    assert client.post("/auth/account/mail", data={"events": ["replies", "status"]}
                       ).status_code == 302
    db.session.refresh(agent)
    assert agent.mail_muted == ["assignments", "feedback", "new_tickets"]
    assert client.post("/auth/account/mail", data={"events": ["bogus"]}).status_code == 400


def test_customers_are_offered_only_customer_events(app, client, customer):
    login(client, customer)
    page = client.get("/auth/account").get_data(as_text=True)
    assert "event-replies" in page and "event-new_tickets" not in page
