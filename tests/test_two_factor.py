"""Two-step sign-in: enrolment (QR code, confirming code, recovery codes shown once),
signing in with a code or a recovery code, wrong and replayed codes, throttling, the
API's token endpoint, an admin's reset, and the console closed to an admin without it."""
import re
import time

import pyotp
import pytest
from conftest import PASSWORD, login
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Notification, RecoveryCode


def enrol(client):
    """Set up two-step sign-in for the signed-in client: (secret, recovery codes)."""
    page = client.get("/auth/two-factor/setup")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'src="data:image/svg+xml' in html  # the QR code, drawn on the server
    secret = re.search(r'class="secret-key">([A-Z2-7]+)<', html).group(1)
    done = client.post("/auth/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.get_data(as_text=True)[:300]
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", done.get_data(as_text=True))
    return secret, codes


def next_code(secret: str) -> str:
    """The code of the next 30-second step: later than any used so far (a code used at
    enrolment cannot be used again), and inside the accepted drift."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def password_step(client, user):
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


@pytest.fixture
def enrolled(app, customer):
    """A customer with two-step sign-in on: (user, secret, recovery codes)."""
    client = app.test_client()
    login(client, customer)
    secret, codes = enrol(client)
    return customer, secret, codes


def test_enrolment_needs_a_confirming_code_and_shows_ten_recovery_codes_once(app, client,
                                                                            customer):
    login(client, customer)
    client.get("/auth/two-factor/setup")
    wrong = client.post("/auth/two-factor/setup", data={"code": "12345"})
    assert wrong.status_code == 400 and "not right" in wrong.get_data(as_text=True)
    db.session.refresh(customer)
    assert customer.totp_enabled_at is None
    secret, codes = enrol(client)
    assert len(codes) == len(set(codes)) == 10
    db.session.refresh(customer)
    assert customer.totp_secret == secret and customer.totp_enabled_at is not None
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(
        RecoveryCode.user_id == customer.id)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # hashes only
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "two_factor_enabled", AuditEvent.subject_user_id == customer.id))
    page = client.get("/auth/account").get_data(as_text=True)
    assert "10 of 10 recovery codes left" in page and codes[0] not in page


def test_sign_in_asks_for_the_code_after_the_password(app, enrolled):
    user, secret, _codes = enrolled
    client = app.test_client()
    assert password_step(client, user).headers["Location"].endswith("/auth/two-factor")
    assert client.get("/portal/tickets").status_code == 302  # not signed in yet
    page = client.get("/auth/two-factor").get_data(as_text=True)
    assert '<label for="code">Authentication code</label>' in page
    response = client.post("/auth/two-factor", data={"code": next_code(secret)})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/portal/tickets")
    assert client.get("/portal/tickets").status_code == 200


def test_a_wrong_code_is_refused_and_a_used_code_cannot_be_replayed(app, enrolled):
    user, secret, _codes = enrolled
    first = app.test_client()
    password_step(first, user)
    wrong = first.post("/auth/two-factor", data={"code": pyotp.TOTP(secret).at(0)})
    assert wrong.status_code == 400 and "not right" in wrong.get_data(as_text=True)
    code = next_code(secret)
    assert first.post("/auth/two-factor", data={"code": code}).status_code == 302
    overheard = app.test_client()
    password_step(overheard, user)
    replay = overheard.post("/auth/two-factor", data={"code": code})
    assert replay.status_code == 400
    assert overheard.get("/portal/tickets").status_code == 302
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "two_factor_failed"))


def test_a_recovery_code_signs_in_once(app, enrolled):
    user, _secret, codes = enrolled
    client = app.test_client()
    password_step(client, user)
    used = client.post("/auth/two-factor", data={"code": codes[3].upper().replace("-", " ")})
    assert used.status_code == 302
    assert client.get("/portal/tickets").status_code == 200
    again = app.test_client()
    password_step(again, user)
    assert again.post("/auth/two-factor", data={"code": codes[3]}).status_code == 400
    assert again.post("/auth/two-factor", data={"code": codes[4]}).status_code == 302
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "recovery_code_used"))


@pytest.fixture
def code_limit(app_config):
    app_config.update(RATELIMIT_ENABLED=True, TWO_FACTOR_RATE_LIMIT="3 per 5 minutes")


def test_code_guesses_are_throttled(code_limit, app, enrolled):
    user, secret, _codes = enrolled
    client = app.test_client()
    password_step(client, user)
    for n in range(3):
        assert client.post("/auth/two-factor", data={"code": f"00000{n}"}).status_code == 400
    refused = client.post("/auth/two-factor", data={"code": next_code(secret)})
    assert refused.status_code == 429 and "Too many wrong codes" in refused.get_data(
        as_text=True)


def test_the_code_step_is_only_for_someone_who_gave_the_password(app, client, enrolled):
    response = client.get("/auth/two-factor")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_api_token_endpoint_asks_for_the_code(app, client, enrolled):
    user, secret, _codes = enrolled

    def token(**extra):
        return client.post("/api/v1/auth/token", json={"email": user.email,
                                                        "password": PASSWORD, **extra})
    missing = token()
    assert missing.status_code == 401 and missing.mimetype == "application/problem+json"
    assert missing.get_json()["code"] == "otp_required"
    wrong = token(otp="000000")
    assert wrong.status_code == 401 and wrong.get_json()["code"] == "otp_invalid"
    assert token(otp=next_code(secret)).status_code == 200


def test_turning_it_off_needs_the_password(app, client, enrolled):
    user, _secret, _codes = enrolled
    login_client = app.test_client()
    password_step(login_client, user)
    login_client.post("/auth/two-factor", data={"code": _codes[0]})
    refused = login_client.post("/auth/account/two-factor/disable",
                                data={"password": "wrong-password"})
    assert refused.status_code == 400 and "not correct" in refused.get_data(as_text=True)
    assert login_client.post("/auth/account/two-factor/disable",
                             data={"password": PASSWORD}).status_code == 302
    db.session.refresh(user)
    assert user.totp_secret is None
    password_step(app.test_client(), user)  # the password alone again


def test_an_admin_resets_someone_elses_second_factor(app, client, enrolled, admin, agent):
    user, _secret, _codes = enrolled
    helper = app.test_client()
    login(helper, agent)
    assert helper.post(f"/admin/people/{user.id}/two-factor/reset").status_code == 403
    login(client, admin)
    assert "Reset two-step sign-in" in client.get("/admin/customers").get_data(as_text=True)
    assert client.post(f"/admin/people/{user.id}/two-factor/reset").status_code == 302
    db.session.refresh(user)
    assert user.totp_secret is None and user.totp_enabled_at is None
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "two_factor_reset", AuditEvent.actor_id == admin.id,
        AuditEvent.subject_user_id == user.id))
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == "two_factor_reset"))
    after = app.test_client()
    assert password_step(after, user).headers["Location"].endswith("/portal/tickets")
    # Resetting one's own is not the way to turn it off.
    assert client.post(f"/admin/people/{admin.id}/two-factor/reset").status_code == 403


@pytest.fixture
def admins_need_two_factor(app_config):
    app_config["REQUIRE_ADMIN_2FA"] = True


def test_the_console_is_refused_to_an_admin_without_a_second_factor(
        admins_need_two_factor, app, client, admin):
    login(client, admin)
    refused = client.get("/admin/agents")
    assert refused.status_code == 302
    assert "/auth/two-factor/setup" in refused.headers["Location"]
    assert client.get("/agent/queue").status_code == 200  # the queue is not the console
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Admins need two-step sign-in" in page
    secret = re.search(r'class="secret-key">([A-Z2-7]+)<', page).group(1)
    client.post("/auth/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    assert client.get("/admin/agents").status_code == 200
    # ... and may not turn it off again.
    refused = client.post("/auth/account/two-factor/disable", data={"password": PASSWORD})
    assert refused.status_code == 403


def test_admins_need_it_in_production_by_default(app):
    from helpdesk.services.people import two_factor
    app.config["REQUIRE_ADMIN_2FA"] = None
    app.config["ENV"] = "production"
    assert two_factor.admins_must_enrol()
    app.config["ENV"] = "development"
    assert not two_factor.admins_must_enrol()
