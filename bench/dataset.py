"""The benchmark dataset, seeded fast and cached between runs.

The dataset (issue 14's baseline): N tickets created 10 minutes apart (the newest a few
minutes old), 70 % of them open, priority, category and assignment decided by a rule on
the ticket's index (not by chance, so every run and every database holds the same rows),
50 customers, and three messages on every ticket: the customer's message, a public agent
reply and an internal note. The common search word (SEARCH_WORD) is in most tickets.

Where the databases live
    SQLite:      bench/cache/helpdesk_<N>.db          (git-ignored)
    PostgreSQL:  database helpdesk_bench_<N> on the --postgres-url server

Reuse policy (what `ensure()` does with a database it finds):
  * none yet                                   -> create, migrate, seed
  * seeded by another DATASET_VERSION or size  -> rebuild from scratch
  * schema revision unknown to this checkout   -> rebuild (seeded by a branch with
    (e.g. a branch with newer migrations)         migrations this one does not have)
  * schema revision older than the head        -> `flask db upgrade` in place, keep the
                                                  rows, ANALYZE again. Migrations must
                                                  cope with a filled database anyway,
                                                  and this tries them on a big one.
  * fewer tickets than N (seeding interrupted) -> seed only the missing ones (rows are
                                                  a function of their index, so the
                                                  result equals an uninterrupted run)
  * `--rebuild`                                -> rebuild
Bump DATASET_VERSION whenever the rows this module writes change (say a new table the
pages need filled, such as API tokens): every cache is then rebuilt on its next use.

The schema is always the real one: migrations run through the app (`flask db upgrade`
in a subprocess, as a deployment does). Rows are written with bulk statements: COPY on
PostgreSQL, executemany on SQLite. The search objects keep up by themselves: SQLite's
FTS5 tables through their AFTER INSERT triggers, PostgreSQL's GIN indexes on insert;
`check_search()` proves it on the newest rows. ANALYZE (PostgreSQL: VACUUM ANALYZE)
runs at the end, so the planner sees the real distribution.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "cache"

DATASET_VERSION = "1"
CUSTOMERS = 50
SPACING = timedelta(minutes=10)
BATCH = 10_000
PASSWORD = "demo-password"  # noqa: S105 (the documented demo password)
ADMIN = "admin@example.com"
AGENT = "agent@example.com"
CUSTOMER = "customer@example.com"  # customer number 0: the requester of every 50th ticket
AGENTS = [(AGENT, "Alex Agent"), ("sam@example.com", "Sam Rivera"),
          ("priya@example.com", "Priya Natarajan"), ("jonas@example.com", "Jonas Berg"),
          ("mei@example.com", "Mei Tanaka")]
SEARCH_WORD = "parcel"  # in the description of 80 % of tickets (and in some subjects)

# The rules: a ticket's hash (of its index) picks from these cumulative percentages.
STATUSES = [(15, "new"), (35, "open"), (55, "in_progress"), (70, "on_hold"),
            (85, "resolved"), (100, "closed")]  # 70 % open
PRIORITIES = [(20, "low"), (65, "medium"), (85, "high"), (95, "urgent"), (100, "critical")]
SUBJECTS = ["Wrong size in my order", "Item missing from order", "Parcel arrived crushed",
            "Tracking says delivered but nothing arrived", "Delivery is three days late",
            "Zip broke after two days", "Charged twice for one order", "Refund not received",
            "Cannot sign in to my account", "Do you ship abroad?"]
CUSTOMER_LINES = ["Hello, I need help with this please.", "Any news on this?",
                  "Thanks, I have attached what I have.", "It still is not sorted, sorry."]
AGENT_LINES = ["Thanks for getting in touch, I am looking into it.",
               "I have contacted the carrier and will update you tomorrow.",
               "Could you confirm the order reference?",
               "This is sorted now; let us know if anything else comes up."]
NOTE_LINES = ["Checked with the warehouse: stock is fine.", "Customer is a repeat buyer.",
              "Carrier claim opened."]


# --- where ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """One cached database: its engine (where bench/run.py points the app) and how to
    make it from nothing."""
    database: str  # "sqlite" | "postgresql"
    size: int
    url: str       # what HELPDESK_DATABASE_URL gets

    @property
    def label(self) -> str:
        return f"{self.database} {self.size:,}"


def target(database: str, size: int, postgres_url: str, pg_prefix: str = "helpdesk_bench"
           ) -> Target:
    if database == "sqlite":
        return Target("sqlite", size, f"sqlite:///{CACHE / f'helpdesk_{size}.db'}")
    if database == "postgresql":
        url = make_url(postgres_url).set(drivername="postgresql+psycopg",
                                         database=f"{pg_prefix}_{size}")
        return Target("postgresql", size, url.render_as_string(hide_password=False))
    raise ValueError(f"unknown database {database!r} (sqlite, postgresql)")


def _pg_server(url: str):
    import psycopg
    server = make_url(url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(server.render_as_string(hide_password=False), autocommit=True)


def _exists(t: Target) -> bool:
    if t.database == "sqlite":
        return Path(make_url(t.url).database).exists()
    with _pg_server(t.url) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (make_url(t.url).database,)).fetchone() is not None


def _create_empty(t: Target) -> None:
    """Drop whatever is there and create an empty database."""
    if t.database == "sqlite":
        path = Path(make_url(t.url).database)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = make_url(t.url).database
    with _pg_server(t.url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- schema -----------------------------------------------------------------------------

def app_env(url: str, instance: str) -> dict[str, str]:
    """The environment the app runs with, in `flask db upgrade` and under gunicorn."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update({"HELPDESK_DATABASE_URL": url, "HELPDESK_INSTANCE_PATH": instance,
                "HELPDESK_SECRET_KEY": "bench-not-secret",  # loopback only, throwaway
                "HELPDESK_MAIL_HOST": "", "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def migrate(t: Target, instance: str, log: Callable[[str], None]) -> float:
    """`flask db upgrade` through the app, as a deployment does. Returns seconds."""
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-m", "flask", "--app", "helpdesk", "db", "upgrade"],
        cwd=ROOT, env=app_env(t.url, instance), capture_output=True, text=True,
        timeout=3 * 3600)
    if result.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed on {t.label}:\n{result.stderr[-3000:]}")
    seconds = time.perf_counter() - started
    log(f"{t.label}: flask db upgrade ({seconds:.1f} s)")
    return seconds


