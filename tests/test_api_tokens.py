"""API credentials: signing in for tokens, refreshing, personal tokens on the account
page, scopes, and every token dying with a password change, a suspension or a
deactivation. Plus the throttles: sign-in like the sign-in page, and a budget per token."""
import hashlib
import os
import re

import pytest
import redis
from api_support import ApiClient, access_token, problem
from conftest import PASSWORD, login, make_user

from helpdesk.extensions import db
from helpdesk.models import AgentStatus, ApiToken, AuditEvent, Role, TokenKind
from helpdesk.services.people import accounts, decisions, tokens


def _pair(api, user, password=PASSWORD):
    return api.post("/auth/token", json={"email": user.email, "password": password})


def test_a_token_for_email_and_password_works_until_it_is_refreshed(app, customer):
    api = ApiClient(app)
    response = _pair(api, customer)
    assert response.status_code == 200
    body = response.get_json()
    me = api.get("/me", as_=body["access_token"])
    assert me.status_code == 200
    assert me.get_json()["email"] == customer.email
    assert me.get_json()["scopes"] == ["read", "write"]
    # The refresh token is stored hashed, never as given.
    stored = db.session.scalars(db.select(ApiToken.token_hash)).all()
    assert body["refresh_token"] not in stored
    assert hashlib.sha256(body["refresh_token"].encode()).hexdigest() in stored

    refreshed = api.post("/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200
    new = refreshed.get_json()
    assert new["refresh_token"] != body["refresh_token"]
    assert api.get("/me", as_=new["access_token"]).status_code == 200
    # A refresh token is used once; using it again revokes the newer one too.
    replay = api.post("/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert replay.status_code == 401 and problem(replay)["detail"]
    assert api.post("/auth/refresh", json={
        "refresh_token": new["refresh_token"]}).status_code == 401


def test_wrong_passwords_and_accounts_that_may_not_use_the_api_are_refused(app, customer):
    api = ApiClient(app)
    wrong = _pair(api, customer, "not-the-password")
    assert wrong.status_code == 401
    assert problem(wrong)["detail"] == "Wrong e-mail or password."
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    unknown = api.post("/auth/token", json={"email": "nobody@example.com", "password": "x"})
    assert unknown.status_code == 401
    assert problem(unknown)["detail"] == problem(wrong)["detail"]  # nothing to learn

    pending = make_user(Role.AGENT, agent_status=AgentStatus.PENDING)
    refused = _pair(api, pending)
    assert refused.status_code == 403 and "approval" in problem(refused)["detail"]
    suspended = make_user(Role.AGENT, agent_status=AgentStatus.SUSPENDED)
    assert _pair(api, suspended).status_code == 403
    inactive = make_user(Role.CUSTOMER, active=False)
    assert _pair(api, inactive).status_code == 403
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


def test_tokens_die_with_a_password_change(app, customer):
    api = ApiClient(app)
    pair = _pair(api, customer).get_json()
    _, secret = tokens.create_personal_token(customer, name="Script", scopes=["read"],
                                             expires_in_days=None)
    assert api.get("/me", as_=secret).status_code == 200
    accounts.change_password(customer, PASSWORD, "a-new-password")
    assert api.get("/me", as_=pair["access_token"]).status_code == 401
    assert api.get("/me", as_=secret).status_code == 401
    assert api.post("/auth/refresh", json={
        "refresh_token": pair["refresh_token"]}).status_code == 401
    assert tokens.personal_tokens(customer) == []  # nor does the account page list it


def test_tokens_die_with_a_suspension_and_stay_dead_after_reactivation(app, admin, agent):
    api = ApiClient(app)
    access = access_token(agent)
    _, secret = tokens.create_personal_token(agent, name="Bot", scopes=["read", "write"],
                                             expires_in_days=30)
    assert api.get("/tickets", as_=access).status_code == 200
    decisions.suspend_agent(admin, agent)
    assert api.get("/tickets", as_=access).status_code == 401
    assert api.get("/tickets", as_=secret).status_code == 401
    decisions.reactivate_agent(admin, agent)
    assert api.get("/tickets", as_=secret).status_code == 401


def test_tokens_die_with_a_deactivation(app, admin, customer):
    api = ApiClient(app)
    access = access_token(customer)
    decisions.deactivate_customer(admin, customer)
    assert api.get("/me", as_=access).status_code == 401


def test_personal_tokens_are_made_shown_once_and_revoked_on_the_account_page(
        app, client, customer):
    login(client, customer)
    page = client.get("/auth/account")
    assert page.status_code == 200 and "You have no API tokens." in page.get_data(as_text=True)
    made = client.post("/auth/account/tokens", data={
        "name": "Order system", "read": "y", "write": "y", "expires": "30"})
    assert made.status_code == 201
    assert made.headers["Cache-Control"] == "no-store"
    html = made.get_data(as_text=True)
    secret = re.search(r'value="(hdp_[^"]+)"', html).group(1)
    assert "shown only this once" in html
    # Stored hashed, named, scoped; shown once: the next visit lists it without the secret.
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.kind == TokenKind.PERSONAL))
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (row.name, row.scopes, row.last_used_at) == ("Order system", "read write", None)
    again = client.get("/auth/account").get_data(as_text=True)
    assert "Order system" in again and secret not in again

    api = ApiClient(app)
    assert api.get("/me", as_=secret).status_code == 200
    db.session.expire_all()
    assert row.last_used_at is not None  # the list shows when it was last used
    assert "Never" not in client.get("/auth/account").get_data(as_text=True).split(
        "Order system")[1].split("</tr>")[0].split("<td")[4]

    revoked = client.post(f"/auth/account/tokens/{row.id}/revoke")
    assert revoked.status_code == 302
    assert api.get("/me", as_=secret).status_code == 401
    assert [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(
        AuditEvent.id))][-2:] == ["api_token_created", "api_token_revoked"]


