"""change log: what each version of the change counter changed (a feed's events, or anything else)

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'change_log',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('feed_id', sa.Integer(), nullable=True),
    )
    op.create_index('ix_change_log_version', 'change_log', ['version'])


def downgrade() -> None:
    op.drop_index('ix_change_log_version', table_name='change_log')
    op.drop_table('change_log')
