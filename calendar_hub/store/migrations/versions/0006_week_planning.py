"""weeks planned in the console: events included, excluded and featured by hand; who owns a group or week

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('week') as batch:
        batch.add_column(sa.Column('featured', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('included', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('excluded', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('origin', sa.String(length=20), nullable=False, server_default='registry'))
    with op.batch_alter_table('hub_group') as batch:
        batch.add_column(sa.Column('origin', sa.String(length=20), nullable=False, server_default='registry'))
    # Groups with feeds, none of them from the registry, were made in the console (or by approving a request).
    op.execute("UPDATE hub_group SET origin = 'console' WHERE id IN (SELECT group_id FROM feed) "
               "AND id NOT IN (SELECT group_id FROM feed WHERE origin = 'registry')")


def downgrade() -> None:
    with op.batch_alter_table('hub_group') as batch:
        batch.drop_column('origin')
    with op.batch_alter_table('week') as batch:
        batch.drop_column('origin')
        batch.drop_column('excluded')
        batch.drop_column('included')
        batch.drop_column('featured')
