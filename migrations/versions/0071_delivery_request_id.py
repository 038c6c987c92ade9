"""delivery request id: rows queued for the worker remember the request that queued them

Revision ID: 0071_delivery_request_id
Revises: 0070_worker_heartbeats
Create Date: 2026-12-01 21:23:39.357892

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0071_delivery_request_id'
down_revision = '0070_worker_heartbeats'
branch_labels = None
depends_on = None


# Every table with the Deliverable columns (models/deliveries.py).
QUEUES = ('outbox_mail', 'webhook_deliveries')


def upgrade():
    for table in QUEUES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    for table in QUEUES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('request_id')
