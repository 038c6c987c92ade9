"""agents' tools: Markdown formats, saved views, macros (from canned replies), custom fields,
a covering index for tag filters

Revision ID: 0110_agents_tools
Revises: 0100_merge_link_presence
Create Date: 2026-12-01 23:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0110_agents_tools'
down_revision = '0100_merge_link_presence'
branch_labels = None
depends_on = None


def upgrade():
    # Old messages and descriptions were plain text: they keep rendering as before.
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('format', sa.String(length=8), nullable=False,
                                      server_default='text'))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_format', sa.String(length=8),
                                      nullable=False, server_default='text'))
    # tag:NAME and the Tags filter: an index range on (name) giving ticket ids.
    with op.batch_alter_table('ticket_tags', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_tags_name_ticket', ['name', 'ticket_id'],
                              unique=False)

    op.create_table(
        'saved_views',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('query', sa.Text(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('shared', sa.Boolean(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'],
                                name=op.f('fk_saved_views_owner_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'],
                                name=op.f('fk_saved_views_team_id_teams'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views')))
    with op.batch_alter_table('saved_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_views_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_saved_views_team_id'), ['team_id'], unique=False)

    op.create_table(
        'default_views',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('view_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_default_views_user_id_users'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['view_id'], ['saved_views.id'],
                                name=op.f('fk_default_views_view_id_saved_views'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_default_views')))
    with op.batch_alter_table('default_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_default_views_view_id'), ['view_id'], unique=False)

    macros = op.create_table(
        'macros',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('actions', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'],
                                name=op.f('fk_macros_owner_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_macros')))
    with op.batch_alter_table('macros', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_macros_owner_id'), ['owner_id'], unique=False)
    # The canned replies become shared macros without actions (same ids).
    op.execute("INSERT INTO macros (id, title, body, owner_id, actions, created_at, updated_at) "
               "SELECT id, title, body, NULL, '{}', created_at, updated_at FROM canned_replies")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("SELECT setval(pg_get_serial_sequence('macros', 'id'), "
                   "COALESCE((SELECT MAX(id) FROM macros), 0) + 1, false)")
    op.drop_table('canned_replies')

    op.create_table(
        'custom_fields',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=80), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('customer_visible', sa.Boolean(), nullable=False),
        sa.Column('options', sa.Text(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_fields')),
        sa.UniqueConstraint('key', name=op.f('uq_custom_fields_key')))
    op.create_table(
        'custom_field_categories',
        sa.Column('field_id', sa.Integer(), nullable=False),
        sa.Column('category_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['category_id'], ['categories.id'],
                                name=op.f('fk_custom_field_categories_category_id_categories'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['field_id'], ['custom_fields.id'],
                                name=op.f('fk_custom_field_categories_field_id_custom_fields'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('field_id', 'category_id',
                                name=op.f('pk_custom_field_categories')))
    op.create_table(
        'ticket_field_values',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.Column('field_id', sa.Integer(), nullable=False),
        sa.Column('value_text', sa.String(length=500), nullable=True),
        sa.Column('value_number', sa.Float(), nullable=True),
        sa.Column('value_date', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['field_id'], ['custom_fields.id'],
                                name=op.f('fk_ticket_field_values_field_id_custom_fields'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'],
                                name=op.f('fk_ticket_field_values_ticket_id_tickets'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_field_values')))
    with op.batch_alter_table('ticket_field_values', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_field_values_ticket_field',
                              ['ticket_id', 'field_id'], unique=False)
        batch_op.create_index('ix_ticket_field_values_text',
                              ['field_id', 'value_text', 'ticket_id'], unique=False)
        batch_op.create_index('ix_ticket_field_values_number',
                              ['field_id', 'value_number', 'ticket_id'], unique=False)
        batch_op.create_index('ix_ticket_field_values_date',
                              ['field_id', 'value_date', 'ticket_id'], unique=False)


def downgrade():
    op.drop_table('ticket_field_values')
    op.drop_table('custom_field_categories')
    op.drop_table('custom_fields')
    op.create_table(
        'canned_replies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies')),
        sa.UniqueConstraint('title', name=op.f('uq_canned_replies_title')))
    op.execute("INSERT INTO canned_replies (id, title, body, created_at, updated_at) "
               "SELECT id, title, body, created_at, updated_at FROM macros "
               "WHERE owner_id IS NULL")
    op.drop_table('macros')
    op.drop_table('default_views')
    op.drop_table('saved_views')
    with op.batch_alter_table('ticket_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_tags_name_ticket')
    # A plain DROP COLUMN (SQLite >= 3.35 and PostgreSQL): a batch copy of `tickets` would
    # rewrite its foreign keys, and older migrations' own drops expect them as they were.
    op.execute('ALTER TABLE tickets DROP COLUMN description_format')
    op.execute('ALTER TABLE messages DROP COLUMN format')
