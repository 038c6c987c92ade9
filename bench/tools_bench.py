"""Agents' tools at scale, in-process (as bench/queue_bench.py): a saved view with a
custom-field filter and a tag filter, the tag filters and search term, the tag list,
the workspace with macros and fields. Seeds tags and custom-field values on every
ticket of the database with set-based INSERTs (fast), then measures.

    python bench/tools_bench.py --database-url sqlite:////tmp/tools.db --seed 100000

Prints a Markdown table: median / best / worst ms over --repeat runs, SQL statements,
rows shown. Figures for the README, not a test.
"""
import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from queue_bench import build_app, measure, seed  # noqa: E402

from helpdesk.extensions import db  # noqa: E402
from helpdesk.models import (  # noqa: E402
    CustomField,
    SavedView,
    Status,
    Ticket,
    TicketFieldValue,
    TicketTag,
    User,
)

PLANS = ("gold", "silver", "bronze", "trial", "free")
TAGS = ("refund", "carrier", "damaged", "late", "vip", "fraud", "gift", "b2b")


def seed_tools(app) -> None:
    """Every ticket gets a plan (1 in 5 gold) and a seat count; 1 in 8 a "refund" tag,
    1 in 64 both "refund" and "vip", the rest one of the other tags (set-based SQL)."""
    with app.app_context():
        if db.session.scalar(select(func.count()).select_from(TicketFieldValue)):
            return
        started = time.perf_counter()
        plan = CustomField(key="plan", label="Plan", kind="choice", required=False,
                           customer_visible=True, options="\n".join(PLANS), active=True,
                           position=0)
        seats = CustomField(key="seats", label="Seats", kind="number", required=False,
                            customer_visible=False, options="", active=True, position=1)
        db.session.add_all([plan, seats])
        db.session.flush()
        cases = " ".join(f"WHEN {i} THEN '{p}'" for i, p in enumerate(PLANS))
        db.session.execute(text(
            f"INSERT INTO ticket_field_values (ticket_id, field_id, value_text) "  # noqa: S608
            f"SELECT id, {plan.id}, CASE id % 5 {cases} END FROM tickets"))
        db.session.execute(text(
            f"INSERT INTO ticket_field_values (ticket_id, field_id, value_number) "  # noqa: S608
            f"SELECT id, {seats.id}, id % 50 FROM tickets"))
        others = " ".join(f"WHEN {i} THEN '{t}'" for i, t in enumerate(TAGS[1:]))
        db.session.execute(text(
            "INSERT INTO ticket_tags (ticket_id, name) SELECT id, CASE WHEN id % 8 = 0 "  # noqa: S608
            f"THEN 'refund' ELSE CASE id % {len(TAGS) - 1} {others} END END FROM tickets"))
        db.session.execute(text(
            "INSERT INTO ticket_tags (ticket_id, name) SELECT id, 'vip' FROM tickets "
            "WHERE id % 64 = 0"))  # those have "refund" (id % 8 = 0), never "vip" yet
        db.session.commit()
        print(f"seeded tags and field values in {time.perf_counter() - started:,.0f} s",
              file=sys.stderr)


def targets(app) -> list[tuple[str, str]]:
    with app.app_context():
        agent = db.session.scalar(select(User).where(User.email == "agent@example.com"))
        query = urlencode({"filtered": "1", "open_only": "y", "tags": "refund",
                           "cf_plan": "gold", "sort": "activity"})
        view = db.session.scalar(select(SavedView).where(SavedView.name == "Gold refunds"))
        if view is None:
            for i, name in enumerate(("Gold refunds", "VIP", "Trial, late", "Seats 10")):
                q = (query, "filtered=1&tags=vip", "cf_plan=trial&tags=late",
                     "cf_seats=10")[i]
                db.session.add(SavedView(name=name, query=q, owner_id=agent.id,
                                         position=i + 1, shared=False))
            db.session.commit()
        newest = db.session.scalar(select(Ticket.number).where(
            Ticket.status == Status.IN_PROGRESS).order_by(Ticket.id.desc()).limit(1))
        total = db.session.scalar(select(func.count(Ticket.id)))
        tagged = db.session.scalar(select(func.count()).select_from(TicketTag))
    print(f"database: {total:,} tickets, {tagged:,} tags", file=sys.stderr)
    return [
        ("queue, no filter (4 saved views counted in the side bar)", "/agent/queue"),
        ("saved view: tag refund + cf_plan=gold (open)", f"/agent/queue?{query}"),
        ("tag filter, any of refund/vip", "/agent/queue?tags=refund,vip&tags_mode=any"),
        ("tag filter, all of refund+vip", "/agent/queue?tags=refund,vip&tags_mode=all"),
        ("search term tag:vip, all statuses", "/agent/queue?filtered=1&q=tag:vip"),
        ("custom field cf_seats=10, all statuses", "/agent/queue?filtered=1&cf_seats=10"),
        ("saved view page 50", f"/agent/queue?{query}&page=50"),
        ("workspace with macros and fields", f"/agent/tickets/{newest}"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--login", default="agent@example.com:demo-password")
    args = parser.parse_args()
    app = build_app(args.database_url)
    if args.seed:
        seed(app, args.seed)
    seed_tools(app)
    results = measure(app, args.login, targets(app), args.repeat)
    print("| page | median ms | best ms | worst ms | SQL statements | rows |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, _url, median, best, worst, count, rows in results:
        print(f"| {name} | {median:,.0f} | {best:,.0f} | {worst:,.0f} | {count} | {rows} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
