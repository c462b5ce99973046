"""organisers' decisions on suspected duplicate pairs

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('merge_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid_a', sa.String(length=100), nullable=False),
    sa.Column('uid_b', sa.String(length=100), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('title_a', sa.String(length=300), nullable=False),
    sa.Column('title_b', sa.String(length=300), nullable=False),
    sa.Column('actor', sa.String(length=320), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uid_a', 'uid_b', name='uq_merge_decision_pair')
    )
    op.create_index('ix_merge_decision_uid_a', 'merge_decision', ['uid_a'], unique=False)
    op.create_index('ix_merge_decision_uid_b', 'merge_decision', ['uid_b'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_merge_decision_uid_b', table_name='merge_decision')
    op.drop_index('ix_merge_decision_uid_a', table_name='merge_decision')
    op.drop_table('merge_decision')
