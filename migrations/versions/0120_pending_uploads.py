"""pending uploads: files of a form that failed validation, kept for their owner; and
where a notification points on its ticket's page

Revision ID: 0120_pending_uploads
Revises: 0110_agents_tools
Create Date: 2026-12-01 23:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0120_pending_uploads'
down_revision = '0110_agents_tools'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_uploads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('original_name', sa.String(length=255), nullable=False),
        sa.Column('storage_key', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'],
                                name=op.f('fk_pending_uploads_owner_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_uploads')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_pending_uploads_storage_key')),
    )
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_uploads_expires_at'), ['expires_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_pending_uploads_owner_id'), ['owner_id'],
                              unique=False)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anchor', sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('anchor')
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_uploads_owner_id'))
        batch_op.drop_index(batch_op.f('ix_pending_uploads_expires_at'))
    op.drop_table('pending_uploads')
