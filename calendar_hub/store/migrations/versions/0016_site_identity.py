"""the hub's identity: its name, words, colours and partners from the registry's [hub], and its images

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No row: the hub is "Calendar Hub" until a registry with a [hub] table is loaded.
    op.create_table(
        'site_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'site_image',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('media_type', sa.String(length=40), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('site_image')
    op.drop_table('site_identity')
