"""fetch log by feed and time: each feed's last fetch found with one index probe (what /metrics reads)

Revision ID: 0022
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = '0022'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_fetch_log_feed_at', 'fetch_log', ['feed_id', 'at'])


def downgrade() -> None:
    op.drop_index('ix_fetch_log_feed_at', table_name='fetch_log')
