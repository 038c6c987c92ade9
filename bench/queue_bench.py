"""Measure the agent queue and the ticket workspace on a big database, in-process with
Flask's test client (no network, no browser: server time only).

    # a fresh SQLite file with a million demo tickets (takes a while), then measure:
    python bench/queue_bench.py --database-url sqlite:////tmp/bench.db --seed 1000000

    # measure again later without seeding:
    python bench/queue_bench.py --database-url sqlite:////tmp/bench.db

Prints one Markdown table: each page's median / best / worst time over --repeat runs
(after one warm-up), the SQL statements it ran and its row count. Nothing is asserted:
these are figures for the README, not a test.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpdesk import create_app  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.models import Category, Organization, Status, Ticket, User  # noqa: E402
from helpdesk.services import demo  # noqa: E402


def build_app(url: str):
    os.environ.setdefault("HELPDESK_INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-"))
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})


def seed(app, tickets: int) -> None:
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
        started, done = time.perf_counter(), [0]

        def progress(n):
            done[0] += n
            if done[0] % 50_000 < n:
                rate = done[0] / (time.perf_counter() - started)
                print(f"  seeded {done[0]:,} tickets ({rate:,.0f}/s)", file=sys.stderr)
        added = demo.seed_demo(tickets, progress=progress)
        print(f"seeded {added:,} tickets in {time.perf_counter() - started:,.0f} s",
              file=sys.stderr)


def pages(app) -> list[tuple[str, str]]:
    """The views to measure, with real ids and numbers from the database."""
    with app.app_context():
        billing = db.session.scalar(select(Category.id).where(Category.name == "Billing"))
        agent = db.session.scalar(select(User.id).where(User.email == "agent@example.com"))
        newest = db.session.scalar(select(Ticket.number).where(
            Ticket.status == Status.IN_PROGRESS).order_by(Ticket.id.desc()).limit(1))
        oldest = db.session.scalar(select(Ticket.number).order_by(Ticket.id).limit(1))
        total = db.session.scalar(select(func.count(Ticket.id)))
        organization = db.session.scalar(select(Organization.id).order_by(Organization.id))
    print(f"database: {total:,} tickets", file=sys.stderr)
    return [
        ("queue, default view (open, last activity)", "/agent/queue"),
        ("queue, filtered (status + priority + category)",
         f"/agent/queue?status=in_progress&priority=high&category={billing}"),
        ("queue, mine + overdue", "/agent/queue?mine=1&overdue=1"),
        ("queue, assignee filter, all statuses",
         f"/agent/queue?filtered=1&assignee={agent}"),
        ("queue, search: a common word", "/agent/queue?q=parcel"),
        ("queue, search: two words", "/agent/queue?q=parcel+crushed"),
        ("queue, search: requester e-mail", "/agent/queue?q=customer7%40example.com"),
        ("queue, search: ticket number", f"/agent/queue?filtered=1&q={oldest}"),
        ("queue, organization filter", f"/agent/queue?organization={organization}"),
        ("queue, organization, all statuses, newest",
         f"/agent/queue?filtered=1&organization={organization}&sort=created"),
        ("organization page", f"/agent/organizations/{organization}"),
        ("queue, sort by priority", "/agent/queue?sort=priority"),
        ("queue, sort by due date", "/agent/queue?sort=due"),
        ("queue, page 500", "/agent/queue?page=500"),
        ("workspace (newest in-progress ticket)", f"/agent/tickets/{newest}"),
        ("workspace (oldest ticket)", f"/agent/tickets/{oldest}"),
    ]


def measure(app, login: str, targets, repeat: int) -> list[tuple]:
    client = app.test_client()
    with app.app_context():
        email, password = login.split(":", 1)
        response = client.post("/auth/login", data={"email": email, "password": password})
        assert response.status_code == 302, "sign-in failed"
        statements = []
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
        results = []
        for name, url in targets:
            client.get(url)  # warm-up: caches, SQLite pages
            times = []
            for _ in range(repeat):
                statements.clear()
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            html = response.get_data(as_text=True)
            rows = html.count('<td data-label="Ticket">')
            results.append((name, url, statistics.median(times), min(times), max(times),
                            len(statements), rows))
    return results


def measure_export(app, login: str, url: str) -> str:
    """Stream the CSV export as an admin: time to the first chunk, total time, lines,
    and how much the process's peak memory (max RSS) grew meanwhile."""
    import resource
    client = app.test_client()
    with app.app_context():
        email, password = login.split(":", 1)
        client.post("/auth/login", data={"email": email, "password": password})
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        response = client.get(url, buffered=False)
        first, lines, size = None, 0, 0
        for chunk in response.response:
            first = first or time.perf_counter() - started
            lines += chunk.count(b"\n")
            size += len(chunk)
        total = time.perf_counter() - started
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    return (f"CSV export `{url}`: {lines - 1:,} rows, {size / 1e6:,.0f} MB in {total:,.1f} s, "
            f"first bytes after {first * 1000:,.0f} ms, peak memory grew by {grown / 1024:,.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=0,
                        help="migrate and make sure at least this many tickets exist")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--login", default="agent@example.com:demo-password")
    parser.add_argument("--export", metavar="ADMIN_LOGIN", nargs="?",
                        const="admin@example.com:demo-password",
                        help="also stream the whole CSV export as this admin")
    parser.add_argument("--analyze", action="store_true",
                        help="run ANALYZE first (planner statistics)")
    args = parser.parse_args()
    app = build_app(args.database_url)
    if args.seed:
        seed(app, args.seed)
    if args.analyze:
        with app.app_context():
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    results = measure(app, args.login, pages(app), args.repeat)
    print("| page | median ms | best ms | worst ms | SQL statements | rows |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, _url, median, best, worst, count, rows in results:
        print(f"| {name} | {median:,.0f} | {best:,.0f} | {worst:,.0f} | {count} | {rows} |")
    if args.export:
        print()
        print(measure_export(app, args.export, "/agent/queue.csv?filtered=1"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
