"""single events sent through /submit, held for approval

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('submitted_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_name', sa.String(length=300), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('contact', sa.String(length=320), nullable=False),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('all_day', sa.Boolean(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('location', sa.String(length=1000), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('address', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=320), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('event_uid', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['hub_group.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_submitted_event_address', 'submitted_event', ['address'], unique=False)
    op.create_index('ix_submitted_event_status', 'submitted_event', ['status'], unique=False)
    op.create_index('ix_submitted_event_created_at', 'submitted_event', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_submitted_event_created_at', table_name='submitted_event')
    op.drop_index('ix_submitted_event_status', table_name='submitted_event')
    op.drop_index('ix_submitted_event_address', table_name='submitted_event')
    op.drop_table('submitted_event')
