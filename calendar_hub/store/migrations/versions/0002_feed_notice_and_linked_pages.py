"""a feed's one-line notice; event pages that feed items link to

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feed', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice', sa.String(length=2000), nullable=False, server_default=''))
    op.create_table('linked_page',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('etag', sa.String(length=500), nullable=False),
    sa.Column('last_modified', sa.String(length=100), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('error', sa.String(length=2000), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('linked_page', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_linked_page_url'), ['url'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('linked_page', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_linked_page_url'))
    op.drop_table('linked_page')
    with op.batch_alter_table('feed', schema=None) as batch_op:
        batch_op.drop_column('notice')
