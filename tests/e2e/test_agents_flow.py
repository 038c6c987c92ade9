"""Issue 15, agents working together (agents-flow): two agents on one ticket in two
browser contexts — they see each other, one replies, the other's stale reply is held
with the new activity and goes through on "Send anyway"; the "?" shortcuts dialog; axe
on the new dialogs and pages (0 serious or critical)."""
from __future__ import annotations

import re

import pytest
from e2e_support import AXE_JS, TICKET_NUMBER, Actors, LiveServer, button, field, snap
from playwright.sync_api import expect

DEMO_PASSWORD = "demo-password"  # noqa: S105 (the documented demo logins)
BLOCKING = ("critical", "serious")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("agents-flow"), name="agents-flow-server",
                      seed_tickets=20).start()
    globals()["SERVER_FOR_LOGS"] = live
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="module")
def people(browser, server):
    actors = Actors(browser, server.url, bypass_csp=True)  # so axe.min.js may be injected
    try:
        yield actors
    finally:
        actors.close()


def sign_in(people, name: str, email: str):
    if name in people:
        return people[name].page
    page = people.new(name).page
    page.goto("/auth/login")
    field(page, "Email").fill(email)
    field(page, "Password").fill(DEMO_PASSWORD)
    button(page, "Sign in").click()
    expect(button(page, "Sign out")).to_be_visible()
    return page


def blocking_violations(page) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['id']} ({v['impact']}): {v['nodes'][0]['html'][:200]}"
            for v in violations if v["impact"] in BLOCKING]


def first_ticket_url(page) -> str:
    page.goto("/agent/queue")
    row = page.get_by_role("main").locator("tr").filter(has_text=TICKET_NUMBER)
    link = row.first.get_by_role("link").first
    with page.expect_navigation():
        link.click()
    return page.url


def test_a_stale_reply_is_held_while_a_fresh_one_goes_through(people):
    agent = sign_in(people, "agent", "agent@example.com")
    admin = sign_in(people, "admin", "admin@example.com")
    url = first_ticket_url(agent)
    admin.goto(url)
    # presence: the admin's page announces the agent (who opened the ticket first)
    expect(admin.locator("#presence")).to_contain_text("Alex Agent is viewing")

    # the admin starts typing a reply on the page as it was loaded...
    field(admin, "Message").fill("Admin's answer, typed on an old page.")
    # ...while the agent adds an internal note: fresh, so it goes straight through
    field(agent, "Message").fill("Agent's note: checked the carrier.")
    agent.get_by_label(re.compile(r"^\s*Internal note", re.I)).check()
    # note mode: the composer's button says "Add note" (daily use: one composer)
    button(agent.locator("form").filter(has=field(agent, "Message")), "Add note").click()
    expect(agent.get_by_text("Internal note added.")).to_be_visible()

    # the admin's reply is now stale: held, with the note shown and the text kept
    with admin.expect_response(lambda r: r.request.method == "POST") as answer:
        button(admin.locator("form").filter(has=field(admin, "Message")), "Send").click()
    assert answer.value.status == 409
    held = admin.locator("#collision")
    expect(held).to_contain_text("changed since you opened it")
    expect(held).to_contain_text("Agent's note: checked the carrier.")
    expect(field(admin, "Message")).to_have_value("Admin's answer, typed on an old page.")
    snap(admin, "agents-flow-held-reply")
    assert blocking_violations(admin) == []

    button(held, "Send anyway").click()
    expect(admin.get_by_text("Reply sent.")).to_be_visible()
    expect(admin.locator(".thread")).to_contain_text("Admin's answer, typed on an old page.")


def test_the_shortcuts_dialog_opens_with_a_question_mark(people):
    agent = sign_in(people, "agent", "agent@example.com")
    agent.goto("/agent/queue")
    agent.locator("body").press("?")
    dialog = agent.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Internal note")
    snap(agent, "agents-flow-shortcuts")
    assert blocking_violations(agent) == []
    agent.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # j moves to the first row and announces it; o opens it; t takes it (when it can)
    agent.locator("body").press("j")
    expect(agent.locator("#shortcut-status")).to_contain_text("row 1 of")
    with agent.expect_navigation():
        agent.keyboard.press("o")
    assert "/agent/tickets/" in agent.url
    agent.locator("body").press("r")
    expect(field(agent, "Message")).to_be_focused()
    agent.locator("body").click(position={"x": 5, "y": 5})  # out of the field again
    if button(agent, "Take").count():
        with agent.expect_navigation():
            agent.locator("body").press("t")
        expect(agent.get_by_text(re.compile(r"You took"))).to_be_visible()


def test_the_merge_and_links_sections_and_the_merge_page_pass_axe(people):
    admin = sign_in(people, "admin", "admin@example.com")
    first_ticket_url(admin)
    expect(field(admin, "Merge into")).to_be_visible()
    expect(field(admin, "Related ticket")).to_be_visible()
    assert blocking_violations(admin) == []
    admin.goto("/agent/queue/merge")
    expect(admin.get_by_role("heading", name="Merge tickets")).to_be_visible()
    assert blocking_violations(admin) == []
