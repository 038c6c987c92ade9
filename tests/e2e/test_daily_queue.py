"""Daily use of the queue and the console (issue 17, daily-queue), in a real browser:
oldest first from the column header, "N selected" and the confirmation of the bulk bar,
what an agent is (not) offered, and every page this work changed at 1280 and 390 px with
an axe-core scan (0 serious or critical violations).

Screenshots: $E2E_ARTIFACTS/daily-queue/<page>-<width>.png; axe reports:
$E2E_ARTIFACTS/axe/daily-queue-<page>-<width>.json (and the summary at the end of the run).
"""
from __future__ import annotations

import re

import pytest
from e2e_support import (
    ARTIFACTS,
    AXE_JS,
    AXE_RESULTS,
    DESKTOP,
    PHONE,
    Actors,
    LiveServer,
    button,
    field,
    link,
    write_json,
)
from playwright.sync_api import expect

DEMO_PASSWORD = "demo-password"  # noqa: S105 (the documented demo logins)
DEMO = {"agent": "agent@example.com", "admin": "admin@example.com"}
BLOCKING = ("critical", "serious")
SHOTS = ARTIFACTS / "daily-queue"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("daily-queue"), name="daily-queue-server",
                      seed_tickets=80).start()
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


def signed_in(people, who: str):
    if who in people:
        return people[who].page
    page = people.new(who).page
    page.goto("/auth/login")
    field(page, "Email").fill(DEMO[who])
    field(page, "Password").fill(DEMO_PASSWORD)
    button(page, "Sign in").click()
    expect(button(page, "Sign out")).to_be_visible()
    return page


_AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.length, targets: v.nodes.slice(0, 10).map((n) => n.target)}));
}"""


def look(page, name: str) -> None:
    """Screenshots at 1280 and 390 px and an axe scan at each; serious or critical
    violations fail the test (all of them are in the JSON report)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe").mkdir(parents=True, exist_ok=True)
    blocking = []
    for width_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{width_name}.png"), full_page=True)
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE_JS))
        violations = page.evaluate(_AXE_RUN)
        counts = {impact: sum(1 for v in violations if v["impact"] == impact)
                  for impact in ("critical", "serious", "moderate", "minor")}
        result = {"page": f"dq-{name}", "width": width_name, "url": page.url,
                  "counts": counts, "violations": violations}
        write_json(f"axe/daily-queue-{name}-{width_name}.json", result)
        AXE_RESULTS[f"dq-{name}/{width_name}"] = result
        blocking += [f"{width_name}: {v['id']} [{v['impact']}] {v['targets']}"
                     for v in violations if v["impact"] in BLOCKING]
    page.set_viewport_size(DESKTOP)
    assert not blocking, f"{name}: " + "; ".join(blocking)


def _created_times(page) -> list[str]:
    """The Created column's exact times (ISO, from <time datetime>) in row order."""
    return page.locator('td[data-label="Created"] time').evaluate_all(
        "(els) => els.map((e) => e.getAttribute('datetime'))")


def test_oldest_first_from_the_created_header(people):
    page = signed_in(people, "agent")
    link(page, "Queue").click()
    created = page.get_by_role("columnheader", name=re.compile(r"^\s*Created"))
    expect(created).to_have_attribute("aria-sort", "descending")   # newest first
    newest_first = _created_times(page)
    assert newest_first == sorted(newest_first, reverse=True) and len(newest_first) > 5
    created.get_by_role("link").click()
    expect(created).to_have_attribute("aria-sort", "ascending")
    oldest_first = _created_times(page)
    assert oldest_first == sorted(oldest_first)
    assert oldest_first[0] < newest_first[-1] or oldest_first[0] == min(newest_first)
    expect(page.get_by_text("Tickets, sorted by oldest first")).to_be_attached()
    look(page, "queue-oldest-first")


def test_the_skip_link_reaches_the_first_row_in_few_tab_stops(people):
    """Tab, Tab, Enter ("Skip to the results"), Tab: the first row's checkbox."""
    page = signed_in(people, "agent")
    page.goto("/agent/queue")
    first_pick = page.get_by_label(re.compile(r"^Pick ")).first.get_attribute("id")
    page.keyboard.press("Tab")       # the site's "Skip to main content"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == \
        "Skip to the results"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == first_pick
    # and without the skip links, by Tab alone: counted for the note
    page.goto("/agent/queue")
    presses = 0
    while presses < 80 and page.evaluate("() => document.activeElement.id") != first_pick:
        page.keyboard.press("Tab")
        presses += 1
    write_json("daily-queue/tab-stops.json", {"with_skip_link": "Tab, Tab, Enter, Tab",
                                              "tab_alone_to_first_row": presses})


