"""Browser fixtures: Chromium via Playwright (Debian's /usr/bin/chromium, never a
downloaded build), people ("actors") each in their own browser context, failure
screenshots, and the accessibility summary at the end of the run.

Run with `make e2e`. Artifacts (screenshots, axe reports, server logs) go to the folder
named by E2E_ARTIFACTS (default instance/e2e/)."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from e2e_support import (
    ACTION_TIMEOUT_MS,
    ARTIFACTS,
    AXE_RESULTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    OPEN_ACTORS,
    clean_artifacts,
    write_json,
)
from playwright.sync_api import expect, sync_playwright

expect.set_options(timeout=ACTION_TIMEOUT_MS)


# --- session: artifacts folder, Playwright, Chromium ---------------------------------------

@pytest.fixture(scope="session", autouse=True)
def artifacts() -> Path:
    clean_artifacts()
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (make e2e does)")
    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        pw.stop()


@pytest.fixture(autouse=True)
def no_server_errors(request):
    """Whatever a test did, no page may have answered 5xx, and JavaScript must not fail."""
    started = time.monotonic()
    seen = {id(a): (len(a.server_errors), len(a.browser_errors)) for a in OPEN_ACTORS}
    yield
    request.node.user_properties.append(("seconds", round(time.monotonic() - started, 2)))
    server_errors, browser_errors = [], []
    for actor in OPEN_ACTORS:
        n_server, n_browser = seen.get(id(actor), (0, 0))
        server_errors += [f"{actor.name}: {e}" for e in actor.server_errors[n_server:]]
        browser_errors += [f"{actor.name}: {e}" for e in actor.browser_errors[n_browser:]]
    if browser_errors:
        log = ARTIFACTS / "browser-errors.txt"
        with log.open("a", encoding="utf-8") as out:
            out.write(f"## {request.node.nodeid}\n" + "\n".join(browser_errors) + "\n")
    if server_errors and not _failed(request.node):
        server = getattr(request.node.module, "SERVER_FOR_LOGS", None)
        tail = server.log_tail() if server else ""
        pytest.fail("the server answered with an error:\n  " + "\n  ".join(server_errors)
                    + (f"\n--- server log (tail) ---\n{tail}" if tail else ""), pytrace=False)
    if browser_errors:
        # A CSP refusal or a script error is worth knowing, but it is not a failed journey.
        print("browser errors:\n  " + "\n  ".join(browser_errors))


def _failed(item) -> bool:
    report = getattr(item, "rep_call", None)
    return bool(report and report.failed)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    if report.failed and report.when in ("call", "setup"):
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])[:100]
        for actor in list(OPEN_ACTORS):
            try:
                path = ARTIFACTS / "failures" / f"{safe}-{actor.name}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                actor.page.screenshot(path=str(path), full_page=True)
                report.sections.append(
                    ("failure screenshot", f"{actor.name}: {path} (at {actor.page.url})"))
            except Exception as error:  # noqa: BLE001 (a screenshot must not hide the failure)
                report.sections.append(("failure screenshot", f"{actor.name}: {error}"))
    return report


def pytest_terminal_summary(terminalreporter):
    if not AXE_RESULTS:
        return
    tr = terminalreporter
    tr.section("axe-core accessibility results (per page and width)")
    tr.write_line(f"{'page':<28} {'width':<8} {'crit':>4} {'ser':>4} {'mod':>4} {'min':>4}"
                  "  rules")
    for key in sorted(AXE_RESULTS):
        r = AXE_RESULTS[key]
        c = r["counts"]
        rules = ", ".join(f"{v['id']}({v['impact']},{v['nodes']})" for v in r["violations"])
        tr.write_line(f"{r['page']:<28} {r['width']:<8} {c['critical']:>4} {c['serious']:>4} "
                      f"{c['moderate']:>4} {c['minor']:>4}  {rules or '-'}")
    write_json("axe-summary.json", AXE_RESULTS)
    tr.write_line(f"JSON per page and a summary: {ARTIFACTS}")
