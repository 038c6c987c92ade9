"""The API's pages in a real browser, under our real Content-Security-Policy: the
documentation renders (Swagger UI from our own files, started by a static script), and a
token made on the account page works against the API."""
from __future__ import annotations

import re

import pytest
from e2e_support import Actors, LiveServer, button, field, snap
from playwright.sync_api import expect

DEMO_PASSWORD = "demo-password"  # noqa: S105 (the documented demo logins)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("api"), name="api-server", seed_tickets=5).start()
    globals()["SERVER_FOR_LOGS"] = live
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def people(browser, server):
    actors = Actors(browser, server.url)  # CSP enforced: nothing is bypassed here
    try:
        yield actors
    finally:
        actors.close()


def test_the_api_documentation_renders_under_our_csp(people):
    reader = people.new("reader")
    page = reader.page
    page.goto("/api/docs")
    expect(page.get_by_role("heading", name=re.compile("Helpdesk API"))).to_be_visible()
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/tickets").first
    expect(operation).to_be_visible()
    snap(page, "api-docs", folder="api")
    assert reader.browser_errors == []  # no CSP refusal, no script error


def test_a_token_made_on_the_account_page_calls_the_api(people):
    customer = people.new("customer")
    page = customer.page
    page.goto("/")
    page.get_by_role("link", name="Sign in").first.click()
    field(page, "Email").fill("customer@example.com")
    field(page, "Password").fill(DEMO_PASSWORD)
    button(page, "Sign in").click()
    page.get_by_role("link", name="Casey Customer").click()  # the name in the header
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    field(page, "Token name").fill("My script")
    button(page, "Create token").click()
    secret = field(page, "Your new token").input_value()
    assert secret.startswith("hdp_")
    snap(page, "account-token", folder="api")
    me = page.request.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status == 200 and me.json()["email"] == "customer@example.com"
    page.goto("/auth/account")
    expect(page.get_by_role("cell", name="My script", exact=True)).to_be_visible()
    assert secret not in page.content()  # shown once
    button(page, "Revoke My script").click()
    expect(page.get_by_text("is revoked")).to_be_visible()
    assert customer.browser_errors == []