def test_bulk_bar_counts_the_selection_and_asks_first(people):
    page = signed_in(people, "admin")
    page.goto("/agent/queue")
    bar = page.get_by_role("region", name="Bulk actions")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("0 selected")
    picks = page.get_by_label(re.compile(r"^Pick "))
    for i in range(3):
        picks.nth(i).check()
    expect(bar).to_contain_text("3 selected")
    # the bar stays on screen while the rows scroll under it
    page.mouse.wheel(0, 1500)
    expect(bar).to_be_in_viewport()
    field(page, "Bulk action").select_option(label="High")
    questions = []  # the Actor answers OK; this only writes the question down
    page.once("dialog", lambda dialog: questions.append(dialog.message))
    button(bar, "Apply to selected").click()
    expect(page.get_by_text(re.compile(r"Changed 3 tickets|Already like that"))).to_be_visible()
    assert questions and "3 tickets" in questions[0] and "High" in questions[0]
    look(page, "queue-after-bulk")


def test_select_all_counts_the_page_and_agents_get_no_admin_actions(people):
    page = signed_in(people, "agent")
    page.goto("/agent/queue")
    page.get_by_label("Select every ticket on this page").check()
    rows = page.get_by_label(re.compile(r"^Pick ")).count()
    expect(page.get_by_role("region", name="Bulk actions")).to_contain_text(f"{rows} selected")
    options = field(page, "Bulk action").locator("option").all_inner_texts()
    assert not any("Delete" in o for o in options)
    assert any("Take" in o for o in options)
    expect(link(page, "Export this view")).to_have_count(0)
    look(page, "queue-agent-all-selected")


def test_more_filters_and_an_email_search_with_closed_tickets(people):
    page = signed_in(people, "agent")
    page.goto("/agent/queue")
    page.get_by_text("More filters").click()
    expect(field(page, "Assignee")).to_be_visible()
    field(page, "Search").fill("customer@example.com")
    button(page, "Apply filters").click()
    expect(page.get_by_text(re.compile("resolved and closed tickets are shown too"))) \
        .to_be_visible()
    look(page, "queue-email-search")
    requester = page.locator('td[data-label="Requester"] a').first
    requester.click()
    expect(page.get_by_role("heading", name="Contact")).to_be_visible()
    expect(page.get_by_role("link", name="customer@example.com")).to_be_visible()
    look(page, "customer-page")


def test_console_pages(people):
    page = signed_in(people, "admin")
    page.goto("/admin/")
    tile = page.get_by_role("link", name=re.compile(r"^Overdue:"))
    look(page, "dashboard")
    tile.click()
    expect(page.get_by_role("link", name=re.compile(r"^Overdue")).first).to_have_attribute(
        "aria-current", "page")

    page.goto("/admin/audit")
    field(page, "Action").select_option(label="Priority changed")
    button(page, "Filter").click()
    expect(page.get_by_role("cell", name="Priority changed").first).to_be_visible()
    look(page, "audit-priority-changed")

    page.goto("/admin/categories")
    look(page, "categories")
    first_name = page.locator("tbody th").first.inner_text().split("\n")[0]
    page.get_by_role("button", name=f"Move {first_name} down").click()
    expect(page.locator("tbody th").nth(1)).to_contain_text(first_name)

    page.goto("/admin/sla")
    look(page, "sla")

    page.goto("/agent/queue?q=parcel")
    link(page, "Export this view").click()
    expect(page.get_by_role("heading", name="Scope: this view")).to_be_visible()
    look(page, "export-view")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Export").click()
    expect(page.get_by_role("heading", name="Scope: all tickets")).to_be_visible()


def test_pending_agent_and_required_marks(people):
    page = people.new("applicant").page
    page.goto("/auth/register/agent")
    expect(page.locator(".required-mark").first).to_be_visible()
    look(page, "agent-application")
    field(page, "Name").fill("Pat Pending")
    field(page, "Email").fill("pat.pending@example.com")
    field(page, "Contact number").fill("+44 20 7946 0001")
    field(page, "Password").fill("pending-password")
    button(page, "Submit").click()
    expect(button(page, "Sign out")).to_be_visible()
    response = page.goto("/agent/queue")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Your application is waiting for approval")) \
        .to_be_visible()
    look(page, "pending-agent")


def test_without_the_script_a_bulk_delete_is_confirmed_on_a_page(people):
    """What a browser without JavaScript gets: the form arrives unconfirmed, so the
    server asks on a page of its own (simulated by taking out the confirmation field)."""
    page = signed_in(people, "admin")
    page.goto("/agent/queue?sort=oldest")
    page.get_by_label(re.compile(r"^Pick ")).first.check()
    number = page.locator('td[data-label="Number"]').first.inner_text().strip()
    page.evaluate("() => document.querySelector('input[name=\"confirmed\"]').remove()")
    field(page, "Bulk action").select_option(label="Delete the selected tickets")
    button(page, "Apply to selected").click()
    expect(page.get_by_role("heading", name=re.compile("Delete the selected tickets"))) \
        .to_be_visible()
    expect(page.get_by_text(number)).to_be_visible()
    look(page, "bulk-delete-confirmation")
    link(page, "Cancel").click()
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    expect(page.get_by_text(number).first).to_be_visible()   # nothing was deleted