def _revisions() -> tuple[set[str], object]:
    from alembic.script import ScriptDirectory
    script = ScriptDirectory(str(ROOT / "migrations"))
    return set(script.get_heads()), script


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except Exception:  # noqa: BLE001 (no table: never migrated)
            return None


def _known(script, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:  # noqa: BLE001 (alembic: "Can't locate revision")
        return False


# --- the marker: what was seeded ---------------------------------------------------------

MARKER = "bench_dataset"  # a table of our own; no migration or model knows it


def _read_marker(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        try:
            return dict(conn.execute(text(f"SELECT key, value FROM {MARKER}")).all())  # noqa: S608
        except Exception:  # noqa: BLE001 (no marker table: not seeded by us)
            return {}


def _write_marker(engine: Engine, **values) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {MARKER} "
                          "(key VARCHAR(64) PRIMARY KEY, value VARCHAR(255))"))
        for key, value in values.items():
            conn.execute(text(f"DELETE FROM {MARKER} WHERE key = :k"), {"k": key})  # noqa: S608
            conn.execute(text(f"INSERT INTO {MARKER} (key, value) VALUES (:k, :v)"),  # noqa: S608
                         {"k": key, "v": str(value)})


# --- ensure -----------------------------------------------------------------------------

def ensure(t: Target, instance: str, log: Callable[[str], None] = print,
           rebuild: bool = False) -> dict:
    """Make `t` hold the dataset at the current schema head. Returns what was done:
    {"action": "reused" | "upgraded" | "resumed" | "built", "seconds": ..., ...}."""
    heads, script = _revisions()
    started = time.perf_counter()
    reason = "--rebuild" if rebuild else None
    if reason is None and not _exists(t):
        reason = "no cached database"
    engine = None
    if reason is None:
        engine = _engine(t)
        marker = _read_marker(engine)
        revision = _current_revision(engine)
        if marker.get("dataset_version") != DATASET_VERSION:
            reason = (f"dataset version {marker.get('dataset_version')} != {DATASET_VERSION}"
                      if marker else "not seeded by bench/dataset.py")
        elif marker.get("size") != str(t.size):
            reason = f"size {marker.get('size')} != {t.size}"
        elif revision is None or not _known(script, revision):
            reason = f"schema revision {revision} unknown to this checkout"
    if reason:
        if engine is not None:
            engine.dispose()
        log(f"{t.label}: building ({reason})")
        _create_empty(t)
        migration_s = migrate(t, instance, log)
        engine = _engine(t)
        _write_marker(engine, dataset_version=DATASET_VERSION, size=t.size, complete=0)
        seed_s = seed(engine, t, log)
        _write_marker(engine, complete=1, seed_seconds=f"{seed_s:.1f}",
                      revision=_current_revision(engine))
        engine.dispose()
        return {"action": "built", "reason": reason, "migrate_seconds": round(migration_s, 1),
                "seed_seconds": round(seed_s, 1),
                "seconds": round(time.perf_counter() - started, 1)}

    action, extra = "reused", {}
    if _current_revision(engine) not in heads:
        engine.dispose()
        extra["migrate_seconds"] = round(migrate(t, instance, log), 1)
        engine = _engine(t)
        action = "upgraded"
    if _count(engine, "tickets") < t.size or _read_marker(engine).get("complete") != "1":
        extra["seed_seconds"] = round(seed(engine, t, log), 1)
        _write_marker(engine, complete=1)
        action = "resumed" if action == "reused" else action
    elif action == "upgraded":
        _analyze(engine, t)
    _write_marker(engine, revision=_current_revision(engine))
    engine.dispose()
    log(f"{t.label}: {action} cached database")
    return {"action": action, **extra, "seconds": round(time.perf_counter() - started, 1)}