def test_the_token_form_needs_a_name_and_a_scope(app, client, customer):
    login(client, customer)
    bad = client.post("/auth/account/tokens", data={"name": "", "expires": "never"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Choose read, write or both." in html and "This field is required." in html
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


def test_someone_elses_token_cannot_be_revoked(app, client, customer, other_customer):
    token, secret = tokens.create_personal_token(other_customer, name="Theirs",
                                                 scopes=["read"], expires_in_days=None)
    login(client, customer)
    assert client.post(f"/auth/account/tokens/{token.id}/revoke").status_code == 404
    assert ApiClient(app).get("/me", as_=secret).status_code == 200


def test_a_read_only_token_cannot_write_and_a_write_only_one_cannot_read(app, customer):
    api = ApiClient(app)
    _, reader = tokens.create_personal_token(customer, name="R", scopes=["read"],
                                             expires_in_days=None)
    _, writer = tokens.create_personal_token(customer, name="W", scopes=["write"],
                                             expires_in_days=None)
    assert api.get("/tickets", as_=reader).status_code == 200
    denied = api.post("/tickets", as_=reader, json={"subject": "x", "description": "y"})
    assert denied.status_code == 403 and "write" in problem(denied)["detail"]
    assert 'insufficient_scope' in denied.headers["WWW-Authenticate"]
    assert api.post("/tickets", as_=writer, json={
        "subject": "x", "description": "y"}).status_code == 201
    assert api.get("/tickets", as_=writer).status_code == 403


def test_an_expired_personal_token_is_refused(app, customer):
    token, secret = tokens.create_personal_token(customer, name="Old", scopes=["read"],
                                                 expires_in_days=30)
    token.expires_at = token.created_at
    db.session.commit()
    assert ApiClient(app).get("/me", as_=secret).status_code == 401


def test_garbage_and_refresh_tokens_are_not_access_tokens(app, customer):
    api = ApiClient(app)
    refresh = _pair(api, customer).get_json()["refresh_token"]
    for bad in (refresh, "hdp_nope", "a.b.c", "x" * 5000):
        assert api.get("/me", as_=bad).status_code == 401
    cookie_only = app.test_client()
    login(cookie_only, customer)
    assert cookie_only.get("/api/v1/me").status_code == 401  # sessions are not API auth


def test_pending_agents_cannot_make_tokens(app, client, pending_agent):
    login(client, pending_agent)
    assert client.post("/auth/account/tokens", data={
        "name": "x", "read": "y", "expires": "30"}).status_code == 403
    assert "API tokens are for customers and approved agents." in client.get(
        "/auth/account").get_data(as_text=True)


# --- throttling ----------------------------------------------------------------------------

REDIS_URL = os.environ.get("HELPDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(params=["memory", "redis"])
def throttled(request, app_config):
    """Limits on, with the in-process store and with Redis (production's)."""
    app_config.update(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute",
                      API_RATE_LIMIT="3 per minute")
    if request.param == "redis":
        app_config["RATELIMIT_STORAGE_URL"] = REDIS_URL
        redis.Redis.from_url(REDIS_URL).flushdb()  # database 15 is the tests' own
    return app_config


def test_signing_in_for_tokens_is_throttled_like_the_sign_in_page(throttled, app, customer):
    app.config["API_RATE_LIMIT"] = "100 per minute"  # the sign-in limit, not the budget
    api = ApiClient(app)
    for _ in range(3):
        assert _pair(api, customer, "wrong-password").status_code == 401
    blocked = _pair(api, customer)  # even the right password now waits
    assert blocked.status_code == 429
    assert problem(blocked)["detail"] == "Too many sign-in attempts."
    assert int(blocked.headers["Retry-After"]) > 0


def test_each_caller_has_its_own_request_budget_with_ratelimit_headers(
        throttled, app, customer, agent):
    api = ApiClient(app)
    mine = access_token(customer)
    first = api.get("/me", as_=mine)
    assert first.headers["RateLimit-Limit"] == "3"
    assert first.headers["RateLimit-Remaining"] == "2"
    assert 0 <= int(first.headers["RateLimit-Reset"]) <= 60
    api.get("/me", as_=mine)
    api.get("/me", as_=access_token(customer))  # another access token, the same person
    blocked = api.get("/me", as_=mine)
    assert blocked.status_code == 429 and problem(blocked)["detail"] == "Too many requests."
    assert int(blocked.headers["Retry-After"]) >= 1
    assert api.get("/me", as_=access_token(agent)).status_code == 200  # another caller
    # A personal token has a budget of its own.
    _, secret = tokens.create_personal_token(customer, name="Bot", scopes=["read"],
                                             expires_in_days=None)
    assert api.get("/me", as_=secret).status_code == 200
