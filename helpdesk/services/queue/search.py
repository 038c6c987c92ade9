"""Free-text search over tickets: number, subject, description, message bodies and the
requester's name and e-mail. One function (`ticket_search_condition`) for every caller,
two engines behind it:

- SQLite: three external-content FTS5 tables (tickets_fts, messages_fts, users_fts) kept
  in sync by triggers, so bulk INSERTs (seed-demo) are indexed too.
- PostgreSQL: GIN expression indexes over `to_tsvector('simple', ...)` of the same text.

The query has the same shape on both: every phrase the person typed (each whitespace-
separated chunk) must match somewhere on the ticket (its own text, one of its messages,
or its requester), its last word as a prefix, so "crush" finds "crushed". Text is split
on anything that is not a letter or a digit on both sides, so "carla@example.com" is the
phrase "carla example com" and finds that address, not every "com".

The database objects are created by the migration `ticket_search` and, for databases
built with `db.create_all()` (tests), by the `after_create` listener that `create_app`
installs (`register_schema_hooks`). Both run the statements in `DDL`; the migration keeps
its own frozen copy of them.
"""
import re

from sqlalchemy import (
    Integer,
    String,
    and_,
    column,
    event,
    false,
    func,
    literal,
    literal_column,
    select,
    table,
    union,
)
from sqlalchemy.sql.elements import ColumnElement

from ...extensions import db
from ...models import Message, Ticket, User

MAX_WORDS = 8
WORD = re.compile(r"[^\W_]+")

# PostgreSQL: the indexed expressions. A query uses an expression index only when it
# repeats the expression exactly, so the queries below are built from these strings.
PG_TICKET_DOC = ("to_tsvector('simple'::regconfig, regexp_replace(number || ' ' || subject "
                 "|| ' ' || description, '[^[:alnum:]]+', ' ', 'g'))")
PG_MESSAGE_DOC = ("to_tsvector('simple'::regconfig, "
                  "regexp_replace(body, '[^[:alnum:]]+', ' ', 'g'))")
PG_USER_DOC = ("to_tsvector('simple'::regconfig, regexp_replace(name || ' ' || email, "
               "'[^[:alnum:]]+', ' ', 'g'))")

# The queue's priority sort (critical first); PostgreSQL and SQLite index it alike.
PRIORITY_RANK_SQL = ("CASE priority WHEN 'critical' THEN 0 WHEN 'urgent' THEN 1 "
                     "WHEN 'high' THEN 2 WHEN 'medium' THEN 3 WHEN 'low' THEN 4 ELSE 5 END")

# The queue's due sort: tickets with a due date first (soonest first), then those without;
# one expression index serves it on both databases.
DUE_MISSING_SQL = "CASE WHEN due_at IS NULL THEN 1 ELSE 0 END"
DUE_ORDER_INDEX = (f"CREATE INDEX IF NOT EXISTS ix_tickets_due_order ON tickets "
                   f"(({DUE_MISSING_SQL}), due_at, id)")

_FTS_TOKENIZER = "tokenize='unicode61 remove_diacritics 2'"


def _sqlite_fts(source: str, columns: list[str]) -> list[str]:
    """An external-content FTS5 table over `source` and the triggers that keep it true.
    (Only the constant names above go into these statements.)"""
    fts = f"{source}_fts"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    delete = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"  # noqa: S608
    insert = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});"  # noqa: S608
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{source}', "
        f"content_rowid='id', {_FTS_TOKENIZER})",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {source} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {source} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {cols} ON {source} "
        f"BEGIN {delete} {insert} END",
        # Index what is already there (a migration on a filled database).
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # noqa: S608
    ]


