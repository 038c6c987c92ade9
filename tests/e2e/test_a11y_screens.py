"""Every key page at desktop (1280 px) and phone (390 px) width: a full-page screenshot and
an axe-core scan of each, written to E2E_ARTIFACTS (screens/*.png, axe/*.json).

The server here has demo data (`flask seed-demo`), so lists and threads are not empty; the
demo logins are the ones the contract names. A page fails when axe finds a *serious* or
*critical* violation; all violations, whatever their impact, are in the JSON files and in
the summary printed at the end of the run.

Unlike the journeys, this tour may type addresses: it is about how pages look, not how a
person gets there (it still clicks to reach a ticket, whose number it cannot know).
"""
from __future__ import annotations

import pytest
from e2e_support import (
    ARTIFACTS,
    AXE_JS,
    AXE_RESULTS,
    DESKTOP,
    PHONE,
    TICKET_NUMBER,
    Actors,
    LiveServer,
    button,
    field,
    write_json,
)
from playwright.sync_api import expect

DEMO_PASSWORD = "demo-password"  # noqa: S105 (the documented demo logins)
DEMO = {"customer": "customer@example.com", "agent": "agent@example.com",
        "admin": "admin@example.com"}
BLOCKING = ("critical", "serious")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("screens"), name="screens-server",
                      seed_tickets=40).start()
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


def signed_in(people, who: str | None):
    name = who or "visitor"
    if name in people:
        return people[name].page
    page = people.new(name).page
    if who:
        page.goto("/auth/login")
        field(page, "Email").fill(DEMO[who])
        field(page, "Password").fill(DEMO_PASSWORD)
        button(page, "Sign in").click()
        expect(button(page, "Sign out")).to_be_visible()
    return page


def first_ticket(page, people, list_path: str):
    page.goto(list_path)
    # The first row (or card) that shows a ticket number, and its first link.
    row = page.get_by_role("main").locator("tr, li, article").filter(has_text=TICKET_NUMBER)
    ticket = row.first.get_by_role("link").first
    expect(ticket).to_be_visible()
    with page.expect_navigation() as navigation:
        ticket.click()
    return navigation.value


def empty_new_ticket(page, people):
    page.goto("/portal/tickets/new")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        button(page.locator("form").filter(has=field(page, "Subject")), "Submit").click()
    page.wait_for_load_state()
    return answer.value


def with_pending_application(page, people):
    """The agents page with one application waiting, so that part is on the picture too."""
    applicant = people.new("applicant").page
    applicant.goto("/auth/register/agent")
    field(applicant, "Name").fill("Pat Pending")
    field(applicant, "Email").fill("pat.pending@example.com")
    field(applicant, "Contact number").fill("+44 20 7946 0001")
    field(applicant, "Password").fill("pending-password")
    button(applicant, "Submit").click()
    expect(button(applicant, "Sign out")).to_be_visible()
    return page.goto("/admin/agents")


# name -> (who, how to get there: a path, or a function of the page), expected status
PAGES = {
    "landing": (None, "/", 200),
    "sign-in": (None, "/auth/login", 200),
    "sign-up": (None, "/auth/register", 200),
    "agent-application": (None, "/auth/register/agent", 200),
    "faq": (None, "/faq", 200),
    "my-tickets": ("customer", "/portal/tickets", 200),
    "new-ticket": ("customer", "/portal/tickets/new", 200),
    "new-ticket-with-errors": ("customer", empty_new_ticket, 400),
    "ticket-page": ("customer", lambda page, people: first_ticket(page, people, "/portal/tickets"),
                    200),
    "queue": ("agent", "/agent/queue", 200),
    "workspace": ("agent", lambda page, people: first_ticket(page, people, "/agent/queue"), 200),
    "dashboard": ("admin", "/admin/", 200),
    "agents": ("admin", lambda page, people: with_pending_application(page, people), 200),
    "audit-log": ("admin", "/admin/audit", 200),
    "organizations": ("admin", "/admin/organizations", 200),
    "organization-page": ("agent", "/agent/organizations/1", 200),  # a demo organization
    "new-webhook": ("admin", "/admin/webhooks/new", 200),
    "not-found": ("customer", "/portal/tickets/TKT-999999", 404),
}

_AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return {url: r.url, engine: r.testEngine.version, violations: r.violations,
          incomplete: r.incomplete.length, passes: r.passes.length};
}"""

_LAYOUT = """() => ({
  scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
  wide: Array.from(document.querySelectorAll('body *')).filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.right > window.innerWidth + 1 && !e.closest('.sr-only');
    }).slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (e.className && typeof e.className === 'string'
         ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
      + ` (right edge ${Math.round(e.getBoundingClientRect().right)} px)`),
})"""


def scan(page, name: str, width_name: str) -> dict:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    raw = page.evaluate(_AXE_RUN)
    layout = page.evaluate(_LAYOUT)
    violations = [{
        "id": v["id"], "impact": v["impact"], "help": v["help"], "helpUrl": v["helpUrl"],
        "tags": v["tags"], "nodes": len(v["nodes"]),
        "targets": [{"target": n["target"], "html": n["html"][:300],
                     "summary": (n.get("failureSummary") or "")[:500]}
                    for n in v["nodes"][:20]],
    } for v in raw["violations"]]
    counts = {impact: sum(1 for v in violations if v["impact"] == impact)
              for impact in ("critical", "serious", "moderate", "minor")}
    overflow = layout["scrollWidth"] - layout["innerWidth"]
    result = {"page": name, "width": width_name, "url": raw["url"],
              "axe_version": raw["engine"], "counts": counts, "violations": violations,
              "incomplete": raw["incomplete"], "passes": raw["passes"],
              "horizontal_overflow_px": max(0, overflow),
              "overflowing_elements": layout["wide"] if overflow > 0 else []}
    write_json(f"axe/{name}-{width_name}.json", result)
    AXE_RESULTS[f"{name}/{width_name}"] = result
    return result


@pytest.fixture(scope="module", autouse=True)
def _folders():
    (ARTIFACTS / "screens").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe").mkdir(parents=True, exist_ok=True)


@pytest.mark.parametrize("name", list(PAGES))
def test_key_page_screenshots_and_axe(people, name):
    assert AXE_JS.exists(), f"{AXE_JS} is missing: `npm ci` (make e2e does)"
    who, how, expected_status = PAGES[name]
    page = signed_in(people, who)
    page.set_viewport_size(DESKTOP)
    if isinstance(how, str):
        response = page.goto(how)
        status = response.status if response else None
    else:
        answer = how(page, people)
        status = answer.status if answer is not None else None
    if expected_status is not None:
        assert status == expected_status, f"{name}: HTTP {status} at {page.url}"

    results = []
    for width_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / "screens" / f"{name}-{width_name}.png"),
                        full_page=True)
        results.append(scan(page, name, width_name))
    page.set_viewport_size(DESKTOP)

    for r in results:
        print(f"{name}/{r['width']}: " + (", ".join(
            f"{v['id']} [{v['impact']}] x{v['nodes']}" for v in r["violations"]) or "clean")
            + (f"; {r['horizontal_overflow_px']} px wider than the screen"
               if r["horizontal_overflow_px"] else ""))
    blocking = [f"{r['width']}: {v['id']} [{v['impact']}] {v['help']} — "
                + "; ".join(" ".join(map(str, t["target"])) for t in v["targets"][:5])
                for r in results for v in r["violations"] if v["impact"] in BLOCKING]
    assert not blocking, (f"{name} ({page.url}) has serious/critical axe violations:\n  "
                          + "\n  ".join(blocking))

