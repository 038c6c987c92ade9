"""merge, link and presence: merged tickets point at their target, moved messages
remember where they came from, related-ticket links, who is on a ticket right now

Revision ID: 0100_merge_link_presence
Revises: 0091_two_factor
Create Date: 2026-12-01 23:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0100_merge_link_presence'
down_revision = '0091_two_factor'
branch_labels = None
depends_on = None


def upgrade():
    # SQLite adds the column with its foreign key in place (as 0025 does for
    # organization_id): a batch copy of tickets would drop its full-text triggers.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tickets ADD COLUMN merged_into_id INTEGER "
                   "REFERENCES tickets (id) ON DELETE SET NULL")
    else:
        op.add_column('tickets', sa.Column('merged_into_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_tickets_merged_into_id_tickets', 'tickets', 'tickets',
                              ['merged_into_id'], ['id'], ondelete='SET NULL')
    op.create_index(op.f('ix_tickets_merged_into_id'), 'tickets', ['merged_into_id'],
                    unique=False)
    op.add_column('messages', sa.Column('merged_from_number', sa.String(length=32),
                                        nullable=True))

    op.create_table('ticket_links',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('related_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_ticket_links_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['related_id'], ['tickets.id'], name=op.f('fk_ticket_links_related_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_links_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'related_id', name=op.f('pk_ticket_links'))
    )
    op.create_index(op.f('ix_ticket_links_related_id'), 'ticket_links', ['related_id'],
                    unique=False)

    op.create_table('ticket_presence',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_presence_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ticket_presence_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'user_id', name=op.f('pk_ticket_presence'))
    )
    op.create_index('ix_ticket_presence_ticket_seen', 'ticket_presence',
                    ['ticket_id', 'seen_at'], unique=False)


def downgrade():
    op.drop_index('ix_ticket_presence_ticket_seen', table_name='ticket_presence')
    op.drop_table('ticket_presence')
    op.drop_index(op.f('ix_ticket_links_related_id'), table_name='ticket_links')
    op.drop_table('ticket_links')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('merged_from_number')
    op.drop_index(op.f('ix_tickets_merged_into_id'), table_name='tickets')
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tickets DROP COLUMN merged_into_id")
    else:
        op.drop_constraint('fk_tickets_merged_into_id_tickets', 'tickets',
                           type_='foreignkey')
        op.drop_column('tickets', 'merged_into_id')