DDL: dict[str, list[str]] = {
    "sqlite": [
        *_sqlite_fts("tickets", ["number", "subject", "description"]),
        *_sqlite_fts("messages", ["body"]),
        *_sqlite_fts("users", ["name", "email"]),
        f"CREATE INDEX IF NOT EXISTS ix_tickets_priority_rank ON tickets "
        f"(({PRIORITY_RANK_SQL}), last_activity_at DESC, id DESC)",
        DUE_ORDER_INDEX,
    ],
    "postgresql": [
        f"CREATE INDEX IF NOT EXISTS ix_tickets_search ON tickets USING gin (({PG_TICKET_DOC}))",
        f"CREATE INDEX IF NOT EXISTS ix_messages_search ON messages "
        f"USING gin (({PG_MESSAGE_DOC}))",
        f"CREATE INDEX IF NOT EXISTS ix_users_search ON users USING gin (({PG_USER_DOC}))",
        f"CREATE INDEX IF NOT EXISTS ix_tickets_priority_rank ON tickets "
        f"(({PRIORITY_RANK_SQL}), last_activity_at DESC, id DESC)",
        DUE_ORDER_INDEX,
    ],
}
DROP: dict[str, list[str]] = {
    "sqlite": [f"DROP TRIGGER IF EXISTS {t}_fts_{when}" for t in ("tickets", "messages", "users")
               for when in ("ai", "ad", "au")]
    + [f"DROP TABLE IF EXISTS {t}_fts" for t in ("tickets", "messages", "users")]
    + ["DROP INDEX IF EXISTS ix_tickets_priority_rank",
       "DROP INDEX IF EXISTS ix_tickets_due_order"],
    "postgresql": [f"DROP INDEX IF EXISTS {name}" for name in (
        "ix_tickets_search", "ix_messages_search", "ix_users_search",
        "ix_tickets_priority_rank", "ix_tickets_due_order")],
}

# Objects the models do not describe, so autogenerate must not try to drop them.
SEARCH_TABLES = re.compile(r"^(tickets|messages|users)_fts(_(data|idx|docsize|config|content))?$")
SEARCH_INDEXES = frozenset({"ix_tickets_search", "ix_messages_search", "ix_users_search",
                            "ix_tickets_priority_rank", "ix_tickets_due_order"})


def is_search_object(name: str | None, type_: str) -> bool:
    """For migrations/env.py `include_object`: True for the objects this module owns."""
    if name is None:
        return False
    if type_ == "table":
        return bool(SEARCH_TABLES.match(name))
    return type_ == "index" and name in SEARCH_INDEXES


def create_search_objects(connection) -> None:
    for statement in DDL.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


def drop_search_objects(connection) -> None:
    for statement in DROP.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


# --- the query --------------------------------------------------------------------------

def phrases(query: str | None) -> list[list[str]]:
    """What someone typed, as phrases: each whitespace-separated chunk is one phrase of
    its words ("carla@example.com refund" → [carla example com], [refund]), so an
    e-mail address or "TKT-000042" matches as a whole, not as "com" or "tkt" alone."""
    found, budget = [], MAX_WORDS
    for chunk in (query or "").lower().split():
        chunk_words = WORD.findall(chunk)[:budget]
        if chunk_words:
            found.append(chunk_words)
            budget -= len(chunk_words)
        if budget <= 0:
            break
    return found


def number_candidates(query: str, prefix: str, digits: int) -> list[str]:
    """What a typed ticket number could be: "TKT-000042", "tkt 42", "#42" and "42" all
    mean TKT-000042 (for the prefix "TKT-")."""
    letters = re.sub(r"[\W_]+", "", prefix)
    typed_prefix = rf"(?:{re.escape(letters)}[\s#-]*)?" if letters else ""
    pattern = rf"#?\s*{typed_prefix}(\d{{1,12}})"
    match = re.fullmatch(pattern, (query or "").strip(), re.IGNORECASE)
    if not match:
        return []
    return [f"{prefix}{int(match.group(1)):0{digits}d}"]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _bounded(query, key, limit: int | None, newest_first: bool):
    """At most `limit` ids of `query`, the newest (highest id) first — or the oldest."""
    if limit is None:
        return query
    order = key.desc() if newest_first else key.asc()
    inner = query.order_by(order).limit(limit).subquery()
    return select(inner.c[0])


