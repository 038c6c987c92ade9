"""catalog version: one number raised by triggers when categories, teams, organizations,
settings or the staff list change, so each process can cache those lists safely

See helpdesk/services/catalog/cache.py.

Revision ID: 0082_catalog_version
Revises: 0081_queue_sort_indexes
Create Date: 2026-12-02 00:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

from helpdesk.services.catalog import cache


# revision identifiers, used by Alembic.
revision = '0082_catalog_version'
down_revision = '0081_queue_sort_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'catalog_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_version')),
    )
    cache.install(op.get_bind())


def downgrade():
    cache.uninstall(op.get_bind())
    op.drop_table('catalog_version')
