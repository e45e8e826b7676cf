"""indexes for the technician's home page: new tickets ("Tickets à traiter") and the ids of
tickets in progress (counting "Vos tickets en cours")

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

NEW = sa.text("status = 'new'")
IN_PROGRESS = sa.text("status IN ('assigned', 'planned', 'waiting')")


def upgrade() -> None:
    op.create_index('ix_tickets_new', 'tickets',
                    [sa.text('updated_at DESC'), sa.text('id DESC'), 'requester_id', 'group_id'],
                    postgresql_where=NEW, sqlite_where=NEW)
    op.create_index('ix_tickets_in_progress_id', 'tickets', ['id'], postgresql_where=IN_PROGRESS,
                    sqlite_where=IN_PROGRESS)


def downgrade() -> None:
    op.drop_index('ix_tickets_in_progress_id', table_name='tickets')
    op.drop_index('ix_tickets_new', table_name='tickets')
