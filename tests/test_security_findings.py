"""The second outside penetration test's findings, one test (or a few) per finding,
named after it. Each failed before its fix."""
import hashlib
import os

import pytest
import redis
from conftest import PASSWORD, login, make_ticket
from sqlalchemy import func, select

from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Notification, OutboxMail, Ticket, User, UserSession
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


# --- finding 2: account lockout on demand ---------------------------------------------------

REDIS_URL = os.environ.get("HELPDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(params=["memory", "redis"])
def sign_in_limits(request, app_config):
    """Small limits, with the in-process store and with Redis (production's)."""
    app_config.update(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute",
                      LOGIN_ADDRESS_RATE_LIMIT="10 per minute",
                      LOGIN_ACCOUNT_RATE_LIMIT="5 per hour",
                      LOGIN_ACCOUNT_SLOW_LIMIT="1 per 15 minutes", MAIL_HOST="localhost")
    if request.param == "redis":
        app_config["RATELIMIT_STORAGE_URL"] = REDIS_URL
        redis.Redis.from_url(REDIS_URL).flushdb()  # database 15 is the tests' own
    return app_config


def _sign_in(client, email, password="wrong-password", ip="10.0.0.1"):
    return client.post("/auth/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_finding_02_an_attacker_address_cannot_lock_the_owner_out(
        sign_in_limits, app, client, customer):
    for _ in range(3):
        assert _sign_in(client, customer.email).status_code == 400
    assert _sign_in(client, customer.email).status_code == 429  # the attacker waits
    owner = app.test_client()
    assert _sign_in(owner, customer.email, PASSWORD, ip="192.0.2.50").status_code == 302


def test_finding_02_the_address_limit_counts_every_account(sign_in_limits, app, client):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "4 per minute"
    for n in range(4):
        assert _sign_in(client, f"nobody{n}@test.example").status_code == 400
    assert _sign_in(client, "someone-else@test.example").status_code == 429


def test_finding_02_e_mail_case_does_not_give_more_tries(sign_in_limits, app, client, customer):
    for email in (customer.email.upper(), f"  {customer.email.title()} ", customer.email):
        assert _sign_in(client, email).status_code == 400
    assert _sign_in(client, customer.email.upper()).status_code == 429


def test_finding_02_guesses_from_many_addresses_slow_the_account_without_a_wall(
        sign_in_limits, app, client, customer):
    for n in range(5):  # a botnet: one guess per address takes the account over its limit
        assert _sign_in(client, customer.email, ip=f"203.0.113.{n}").status_code == 400
    # From now on each address has the slow path only: no second guess for a while ...
    assert _sign_in(client, customer.email, ip="203.0.113.0").status_code == 429
    assert _sign_in(client, customer.email, PASSWORD, ip="203.0.113.1").status_code == 429
    # ... a fresh address gets one try, and the owner's right password goes through.
    assert _sign_in(client, customer.email, ip="203.0.113.99").status_code == 400
    assert _sign_in(client, customer.email, ip="203.0.113.99").status_code == 429
    owner = app.test_client()
    assert _sign_in(owner, customer.email, PASSWORD, ip="198.51.100.20").status_code == 302


def test_finding_02_the_api_token_endpoint_has_the_same_throttle(
        sign_in_limits, app, client, customer):
    def token(password, ip):
        return client.post("/api/v1/auth/token", json={"email": customer.email,
                                                        "password": password},
                           environ_base={"REMOTE_ADDR": ip})
    for _ in range(3):
        assert token("wrong-password", "10.0.0.1").status_code == 401
    refused = token(PASSWORD, "10.0.0.1")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert token(PASSWORD, "192.0.2.7").status_code == 200


def test_finding_02_the_owner_is_told_once_about_a_burst_of_failures(
        sign_in_limits, app, client, customer):
    for n in range(8):
        _sign_in(client, customer.email, ip=f"203.0.113.{n}")
    mails = db.session.scalars(select(OutboxMail).where(
        OutboxMail.kind == "sign_in_failures")).all()
    assert [mail.to_address for mail in mails] == [customer.email]
    notes = db.session.scalars(select(Notification).where(
        Notification.user_id == customer.id, Notification.kind == "sign_in_failures")).all()
    assert len(notes) == 1 and "wrong passwords" in notes[0].text
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "sign_in_failures", AuditEvent.subject_user_id == customer.id))


def test_finding_02_unknown_addresses_are_throttled_but_nobody_is_told(
        sign_in_limits, app, client):
    for n in range(6):
        _sign_in(client, "nobody@test.example", ip=f"203.0.113.{n}")
    assert db.session.scalar(select(func.count(OutboxMail.id))) == 0