def _engine(t: Target) -> Engine:
    return create_engine(t.url)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0  # noqa: S608


# --- seeding ----------------------------------------------------------------------------

def _h(index: int) -> int:
    """A stable, well-spread number for ticket `index` (the same on every machine)."""
    return int.from_bytes(hashlib.blake2b(index.to_bytes(8, "little"), digest_size=8)
                          .digest(), "little")


def _pick(table: list[tuple[int, str]], percent: int) -> str:
    for limit, value in table:
        if percent < limit:
            return value
    return table[-1][1]


def seed(engine: Engine, t: Target, log: Callable[[str], None]) -> float:
    """Users and reference data (through the app's models), then the tickets that are
    missing, in batches of BATCH; ANALYZE at the end. Returns seconds."""
    started = time.perf_counter()
    people = _seed_people(t)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT coalesce(max(id), 0) FROM tickets")).scalar()
        context = _reference(conn)
    # Ticket i (1..N) is created (N - i) * 10 minutes before the newest one, whose time is
    # fixed when the build starts (kept in the marker, so a resumed build matches).
    anchor = _read_marker(engine).get("newest")
    if anchor:
        newest = datetime.fromisoformat(anchor)
    else:
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)  # naive UTC, as the app
        newest = now - timedelta(minutes=10)  # its last message 7 minutes later: the past
        _write_marker(engine, newest=newest.isoformat())
    plan = _Plan(t.size, newest, people, context)
    writer = _writer(engine)
    done = have
    last_report = time.perf_counter()
    while done < t.size:
        upto = min(done + BATCH, t.size)
        tickets, messages = plan.rows(done + 1, upto)
        writer(["tickets", tickets, "messages", messages])
        done = upto
        if time.perf_counter() - last_report > 15 or done == t.size:
            rate = (done - have) / (time.perf_counter() - started)
            log(f"{t.label}: {done:,} / {t.size:,} tickets ({rate:,.0f}/s)")
            last_report = time.perf_counter()
    _finish(engine, t, plan)
    seconds = time.perf_counter() - started
    log(f"{t.label}: seeded {t.size - have:,} tickets in {seconds:,.1f} s")
    return seconds


def _seed_people(t: Target) -> dict[str, list[int]]:
    """Admin, agents and 50 customers through the app's own models and defaults
    (categories, teams, SLA targets). Returns their ids."""
    from werkzeug.security import generate_password_hash

    from helpdesk import create_app
    from helpdesk.extensions import db
    from helpdesk.models import AgentStatus, Role, User
    from helpdesk.services.catalog.defaults import install_defaults

    app = create_app({"DATABASE_URL": t.url, "SECRET_KEY": "bench-not-secret",
                      "TESTING": True})
    with app.app_context():
        install_defaults()
        password_hash = generate_password_hash(PASSWORD,
                                               method=app.config["PASSWORD_HASH_METHOD"])
        wanted = [(ADMIN, "Ada Admin", Role.ADMIN)]
        wanted += [(email, name, Role.AGENT) for email, name in AGENTS]
        wanted += [(CUSTOMER, "Casey Customer", Role.CUSTOMER)]
        wanted += [(f"customer{i}@example.com", f"Customer {i}", Role.CUSTOMER)
                   for i in range(1, CUSTOMERS)]
        users = {u.email: u for u in db.session.scalars(db.select(User))}
        for email, name, role in wanted:
            if email not in users:
                users[email] = User(
                    email=email, name=name, role=role, password_hash=password_hash,
                    agent_status=AgentStatus.APPROVED if role == Role.AGENT else None)
                db.session.add(users[email])
        db.session.commit()
        people = {"admin": [users[ADMIN].id],
                  "agents": [users[email].id for email, _ in AGENTS],
                  "customers": [users[w[0]].id for w in wanted if w[2] == Role.CUSTOMER]}
        db.session.remove()
    with app.app_context():
        db.engine.dispose()
    return people


