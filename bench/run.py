"""`make bench`: the app's pages under load, against a bare Flask floor, on cached
databases of 1k, 100k and 1M tickets on SQLite and PostgreSQL.

    .venv/bin/python bench/run.py                        # everything (make bench)
    .venv/bin/python bench/run.py --sizes 1000 --databases sqlite \\
        --duration 1 --unloaded-duration 1 --passes 1    # the smoke run (make bench-smoke)
    .venv/bin/python bench/run.py --seed-only --sizes 1000000   # build caches only

For each database and size: make sure the cached database holds the dataset
(bench/dataset.py), serve the app with gunicorn (2 sync workers, 127.0.0.1, a free port),
sign in once per role through the real login form (CSRF token and all), then per page:
  * req/s, p50 and p99 with wrk at 4 connections for --duration seconds,
  * unloaded p50 with wrk at 1 connection for --unloaded-duration seconds (a page slower
    than that: the time of one request on the idle server, marked *),
  * SQL statements of one request, counted in-process (test client + SQLAlchemy's
    before_cursor_execute), never under wrk,
the medians of --passes passes (passes interleave the pages, so a noisy minute on the
machine spreads over all of them). After each wrk run it waits until the workers have
answered whatever wrk left in flight, so one slow page does not slow the next one down.
The floor, `bench/floor.py` under the same gunicorn settings, is measured in the same
passes; "floor ÷ page" is floor req/s divided by the page's req/s (how many hello-worlds
one page costs). A page where no request finished within the loaded run shows "< 0.1"
req/s (for 10 s) and "> 10,000" ms.

Prints a Markdown table and writes bench/results/<timestamp>.json. A page that does not
answer 200 is reported "n/a (HTTP nnn)" and not loaded. Exits 1 when a page answered 5xx
(or failed under load), 2 when the run itself failed, 130 when interrupted. Every server
it starts listens on 127.0.0.1 only and is stopped by its PID when the run ends, fails,
times out (--time-limit) or is interrupted.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import dataset  # noqa: E402

ROOT = dataset.ROOT
RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "wrk_report.lua"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
SECRET = "bench-not-secret"  # noqa: S105 (loopback-only throwaway servers)
# Every client sends the same User-Agent: Flask-Login's session protection ties a session
# to address + User-Agent, and a session seen with another one is no longer "fresh" (the
# admin console then asks for the password again).
USER_AGENT = "helpdesk-bench"


# --- the pages --------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    key: str
    name: str
    role: str   # whose session (or token) loads it: agent, customer, admin, api
    path: str   # may use {placeholders} filled from the database (see facts())
    default: bool = True  # in `--pages default` (what `make bench` measures)


PAGES = [
    Page("queue", "queue, default", "agent", "/agent/queue"),
    Page("oldest", "queue, oldest first", "agent", "/agent/queue?sort=oldest"),
    Page("filtered", "queue, status + priority + category", "agent",
         "/agent/queue?status=in_progress&priority=high&category={category}"),
    Page("search", f"queue, search '{dataset.SEARCH_WORD}'", "agent",
         f"/agent/queue?q={dataset.SEARCH_WORD}"),
    Page("page500", "queue, page 500", "agent", "/agent/queue?page=500"),
    Page("workspace", "ticket workspace", "agent", "/agent/tickets/{workspace}"),
    Page("portal", "customer ticket page", "customer", "/portal/tickets/{portal}"),
    Page("dashboard", "admin dashboard", "admin", "/admin/"),
    Page("api", "API list (open, unassigned)", "api",
         "/api/v1/tickets?open=true&assignee=none"),
    # More shapes of the same pages (`--pages all` or by key), as bench/queue_bench.py had.
    Page("mine", "queue, mine + overdue", "agent", "/agent/queue?mine=1&overdue=1", False),
    Page("assignee", "queue, assignee filter, all statuses", "agent",
         "/agent/queue?filtered=1&assignee={agent}", False),
    Page("unassigned", "queue, unassigned", "agent", "/agent/queue?unassigned=1", False),
    Page("search2", "queue, search two words", "agent",
         f"/agent/queue?q={dataset.SEARCH_WORD}+problem", False),
    Page("search-email", "queue, search requester e-mail", "agent",
         "/agent/queue?q=customer7%40example.com", False),
    Page("search-number", "queue, search ticket number", "agent",
         "/agent/queue?filtered=1&q={workspace}", False),
    Page("sort-priority", "queue, sort by priority", "agent", "/agent/queue?sort=priority",
         False),
    Page("sort-due", "queue, sort by due date", "agent", "/agent/queue?sort=due", False),
    Page("workspace-oldest", "ticket workspace, oldest ticket", "agent",
         "/agent/tickets/{oldest}", False),
    Page("portal-list", "customer's ticket list", "customer", "/portal/tickets", False),
    Page("audit", "admin audit log", "admin", "/admin/audit", False),
]
FLOOR = Page("floor", "floor: Flask hello world", "none", "/")
ROLES = {"agent": dataset.AGENT, "customer": dataset.CUSTOMER, "admin": dataset.ADMIN}
TOKEN_PATH = "/api/v1/auth/token"  # noqa: S105 (a path) POST {email, password} -> {"access_token": ...}


def facts(url: str, size: int) -> dict[str, str]:
    """Real values for the page paths: a category id, an open ticket in the middle of the
    range for the workspace, and a ticket of customer@example.com for the portal."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            category = conn.execute(text(
                "SELECT id FROM categories ORDER BY CASE WHEN name = 'Billing' THEN 0 "
                "ELSE 1 END, position, id LIMIT 1")).scalar()
            middle = max(1, size // 2)
            workspace = conn.execute(text(
                "SELECT number FROM tickets WHERE id <= :m AND status IN "
                "('new', 'open', 'in_progress', 'on_hold') ORDER BY id DESC LIMIT 1"),
                {"m": middle}).scalar()
            customer = conn.execute(text("SELECT id FROM users WHERE email = :e"),
                                    {"e": dataset.CUSTOMER}).scalar()
            portal = conn.execute(text(
                "SELECT number FROM tickets WHERE requester_id = :c AND id <= :m "
                "ORDER BY id DESC LIMIT 1"), {"c": customer, "m": middle}).scalar()
            agent = conn.execute(text("SELECT id FROM users WHERE email = :e"),
                                 {"e": dataset.AGENT}).scalar()
            oldest = conn.execute(text("SELECT number FROM tickets ORDER BY id LIMIT 1")
                                  ).scalar()
    finally:
        engine.dispose()
    return {"category": str(category), "workspace": workspace, "portal": portal,
            "agent": str(agent), "oldest": oldest}


# --- processes --------------------------------------------------------------------------

class TimeLimit(Exception):
    """--time-limit passed."""


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _time_up(_signum, _frame):
    raise TimeLimit("the --time-limit passed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A gunicorn master we started (in its own session: its PID is its group id)."""
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        pid = self.process.pid
        try:
            os.kill(pid, signal.SIGTERM)  # gunicorn: graceful stop of master and workers
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(pid, signal.SIGKILL)  # the group we created for it, by its id
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


class Servers:
    def __init__(self, workdir: Path, workers: int):
        self.workdir, self.workers, self.running = workdir, workers, []

    def start(self, name: str, app: str, env: dict[str, str]) -> Server:
        for _attempt in range(3):
            port = free_port()
            log = self.workdir / f"gunicorn-{name}-{port}.log"
            process = subprocess.Popen(  # noqa: S603 (our interpreter, fixed arguments)
                [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                 "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--timeout", "300",
                 "--graceful-timeout", "5", "--log-level", "warning", app],
                cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                start_new_session=True)
            server = Server(name, process, port, log)
            self.running.append(server)
            if self._ready(server):
                log_line(f"{name}: gunicorn pid {process.pid} on {server.base}")
                return server
            server.stop()
        raise RuntimeError(f"gunicorn for {name} did not start:\n{_tail(server.log)}")

    @staticmethod
    def _ready(server: Server, seconds: float = 60) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                return False
            try:
                status, _, _ = request(server.base, "GET", "/", timeout=5)
                if status < 500:
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        return False

    def stop_all(self) -> None:
        while self.running:
            server = self.running.pop()
            try:
                server.stop()
            except Exception as error:  # noqa: BLE001 (keep stopping the others)
                log_line(f"could not stop {server.name} (pid {server.process.pid}): {error}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- HTTP: sign-in and one-off requests (stdlib only) ------------------------------------

def request(base: str, method: str, path: str, *, headers: dict | None = None,
            body: bytes | None = None, timeout: float = 120):
    """(status, headers as a list of pairs, body) of one request, redirects not followed."""
    host, port = base.rsplit("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"User-Agent": USER_AGENT,
                                                       **(headers or {})})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def _cookies(headers, jar: dict[str, str]) -> dict[str, str]:
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            if val and "expires=thu, 01 jan 1970" not in value.lower():
                jar[key.strip()] = val.strip()
            else:
                jar.pop(key.strip(), None)
    return jar


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]*)"')


