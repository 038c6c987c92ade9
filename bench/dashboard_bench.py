"""How long the admin dashboard takes on a big database.

    # once: a database with a million demo tickets (about 8 minutes on SQLite)
    export HELPDESK_DATABASE_URL=sqlite:////tmp/bench.db
    flask --app helpdesk db upgrade
    flask --app helpdesk seed-demo --tickets 1000000
    # then
    python bench/dashboard_bench.py [--runs 5]

Prints the time of each statistics query, of stats.dashboard() as a whole, and of the
whole /admin/ page and a few other console pages (signed in as admin@example.com through
the real login form, so the guard, the template and the SVG charts are included). The
first run warms the cache; the figures after it are what a person sees.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402

from helpdesk import create_app  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.models import Ticket, utcnow  # noqa: E402
from helpdesk.services.reporting import stats  # noqa: E402
from helpdesk.services.demo import DEMO_PASSWORD  # noqa: E402


def timed(fn, runs: int) -> tuple[float, float]:
    """(first run, median of the rest) in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    rest = times[1:] or times
    return times[0], statistics.median(rest)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--admin", default="admin@example.com")
    parser.add_argument("--also", nargs="*", default=["/admin/audit", "/admin/audit?page=2000",
                                                      "/admin/agents", "/admin/customers"],
                        help="other console pages to time the same way")
    args = parser.parse_args()

    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        tickets = db.session.scalar(select(func.count(Ticket.id)))
        print(f"database: {db.engine.dialect.name}, {tickets:,} tickets")
        now = utcnow()
        parts = {
            "count_by(status)": lambda: stats.count_by(Ticket.status),
            "count_by(priority)": lambda: stats.count_by(Ticket.priority),
            "count_by(category)": lambda: stats.count_by(Ticket.category_id),
            "count_by(team)": lambda: stats.count_by(Ticket.team_id),
            "overdue_count": lambda: stats.overdue_count(now),
            "unassigned_count": stats.unassigned_count,
            "average_durations": stats.average_durations,
            "csat_summary": stats.csat_summary,
            "daily_flow": lambda: stats.daily_flow(now),
            "agent_workload": stats.agent_workload,
            "dashboard() total": stats.dashboard,
        }
        for name, fn in parts.items():
            first, median = timed(fn, args.runs)
            print(f"  {name:<22} first {first:8.1f} ms   then {median:8.1f} ms")

    client = app.test_client()
    response = client.post("/auth/login", data={"email": args.admin,
                                                "password": DEMO_PASSWORD})
    if response.status_code != 302:
        print("could not sign in as", args.admin, "- run seed-demo first")
        return 1

    for url in ["/admin/", *args.also]:
        def page(url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        first, median = timed(page, args.runs)
        print(f"  GET {url:<22} first {first:8.1f} ms   then {median:8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
