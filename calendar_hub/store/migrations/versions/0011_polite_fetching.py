"""feeds gone (410), waiting where the server asked, and moved permanently

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gone_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('wait_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('moved_to', sa.String(length=2000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('moved_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('moved_from', sa.String(length=2000), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('feed', schema=None) as batch_op:
        for column in ('moved_from', 'moved_count', 'moved_to', 'wait_until', 'gone_at'):
            batch_op.drop_column(column)
