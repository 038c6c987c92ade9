"""sla minutes: SLA targets are kept in minutes (entered as hours and minutes)

Revision ID: 0130_sla_minutes
Revises: 0120_pending_uploads
Create Date: 2026-12-02 00:30:00

Existing targets in whole hours become the same time in minutes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0130_sla_minutes'
down_revision = '0120_pending_uploads'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sla_targets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_response_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolution_minutes', sa.Integer(), nullable=True))
    op.execute("UPDATE sla_targets SET first_response_minutes = first_response_hours * 60, "
               "resolution_minutes = resolution_hours * 60")
    with op.batch_alter_table('sla_targets', schema=None) as batch_op:
        batch_op.alter_column('first_response_minutes', existing_type=sa.Integer(),
                              nullable=False)
        batch_op.alter_column('resolution_minutes', existing_type=sa.Integer(),
                              nullable=False)
        batch_op.drop_column('first_response_hours')
        batch_op.drop_column('resolution_hours')


def downgrade():
    # Whole hours only: a target of 90 minutes becomes 2 hours (rounded up, never sooner).
    with op.batch_alter_table('sla_targets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_response_hours', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('resolution_hours', sa.Integer(), nullable=True))
    op.execute("UPDATE sla_targets SET first_response_hours = (first_response_minutes + 59) / 60, "
               "resolution_hours = (resolution_minutes + 59) / 60")
    with op.batch_alter_table('sla_targets', schema=None) as batch_op:
        batch_op.alter_column('first_response_hours', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('resolution_hours', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('first_response_minutes')
        batch_op.drop_column('resolution_minutes')