# --- finding 4: sign-up tells which addresses have accounts ---------------------------------

def _sign_up(client, email, ip="10.0.0.1", agent=False):
    data = {"name": "Nina New", "email": email, "password": "long-enough"}
    if agent:
        data["contact_number"] = "+44 20 7946 0000"
    return client.post("/auth/register/agent" if agent else "/auth/register", data=data,
                       environ_base={"REMOTE_ADDR": ip})


def _page_text(response) -> str:
    """The page without its per-address parts, to compare two answers."""
    import re
    html = response.get_data(as_text=True)
    return re.sub(r"[\w.+-]+@[\w.-]+", "ADDRESS", html)


@pytest.mark.parametrize("agent", [False, True], ids=["sign-up", "agent-application"])
def test_finding_04_a_taken_address_gets_the_same_answer_as_a_new_one(
        smtp, app, client, customer, agent):
    taken = _sign_up(client, customer.email.upper(), agent=agent)
    new = _sign_up(app.test_client(), "brand-new@test.example", agent=agent)
    assert taken.status_code == new.status_code == 200
    assert _page_text(taken) == _page_text(new)
    assert "Check your mail" in new.get_data(as_text=True)
    # The owner of the taken address hears of it; the new address gets its link.
    kinds = dict(db.session.execute(select(OutboxMail.to_address, OutboxMail.kind)).all())
    assert kinds[customer.email] == "sign_up_attempt"
    assert kinds["brand-new@test.example"] == "verify_email"
    assert db.session.scalar(select(func.count(User.id)).where(
        User.email == customer.email)) == 1


@pytest.fixture
def sign_up_limit(app_config):
    app_config.update(RATELIMIT_ENABLED=True, SIGNUP_RATE_LIMIT="3 per hour")


def test_finding_04_sign_ups_and_applications_are_throttled_per_address(sign_up_limit, client,
                                                                       app):
    for n in range(2):
        assert _sign_up(client, f"new{n}@test.example").status_code == 302
        client.post("/auth/logout")
    assert _sign_up(client, "agent@test.example", agent=True).status_code == 302
    client.post("/auth/logout")
    refused = _sign_up(client, "new9@test.example")
    assert refused.status_code == 429
    assert "Too many sign-ups" in refused.get_data(as_text=True)
    assert "Nina New" in refused.get_data(as_text=True)  # the form keeps what was typed
    assert _sign_up(client, "new9@test.example", ip="10.0.0.2").status_code == 302


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


# --- finding 9: out-of-range integers -------------------------------------------------------

BEYOND_64_BITS = "99999999999999999999999"


def test_finding_09_out_of_range_integers_are_404_or_400_never_500(app, customer, admin):
    from conftest import make_ticket as _ticket
    _ticket(customer)
    anonymous, person, staff = app.test_client(), app.test_client(), app.test_client()
    login(person, customer)
    login(staff, admin)
    expected = [
        (anonymous, "get", f"/faq?category={BEYOND_64_BITS}", {200}),
        (anonymous, "get", "/files/9223372036854775808", {404}),
        (person, "get", f"/portal/tickets?page={BEYOND_64_BITS}", {200}),
        (staff, "get", f"/agent/queue?page={BEYOND_64_BITS}", {200}),
        (staff, "get", f"/agent/queue?category={BEYOND_64_BITS}", {400}),
        (staff, "get", f"/admin/audit?page={BEYOND_64_BITS}", {200}),
        (staff, "get", f"/admin/agents?page={BEYOND_64_BITS}", {200}),
        (staff, "get", "/admin/agents/9223372036854775808/teams", {404}),
        (staff, "get", f"/agent/organizations/{BEYOND_64_BITS}", {404}),
    ]
    for client, method, path, statuses in expected:
        assert getattr(client, method)(path).status_code in statuses, path
    for client, path, extra in ((person, "/portal/tickets/new", {}),
                                (staff, "/agent/tickets/new",
                                 {"customer_email": customer.email})):
        response = client.post(path, data={"subject": "Broken", "description": "It is.",
                                           "category": BEYOND_64_BITS, **extra})
        assert response.status_code == 400, path


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


# --- finding 5: sign-out does not end the session ---------------------------------------------

def _copy_cookies(source, target, *names):
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        target.set_cookie(name, cookie.value)


