"""The dashboard's aggregates, kept by the database in the same transaction as the change.

`ticket_stats` (models/stats.py) holds one row per (dimension, key): a number of tickets
`n` and, for durations, a sum of seconds `total`. Triggers on `tickets` and `feedback`
(SQLite and PostgreSQL) add a row's contribution on INSERT, take it away on DELETE and do
both on UPDATE of a column that matters, in one upsert per change; contributions that
cancel out (an UPDATE that moved nothing the statistics see) touch no row, so an ordinary
reply or a last-activity change never locks a counter. Because the database does it,
bulk inserts (seed-demo, the benchmark's dataset), bulk updates, cascades and raw SQL are
all counted, and a rolled-back change leaves no trace.

The dimensions (DIMENSIONS) are described once, as SQL over a row alias, and turned into
three things: the trigger statements (`{r}` = NEW / OLD), the recount from scratch
(`recount_rows`, `{r}` = the table: the migration's backfill and the test that proves the
triggers right), and nothing else reads the tables.

PostgreSQL: one multi-row upsert per change, its rows in (dimension, key) order, so two
transactions that touch the same counters lock them in the same order.
"""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import event, select, text

from ...extensions import db
from ...models import DONE_STATUSES, OPEN_STATUSES, TicketStat


def _quoted(values) -> str:
    return ", ".join(f"'{v.value}'" for v in values)  # constants from models.base


OPEN_SQL = f"{{r}}.status IN ({_quoted(OPEN_STATUSES)})"
DONE_SQL = f"{{r}}.status IN ({_quoted(DONE_STATUSES)})"


@dataclass(frozen=True)
class Dimension:
    name: str
    table: str              # "tickets" or "feedback"
    key: str                # SQL over {r}, as text
    condition: str = ""     # SQL over {r}: the row counts here only when true
    total: str = "0"        # SQL over {r}: integer added to `total`


def _sql(dialect: str) -> dict:
    if dialect == "postgresql":
        return {"text": lambda e: f"({e})::text",
                "day": lambda e: f"to_char({e}, 'YYYY-MM-DD')",
                "seconds": lambda a, b: (f"(floor(extract(epoch FROM {b})) - "
                                         f"floor(extract(epoch FROM {a})))::bigint")}
    return {"text": lambda e: f"CAST({e} AS TEXT)",
            "day": lambda e: f"date({e})",
            "seconds": lambda a, b: (f"(CAST(strftime('%s', {b}) AS INTEGER) - "
                                     f"CAST(strftime('%s', {a}) AS INTEGER))")}


def dimensions(dialect: str) -> list[Dimension]:
    f = _sql(dialect)
    return [
        Dimension("status", "tickets", "{r}.status"),
        Dimension("priority", "tickets", "{r}.priority"),
        Dimension("category", "tickets", f"coalesce({f['text']('{r}.category_id')}, '')"),
        Dimension("team", "tickets", f"coalesce({f['text']('{r}.team_id')}, '')"),
        # Open tickets per assignee ('' = unassigned): workload and the unassigned count.
        Dimension("open_assignee", "tickets", f"coalesce({f['text']('{r}.assignee_id')}, '')",
                  OPEN_SQL),
        # Open tickets per due day: overdue = the days before today + today's exact count.
        Dimension("open_due_day", "tickets", f["day"]("{r}.due_at"),
                  f"{OPEN_SQL} AND {{r}}.due_at IS NOT NULL"),
        Dimension("created_day", "tickets", f["day"]("{r}.created_at")),
        Dimension("resolved_day", "tickets", f["day"]("{r}.resolved_at"),
                  f"{DONE_SQL} AND {{r}}.resolved_at IS NOT NULL"),
        Dimension("first_response", "tickets", "''", "{r}.first_response_at IS NOT NULL",
                  f["seconds"]("{r}.created_at", "{r}.first_response_at")),
        Dimension("resolution", "tickets", "''", "{r}.resolved_at IS NOT NULL",
                  f["seconds"]("{r}.created_at", "{r}.resolved_at")),
        Dimension("rating", "feedback", f["text"]("{r}.rating")),
    ]


# The columns whose change can move a counter (UPDATE OF ...): a reply, a last-activity
# or an updated_at change fires nothing.
WATCHED = {
    "tickets": ["status", "priority", "category_id", "team_id", "assignee_id", "due_at",
                "created_at", "resolved_at", "first_response_at"],
    "feedback": ["rating"],
}


def _contributions(dialect: str, table: str, alias: str, sign: int) -> list[str]:
    cast_text = "::text" if dialect == "postgresql" else ""
    selects = []
    for d in dimensions(dialect):
        if d.table != table:
            continue
        key = d.key.format(r=alias)
        total = d.total.format(r=alias)
        where = f" WHERE {d.condition.format(r=alias)}" if d.condition else ""
        selects.append(f"SELECT '{d.name}'{cast_text} AS d, {key} AS k, {sign} AS n, "
                       f"{sign} * ({total}) AS t{where}")
    return selects


def _upsert(dialect: str, selects: list[str]) -> str:
    order = " ORDER BY d, k" if dialect == "postgresql" else ""
    return (
        "INSERT INTO ticket_stats (dimension, key, n, total) "  # noqa: S608 (constant SQL)
        f"SELECT d, k, sum(n), sum(t) FROM ({' UNION ALL '.join(selects)}) AS v "
        f"WHERE k IS NOT NULL GROUP BY d, k HAVING sum(n) <> 0 OR sum(t) <> 0{order} "
        "ON CONFLICT (dimension, key) DO UPDATE SET n = ticket_stats.n + excluded.n, "
        "total = ticket_stats.total + excluded.total")


