"""Accounts by mail in a real browser: the server sends to an SMTP server the test runs
(aiosmtpd, tests/mailservers.py); `flask worker --once` sends what is queued, as the
worker beside the web server would. Links are followed from the mail that arrived.

1. A new customer signs up, is asked to check their mail (not signed in yet), opens
   the mailed link, and then reaches the new-ticket form.
2. "Forgot password?" → mail → link → New password → signed in; the new password works.
"""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from e2e_support import Actors, LiveServer, button, field, link, snap
from mailservers import SmtpServer
from playwright.sync_api import expect

PASSWORD = "e2e-password-123"  # noqa: S105 (throwaway accounts)
NEW_PASSWORD = "a-new-e2e-password"  # noqa: S105
PERSON = SimpleNamespace(name="Mira Mailer", email="mira@e2e.example")


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory, smtp):
    live = LiveServer(tmp_path_factory.mktemp("mail-journeys"), name="mail-server",
                      env_overrides={"HELPDESK_MAIL_HOST": smtp.host,
                                     "HELPDESK_MAIL_PORT": str(smtp.port),
                                     "HELPDESK_MAIL_FROM": "Helpdesk <support@e2e.example>"}
                      ).start()
    globals()["SERVER_FOR_LOGS"] = live
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def actors(browser, server):
    people = Actors(browser, server.url)
    try:
        yield people
    finally:
        people.close()


def mailed_link(server, smtp, subject: str) -> str:
    """Run the worker once, then the link in the newest mail to PERSON with `subject`."""
    server.cli("worker", "--once")
    mails = [m for m in smtp.wait_for(1, to=PERSON.email) if subject in m["Subject"]]
    assert mails, f"no mail about {subject!r} arrived"
    found = re.search(re.escape(server.url) + r"/auth/\S+", mails[-1].text)
    assert found, mails[-1].text
    return found.group(0)


def test_a_new_customer_confirms_the_address_by_mail_before_a_first_ticket(
        server, smtp, actors):
    page = actors.new("mira").page
    page.goto("/")
    link(page, "Create account").first.click()
    field(page, "Name").fill(PERSON.name)
    field(page, "Email").fill(PERSON.email)
    field(page, "Password").fill(PASSWORD)
    button(page, "Create account").click()
    # The same answer whether or not the address has an account (SECURITY.md, finding 4).
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    snap(page, "mail-1-check-your-mail")
    page.goto(mailed_link(server, smtp, "Confirm your e-mail address"))
    expect(page.get_by_text("is confirmed")).to_be_visible()  # and signed in
    link(page, "New ticket").first.click()
    expect(field(page, "Subject")).to_be_visible()
    button(page, "Sign out").click()


def test_forgot_password_mail_link_new_password_signed_in(server, smtp, actors):
    page = actors["mira"].page
    page.goto("/")
    link(page, "Sign in").first.click()
    link(page, "Forgot password?").click()
    field(page, "Email").fill(PERSON.email)
    button(page, "Send me a link").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    page.goto(mailed_link(server, smtp, "Reset your password"))
    field(page, "New password").fill(NEW_PASSWORD)
    snap(page, "mail-2-new-password")
    button(page, "Save password").click()
    expect(button(page, "Sign out")).to_be_visible()  # signed in
    expect(page.get_by_text("Your password is changed")).to_be_visible()
    button(page, "Sign out").click()
    link(page, "Sign in").first.click()
    field(page, "Email").fill(PERSON.email)
    field(page, "Password").fill(NEW_PASSWORD)
    button(page, "Sign in").click()
    expect(button(page, "Sign out")).to_be_visible()
