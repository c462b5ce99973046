"""location lines looked up with the online geocoder; 64-bit hub_state values (epoch milliseconds)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('place_lookup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('query', sa.String(length=1000), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('display_name', sa.String(length=1000), nullable=False),
    sa.Column('looked_up_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('error', sa.String(length=2000), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('place_lookup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_place_lookup_query'), ['query'], unique=True)
    # The geocoder's rate limit keeps its next free slot in hub_state as epoch milliseconds,
    # which overflow PostgreSQL's 32-bit INTEGER (SQLite's INTEGER is 64-bit already).
    with op.batch_alter_table('hub_state', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM hub_state WHERE key = 'geocoder_next_at'"))
    with op.batch_alter_table('hub_state', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sa.BigInteger(), type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table('place_lookup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_place_lookup_query'))
    op.drop_table('place_lookup')