def sign_in(base: str, email: str, password: str) -> str:
    """Through the real form: GET it (session cookie + CSRF token), POST it. Returns the
    Cookie header of the signed-in session."""
    status, headers, body = request(base, "GET", "/auth/login")
    jar = _cookies(headers, {})
    tag = CSRF.search(body.decode(errors="replace"))
    token = unescape(VALUE.search(tag.group(0)).group(1)) if tag else ""
    form = urlencode({"csrf_token": token, "email": email, "password": password}).encode()
    status, headers, body = request(base, "POST", "/auth/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(jar)})
    if status != 302:
        raise RuntimeError(f"sign-in as {email} answered {status}, not 302")
    return _cookie_header(_cookies(headers, jar))


def api_token(base: str, email: str, password: str) -> tuple[str | None, str]:
    """A bearer token from POST /api/v1/auth/token, or (None, why not)."""
    body = json.dumps({"email": email, "password": password}).encode()
    status, _, answer = request(base, "POST", TOKEN_PATH, body=body,
                                headers={"Content-Type": "application/json"})
    if status != 200:
        return None, f"POST {TOKEN_PATH} answered {status}"
    try:
        return json.loads(answer)["access_token"], ""
    except (ValueError, KeyError):
        return None, f"POST {TOKEN_PATH}: no access_token in the answer"


def auth_headers(base: str) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """{role: headers} for every role, and notes on what could not be had."""
    headers, notes = {"none": {}}, {}
    for role, email in ROLES.items():
        headers[role] = {"Cookie": sign_in(base, email, dataset.PASSWORD)}
    token, why = api_token(base, dataset.AGENT, dataset.PASSWORD)
    headers["api"] = {"Authorization": f"Bearer {token}"} if token else {}
    if not token:
        notes["api"] = why
    return headers, notes


# --- SQL statements per request (in-process) --------------------------------------------

def count_statements(url: str, pages: list[tuple[Page, str]], headers: dict) -> dict[str, int]:
    """One warm-up request, then the statements of one more, per page, through the test
    client of an app on the same database (the sessions signed by gunicorn are valid
    here: same secret key)."""
    from sqlalchemy import event

    from helpdesk import create_app
    from helpdesk.extensions import db

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "MAIL_HOST": None})
    statements: list[str] = []
    counts = {}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda _c, _cur, statement, *_a: statements.append(statement))
    # Requests outside any app context of ours: each gets its own (and its own `g`, where
    # Flask-Login keeps the signed-in user).
    client = app.test_client(use_cookies=False)
    for page, path in pages:
        sent = {"User-Agent": USER_AGENT, **headers[page.role]}
        client.get(path, headers=sent)
        statements.clear()
        response = client.get(path, headers=sent)
        counts[page.key] = len(statements) if response.status_code == 200 else None
    with app.app_context():
        db.engine.dispose()
    return counts


