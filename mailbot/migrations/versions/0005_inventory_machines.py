"""inventory: the machines table; ticket items may point at a machine

Existing ticket_items rows (free text typed with `#asset` before the inventory) are kept as
they are, with no machine: they stay readable on their tickets and in the JSON `items`, and are
never guessed into a machine (the inventory is empty when this runs).

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-30 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'machines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        sa.Column('type', sa.String(length=30), nullable=False),
        sa.Column('device_id', sa.String(length=255), nullable=True),
        sa.Column('serial', sa.String(length=200), nullable=False),
        sa.Column('serial_key', sa.String(length=200), nullable=True),
        sa.Column('manufacturer', sa.String(length=200), nullable=False),
        sa.Column('model', sa.String(length=200), nullable=False),
        sa.Column('os', sa.String(length=300), nullable=False),
        sa.Column('ip_addresses', sa.Text(), nullable=False),
        sa.Column('mac_addresses', sa.Text(), nullable=False),
        sa.Column('last_user', sa.String(length=200), nullable=False),
        sa.Column('last_user_key', sa.String(length=200), nullable=False),
        sa.Column('location', sa.String(length=200), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('inventoried_at', sa.DateTime(), nullable=True),
        sa.Column('imported_at', sa.DateTime(), nullable=False),
        sa.Column('missing_since', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('device_id'),
    )
    op.create_index('ix_machines_name_key', 'machines', ['name_key'])
    op.create_index('ix_machines_serial_key', 'machines', ['serial_key'])
    op.create_index('ix_machines_last_user_key', 'machines', ['last_user_key'])
    with op.batch_alter_table('ticket_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('machine_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_ticket_items_machine_id_machines', 'machines', ['machine_id'], ['id'])
        batch_op.create_index('ix_ticket_items_machine_id', ['machine_id'])
        batch_op.create_unique_constraint('uq_ticket_items_machine', ['ticket_id', 'machine_id'])


def downgrade() -> None:
    # links to machines are lost; the machine's name stays as the item's free text
    with op.batch_alter_table('ticket_items', schema=None) as batch_op:
        batch_op.drop_constraint('uq_ticket_items_machine', type_='unique')
        batch_op.drop_index('ix_ticket_items_machine_id')
        batch_op.drop_constraint('fk_ticket_items_machine_id_machines', type_='foreignkey')
        batch_op.drop_column('machine_id')
    op.drop_index('ix_machines_last_user_key', table_name='machines')
    op.drop_index('ix_machines_serial_key', table_name='machines')
    op.drop_index('ix_machines_name_key', table_name='machines')
    op.drop_table('machines')
