"""Load test of a real deployment on this machine: loopback only, bounded in time.

    .venv/bin/python bench/loadtest/run.py [--duration 5m] [--users 40]

What runs (each process started here, by PID, and stopped at the end whatever happens):
- PostgreSQL: a throw-away database on the server at --pg-url (created, then dropped);
- Redis at --redis-url (sign-in rate limits shared by the web processes);
- object storage: a moto S3 server, used through the app's S3 storage backend;
- an SMTP sink (smtp_sink.py) that receives the worker's mail;
- gunicorn with 4 workers (deploy/gunicorn.conf.py, Prometheus multiprocess mode);
- 2 background workers (`flask --app helpdesk worker`).
locust (headless) then drives customers, agents and an admin (locustfile.py) for the given
time. Afterwards the worker's backlog must drain, and the database must hold exactly what
the load created: tickets, messages, files (also in the bucket), mail sent (also received
by the sink). The report (Markdown) goes to bench/results/loadtest-<time>/report.md.
"""
# An orchestration script on loopback: it runs its own commands, opens its own http URLs,
# and builds SQL from table names it read from the catalogue.
# ruff: noqa: S603, S310, S608, S106
import argparse
import csv
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import psycopg

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
BUCKET = "helpdesk-load"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def duration_seconds(text: str) -> int:
    match = re.fullmatch(r"(\d+)([smh]?)", text)
    if not match:
        raise argparse.ArgumentTypeError("e.g. 300, 90s, 5m")
    return int(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]


class Processes:
    """Everything this run started, stopped in reverse order by PID."""

    def __init__(self, logs: Path):
        self.logs, self.started = logs, []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 (closed in stop_all)
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((name, process, log))
        print(f"  started {name} (pid {process.pid})")
        return process

    def check_running(self) -> None:
        for name, process, _log in self.started:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see "
                                   f"{self.logs / (name + '.log')}")

    def stop_all(self) -> None:
        for name, process, log in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=30)
            log.close()
            print(f"  stopped {name} (pid {process.pid}, exit {process.returncode})")
        self.started = []


def wait_until(check, what: str, timeout: float, interval: float = 0.5):
    deadline, last_error = time.monotonic() + timeout, None
    while True:
        try:
            result = check()
            if result:
                return result
        except Exception as error:  # noqa: BLE001 (not up yet: any error means "wait")
            last_error = error
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what} "
                               f"(last error: {last_error!r})")
        time.sleep(interval)


