"""One-time password links: an admin makes one for an account, its holder sets a password with it once.

Only the SHA-256 of a link's token is stored.  Functions take a keyword-only `session` and never commit.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from calendar_hub import clock
from calendar_hub.store.models import UTCDateTime


class PasswordLink(SQLModel, table=True):
    """A one-time link an admin made for an account to set its password: only the token's SHA-256 is kept."""

    __tablename__ = "password_link"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="hub_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)  # hex SHA-256 of the token in the link
    created_at: datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # set when used; a used link is refused
    actor: str = Field(max_length=320)                                   # the admin who made it


def save_password_link(link: PasswordLink, *, session: Session) -> None:
    """Stage a new or used one-time password link; the caller commits."""
    session.add(link)


def password_link_by_hash(token_hash: str, *, session: Session, lock: bool = False) -> PasswordLink | None:
    """The one-time link whose token hashes to `token_hash`, used or not (locked for update when `lock`)."""
    query = select(PasswordLink).where(PasswordLink.token_hash == token_hash)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def drop_password_links(user_id: int, *, session: Session) -> None:
    """Stage using up every unused link of account `user_id` (a new link, or a deactivation, replaces them)."""
    session.execute(sa.delete(PasswordLink).where(col(PasswordLink.user_id) == user_id,
                                                  col(PasswordLink.used_at).is_(None)))