# --- wrk --------------------------------------------------------------------------------

def wrk(base: str, path: str, headers: dict[str, str], connections: int, seconds: int
        ) -> dict:
    command = [WRK, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s",
               "--timeout", "60s", "-s", str(LUA)]
    for name, value in {"User-Agent": USER_AGENT, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    command.append(base + path)
    result = subprocess.run(command, capture_output=True, text=True,  # noqa: S603
                            timeout=seconds + 90)
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr[-500:]}")
    summary = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = summary["duration_us"] / 1e6
    latency = summary["latency_us"]
    # Requests still running when wrk stopped must finish before the next measurement.
    drain(int(base.rsplit(":", 1)[1]), fallback=latency["max"] / 1e6)
    done = summary["requests"]

    def ms(key: str) -> float | None:  # no latency at all when nothing finished in time
        return latency[key] / 1000 if done else None
    return {"seconds": seconds, "requests": done,
            "rps": done / seconds_run if seconds_run else 0.0,
            "p50_ms": ms("p50"), "p90_ms": ms("p90"), "p99_ms": ms("p99"),
            "max_ms": ms("max"), "errors": summary["errors"]}


# Server-side TCP states of a connection a worker has not finished with (see drain()).
BUSY_STATES = {"01", "03", "08"}  # ESTABLISHED, SYN_RECV, CLOSE_WAIT


