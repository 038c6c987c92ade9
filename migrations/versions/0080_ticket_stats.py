"""ticket stats: the dashboard's aggregates, kept by triggers on tickets and feedback

A table of counters per (dimension, key) and the triggers that keep it in step with every
INSERT, UPDATE and DELETE of tickets and feedback, in the same transaction; filled from
the rows already there. See helpdesk/services/reporting/counters.py.

Revision ID: 0080_ticket_stats
Revises: 0071_delivery_request_id
Create Date: 2026-12-01 23:55:00.000000

"""
from alembic import op
import sqlalchemy as sa

from helpdesk.services.reporting import counters


# revision identifiers, used by Alembic.
revision = '0080_ticket_stats'
down_revision = '0071_delivery_request_id'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ticket_stats',
        sa.Column('dimension', sa.String(length=24), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.Column('total', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('dimension', 'key', name=op.f('pk_ticket_stats')),
    )
    counters.install(op.get_bind(), backfill=True)


def downgrade():
    counters.uninstall(op.get_bind())
    op.drop_table('ticket_stats')
