"""each stored occurrence keeps its feed's DTSTAMP and LAST-MODIFIED, to tell the newest of its copies

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows have neither until their feed's content next changes: unknown counts as the oldest.
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_stamp', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('source_modified', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('source_modified')
        batch_op.drop_column('source_stamp')