def test_finding_05_a_copied_session_cookie_fails_after_sign_out(app, client, customer):
    login(client, customer)
    thief = app.test_client()
    _copy_cookies(client, thief, "session")
    assert thief.get("/portal/tickets").status_code == 200
    client.post("/auth/logout")
    refused = thief.get("/portal/tickets")
    assert refused.status_code == 302 and "/auth/login" in refused.headers["Location"]
    assert thief.post("/portal/tickets/new", data={
        "subject": "Opened with a stolen cookie", "description": "x"}).status_code == 302
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_finding_05_a_copied_remember_me_cookie_fails_after_sign_out(app, client, customer):
    client.post("/auth/login", data={"email": customer.email, "password": PASSWORD,
                                     "remember": "y"})
    stolen = client.get_cookie("remember_token").value
    thief = app.test_client()
    thief.set_cookie("remember_token", stolen)  # no session cookie: restored from this one
    assert thief.get("/portal/tickets").status_code == 200
    client.post("/auth/logout")
    later = app.test_client()
    later.set_cookie("remember_token", stolen)
    assert later.get("/portal/tickets").status_code == 302


@pytest.mark.parametrize("how", ["password", "suspension", "everywhere"])
def test_finding_05_sessions_end_on_password_change_suspension_and_sign_out_everywhere(
        app, client, agent, admin, how):
    login(client, agent)
    laptop = app.test_client()
    login(laptop, agent)
    if how == "password":
        assert client.post("/auth/password", data={
            "current_password": PASSWORD, "new_password": "a-new-password"}).status_code == 302
        assert client.get("/agent/queue").status_code == 200  # the one who changed it stays
    elif how == "suspension":
        boss = app.test_client()
        login(boss, admin)
        assert boss.post(f"/admin/agents/{agent.id}/suspend").status_code == 302
    else:
        assert client.post("/auth/logout/everywhere").status_code == 302
        assert client.get("/agent/queue").status_code == 302
    assert laptop.get("/agent/queue").status_code == 302


def test_finding_05_a_deactivated_customer_is_signed_out(app, client, customer, admin):
    login(client, customer)
    boss = app.test_client()
    login(boss, admin)
    assert boss.post(f"/admin/customers/{customer.id}/deactivate").status_code == 302
    assert client.get("/portal/tickets").status_code == 302
    assert db.session.scalar(select(func.count(UserSession.id)).where(
        UserSession.user_id == customer.id, UserSession.ended_at.is_(None))) == 0


def test_finding_05_a_session_ended_on_one_process_is_refused_on_another(
        app, app_config, client, customer, tmp_path, monkeypatch):
    """Two app instances on one database (PostgreSQL in CI's second run): no shared
    memory, only the sessions table."""
    from helpdesk import create_app
    monkeypatch.setenv("HELPDESK_INSTANCE_PATH", str(tmp_path / "second"))
    second = create_app(app_config)
    login(client, customer)
    elsewhere = second.test_client()
    _copy_cookies(client, elsewhere, "session")
    assert elsewhere.get("/portal/tickets").status_code == 200
    client.post("/auth/logout")
    assert elsewhere.get("/portal/tickets").status_code == 302
    with second.app_context():
        db.engine.dispose()


def test_finding_05_last_seen_is_written_at_most_once_a_minute(app, client, customer):
    login(client, customer)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == customer.id))
    first_seen = row.last_seen_at
    for _ in range(3):
        client.get("/portal/tickets")
    db.session.refresh(row)
    assert row.last_seen_at == first_seen


# --- finding 6: the CSRF token is not rotated at sign-in ---------------------------------------