def _statements(dialect: str, table: str) -> dict[str, str]:
    """INSERT / DELETE / UPDATE: the upsert for each."""
    return {
        "INSERT": _upsert(dialect, _contributions(dialect, table, "new", 1)),
        "DELETE": _upsert(dialect, _contributions(dialect, table, "old", -1)),
        "UPDATE": _upsert(dialect, _contributions(dialect, table, "old", -1)
                          + _contributions(dialect, table, "new", 1)),
    }


def ddl(dialect: str) -> list[str]:
    """The triggers (and PostgreSQL's trigger functions) for both tables."""
    out = []
    for table in ("tickets", "feedback"):
        statements = _statements(dialect, table)
        watched = ", ".join(WATCHED[table])
        if dialect == "postgresql":
            out.append(
                f"CREATE OR REPLACE FUNCTION {table}_stats() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP = 'INSERT' THEN {statements['INSERT']}; "
                f"ELSIF TG_OP = 'DELETE' THEN {statements['DELETE']}; "
                f"ELSE {statements['UPDATE']}; END IF; RETURN NULL; END $$")
            out.append(f"DROP TRIGGER IF EXISTS {table}_stats ON {table}")
            out.append(f"CREATE TRIGGER {table}_stats AFTER INSERT OR DELETE OR UPDATE OF "
                       f"{watched} ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_stats()")
        elif dialect == "sqlite":
            for op, when in (("INSERT", "ai"), ("DELETE", "ad"), ("UPDATE", "au")):
                of = f" OF {watched}" if op == "UPDATE" else ""
                out.append(f"CREATE TRIGGER IF NOT EXISTS {table}_stats_{when} AFTER {op}{of} "
                           f"ON {table} BEGIN {statements[op]}; END")
    return out


def drop_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [s for t in ("tickets", "feedback") for s in (
            f"DROP TRIGGER IF EXISTS {t}_stats ON {t}", f"DROP FUNCTION IF EXISTS {t}_stats()")]
    return [f"DROP TRIGGER IF EXISTS {t}_stats_{w}" for t in ("tickets", "feedback")
            for w in ("ai", "ad", "au")]


def recount_sql(dialect: str) -> str:
    """Every counter computed from scratch: (dimension, key, n, total) rows."""
    parts = []
    for d in dimensions(dialect):
        key, total = d.key.format(r="r"), d.total.format(r="r")
        where = f" WHERE {d.condition.format(r='r')}" if d.condition else ""
        cast_text = "::text" if dialect == "postgresql" else ""
        parts.append(f"SELECT '{d.name}'{cast_text} AS dimension, {key} AS key, "  # noqa: S608
                     f"count(*) AS n, coalesce(sum({total}), 0) AS total "
                     f"FROM {d.table} AS r{where}"
                     + ("" if key == "''" else f" GROUP BY {key}"))
    return " UNION ALL ".join(parts)


def install(connection, backfill: bool = True) -> None:
    """Create the triggers; fill the table from what is there (a migration on a filled
    database). Run by the migration and, for create_all databases, the schema hook."""
    dialect = connection.dialect.name
    if backfill:
        connection.exec_driver_sql("DELETE FROM ticket_stats")
        connection.exec_driver_sql(
            "INSERT INTO ticket_stats (dimension, key, n, total) "  # noqa: S608
            f"SELECT dimension, key, n, total FROM ({recount_sql(dialect)}) AS c "
            "WHERE key IS NOT NULL")
    for statement in ddl(dialect):
        connection.exec_driver_sql(statement)


def uninstall(connection) -> None:
    for statement in drop_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


def register_schema_hooks() -> None:
    """Triggers for databases built by create_all (tests): once every table exists."""
    if not event.contains(db.metadata, "after_create", _after_create):
        event.listen(db.metadata, "after_create", _after_create)


def _after_create(_metadata, connection, **_kw) -> None:
    install(connection, backfill=False)  # a new database: nothing to count yet


# --- reading ------------------------------------------------------------------------------

Counters = dict[str, dict[str, tuple[int, int]]]


def read(names: Iterable[str], since_day: str | None = None) -> Counters:
    """{dimension: {key: (n, total)}} for these dimensions; day dimensions (*_day) only
    from `since_day` (YYYY-MM-DD) on, when given. One statement."""
    names = list(names)
    query = select(TicketStat.dimension, TicketStat.key, TicketStat.n, TicketStat.total
                   ).where(TicketStat.dimension.in_(names), TicketStat.n != 0)
    if since_day:
        query = query.where((~TicketStat.dimension.like("%\\_day", escape="\\"))
                            | (TicketStat.key >= since_day))
    out: Counters = defaultdict(dict)
    for dimension, key, n, total in db.session.execute(query):
        out[dimension][key] = (n, total)
    return out


def recount() -> Counters:
    """Every counter from scratch (tests compare it with what the triggers kept)."""
    out: Counters = defaultdict(dict)
    sql = recount_sql(db.session.get_bind().dialect.name)
    for dimension, key, n, total in db.session.execute(text(sql)):
        if key is not None and n:
            out[dimension][key] = (int(n), int(total))
    return out


def kept() -> Counters:
    out: Counters = defaultdict(dict)
    for row in db.session.execute(select(TicketStat).where(TicketStat.n != 0)).scalars():
        out[row.dimension][row.key] = (int(row.n), int(row.total))
    return out
