"""follow by e-mail: followers, the sign-ups counted for rate limits, and the outbox of messages to send

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'follower',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('near', sa.String(length=300), nullable=False),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('km', sa.Float(), nullable=True),
        sa.Column('group_slug', sa.String(length=100), nullable=False),
        sa.Column('week_slug', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('digest_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('mailed', sa.JSON(), nullable=False),
        sa.Column('alerted', sa.JSON(), nullable=False),
    )
    op.create_index('ix_follower_email', 'follower', ['email'])
    op.create_index('ix_follower_token', 'follower', ['token'], unique=True)
    op.create_table(
        'follow_attempt',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('address', sa.String(length=100), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_follow_attempt_email', 'follow_attempt', ['email'])
    op.create_index('ix_follow_attempt_at', 'follow_attempt', ['at'])
    op.create_table(
        'outbox_message',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('follower_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('recipient', sa.String(length=320), nullable=False),
        sa.Column('message_id', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('next_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error', sa.String(length=500), nullable=False),
    )
    op.create_index('ix_outbox_message_key', 'outbox_message', ['key'], unique=True)
    op.create_index('ix_outbox_message_follower_id', 'outbox_message', ['follower_id'])
    op.create_index('ix_outbox_message_status', 'outbox_message', ['status'])
    op.create_index('ix_outbox_message_next_at', 'outbox_message', ['next_at'])
    op.create_index('ix_outbox_message_sent_at', 'outbox_message', ['sent_at'])


def downgrade() -> None:
    op.drop_table('outbox_message')
    op.drop_table('follow_attempt')
    op.drop_table('follower')
