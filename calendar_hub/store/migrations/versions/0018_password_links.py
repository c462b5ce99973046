"""password links: the one-time links an admin makes for an account to set its password

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'password_link',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('hub_user.id'), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('actor', sa.String(length=320), nullable=False),
    )
    op.create_index('ix_password_link_user_id', 'password_link', ['user_id'])
    op.create_index('ix_password_link_token_hash', 'password_link', ['token_hash'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_password_link_token_hash', table_name='password_link')
    op.drop_index('ix_password_link_user_id', table_name='password_link')
    op.drop_table('password_link')