def open_connections(port: int) -> int | None:
    """Connections to 127.0.0.1:port the server has not closed yet: requests being
    served or waiting in the accept queue (a gunicorn sync worker closes the socket when
    its answer is written). None when /proc/net/tcp cannot be read."""
    count = 0
    try:
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as rows:
                next(rows)
                for row in rows:
                    local, _, state = row.split()[1:4]
                    if int(local.rsplit(":", 1)[1], 16) == port and state in BUSY_STATES:
                        count += 1
    except (OSError, ValueError, IndexError):
        return None
    return count


def drain(port: int, fallback: float, limit: float = 300) -> None:
    """Wait until the server has finished every request wrk left behind (wrk stops on
    time, not when its requests are answered; the workers still serve them)."""
    started = time.monotonic()
    left = open_connections(port)
    while time.monotonic() < started + limit:
        busy = open_connections(port)
        if busy is None:
            time.sleep(min(30.0, fallback) + 0.1)
            return
        if busy == 0:
            waited = time.monotonic() - started
            if waited > 1:
                log_line(f"  waited {waited:.1f} s for {left} request(s) wrk left running")
            return
        time.sleep(0.1)
    log_line(f"  port {port}: requests still running after {limit:.0f} s; going on")


@dataclass
class Measured:
    page: Page
    path: str
    size: int | None
    database: str | None
    status: int | None = None
    note: str = ""
    base: str | None = None  # another server than the group's (the floor)
    sql: int | None = None
    loaded: list[dict] = field(default_factory=list)
    unloaded: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == 200

    def median(self, runs: list[dict], key: str) -> float | None:
        values = [r[key] for r in runs if r[key] is not None]
        return statistics.median(values) if values else None

    @property
    def rps(self) -> float | None:
        return self.median(self.loaded, "rps")

    @property
    def failures(self) -> list[str]:
        found = []
        if self.status is not None and self.status >= 500:
            found.append(f"answered {self.status}")
        for run in self.loaded + self.unloaded:
            errors = run["errors"]
            if errors["status"] or errors["connect"]:
                found.append(f"under load: {errors['status']} non-2xx/3xx answers, "
                             f"{errors['connect']} refused connections")
                break
        return found

    def as_json(self, floor_rps: float | None) -> dict:
        rps = self.rps
        return {
            "page": self.page.name, "key": self.page.key, "path": self.path,
            "size": self.size, "database": self.database, "status": self.status,
            "note": self.note, "sql_statements": self.sql, "rps": rps,
            "p50_ms": self.median(self.loaded, "p50_ms"),
            "p99_ms": self.median(self.loaded, "p99_ms"),
            "unloaded_p50_ms": self.median(self.unloaded, "p50_ms"),
            "unloaded_single": any(r.get("single") for r in self.unloaded),
            "floor_ratio": (floor_rps / rps) if (rps and floor_rps) else None,
            # A latency is None when no request finished within a run of this many seconds.
            "loaded_seconds": self.loaded[0]["seconds"] if self.loaded else None,
            "unloaded_seconds": self.unloaded[0]["seconds"] if self.unloaded else None,
            "passes": {"loaded": self.loaded, "unloaded": self.unloaded},
            "failures": self.failures,
        }


