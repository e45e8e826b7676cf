"""indexes for the technicians' views: open tickets by last update, tickets per assignee;
raw mails stored uncompressed on PostgreSQL

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 23:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OPEN = sa.text("status <> 'closed'")


def upgrade() -> None:
    op.create_index('ix_tickets_open_updated', 'tickets', [sa.text('updated_at DESC'), sa.text('id DESC')],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index('ix_ticket_assignees_user', 'ticket_assignees', ['user_id', 'ticket_id'])
    if op.get_bind().dialect.name == "postgresql":
        # Raw mails are mostly base64 of already-compressed files: PostgreSQL's attempt to
        # compress each one cost five times the rest of the insert, for almost no space.
        op.execute("ALTER TABLE processed_mails ALTER COLUMN raw SET STORAGE EXTERNAL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE processed_mails ALTER COLUMN raw SET STORAGE EXTENDED")
    op.drop_index('ix_ticket_assignees_user', table_name='ticket_assignees')
    op.drop_index('ix_tickets_open_updated', table_name='tickets')
