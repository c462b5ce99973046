"""The change log's table (`change_log`): what each version of the change counter changed (`version`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

__all__ = ["Change"]


class Change(SQLModel, table=True):
    """What one version of the change counter changed: a feed's events (`feed_id`), or anything else (None).

    Web processes read it to update their catalogue for the feeds that changed instead of rebuilding it.
    """

    __tablename__ = "change_log"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(sa_type=sa.BigInteger, index=True)
    feed_id: int | None = None   # no foreign key: an entry outlives a feed deleted since, and says "that feed"
