"""Mail both ways: the outbox, the Message-IDs of each ticket's thread, the log of mail
received; per-person mail settings and address state; a ticket's channel; a category's
mail address.

Existing accounts count as verified (only new web sign-ups prove their address).

Revision ID: de7f84b36f1a
Revises: 375f18991649
Create Date: 2026-12-01 19:57:32.915028

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'de7f84b36f1a'
down_revision = '375f18991649'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inbound_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('from_address', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('stored_name', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_inbound_mail_ticket_id_tickets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_mail')),
    sa.UniqueConstraint('message_id', name=op.f('uq_inbound_mail_message_id'))
    )
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_mail_outcome'), ['outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mail_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbound_mail_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('outbox_mail',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('server_reply', sa.String(length=500), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_outbox_mail_ticket_id_tickets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_mail_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_mail')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_mail_message_id'))
    )
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_mail_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_outbox_mail_state_next_attempt', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_outbox_mail_to_created', ['to_address', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_mail_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_mail_user_id'), ['user_id'], unique=False)

    op.create_table('ticket_mail_ids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_mail_ids_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_mail_ids')),
    sa.UniqueConstraint('message_id', name=op.f('uq_ticket_mail_ids_message_id'))
    )
    with op.batch_alter_table('ticket_mail_ids', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_mail_ids_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_address', sa.String(length=254), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_categories_mail_address'), ['mail_address'])

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), nullable=False,
                                      server_default='web'))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('email_failing_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('email_failure', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('mail_muted', sa.JSON(), nullable=False,
                                      server_default='[]'))
    op.execute("UPDATE users SET email_verified_at = created_at")



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('mail_muted')
        batch_op.drop_column('email_failure')
        batch_op.drop_column('email_failing_since')
        batch_op.drop_column('email_verified_at')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('channel')

    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_categories_mail_address'), type_='unique')
        batch_op.drop_column('mail_address')

    with op.batch_alter_table('ticket_mail_ids', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_mail_ids_ticket_id'))

    op.drop_table('ticket_mail_ids')
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_mail_user_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_mail_ticket_id'))
        batch_op.drop_index('ix_outbox_mail_to_created')
        batch_op.drop_index('ix_outbox_mail_state_next_attempt')
        batch_op.drop_index('ix_outbox_mail_created_at')

    op.drop_table('outbox_mail')
    with op.batch_alter_table('inbound_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_mail_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_inbound_mail_received_at'))
        batch_op.drop_index(batch_op.f('ix_inbound_mail_outcome'))

    op.drop_table('inbound_mail')