def _reference(conn) -> dict:
    categories = conn.execute(text(
        "SELECT id, default_team_id FROM categories ORDER BY position, id")).all()
    sla = {p: (f, r) for p, f, r in conn.execute(text(
        "SELECT priority, first_response_minutes / 60, resolution_minutes / 60 "
        "FROM sla_targets"))}
    return {"categories": categories, "sla": sla}


class _Plan:
    """Ticket i's row and its three messages: a pure function of i (and of the newest
    ticket's time, fixed when the build started)."""

    def __init__(self, size: int, newest: datetime, people: dict, context: dict):
        self.size, self.newest = size, newest
        self.agents, self.customers = people["agents"], people["customers"]
        self.categories, self.sla = context["categories"], context["sla"]
        self.prefix = "TKT-"
        self.digits = 6

    def number(self, i: int) -> str:
        return f"{self.prefix}{i:0{self.digits}d}"

    def rows(self, first: int, last: int) -> tuple[list[dict], list[dict]]:
        tickets, messages = [], []
        for i in range(first, last + 1):
            h = _h(i)
            created = self.newest - SPACING * (self.size - i)
            status = _pick(STATUSES, h % 100)
            priority = _pick(PRIORITIES, (h >> 8) % 100)
            category_id, team_id = self.categories[(h >> 16) % len(self.categories)]
            requester = self.customers[i % CUSTOMERS]
            agent = self.agents[(h >> 24) % len(self.agents)]
            wrote, replied, noted = (created + timedelta(minutes=m) for m in (1, 4, 7))
            first_response_hours, resolution_hours = self.sla[priority]
            mention = f" The {SEARCH_WORD} " if (h >> 32) % 5 else " It "
            row = {
                "id": i, "number": self.number(i),
                "subject": SUBJECTS[(h >> 40) % len(SUBJECTS)],
                "description": f"Order ORD-{100000 + (h >> 12) % 900000}.{mention}"
                               f"is the problem; {CUSTOMER_LINES[(h >> 44) % 4].lower()}",
                "category_id": category_id, "team_id": team_id, "priority": priority,
                "status": status, "requester_id": requester, "created_by_id": requester,
                "assignee_id": None if status == "new" else agent,
                "order_reference": f"ORD-{100000 + (h >> 12) % 900000}",
                "due_at": created + timedelta(hours=resolution_hours),
                "first_response_due_at": created + timedelta(hours=first_response_hours),
                "due_set_manually": False,
                "created_at": created, "updated_at": noted, "last_activity_at": noted,
                "public_activity_at": replied, "first_response_at": replied,
                "last_agent_reply_at": replied, "requester_seen_at": replied,
                "resolved_at": None, "closed_at": None,
            }
            if status in ("resolved", "closed"):
                resolved = min(noted + timedelta(hours=1 + (h >> 48) % 72), self.newest)
                row.update(resolved_at=resolved, updated_at=resolved,
                           last_activity_at=resolved, public_activity_at=resolved)
                if status == "closed":
                    row["closed_at"] = resolved
            tickets.append(row)
            base = 3 * (i - 1)
            messages += [
                {"id": base + 1, "ticket_id": i, "author_id": requester, "is_internal": False,
                 "body": CUSTOMER_LINES[(h >> 50) % 4], "created_at": wrote},
                {"id": base + 2, "ticket_id": i, "author_id": agent, "is_internal": False,
                 "body": AGENT_LINES[(h >> 54) % 4], "created_at": replied},
                {"id": base + 3, "ticket_id": i, "author_id": agent, "is_internal": True,
                 "body": NOTE_LINES[(h >> 58) % 3], "created_at": noted},
            ]
        return tickets, messages