def measure(base: str, targets: list[Measured], headers: dict, args) -> None:
    """--passes passes; each loads every page in turn (loaded, then unloaded)."""
    ready = [m for m in targets if m.ok]
    for number in range(1, args.passes + 1):
        for m in ready:
            base_url = m.base or base
            m.loaded.append(wrk(base_url, m.path, headers[m.page.role], args.connections,
                                args.duration))
            unloaded = wrk(base_url, m.path, headers[m.page.role], 1, args.unloaded_duration)
            if not unloaded["requests"]:
                unloaded = timed_once(base_url, m.path, headers[m.page.role])
            m.unloaded.append(unloaded)
            log_line(f"  pass {number}: {m.page.name:<38} {_num(m.loaded[-1]['rps']):>8} req/s"
                     f"  p50 {_num(m.loaded[-1]['p50_ms']):>8} ms  "
                     f"unloaded p50 {_num(m.unloaded[-1]['p50_ms']):>8} ms")


def timed_once(base: str, path: str, headers: dict[str, str]) -> dict:
    """One request on an idle server, for a page slower than the unloaded run: nothing
    finished within it, so its "unloaded p50" is this one time (marked "single")."""
    started = time.perf_counter()
    status, _, _ = request(base, "GET", path, headers=headers, timeout=600)
    elapsed = time.perf_counter() - started
    ms = elapsed * 1000
    return {"seconds": None, "requests": 1, "rps": 1 / elapsed, "p50_ms": ms, "p90_ms": ms,
            "p99_ms": ms, "max_ms": ms, "single": True,
            "errors": {"connect": 0, "read": 0, "write": 0, "timeout": 0,
                       "status": 0 if status < 400 else 1}}


def check(base: str, m: Measured, headers: dict, warmups: int = 3) -> None:
    """The page's status (once signed in), a few warm-up loads when it is 200."""
    started = time.monotonic()
    try:
        status, _, _ = request(base, "GET", m.path, headers=headers[m.page.role])
    except OSError as error:
        m.status, m.note = 599, f"no answer: {error}"
        return
    m.status = status
    if status != 200:
        return
    for _ in range(warmups if time.monotonic() - started < 1 else 1):
        request(base, "GET", m.path, headers=headers[m.page.role])


# --- output -----------------------------------------------------------------------------

def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _ms(row: dict, key: str, seconds: str) -> str:
    """A latency; "> 10,000" when no request finished within the 10-second run."""
    if row[key] is None and row[seconds]:
        return f"> {row[seconds] * 1000:,}"
    return _num(row[key])


