"""The second outside penetration test's findings, one test (or a few) per finding,
named after it. Each failed before its fix."""
import hashlib

import pytest
from conftest import PASSWORD, login, make_ticket

from helpdesk.extensions import db
from helpdesk.services.people import accounts

# --- finding 1: host header injection -------------------------------------------------------


@pytest.fixture
def trusted_host_app(app_config):
    app_config["TRUSTED_HOSTS"] = ["helpdesk.example.com"]
    return app_config


def test_finding_01_requests_for_an_untrusted_host_are_refused(trusted_host_app, client):
    assert client.get("/", headers={"Host": "helpdesk.example.com"}).status_code == 200
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400


def test_finding_01_production_trusts_only_the_base_url_host_by_default(tmp_path, monkeypatch):
    from helpdesk import create_app
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path))
    app = create_app({"ENV": "production", "SECRET_KEY": "s" * 32,
                      "BASE_URL": "https://support.example.com",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"})
    assert app.config["TRUSTED_HOSTS"] == ["support.example.com"]


# --- finding 3: sign-in timing ---------------------------------------------------------------

@pytest.fixture
def hash_runs(monkeypatch):
    """Counts key-derivation runs (the tests hash with pbkdf2; production with scrypt)."""
    runs = []
    real = hashlib.pbkdf2_hmac

    def counting(*args, **kwargs):
        runs.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(hashlib, "pbkdf2_hmac", counting)
    return runs


def test_finding_03_unknown_and_known_addresses_cost_the_same_hashing(app, customer, hash_runs):
    accounts.authenticate("nobody-here@test.example", "wrong-password")  # warm-up
    hash_runs.clear()
    assert accounts.authenticate(customer.email, "wrong-password") is None
    known = len(hash_runs)
    hash_runs.clear()
    assert accounts.authenticate("nobody-at-all@test.example", "wrong-password") is None
    assert len(hash_runs) == known == 1


# --- finding 10: caching of personal pages ---------------------------------------------------

def test_finding_10_signed_in_pages_are_not_stored_by_caches(app, client, customer):
    ticket = make_ticket(customer)
    login(client, customer)
    for path in ("/portal/tickets", f"/portal/tickets/{ticket.number}", "/notifications"):
        response = client.get(path)
        assert response.status_code == 200
        assert "no-store" in response.headers["Cache-Control"], path


def test_finding_10_static_files_stay_cacheable(app, client, customer):
    login(client, customer)
    response = client.get("/static/css/app.css")
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


# --- finding 11: bidi control characters ----------------------------------------------------

RLO_SUBJECT = "Refund \u202egnp.exe"


def test_finding_11_bidi_overrides_in_subjects_and_names_never_reach_a_page(
        app, client, customer, agent):
    customer.name = "Mallory \u2067evil\u2069 \u202aX\u202c"
    ticket = make_ticket(customer, subject=RLO_SUBJECT)
    login(client, agent)
    for path in ("/agent/queue", f"/agent/tickets/{ticket.number}"):
        html = client.get(path).get_data(as_text=True)
        for control in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
            assert control not in html, (path, hex(ord(control)))
        assert "Refund gnp.exe" in html


def test_finding_11_right_to_left_text_itself_is_kept(app, client, customer, agent):
    ticket = make_ticket(customer, subject="שלום – order 42")
    login(client, agent)
    html = client.get(f"/agent/tickets/{ticket.number}").get_data(as_text=True)
    assert "שלום – order 42" in html


# --- finding 12: per-address limits behind a reverse proxy ---------------------------------

def _remote_addr(app, headers, environ_base=None):
    with app.test_client() as client:
        seen = {}

        @app.get("/_whoami")
        def whoami():
            from flask import request
            seen["addr"] = request.remote_addr
            return "ok"
        client.get("/_whoami", headers=headers, environ_base=environ_base or {})
    return seen["addr"]


def test_finding_12_forwarded_for_is_ignored_without_a_trusted_proxy(app):
    assert _remote_addr(app, {"X-Forwarded-For": "203.0.113.9"},
                        {"REMOTE_ADDR": "10.0.0.2"}) == "10.0.0.2"


def test_finding_12_one_trusted_proxy_gives_the_client_address(app_config, tmp_path,
                                                                monkeypatch):
    from helpdesk import create_app
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "i"))
    app = create_app({**app_config, "TRUSTED_PROXIES": 1})
    # A client-supplied first hop is not trusted: only the one the proxy appended.
    assert _remote_addr(app, {"X-Forwarded-For": "198.51.100.7, 203.0.113.9"},
                        {"REMOTE_ADDR": "10.0.0.2"}) == "203.0.113.9"


def test_finding_12_sign_in_limits_count_per_client_behind_the_proxy(app_config, tmp_path,
                                                                      monkeypatch, customer):
    from helpdesk import create_app
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "i"))
    app = create_app({**app_config, "TRUSTED_PROXIES": 1, "RATELIMIT_ENABLED": True,
                      "LOGIN_RATE_LIMIT": "2 per minute"})
    client = app.test_client()

    def attempt(address, email="someone@test.example", password="wrong-password"):
        return client.post("/auth/login", data={"email": email, "password": password},
                           headers={"X-Forwarded-For": address},
                           environ_base={"REMOTE_ADDR": "10.0.0.2"})
    for _ in range(2):
        attempt("203.0.113.9")
    assert attempt("203.0.113.9").status_code == 429
    # Another client behind the same proxy is not throttled by the first one's failures.
    assert attempt("198.51.100.7", email=customer.email, password=PASSWORD).status_code == 302
    with app.app_context():  # this second app's pool (PostgreSQL): closed, not left to GC
        db.engine.dispose()
