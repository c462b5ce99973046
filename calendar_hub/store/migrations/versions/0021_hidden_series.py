"""hidden series: every date of one source event hidden by an organiser, later dates included

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'hidden_series',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('series', sa.String(length=1100), nullable=False),
        sa.Column('title', sa.String(length=1000), nullable=False),
        sa.Column('dates', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('reason', sa.String(length=1000), nullable=False),
        sa.Column('actor', sa.String(length=320), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_hidden_series_series', 'hidden_series', ['series'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_hidden_series_series', table_name='hidden_series')
    op.drop_table('hidden_series')
