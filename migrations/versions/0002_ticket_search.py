"""ticket search: full-text indexes and the priority sort index

SQLite: external-content FTS5 tables over tickets (number, subject, description),
messages (body) and users (name, email), kept in sync by triggers (bulk INSERTs too),
filled from the existing rows. PostgreSQL: GIN indexes on to_tsvector('simple', ...)
expressions of the same text. Both: an index for the queue's priority sort.

The models do not describe these objects: migrations/env.py leaves them out of
autogenerate, and helpdesk/services/queue/search.py builds the same ones after create_all.
The statements are copied here (not imported) so this revision never changes.

Revision ID: 5f0ab0f06d49
Revises: 68e30cec5f63
Create Date: 2026-11-24 09:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5f0ab0f06d49'
down_revision = '68e30cec5f63'
branch_labels = None
depends_on = None

PRIORITY_RANK = ("CASE priority WHEN 'critical' THEN 0 WHEN 'urgent' THEN 1 "
                 "WHEN 'high' THEN 2 WHEN 'medium' THEN 3 WHEN 'low' THEN 4 ELSE 5 END")
PRIORITY_INDEX = ("CREATE INDEX IF NOT EXISTS ix_tickets_priority_rank ON tickets "
                  f"(({PRIORITY_RANK}), last_activity_at DESC, id DESC)")


def _sqlite_fts(source, columns):
    fts = f"{source}_fts"
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    delete = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    insert = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, content='{source}', "
        f"content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {source} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {source} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {cols} ON {source} "
        f"BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


UPGRADE = {
    "sqlite": [
        *_sqlite_fts("tickets", ["number", "subject", "description"]),
        *_sqlite_fts("messages", ["body"]),
        *_sqlite_fts("users", ["name", "email"]),
        PRIORITY_INDEX,
    ],
    "postgresql": [
        "CREATE INDEX IF NOT EXISTS ix_tickets_search ON tickets USING gin "
        "((to_tsvector('simple'::regconfig, regexp_replace(number || ' ' || subject "
        "|| ' ' || description, '[^[:alnum:]]+', ' ', 'g'))))",
        "CREATE INDEX IF NOT EXISTS ix_messages_search ON messages USING gin "
        "((to_tsvector('simple'::regconfig, regexp_replace(body, '[^[:alnum:]]+', ' ', 'g'))))",
        "CREATE INDEX IF NOT EXISTS ix_users_search ON users USING gin "
        "((to_tsvector('simple'::regconfig, regexp_replace(name || ' ' || email, "
        "'[^[:alnum:]]+', ' ', 'g'))))",
        PRIORITY_INDEX,
    ],
}

DOWNGRADE = {
    "sqlite": [f"DROP TRIGGER IF EXISTS {t}_fts_{when}" for t in ("tickets", "messages", "users")
               for when in ("ai", "ad", "au")]
    + [f"DROP TABLE IF EXISTS {t}_fts" for t in ("tickets", "messages", "users")]
    + ["DROP INDEX IF EXISTS ix_tickets_priority_rank"],
    "postgresql": [f"DROP INDEX IF EXISTS {name}" for name in (
        "ix_tickets_search", "ix_messages_search", "ix_users_search",
        "ix_tickets_priority_rank")],
}


def upgrade():
    for statement in UPGRADE.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    for statement in DOWNGRADE.get(op.get_bind().dialect.name, []):
        op.execute(statement)