def _columns(engine: Engine, table: str, given: list[str]) -> tuple[list[str], dict]:
    """The columns to write: the ones we give, plus any NOT NULL column the schema gained
    since (filled from its model default). A NOT NULL column without any default stops
    the build with a message saying what to do."""
    import helpdesk.models  # noqa: F401 (registers every table)
    from helpdesk.extensions import db
    model_table = db.metadata.tables[table]
    from sqlalchemy import inspect
    live = {c["name"]: c for c in inspect(engine).get_columns(table)}
    extra = {}
    for name, column in live.items():
        if name in given or column["nullable"] or column.get("default") is not None:
            continue
        model_column = model_table.columns.get(name)
        default = getattr(model_column, "default", None)
        if default is not None and default.is_scalar:
            extra[name] = default.arg
        elif default is not None and default.is_callable:
            extra[name] = default.arg(None)
        else:
            raise RuntimeError(
                f"{table}.{name} is NOT NULL without a default: teach bench/dataset.py to "
                f"fill it and bump DATASET_VERSION")
    return [*given, *extra], extra


def _writer(engine: Engine) -> Callable[[list], None]:
    """A function writing [table, rows, table, rows, ...] in one transaction."""
    columns: dict[str, tuple[list[str], dict]] = {}

    def cols(table: str, rows: list[dict]):
        if table not in columns:
            columns[table] = _columns(engine, table, list(rows[0]))
        return columns[table]

    if engine.dialect.name == "postgresql":
        def write(batch: list) -> None:
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                for table, rows in zip(batch[::2], batch[1::2], strict=True):
                    names, extra = cols(table, rows)
                    given = [n for n in names if n not in extra]
                    with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                        tail = tuple(extra.values())
                        for row in rows:
                            copy.write_row(tuple(row[n] for n in given) + tail)
                raw.commit()
            finally:
                raw.close()
        return write

    def sqlite_value(value):
        if isinstance(value, datetime):  # SQLAlchemy's SQLite format, microseconds always
            return value.strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, bool):
            return int(value)
        return value

    def write(batch: list) -> None:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA synchronous=OFF")  # a cache: rebuilt if a crash breaks it
            for table, rows in zip(batch[::2], batch[1::2], strict=True):
                names, extra = cols(table, rows)
                given = [n for n in names if n not in extra]
                tail = tuple(sqlite_value(v) for v in extra.values())
                marks = ", ".join("?" * len(names))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",  # noqa: S608
                    (tuple(sqlite_value(row[n]) for n in given) + tail for row in rows))
            raw.commit()
        finally:
            raw.close()
    return write


def _finish(engine: Engine, t: Target, plan: _Plan) -> None:
    """Counter, sequences, search check, planner statistics."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ticket_counters WHERE name = 'ticket'"))
        conn.execute(text("INSERT INTO ticket_counters (name, value) VALUES ('ticket', :n)"),
                     {"n": t.size})
        if engine.dialect.name == "postgresql":
            for table in ("tickets", "messages"):
                sql = (f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                       f"(SELECT max(id) FROM {table}))")  # (constant table names)
                conn.execute(text(sql))
    check_search(engine, plan.number(t.size))
    _analyze(engine, t)


def check_search(engine: Engine, newest_number: str) -> None:
    """The search objects index what the bulk INSERTs wrote: the newest ticket's number
    and the newest note are found through them."""
    digits = newest_number.split("-")[-1]
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            found = conn.execute(text("SELECT count(*) FROM tickets_fts WHERE tickets_fts "
                                      "MATCH :q"), {"q": f'"{digits}"'}).scalar()
            notes = conn.execute(text(
                "SELECT rowid FROM messages_fts WHERE messages_fts MATCH "
                "'warehouse OR buyer OR claim' ORDER BY rowid DESC LIMIT 1")).scalar()
        else:
            found = conn.execute(text(
                "SELECT count(*) FROM tickets WHERE to_tsvector('simple'::regconfig, "
                "regexp_replace(number || ' ' || subject || ' ' || description, "
                "'[^[:alnum:]]+', ' ', 'g')) @@ to_tsquery('simple', :q)"),
                {"q": digits}).scalar()
            notes = conn.execute(text(
                "SELECT id FROM messages WHERE to_tsvector('simple'::regconfig, "
                "regexp_replace(body, '[^[:alnum:]]+', ' ', 'g')) @@ "
                "to_tsquery('simple', 'warehouse | buyer | claim') ORDER BY id DESC LIMIT 1"
            )).scalar()
        last_note = conn.execute(text("SELECT max(id) FROM messages")).scalar()
    if not found or notes != last_note:
        raise RuntimeError(f"search does not find the newest rows ({found}, {notes} != "
                           f"{last_note}): the FTS triggers / GIN indexes missed the inserts")


def _analyze(engine: Engine, t: Target) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # visibility map + GIN pending lists too
        return
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        conn.commit()

