"""what a group does: its services, a short description and the areas it serves, for the directory

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Groups stored before say nothing of what they do until the registry or an organiser tells the hub.
    with op.batch_alter_table('hub_group') as batch:
        batch.add_column(sa.Column('services', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('description', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('areas', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('hub_group') as batch:
        batch.drop_column('areas')
        batch.drop_column('description')
        batch.drop_column('services')
