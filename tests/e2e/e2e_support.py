"""Support code for the browser tests: a real Helpdesk server in a subprocess, Chromium
through Playwright, and small helpers that find things the way a person does (by the
visible words of labels, buttons and links — see shared/docs/contract.md).

Nothing here knows the markup or CSS of a page; only accessible names and what is shown.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS") or REPO / "instance" / "e2e")
if not ARTIFACTS.is_absolute():
    ARTIFACTS = REPO / ARTIFACTS

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-dev-shm-usage", "--disable-quic",
]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# The per-file limit the journeys' server runs with (issue 7: a 300 kB file is too big).
MAX_FILE_BYTES = 200_000
ADMIN_EMAIL = "admin@e2e.example"
ADMIN_PASSWORD = "admin-e2e-password"  # noqa: S105 (a throwaway test account)
ADMIN_NAME = "Erin Admin"

SERVER_START_TIMEOUT = 60


# --- the server --------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """`flask run` on a free loopback port with its own SQLite file, instance folder and
    upload folder. Start with `start()`, always `stop()` (a fixture's teardown does)."""

    workdir: Path
    name: str = "server"
    env_overrides: dict[str, str] = field(default_factory=dict)
    seed_tickets: int | None = None  # run `flask seed-demo --tickets N` when set
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    _log = None
    _env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("HELPDESK_", "FLASK_", "WERKZEUG_"))}
        env.update({
            "HELPDESK_DATABASE_URL": f"sqlite:///{self.workdir / 'helpdesk.db'}",
            "HELPDESK_INSTANCE_PATH": str(self.workdir / "instance"),
            "HELPDESK_UPLOAD_FOLDER": str(self.workdir / "uploads"),
            "HELPDESK_SECRET_KEY": secrets.token_hex(32),
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.env_overrides)
        return env

    def flask(self, *args: str) -> list[str]:
        flask = Path(sys.executable).with_name("flask")
        command = [str(flask)] if flask.exists() else [sys.executable, "-m", "flask"]
        return [*command, "--app", "helpdesk", *args]

    def _cli(self, env, *args: str) -> None:
        done = subprocess.run(self.flask(*args), cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"$ flask {' '.join(args)}\n{done.stdout}{done.stderr}\n")
        if done.returncode != 0:
            raise RuntimeError(f"`flask {' '.join(args)}` failed ({done.returncode}):\n"
                               f"{done.stdout}\n{done.stderr}")

    def cli(self, *args: str) -> None:
        """Run `flask ARGS` against this server's database (e.g. `worker --once`)."""
        self._cli(self._env, *args)

    def start(self) -> LiveServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / f"{self.name}.log"
        self.log_path.write_text("")
        env = self.env()
        self._cli(env, "db", "upgrade")
        self._cli(env, "create-admin", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD,
                  "--name", ADMIN_NAME)
        if self.seed_tickets is not None:
            self._cli(env, "seed-demo", "--tickets", str(self.seed_tickets))
        self.port = free_port()
        if "HELPDESK_BASE_URL" not in self.env_overrides:  # links in mail point here
            env["HELPDESK_BASE_URL"] = self.url
        self._env = env
        self._log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self._log.write(f"$ flask run --port {self.port}\n")
        self._log.flush()
        self.process = subprocess.Popen(
            self.flask("run", "--host", "127.0.0.1", "--port", str(self.port)),
            cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"the server exited ({self.process.returncode}); "
                                   f"see {self.log_path}:\n{self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as error:
                error.close()
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not answer within {SERVER_START_TIMEOUT} s;"
                                   f" see {self.log_path}")
            time.sleep(0.1)  # polling the port while the server boots, not a test step

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def snap(page, name: str, folder: str = "journeys") -> Path:
    """A full-page screenshot of the state a journey reached, for people to look at."""
    path = ARTIFACTS / folder / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def clean_artifacts() -> None:
    """Screenshots and reports of the previous run would mislead: start empty."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


# --- people at browsers ---------------------------------------------------------------

ACTION_TIMEOUT_MS = 10_000

# Pages of every actor that is open right now: screenshotted when a test fails.
_EXPECTED_4XX = re.compile(r"Failed to load resource: the server responded with a status of 4\d\d")
OPEN_ACTORS: list[Actor] = []


class Actor:
    """One person at one browser: their own context (cookies), one tab."""

    def __init__(self, browser, base_url: str, name: str, *, bypass_csp: bool = False,
                 viewport: dict | None = None):
        self.name = name
        self.context = browser.new_context(base_url=base_url, viewport=viewport or DESKTOP,
                                           bypass_csp=bypass_csp, accept_downloads=True)
        self.context.set_default_timeout(ACTION_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.server_errors: list[str] = []
        self.browser_errors: list[str] = []
        page = self.page
        page.on("response", self._on_response)
        page.on("pageerror", lambda error: self.browser_errors.append(f"pageerror: {error}"))
        page.on("console", self._on_console)
        # A person answers "Are you sure?" with OK (Playwright would dismiss it).
        page.on("dialog", lambda dialog: dialog.accept())
        OPEN_ACTORS.append(self)

    def _on_response(self, response) -> None:
        if response.status >= 500:
            self.server_errors.append(
                f"{response.status} {response.request.method} {response.url}")

    def _on_console(self, message) -> None:
        # Chromium logs every 4xx page as "Failed to load resource"; the tests check
        # statuses themselves, so only other errors (CSP refusals, script errors) count.
        if message.type == "error" and not _EXPECTED_4XX.match(message.text):
            self.browser_errors.append(f"console: {message.text} @ {self.page.url}")

    def close(self) -> None:
        if self in OPEN_ACTORS:
            OPEN_ACTORS.remove(self)
        self.context.close()


class Actors:
    """The people of one test module, created on first use, closed at module end."""

    def __init__(self, browser, base_url: str, **defaults):
        self.browser, self.base_url, self.defaults = browser, base_url, defaults
        self.by_name: dict[str, Actor] = {}

    def __getitem__(self, name: str) -> Actor:
        return self.by_name[name]

    def __contains__(self, name: str) -> bool:
        return name in self.by_name

    def new(self, name: str, **options) -> Actor:
        assert name not in self.by_name, f"{name} exists already"
        actor = Actor(self.browser, self.base_url, name, **{**self.defaults, **options})
        self.by_name[name] = actor
        return actor

    def all(self) -> list[Actor]:
        return list(self.by_name.values())

    def close(self) -> None:
        for actor in self.all():
            actor.close()
        self.by_name.clear()



# --- finding things by their words ---------------------------------------------------------

def words(text: str, *, prefix: bool = False) -> re.Pattern:
    """The visible words `text`, case-insensitive, as the whole name (an optional trailing
    `*` or "(optional)" allowed) — or, with prefix=True, at the start of the name
    ("Submit" matches "Submit rating", "Take" matches "Take ticket")."""
    body = r"\s+".join(re.escape(w) for w in text.split())
    if prefix:
        return re.compile(rf"^\s*{body}\b", re.I)
    return re.compile(rf"^\s*{body}\s*\*?\s*(\(optional\))?\s*$", re.I)


def field(scope, text: str):
    """The form field whose label is `text` (contract: a <label> bound to its field)."""
    return scope.get_by_label(words(text))


def button(scope, text: str):
    return scope.get_by_role("button", name=words(text, prefix=True))


def link(scope, text: str, *, prefix: bool = False):
    return scope.get_by_role("link", name=words(text, prefix=prefix))


def form_with(page, label: str):
    """The <form> holding the field labelled `label` (to press *its* button)."""
    return page.locator("form").filter(has=field(page, label))


TICKET_NUMBER = re.compile(r"\b[A-Z]{2,10}-\d{3,}\b")


# --- what the page says next to a field ----------------------------------------------------

_DESCRIBE_JS = """
(el) => {
  const rect = (e) => { const r = e.getBoundingClientRect();
    return {x: r.x + scrollX, y: r.y + scrollY, w: r.width, h: r.height}; };
  const visible = (e) => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const ids = (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
  const described = ids.map((id) => document.getElementById(id)).filter(Boolean)
    .map((e) => ({text: e.textContent.replace(/\\s+/g, ' ').trim(), rect: rect(e),
                  visible: visible(e)}));
  return {field: rect(el), invalid: el.getAttribute('aria-invalid'), described};
}
"""

_NEARBY_TEXT_JS = """
(el, [source, flags]) => {
  const re = new RegExp(source, flags);
  const f = el.getBoundingClientRect();
  const out = [];
  for (const e of document.querySelectorAll('main *')) {
    if (e === el || e.closest('label, legend, option, select, script, style')) continue;
    const own = Array.from(e.childNodes).filter((n) => n.nodeType === 3)
      .map((n) => n.textContent).join(' ').replace(/\\s+/g, ' ').trim();
    if (!own || !re.test(own)) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const gap = Math.max(0, r.top - f.bottom, f.top - r.bottom);
    const overlaps = r.left < f.right + 40 && r.right > f.left - 40;
    out.push({text: e.textContent.replace(/\\s+/g, ' ').trim(), gap, overlaps});
  }
  return out;
}
"""

NEXT_TO = 120  # px: an error this close above or below its field reads as "next to it"


def describe(locator) -> dict:
    return locator.evaluate(_DESCRIBE_JS)


def error_next_to(locator, message: re.Pattern, *, before: dict | None = None) -> str:
    """The error message shown next to a field, else AssertionError saying what was seen.

    First choice: a new visible text the field points at with aria-describedby (so screen
    readers hear it too) that matches `message`, within NEXT_TO px of the field. Fallback:
    any visible text matching `message` right above or below the field."""
    info = describe(locator)
    old = {d["text"] for d in (before or {}).get("described", [])}
    field_box = info["field"]
    for d in info["described"]:
        if d["text"] in old or not d["visible"] or not message.search(d["text"]):
            continue
        box = d["rect"]
        gap = max(0, box["y"] - (field_box["y"] + field_box["h"]),
                  field_box["y"] - (box["y"] + box["h"]))
        if gap <= NEXT_TO:
            return d["text"]
    nearby = locator.evaluate(_NEARBY_TEXT_JS, [message.pattern, "i"])
    close = [n for n in nearby if n["gap"] <= NEXT_TO and n["overlaps"]]
    if close:
        return close[0]["text"] + "  [not bound to the field with aria-describedby]"
    raise AssertionError(
        f"no error matching /{message.pattern}/ next to the field; aria-describedby gives "
        f"{[d['text'] for d in info['described']]}, matching texts elsewhere: "
        f"{[(n['text'][:80], round(n['gap'])) for n in nearby][:5]}")


# --- reports ---------------------------------------------------------------------------------

# Filled by test_screens_a11y.py, printed by conftest.py at the end of the run.
AXE_RESULTS: dict[str, dict] = {}

def write_json(name: str, data) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    return path
