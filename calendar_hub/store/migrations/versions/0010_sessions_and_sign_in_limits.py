"""session generations on accounts; one locked counter row per sign-in limit key

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hub_user') as batch:
        batch.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))
    # One row per failed attempt becomes one counter per key: the rows are counted into it.
    op.drop_index('ix_login_failure_at', table_name='login_failure')
    op.drop_index('ix_login_failure_key', table_name='login_failure')
    op.rename_table('login_failure', 'login_failure_0009')
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('wait_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute("INSERT INTO login_failure (key, attempts, first_at, last_at) "
               "SELECT key, COUNT(*), MIN(at), MAX(at) FROM login_failure_0009 GROUP BY key")
    op.drop_table('login_failure_0009')
    op.create_index('ix_login_failure_key', 'login_failure', ['key'], unique=True)
    op.create_index('ix_login_failure_last_at', 'login_failure', ['last_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_login_failure_last_at', table_name='login_failure')
    op.drop_index('ix_login_failure_key', table_name='login_failure')
    op.rename_table('login_failure', 'login_failure_0010')
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    # A counter goes back as one failure at its last attempt: the throttle forgets a little, nothing else is lost.
    op.execute("INSERT INTO login_failure (key, at) SELECT key, last_at FROM login_failure_0010 WHERE attempts > 0")
    op.drop_table('login_failure_0010')
    op.create_index('ix_login_failure_key', 'login_failure', ['key'], unique=False)
    op.create_index('ix_login_failure_at', 'login_failure', ['at'], unique=False)
    with op.batch_alter_table('hub_user') as batch:
        batch.drop_column('session_generation')
