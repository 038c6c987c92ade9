"""queue sort indexes: the due order (tickets without a due date last) on one index

`sort=due` orders by ((due_at IS NULL), due_at, id): soonest first, tickets without a due
date last, on SQLite and PostgreSQL alike (SQLite cannot walk a plain ascending index
with NULLS LAST). The other orders have theirs already: created_at (newest, oldest),
last_activity_at (updated), ix_tickets_priority_rank (priority). Like that one, the
models do not describe this expression index (services/queue/search.py builds it after
create_all; migrations/env.py leaves it out of autogenerate). Frozen copy of the SQL.

Revision ID: 0081_queue_sort_indexes
Revises: 0080_ticket_stats
Create Date: 2026-12-02 00:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0081_queue_sort_indexes'
down_revision = '0080_ticket_stats'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE INDEX IF NOT EXISTS ix_tickets_due_order ON tickets "
               "((CASE WHEN due_at IS NULL THEN 1 ELSE 0 END), due_at, id)")


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_tickets_due_order")