@pytest.fixture
def with_csrf(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def _token(client, path):
    import re
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _csrf_sign_in(client, user):
    token = _token(client, "/auth/login")
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302
    return token


def test_finding_06_a_token_minted_before_sign_in_is_refused_after(with_csrf, app, client,
                                                                    customer):
    before = _csrf_sign_in(client, customer)
    stale = client.post("/auth/account/mail", data={"csrf_token": before})
    assert stale.status_code == 400
    fresh = client.post("/auth/account/mail",
                        data={"csrf_token": _token(client, "/auth/account")})
    assert fresh.status_code == 302


def test_finding_06_sign_in_and_sign_out_start_a_new_cookie_session(with_csrf, app, client,
                                                                    customer):
    client.get("/auth/login")
    anonymous_cookie = client.get_cookie("session").value
    _csrf_sign_in(client, customer)
    signed_in_cookie = client.get_cookie("session").value
    assert signed_in_cookie != anonymous_cookie
    token = _token(client, "/portal/tickets")
    assert client.post("/auth/logout", data={"csrf_token": token}).status_code == 302
    # The signed-in session's token is no good to whoever uses the browser next.
    assert client.post("/auth/login", data={"email": customer.email, "password": PASSWORD,
                                            "csrf_token": token}).status_code == 400


# --- finding 7: the fresh-sign-in rule misses the CSV export ----------------------------------

def test_finding_07_a_remembered_session_must_confirm_the_password_for_the_csv_export(
        app, client, admin, customer):
    make_ticket(customer, subject="Visible in the export")
    client.post("/auth/login", data={"email": admin.email, "password": PASSWORD,
                                     "remember": "y"})
    assert client.get("/agent/queue.csv").status_code == 200
    client.delete_cookie("session")  # the browser was closed; only the remember cookie
    assert client.get("/agent/queue").status_code == 200  # still signed in
    for path in ("/agent/queue.csv", "/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login(client, admin)
    export = client.get("/agent/queue.csv")
    assert export.status_code == 200 and "Visible in the export" in export.get_data(as_text=True)


def test_finding_07_fresh_sign_in_is_a_rule_of_the_policy_per_action():
    from helpdesk.permissions import needs_fresh_sign_in
    assert needs_fresh_sign_in("console") and needs_fresh_sign_in("export_tickets")
    assert not needs_fresh_sign_in("see_queue") and not needs_fresh_sign_in(None)


# --- finding 8: no throttling on the current-password check ----------------------------------

@pytest.fixture
def password_check_limit(app_config):
    app_config.update(RATELIMIT_ENABLED=True, PASSWORD_CHECK_RATE_LIMIT="3 per 15 minutes")


def test_finding_08_current_password_guesses_are_throttled(password_check_limit, app, client,
                                                          customer):
    login(client, customer)
    for n in range(3):
        wrong = client.post("/auth/password", data={"current_password": f"guess-{n}-wrong",
                                                    "new_password": "a-new-password"})
        assert wrong.status_code == 400
    refused = client.post("/auth/password", data={"current_password": PASSWORD,
                                                  "new_password": "a-new-password"})
    assert refused.status_code == 429
    assert "Too many wrong passwords" in refused.get_data(as_text=True)
    db.session.refresh(customer)
    assert accounts.authenticate(customer.email, PASSWORD) is not None  # unchanged
    # The address-change form asks the same question and shares the count.
    assert client.post("/auth/account/email", data={
        "new_email": "new@test.example", "password": PASSWORD}).status_code == 429


# --- the sessions section of the account page -------------------------------------------------

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")


def _sign_in_from(app, user, agent, ip):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD},
                           headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": ip})
    assert response.status_code == 302
    return client


def test_the_account_page_lists_sessions_and_ends_one_or_all_others(app, customer,
                                                                   other_customer):
    desk = _sign_in_from(app, customer, FIREFOX, "192.0.2.10")
    phone = _sign_in_from(app, customer, SAFARI, "198.51.100.4")
    tablet = _sign_in_from(app, customer, "curl/8.5.0", "203.0.113.8")
    _sign_in_from(app, other_customer, FIREFOX, "192.0.2.99")
    page = desk.get("/auth/account", headers={"User-Agent": FIREFOX}).get_data(as_text=True)
    assert "Firefox on Windows" in page and "Safari on iPhone" in page and "curl/8.5.0" in page
    assert "198.51.100.4" in page and "This device" in page
    assert "192.0.2.99" not in page  # someone else's
    phone_row = db.session.scalar(select(UserSession).where(
        UserSession.user_id == customer.id, UserSession.ip_address == "198.51.100.4"))
    assert desk.post(f"/auth/account/sessions/{phone_row.id}/end").status_code == 302
    assert phone.get("/portal/tickets").status_code == 302
    assert tablet.get("/portal/tickets").status_code == 200
    assert desk.post("/auth/account/sessions/end-others").status_code == 302
    assert tablet.get("/portal/tickets").status_code == 302
    assert desk.get("/portal/tickets").status_code == 200  # this device stays


def test_nobody_ends_someone_elses_session(app, customer, other_customer):
    mine = _sign_in_from(app, customer, FIREFOX, "192.0.2.10")
    theirs = _sign_in_from(app, other_customer, FIREFOX, "192.0.2.11")
    row = db.session.scalar(select(UserSession).where(
        UserSession.user_id == other_customer.id))
    assert mine.post(f"/auth/account/sessions/{row.id}/end").status_code == 404
    assert theirs.get("/portal/tickets").status_code == 200