def http_get(url: str, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def run(command: list[str], env: dict, what: str) -> str:
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


class WebhookReceiver:
    """An HTTP server in this process that answers 200 and records each delivery id."""

    def __init__(self):
        self.deliveries: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries.append(self.headers["X-Helpdesk-Delivery"])
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class LoadSampler(threading.Thread):
    """The machine's 1-minute load average every 10 s while the load runs."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples, self.stopping = [], threading.Event()

    def run(self):
        while not self.stopping.wait(10):
            self.samples.append(float(Path("/proc/loadavg").read_text().split()[0]))


# --- the database, read from here ---------------------------------------------------------

def snapshot(db_url: str) -> dict:
    """Rows per table, and per delivery queue its rows by state."""
    with psycopg.connect(db_url) as conn:
        tables = [name for (name,) in conn.execute(
            "select tablename from pg_tables where schemaname = 'public'")]
        counts = {t: conn.execute(f'select count(*) from "{t}"').fetchone()[0]
                  for t in tables}
        queues = {}
        for table in tables:
            columns = {name for (name,) in conn.execute(
                "select column_name from information_schema.columns where table_name = %s",
                (table,))}
            if {"state", "next_attempt_at", "attempts"} <= columns:
                queues[table] = dict(conn.execute(
                    f'select state, count(*) from "{table}" group by state').fetchall())
    return {"counts": counts, "queues": queues}


def backlog(db_url: str) -> int:
    return sum(states.get("queued", 0) for states in snapshot(db_url)["queues"].values())


# --- the report ---------------------------------------------------------------------------

def locust_table(stats_csv: Path) -> tuple[list[dict], dict]:
    rows = list(csv.DictReader(stats_csv.open()))
    pages = [row for row in rows if row["Name"] != "Aggregated"]
    total = next(row for row in rows if row["Name"] == "Aggregated")
    return pages, total


def markdown(pages: list[dict], total: dict) -> str:
    lines = ["| request | count | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in sorted(pages, key=lambda r: -int(r["Request Count"])) + [total]:
        name = f"{row['Type']} {row['Name']}" if row["Name"] != "Aggregated" else "**all**"
        lines.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | "
            f"{float(row['Requests/s']):.2f} | {row['50%']} | {row['95%']} | {row['99%']} | "
            f"{float(row['Max Response Time']):.0f} |")
    return "\n".join(lines)


def main() -> int:  # noqa: PLR0915 (one straight story, top to bottom)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=duration_seconds, default=300)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--seed-tickets", type=int, default=2000)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--agents", type=int, default=6)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--background-workers", type=int, default=2)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--keep", action="store_true", help="keep the database and files")
    args = parser.parse_args()
    for url in (args.pg_url, args.redis_url):
        host = re.search(r"@?([\w.\-]+|\[[^\]]+\]):\d+/", url)
        assert host and host[1] in ("127.0.0.1", "localhost", "[::1]"), \
            f"loopback only: {url}"

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = ROOT / "bench" / "results" / f"loadtest-{stamp}"
    out.mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="helpdesk-load-"))
    database = f"helpdesk_load_{stamp.replace('-', '_')}"
    admin_url = args.pg_url
    db_url = re.sub(r"/[^/]*$", f"/{database}", admin_url)
    processes = Processes(out)
    print(f"load test: results in {out}")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{database}"')
    try:
        web_port, s3_port, smtp_port = free_port(), free_port(), free_port()
        base = f"http://127.0.0.1:{web_port}"
        token = secrets.token_hex(16)
        env = {**os.environ,
               "HELPDESK_ENV": "development",  # production cookies are Secure: HTTPS only
               "HELPDESK_SECRET_KEY": secrets.token_hex(32),
               "HELPDESK_DATABASE_URL": db_url,
               "HELPDESK_INSTANCE_PATH": str(work / "instance"),
               "HELPDESK_RATELIMIT_STORAGE_URL": args.redis_url,
               # every locust user signs in from 127.0.0.1
               "HELPDESK_LOGIN_RATE_LIMIT": "10000 per minute",
               "HELPDESK_STORAGE_BACKEND": "s3", "HELPDESK_S3_BUCKET": BUCKET,
               "HELPDESK_S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
               "HELPDESK_S3_REGION": "us-east-1", "HELPDESK_S3_ACCESS_KEY_ID": "load",
               "HELPDESK_S3_SECRET_ACCESS_KEY": "load-secret",
               "HELPDESK_MAIL_HOST": "127.0.0.1", "HELPDESK_MAIL_PORT": str(smtp_port),
               "HELPDESK_MAIL_FROM": "support@example.com",
               "HELPDESK_SUPPORT_ADDRESS": "support@example.com",
               "HELPDESK_BASE_URL": base,
               "HELPDESK_METRICS_TOKEN": token,
               "HELPDESK_WORKER_EXPECTED": "true",
               "HELPDESK_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",  # the receiver is local
               "HELPDESK_SLOW_SQL_MS": "500",
               "HELPDESK_BIND": f"127.0.0.1:{web_port}",
               "HELPDESK_WEB_WORKERS": str(args.web_workers),
               "AWS_EC2_METADATA_DISABLED": "true"}
        web_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics")}
        flask = [str(BIN / "flask"), "--app", "helpdesk"]

        print("1. object storage, mail sink")
        processes.start("moto", [str(BIN / "python"), "-m", "moto.server", "-H", "127.0.0.1",
                                 "-p", str(s3_port)], env)
        processes.start("smtp", [str(BIN / "python"), str(HERE / "smtp_sink.py"),
                                 "--port", str(smtp_port), "--out",
                                 str(out / "mail.jsonl")], env)
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{s3_port}",
                          region_name="us-east-1", aws_access_key_id="load",
                          aws_secret_access_key="load-secret")
        wait_until(lambda: s3.list_buckets() is not None, "moto", 60)
        s3.create_bucket(Bucket=BUCKET)
        wait_until(lambda: socket.create_connection(("127.0.0.1", smtp_port)).close() or 1,
                   "SMTP sink", 30)

        print(f"2. database {database}: migrate, seed {args.seed_tickets} tickets, accounts")
        run([*flask, "db", "upgrade"], env, "db upgrade")
        run([*flask, "seed-demo", "--tickets", str(args.seed_tickets)], env, "seed-demo")
        users_file = out / "users.json"
        webhooks = WebhookReceiver()
        run([str(BIN / "python"), str(HERE / "prepare.py"), str(users_file), "--customers",
             str(args.customers), "--agents", str(args.agents), "--webhook-url",
             webhooks.url], env, "prepare")

        print(f"3. {args.background_workers} workers; backlog from seeding drains")
        for n in range(1, args.background_workers + 1):
            processes.start(f"worker{n}", [*flask, "worker"], env)
        wait_until(lambda: backlog(db_url) == 0, "the seeding backlog", 600, 2)

        print(f"4. gunicorn, {args.web_workers} workers")
        processes.start("web", [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
                                "wsgi:app"], web_env)
        ready = wait_until(lambda: http_get(f"{base}/readyz")[0] == 200 and
                           http_get(f"{base}/readyz")[1], "/readyz 200", 120)
        print(f"   /readyz: {ready.strip()}")
        before = snapshot(db_url)
        mail_log = out / "mail.jsonl"
        mail_before = len(mail_log.read_text().splitlines()) if mail_log.exists() else 0

        print(f"5. locust: {args.users} users for {args.duration} s")
        tally_file = out / "tally.json"
        sampler = LoadSampler()
        sampler.start()
        started = time.monotonic()
        locust = subprocess.run(
            [str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s",
             "--stop-timeout", "20", "--host", base, "--csv", str(out / "locust"),
             "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"],
            cwd=ROOT, env={**env, "LOADTEST_USERS": str(users_file),
                           "LOADTEST_TALLY": str(tally_file),
                           "LOADTEST_SHARES": str(max(args.users, 2))},
            capture_output=True, text=True, timeout=args.duration + 300)
        elapsed = time.monotonic() - started
        sampler.stopping.set()
        (out / "locust.out").write_text(locust.stdout + locust.stderr)
        processes.check_running()

        print("6. the worker's backlog drains")
        drained_after = time.monotonic()
        wait_until(lambda: backlog(db_url) == 0, "the backlog to drain", 600, 1)
        drain_seconds = time.monotonic() - drained_after
        status, metrics_text = http_get(f"{base}/metrics",
                                        {"Authorization": f"Bearer {token}"})
        (out / "metrics.txt").write_text(metrics_text)
        after = snapshot(db_url)
        objects = sum(page.get("KeyCount", 0) for page in
                      s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET))
        processes.stop_all()

        print("7. checks")
        tally = json.loads(tally_file.read_text())
        pages, total = locust_table(out / "locust_stats.csv")
        delta = {t: after["counts"].get(t, 0) - before["counts"].get(t, 0)
                 for t in after["counts"]}
        received = mail_log.read_text().splitlines() if mail_log.exists() else []
        def sent(queue: str, when: dict) -> int:
            return when["queues"].get(queue, {}).get("sent", 0)

        mail_queues = [q for q in after["queues"] if q != "webhook_deliveries"]
        sent_delta = sum(sent(q, after) - sent(q, before) for q in mail_queues)
        checks = [
            ("locust failures", int(total["Failure Count"]), 0),
            ("tickets created (database vs. locust)", delta.get("tickets"), tally["tickets"]),
            ("messages created", delta.get("messages"), tally["messages"]),
            ("files stored", delta.get("attachments"), tally["files"]),
            ("objects in the bucket vs. attachment rows", objects,
             after["counts"].get("attachments")),
            ("deliveries still queued", sum(q.get("queued", 0)
                                            for q in after["queues"].values()), 0),
            ("deliveries failed", sum(q.get("failed", 0) for q in after["queues"].values()),
             0),
            ("mail received by the SMTP sink vs. mail sent",
             len(received) - mail_before, sent_delta),
            ("webhook calls received (distinct) vs. webhook deliveries sent",
             len(set(webhooks.deliveries)), sent("webhook_deliveries", after)),
        ]
        web_log = (out / "web.log").read_text().splitlines()
        requests = [json.loads(line) for line in web_log if line.startswith("{")
                    and '"helpdesk.request"' in line]
        server_errors = [r for r in requests if r.get("status", 0) >= 500]
        checks.append(("5xx lines in the web log", len(server_errors), 0))
        request_ids = {r["request_id"] for r in requests}
        delivery_lines = [json.loads(line) for n in range(1, args.background_workers + 1)
                          for line in (out / f"worker{n}.log").read_text().splitlines()
                          if line.startswith("{") and '"delivery sent"' in line]
        traced = [d for d in delivery_lines if d.get("request_id") in request_ids]
        failed = [name for name, found, wanted in checks if found != wanted]

        loads = sampler.samples or [0.0]
        report = [
            f"# Load test {stamp}",
            "",
            f"{args.users} locust users ({tally_file.name}: {json.dumps(tally)}) for "
            f"{elapsed:.0f} s against gunicorn ({args.web_workers} workers) + "
            f"{args.background_workers} background workers, PostgreSQL, Redis, moto S3, "
            f"SMTP sink; {args.seed_tickets} seeded tickets.",
            f"Machine: {os.cpu_count()} cores; load average (1 min) during the run: "
            f"min {min(loads):.1f}, mean {sum(loads) / len(loads):.1f}, max {max(loads):.1f}.",
            "",
            markdown(pages, total),
            "",
            "| check | found | expected | |",
            "|---|---:|---:|---|",
            *[f"| {name} | {found} | {wanted} | {'ok' if found == wanted else 'FAILED'} |"
              for name, found, wanted in checks],
            "",
            f"Backlog drained {drain_seconds:.1f} s after the load stopped. Delivery log lines "
            f"carrying the id of a web request: {len(traced)} of {len(delivery_lines)}.",
            f"Rows added: {json.dumps({k: v for k, v in delta.items() if v})}",
        ]
        (out / "report.md").write_text("\n".join(report) + "\n")
        print("\n".join(report))
        if failed:
            print(f"FAILED: {', '.join(failed)}")
            return 1
        return 0
    finally:
        processes.stop_all()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{database}" with (force)')
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
