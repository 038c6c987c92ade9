"""organizations: their domains, customers' membership, tickets' organization

Revision ID: 0025_organizations
Revises: 0020
Create Date: 2026-12-01 19:51:37.597724

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_organizations'
down_revision = '0020'
branch_labels = None
depends_on = None


def _add_organization_id(table: str) -> None:
    """SQLite adds the column with its foreign key in place (enforced, ON DELETE SET
    NULL included). A batch "recreate" would copy every ticket, drop the full-text
    triggers on tickets and users, and DROP TABLE with foreign keys on would cascade.
    migrations/env.py knows SQLAlchemy cannot read such an inline key back."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN organization_id INTEGER "
                   "REFERENCES organizations (id) ON DELETE SET NULL")
    else:
        op.add_column(table, sa.Column('organization_id', sa.Integer(), nullable=True))
        op.create_foreign_key(f'fk_{table}_organization_id_organizations', table,
                              'organizations', ['organization_id'], ['id'],
                              ondelete='SET NULL')


def _drop_organization_id(table: str) -> None:
    """SQLite drops the column in place (a batch copy would drop the table's triggers)."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN organization_id")
    else:
        op.drop_constraint(f'fk_{table}_organization_id_organizations', table,
                           type_='foreignkey')
        op.drop_column(table, 'organization_id')


def upgrade():
    op.create_table('organizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('shares_tickets', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('name', name=op.f('uq_organizations_name'))
    )
    op.create_table('organization_domains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_organization_domains_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_domains')),
    sa.UniqueConstraint('domain', name=op.f('uq_organization_domains_domain'))
    )
    op.create_index(op.f('ix_organization_domains_organization_id'), 'organization_domains',
                    ['organization_id'], unique=False)

    _add_organization_id('tickets')
    op.create_index('ix_tickets_organization_activity', 'tickets',
                    ['organization_id', 'last_activity_at'], unique=False)
    _add_organization_id('users')
    op.create_index(op.f('ix_users_organization_id'), 'users', ['organization_id'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_users_organization_id'), table_name='users')
    _drop_organization_id('users')
    op.drop_index('ix_tickets_organization_activity', table_name='tickets')
    _drop_organization_id('tickets')
    op.drop_index(op.f('ix_organization_domains_organization_id'),
                  table_name='organization_domains')
    op.drop_table('organization_domains')
    op.drop_table('organizations')
