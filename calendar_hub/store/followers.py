"""People who follow the hub by e-mail (a place with a radius, a group, a week) and the sign-ups counted for limits.

An address is kept for the digest alone: it is never published, and the console reads only counts
(`follower_counts`).  A sign-up stays unconfirmed until its confirmation link is followed; unconfirmed ones
are deleted after a week (`forget_unconfirmed`).  Functions take a keyword-only `session`; none commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import JSON, Field, Session, SQLModel, col, func, select

from calendar_hub.store.models import UTCDateTime

__all__ = ["FollowAttempt", "Follower", "add_follow_attempt", "confirmed_followers", "delete_follower",
           "follow_attempts", "follower_by_id", "follower_by_token", "follower_counts", "forget_follow_attempts",
           "forget_unconfirmed", "save_follower"]


class Follower(SQLModel, table=True):
    """One e-mail address and what it follows: a place (`near`, its point and `km`), a group, a week, or several.

    `token` is the random key in the links of every message (manage, unsubscribe); `mailed` holds the published
    UIDs of the upcoming events already sent, so a digest only goes out when something new matches, and
    `alerted` the weeks whose start has been announced.
    """

    __tablename__ = "follower"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    token: str = Field(max_length=64, unique=True, index=True)
    language: str = Field(default="en", max_length=8)
    near: str = Field(default="", max_length=300)
    lat: float | None = None
    lon: float | None = None
    km: float | None = None
    group_slug: str = Field(default="", max_length=100)
    week_slug: str = Field(default="", max_length=100)
    created_at: datetime = Field(sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    digest_at: datetime | None = Field(default=None, sa_type=UTCDateTime)   # when the last digest was built
    mailed: list[str] = Field(default_factory=list, sa_type=JSON)
    alerted: list[str] = Field(default_factory=list, sa_type=JSON)


class FollowAttempt(SQLModel, table=True):
    """A sign-up sent through the form, kept a day for the rate limits per e-mail address and per connection."""

    __tablename__ = "follow_attempt"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    address: str = Field(default="", max_length=100)
    at: datetime = Field(sa_type=UTCDateTime, index=True)


def save_follower(follower: Follower, *, session: Session) -> Follower:
    """Add or change a follower (flushed, so its id is known)."""
    session.add(follower)
    session.flush()
    return follower


def follower_by_id(follower_id: int, *, session: Session) -> Follower | None:
    return session.get(Follower, follower_id)


def follower_by_token(token: str, *, session: Session) -> Follower | None:
    """The follower whose links carry `token`, if any."""
    return session.exec(select(Follower).where(Follower.token == token)).first()


def confirmed_followers(*, session: Session, after: int = 0, limit: int | None = None) -> list[Follower]:
    """The confirmed followers whose id is above `after`, oldest first, at most `limit` of them (None: all)."""
    query = (select(Follower).where(col(Follower.confirmed_at).is_not(None), col(Follower.id) > after)
             .order_by(col(Follower.id)))
    return list(session.exec(query if limit is None else query.limit(limit)).all())


def delete_follower(follower_id: int, *, session: Session) -> None:
    """Forget a follower entirely (its messages still waiting in the outbox go with it: see `outbox`)."""
    session.execute(sa.delete(Follower).where(col(Follower.id) == follower_id))


def forget_unconfirmed(*, before: datetime, session: Session) -> int:
    """Delete the sign-ups made before `before` and never confirmed; how many went."""
    ids = list(session.exec(select(Follower.id).where(col(Follower.confirmed_at).is_(None),
                                                      col(Follower.created_at) < before)).all())
    if ids:
        session.execute(sa.delete(Follower).where(col(Follower.id).in_(ids)))
    return len(ids)


def add_follow_attempt(email: str, address: str, *, at: datetime, session: Session) -> None:
    session.add(FollowAttempt(email=email[:320], address=address[:100], at=at))


def follow_attempts(*, email: str, address: str, since: datetime, session: Session) -> tuple[int, int]:
    """Sign-ups since `since` for this e-mail address, and from this connection."""
    by_email = session.exec(select(func.count()).select_from(FollowAttempt)
                            .where(FollowAttempt.email == email, col(FollowAttempt.at) >= since)).one()
    by_address = session.exec(select(func.count()).select_from(FollowAttempt)
                              .where(FollowAttempt.address == address, col(FollowAttempt.at) >= since)).one()
    return int(by_email), int(by_address)


def forget_follow_attempts(*, before: datetime, session: Session) -> None:
    session.execute(sa.delete(FollowAttempt).where(col(FollowAttempt.at) < before))


def follower_counts(*, session: Session) -> tuple[Counter[str], Counter[str], int]:
    """Confirmed followers counted per week slug and per place name (never an address), and in all."""
    rows: Sequence[tuple[str, str]] = session.exec(
        select(Follower.week_slug, Follower.near).where(col(Follower.confirmed_at).is_not(None))).all()
    weeks = Counter(week for week, _near in rows if week)
    places = Counter(near for _week, near in rows if near)
    return weeks, places, len(rows)