def table(rows: list[dict]) -> str:
    lines = ["| page | size | database | req/s (4 conn) | p50 ms | p99 ms | unloaded p50 ms "
             "| SQL/request | floor ÷ page |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        size = f"{r['size']:,}" if r["size"] else "—"
        if r["rps"] is None:
            why = ("not measured" if r["status"] == 200
                   else f"n/a (HTTP {r['status']})" if r["status"] else "n/a")
            lines.append(f"| {r['page']} | {size} | {r['database'] or '—'} | {why} | — | — | "
                         f"— | {_num(r['sql_statements'], 0)} | — |")
            continue
        ratio = "—" if r["floor_ratio"] is None else f"{r['floor_ratio']:,.1f}×"
        flag = " ⚠" if r["failures"] else ""
        rps = _num(r["rps"]) if r["rps"] else f"< {1 / r['loaded_seconds']:.1f}"
        lines.append(
            f"| {r['page']}{flag} | {size} | {r['database'] or '—'} | {rps} | "
            f"{_ms(r, 'p50_ms', 'loaded_seconds')} | {_ms(r, 'p99_ms', 'loaded_seconds')} | "
            f"{_ms(r, 'unloaded_p50_ms', 'unloaded_seconds')}"
            f"{'*' if r.get('unloaded_single') else ''} | "
            f"{_num(r['sql_statements'], 0)} | {ratio} |")
    return "\n".join(lines)


def log_line(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def machine() -> dict:
    def run(*command):
        try:
            return subprocess.run(command, capture_output=True, text=True, cwd=ROOT,  # noqa: S603
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    return {"cpus": os.cpu_count(), "load_average": os.getloadavg(),
            "python": sys.version.split()[0], "wrk": run(WRK, "-v").splitlines()[:1],
            "git_commit": run("git", "rev-parse", "--short", "HEAD"),
            "git_dirty": bool(run("git", "status", "--porcelain", "--untracked-files=no"))}


# --- main -------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000,1000000",
                        help="ticket counts, comma-separated (default: %(default)s)")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="sqlite and/or postgresql (default: %(default)s)")
    parser.add_argument("--pages", default="default",
                        help="'default' (the issue's nine pages), 'all', or page keys, "
                             "comma-separated: " + ", ".join(p.key for p in PAGES))
    parser.add_argument("--duration", type=int, default=10,
                        help="seconds of wrk at --connections per page and pass (10)")
    parser.add_argument("--unloaded-duration", type=int, default=5,
                        help="seconds of wrk at 1 connection per page and pass (5)")
    parser.add_argument("--passes", type=int, default=3, help="the median of this many (3)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="the PostgreSQL server (its database name is replaced by "
             "<--pg-prefix>_<size>); env BENCH_POSTGRES_URL")
    parser.add_argument("--pg-prefix", default=os.environ.get("BENCH_PG_PREFIX",
                                                              "helpdesk_bench"),
                        help="PostgreSQL database names: <prefix>_<size>; give each checkout "
                             "with other migrations its own (env BENCH_PG_PREFIX)")
    parser.add_argument("--rebuild", action="store_true", help="re-seed the caches")
    parser.add_argument("--seed-only", action="store_true",
                        help="build or refresh the cached databases, measure nothing")
    parser.add_argument("--time-limit", type=float, default=240,
                        help="minutes before the whole run stops (default: %(default)s)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    keys = {p.key: p for p in PAGES}
    if args.pages in ("default", "all"):
        wanted = [p.key for p in PAGES if p.default or args.pages == "all"]
    else:
        wanted = [k.strip() for k in args.pages.split(",") if k.strip()]
    unknown = [k for k in wanted if k not in keys]
    if unknown:
        parser.error(f"unknown page(s) {', '.join(unknown)}; choose from {', '.join(keys)}")
    args.pages = [keys[k] for k in wanted]
    if min(args.duration, args.unloaded_duration, args.passes) < 1:
        parser.error("--duration, --unloaded-duration and --passes must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGINT, _interrupt)  # also when started with SIGINT ignored (&)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    signal.signal(signal.SIGALRM, _time_up)
    signal.alarm(max(1, int(args.time_limit * 60)))
    if not args.seed_only and not os.access(WRK, os.X_OK):
        log_line("wrk is missing: apt-get install -y wrk (make bench installs it)")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="helpdesk-bench-"))
    instance = workdir / "instance"
    instance.mkdir()
    os.environ["HELPDESK_INSTANCE_PATH"] = str(instance)  # the in-process apps' too
    servers = Servers(workdir, args.workers)
    started = datetime.now(UTC)
    report = {"started_at": started.isoformat(timespec="seconds"), "machine": machine(),
              "options": {k: (v if not isinstance(v, list | Path) else str(v))
                          for k, v in vars(args).items() if k != "pages"}
              | {"pages": [p.key for p in args.pages]},
              "method": {"server": f"gunicorn, {args.workers} sync workers, 127.0.0.1",
                         "loaded": f"wrk -c{args.connections} -d{args.duration}s",
                         "unloaded": f"wrk -c1 -d{args.unloaded_duration}s",
                         "passes": args.passes, "statistic": "median of the passes",
                         "floor_ratio": "floor req/s ÷ page req/s (same group's floor)"},
              "databases": [], "results": []}
    code = 0
    groups: list[list[Measured]] = []  # filled as it goes: an interrupted run keeps them
    try:
        floor = None
        if not args.seed_only:
            floor = servers.start("floor", "bench.floor:app",
                                  dataset.app_env("sqlite://", str(instance)))
        for database in args.databases:
            for size in args.sizes:
                t = dataset.target(database, size, args.postgres_url, args.pg_prefix)
                log_line(f"== {t.label}")
                built = dataset.ensure(t, str(instance), log_line, rebuild=args.rebuild)
                report["databases"].append({"database": database, "size": size, **built})
                if args.seed_only:
                    continue
                run_group(t, floor, servers, instance, args, groups)
    except KeyboardInterrupt as error:
        log_line(f"interrupted ({error}): stopping the servers")
        report["interrupted"] = True
        code = 130
    except TimeLimit as error:
        log_line(f"stopped: {error} ({args.time_limit} min)")
        report["interrupted"] = "time limit"
        code = 2
    except Exception as error:  # noqa: BLE001 (report, clean up, exit 2)
        import traceback
        traceback.print_exc()
        report["error"] = f"{type(error).__name__}: {error}"
        code = 2
    finally:
        signal.alarm(0)
        servers.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    for floor_m, *pages in groups:
        report["results"] += [m.as_json(floor_m.rps) for m in (floor_m, *pages)]
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["machine"]["load_average_end"] = os.getloadavg()
    if report["databases"]:
        print("\nDatabases:")
        for d in report["databases"]:
            print(f"- {d['database']} {d['size']:,}: {d['action']}"
                  + (f" ({d['reason']})" if d.get("reason") else "")
                  + (f", seeded in {d['seed_seconds']:,.0f} s" if "seed_seconds" in d else "")
                  + (f", migrated in {d['migrate_seconds']:,.0f} s"
                     if "migrate_seconds" in d else ""))
    if report["results"]:
        print()
        print(table(report["results"]))
        print(f"\nfloor ÷ page = floor req/s ÷ page req/s. wrk -c{args.connections} "
              f"{args.duration} s (loaded), -c1 {args.unloaded_duration} s (unloaded), "
              f"median of {args.passes}; gunicorn {args.workers} sync workers; "
              f"load average {report['machine']['load_average'][0]:.1f} at the start, "
              f"{report['machine']['load_average_end'][0]:.1f} at the end.")
        if any(r.get("unloaded_single") for r in report["results"]):
            print(f"* slower than the {args.unloaded_duration} s unloaded run: the time of "
                  "one request on the idle server (in some or all passes).")
        failed = [(r["page"], r["database"], r["size"], f) for r in report["results"]
                  for f in r["failures"]]
        for page, database, size, failure in failed:
            print(f"FAILED: {page} ({database} {size:,}): {failure}")
        if failed and code == 0:
            code = 1
    if report.get("interrupted") or report.get("error"):
        print(f"\nINCOMPLETE RUN: {report.get('error') or report['interrupted']}")
    if not args.seed_only:
        args.output.mkdir(parents=True, exist_ok=True)
        path = args.output / f"{started:%Y%m%dT%H%M%SZ}.json"
        path.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"\nJSON: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return code


def run_group(t: dataset.Target, floor: Server, servers: Servers, instance: Path, args,
              groups: list) -> None:
    """Serve one database, measure its pages and the floor (into `groups`, [floor, *pages]),
    stop its server."""
    values = facts(t.url, t.size)
    server = servers.start(t.label.replace(" ", "-").replace(",", ""), "wsgi:app",
                           dataset.app_env(t.url, str(instance)))
    try:
        headers, notes = auth_headers(server.base)
        pages = [Measured(p, p.path.format(**values), t.size, t.database) for p in args.pages]
        for m in pages:
            check(server.base, m, headers)
            m.note = notes.get(m.page.key, m.note)
            state = "ok" if m.ok else f"n/a (HTTP {m.status}) {m.note}".rstrip()
            log_line(f"  {m.page.name:<38} {m.path}  {state}")
        counts = count_statements(t.url, [(m.page, m.path) for m in pages], headers)
        for m in pages:
            m.sql = counts.get(m.page.key)
        floor_m = Measured(FLOOR, "/", t.size, t.database, status=200, sql=0, base=floor.base)
        groups.append([floor_m, *pages])
        measure(server.base, [floor_m, *pages], headers, args)
    finally:
        servers.running.remove(server)
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
