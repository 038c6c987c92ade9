"""Security defaults: CSRF, headers and cookies, sign-in throttling, production config."""
import os

import pytest
import redis
from conftest import PASSWORD

from helpdesk import ConfigurationError, create_app
from helpdesk.extensions import db
from helpdesk.models import User

REDIS_URL = os.environ.get("HELPDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def csrf_app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_post_without_csrf_token_is_refused_and_nothing_written(csrf_app_config, app, client):
    response = client.post("/auth/register", data={
        "name": "Eve", "email": "eve@example.com", "password": "long-enough"})
    assert response.status_code == 400
    assert db.session.scalar(db.select(User).filter_by(email="eve@example.com")) is None


def test_post_with_csrf_token_from_the_form_is_accepted(csrf_app_config, app, client):
    html = client.get("/auth/register").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/auth/register", data={
        "csrf_token": token, "name": "Eve", "email": "eve@example.com",
        "password": "long-enough"})
    assert response.status_code == 302


def test_sign_out_without_csrf_token_is_refused(csrf_app_config, app, client, customer):
    html = client.get("/auth/login").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/auth/login", data={"csrf_token": token, "email": customer.email,
                                     "password": PASSWORD})
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/portal/tickets").status_code == 200  # still signed in


def test_every_page_sends_the_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_lax(client, customer):
    response = client.post("/auth/login", data={"email": customer.email,
                                                "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over plain http


def test_production_requires_a_secret_key_and_secure_cookies(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("HELPDESK_ENV", "production")
    monkeypatch.delenv("HELPDESK_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="HELPDESK_SECRET_KEY"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})
    monkeypatch.setenv("HELPDESK_SECRET_KEY", "from-the-environment")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_secret_key_is_generated_once(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("HELPDESK_SECRET_KEY", raising=False)
    first = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"})
    second = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"})
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").exists()


@pytest.fixture(params=["memory", "redis"])
def throttled_app_config(request, app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["LOGIN_RATE_LIMIT"] = "3 per minute"
    app_config["LOGIN_ADDRESS_RATE_LIMIT"] = "3 per minute"
    if request.param == "redis":
        app_config["RATELIMIT_STORAGE_URL"] = REDIS_URL
        redis.Redis.from_url(REDIS_URL).flushdb()  # database 15 is the tests' own
    return app_config


def _attempt(client, email, password="wrong-password", ip="10.0.0.1"):
    return client.post("/auth/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_repeated_failures_for_one_account_slow_that_account_down_without_a_wall(
        throttled_app_config, app, client, customer):
    """Finding 2 of the second penetration test: the account as a whole gets a slower
    path, never a wall (the owner from a new address still gets in)."""
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per hour"
    app.config["LOGIN_ACCOUNT_SLOW_LIMIT"] = "1 per 15 minutes"
    for ip in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):  # spread over addresses
        assert _attempt(client, customer.email, ip=ip).status_code == 400
    blocked = _attempt(client, customer.email, password=PASSWORD, ip="10.0.0.3")
    assert blocked.status_code == 429
    assert "Too many sign-in attempts" in blocked.get_data(as_text=True)
    assert _attempt(client, customer.email, password=PASSWORD, ip="10.0.0.4").status_code == 302


def test_repeated_failures_from_one_address_are_refused(throttled_app_config, app, client):
    for n in range(3):
        assert _attempt(client, f"nobody{n}@example.com").status_code == 400
    assert _attempt(client, "someone-else@example.com").status_code == 429


def test_successful_sign_ins_do_not_count_against_the_limit(
        throttled_app_config, app, client, customer):
    for _ in range(5):
        assert _attempt(client, customer.email, password=PASSWORD).status_code == 302
        client.post("/auth/logout")
