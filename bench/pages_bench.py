"""Server time of `make bench`'s pages, in-process (Flask's test client: no network, no
gunicorn, no wrk), on one of its cached databases. On a shared, loaded machine the median
of several in-process runs is steadier than req/s under wrk, and the CPU time of this
process (time.process_time: Python, templates and, on SQLite, the database itself; not
PostgreSQL's server) steadier still: wall time there mostly measures waiting for a core.

    .venv/bin/python bench/pages_bench.py --database sqlite --size 1000000 [--repeat 5]
    .venv/bin/python bench/pages_bench.py --database postgresql --size 1000000 --pages all

The database must already exist (bench/run.py --seed-only builds it; this script migrates
it to the checkout's head first, like bench/run.py). Prints a Markdown table: median /
best time of --repeat runs after one warm-up, SQL statements of one request, HTTP status.
Writes bench/results/pages-<database>-<size>-<time>.json. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import dataset, run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--pages", default="all", help="'default', 'all' or page keys")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--pg-prefix", default=os.environ.get("BENCH_PG_PREFIX",
                                                              "helpdesk_bench"))
    parser.add_argument("--label", default="", help="a word for the JSON (before, after)")
    parser.add_argument("--url", help="measure this database as it is (migrated to the "
                        "checkout's head first), not the cached one; --size: its tickets")
    args = parser.parse_args()
    pages = run.parse_args(["--pages", args.pages]).pages
    instance = tempfile.mkdtemp(prefix="bench-pages-")
    os.environ["HELPDESK_INSTANCE_PATH"] = instance
    if args.url:
        t = dataset.Target(args.database, args.size, args.url)
        built = {"action": "as is", "migrate_seconds": dataset.migrate(t, instance,
                                                                       run.log_line)}
    else:
        t = dataset.target(args.database, args.size, args.postgres_url, args.pg_prefix)
        built = dataset.ensure(t, instance, run.log_line)
    values = run.facts(t.url, t.size)

    from sqlalchemy import event

    from helpdesk import create_app
    from helpdesk.extensions import db
    app = create_app({"DATABASE_URL": t.url, "SECRET_KEY": run.SECRET, "MAIL_HOST": None,
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    clients = {}
    for role, email in run.ROLES.items():
        client = app.test_client()
        response = client.post("/auth/login", data={"email": email,
                                                    "password": dataset.PASSWORD},
                               headers={"User-Agent": run.USER_AGENT})
        assert response.status_code == 302, (role, response.status_code)
        clients[role] = (client, {"User-Agent": run.USER_AGENT})
    api = app.test_client()
    token = api.post(run.TOKEN_PATH, json={"email": dataset.AGENT,
                                           "password": dataset.PASSWORD}).get_json()
    clients["api"] = (api, {"Authorization": f"Bearer {(token or {}).get('access_token')}"})

    statements: list[str] = []
    results = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *a: statements.append(a[2]))
    for page in pages:
        client, headers = clients[page.role]
        path = page.path.format(**values)
        response = client.get(path, headers=headers)  # warm-up
        times, cpu = [], []
        for _ in range(args.repeat):
            statements.clear()
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(path, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
        results.append({"page": page.name, "key": page.key, "path": path,
                        "status": response.status_code,
                        "median_ms": statistics.median(times), "best_ms": min(times),
                        "cpu_ms": statistics.median(cpu),
                        "sql_statements": len(statements)})
        run.log_line(f"  {page.name:<40} {results[-1]['median_ms']:>9,.1f} ms  "
                     f"{len(statements):>3} SQL  HTTP {response.status_code}")
    load = os.getloadavg()
    print(f"\n{args.database} {args.size:,} tickets — in-process, median of {args.repeat} "
          f"after a warm-up; load average {load[0]:.1f}\n")
    print("| page | median ms | best ms | CPU ms (this process) | SQL/request | status |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['page']} | {r['median_ms']:,.1f} | {r['best_ms']:,.1f} | "
              f"{r['cpu_ms']:,.1f} | {r['sql_statements']} | {r['status']} |")
    out = run.RESULTS
    out.mkdir(parents=True, exist_ok=True)
    stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    (out / f"pages-{args.database}-{args.size}-{args.label or 'run'}-{stamp}.json").write_text(
        json.dumps({"database": args.database, "size": args.size, "label": args.label,
                    "load_average": load, "machine": run.machine(), "dataset": built,
                    "results": results}, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
