"""groups asking to join through the public form

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('join_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_name', sa.String(length=300), nullable=False),
    sa.Column('home', sa.String(length=300), nullable=False),
    sa.Column('contact', sa.String(length=320), nullable=False),
    sa.Column('address', sa.String(length=2000), nullable=False),
    sa.Column('feed_url', sa.String(length=2000), nullable=False),
    sa.Column('feed_kind', sa.String(length=20), nullable=False),
    sa.Column('found_how', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=320), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('group_slug', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_join_request_status', 'join_request', ['status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_join_request_status', table_name='join_request')
    op.drop_table('join_request')