def _ids_matching_phrase(phrase: list[str], dialect: str, limit: int | None = None,
                         newest_first: bool = True) -> list:
    """SELECTs of ticket ids where the phrase (its last word as a prefix) occurs in the
    ticket, one of its messages or its requester: three index lookups, to be UNIONed.
    With `limit`, each lookup stops after that many matches in id order (the full-text
    indexes hand them out in rowid order on SQLite): a word found in most tickets costs
    what the limit costs, not what its million matches would."""
    if dialect == "postgresql":
        def matches(document: str):
            terms = " <-> ".join(phrase) + ":*"  # letters and digits only: safe
            tsquery = func.to_tsquery(literal_column("'simple'::regconfig"),
                                      literal(terms, String))
            return literal_column(document).op("@@")(tsquery)
        return [
            _bounded(select(Ticket.id).where(matches(PG_TICKET_DOC)), Ticket.id, limit,
                     newest_first),
            _bounded(select(Message.ticket_id).where(matches(PG_MESSAGE_DOC)), Message.id,
                     limit, newest_first),
            _bounded(select(Ticket.id).where(Ticket.requester_id.in_(
                select(User.id).where(matches(PG_USER_DOC)))), Ticket.id, limit,
                newest_first),
        ]

    def fts(name: str, bounded: bool = True):
        index = table(f"{name}_fts", column("rowid", Integer))
        quoted = '"' + " ".join(phrase) + '"*'  # letters and digits only: nothing to escape
        query = select(index.c.rowid).where(column(f"{name}_fts").match(quoted))
        return _bounded(query, index.c.rowid, limit, newest_first) if bounded else query
    return [
        fts("tickets"),
        _bounded(select(Message.ticket_id).where(Message.id.in_(fts("messages"))),
                 Message.id, limit, newest_first),
        _bounded(select(Ticket.id).where(Ticket.requester_id.in_(fts("users", False))),
                 Ticket.id, limit, newest_first),
    ]


def ticket_search_condition(query: str | None, *, prefix: str = "TKT-",
                            digits: int = 6, limit: int | None = None,
                            newest_first: bool = True) -> ColumnElement[bool] | None:
    """A WHERE condition on `Ticket` for what someone typed in a search box, or None
    when there is nothing to search for. Every phrase must match somewhere on the
    ticket (AND); the last word of each matches as a prefix. `limit`: look at no more
    than that many matches per source (ticket text, messages, requesters), the newest
    (or, `newest_first=False`, the oldest) — the callers pass their count bound, so a
    search is bounded like the counts, and exact whenever it matches fewer."""
    query = (query or "").strip()
    if not query:
        return None
    numbers = number_candidates(query, prefix, digits)
    if numbers and not query.isdigit():
        # "TKT-000042" is that ticket, not every ticket with "tkt" in its number.
        return Ticket.id.in_(select(Ticket.id).where(Ticket.number.in_(numbers)))
    found = phrases(query)
    if not found:
        return false()
    dialect = _dialect()

    def matching(phrase):
        return _ids_matching_phrase(phrase, dialect, limit, newest_first)
    if numbers:  # bare digits: the ticket with that number, or the text
        by_number = select(Ticket.id).where(Ticket.number.in_(numbers))
        return Ticket.id.in_(union(by_number, *matching(found[0])))
    conditions = [Ticket.id.in_(union(*matching(p))) for p in found]
    return conditions[0] if len(conditions) == 1 else and_(*conditions)


def register_schema_hooks() -> None:
    """Build the search objects whenever `create_all` builds the schema (tests, first
    runs without migrations); drop them before `drop_all`. Called by `create_app`, so it
    does not depend on which modules happen to be imported first."""
    if not event.contains(db.metadata, "after_create", _after_create):
        event.listen(db.metadata, "after_create", _after_create)
        event.listen(db.metadata, "before_drop", _before_drop)


def _after_create(_metadata, connection, **_kw) -> None:
    create_search_objects(connection)


def _before_drop(_metadata, connection, **_kw) -> None:
    drop_search_objects(connection)
