"""Groups and their feeds as organisers change them in the console.

Functions take a keyword-only `session` (a SQLModel Session); none of them commits: the console
audits each change and commits it with its audit entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub.store.models import Feed, Group


def group_by_slug(slug: str, *, session: Session) -> Group | None:
    """The group with the short name `slug`, active or not."""
    return session.exec(select(Group).where(Group.slug == slug)).first()


def group_by_id(group_id: int, *, session: Session) -> Group | None:
    """The group `group_id`, active or not."""
    return session.get(Group, group_id)


def all_groups(*, session: Session) -> list[Group]:
    """Every group, active first, by name."""
    return list(session.exec(select(Group).order_by(col(Group.active).desc(), Group.name)).all())


def add_group(group: Group, *, session: Session) -> None:
    """Stage a new group; the caller flushes or commits."""
    session.add(group)


def change_group(group: Group, values: Mapping[str, Any], *, session: Session) -> None:
    """Set the group's fields named in `values`; the caller commits."""
    for name, value in values.items():
        setattr(group, name, value)
    session.add(group)


def feeds_of(group_id: int, *, session: Session) -> list[Feed]:
    """The group's feeds, in the order they were added."""
    return list(session.exec(select(Feed).where(Feed.group_id == group_id).order_by(col(Feed.id))).all())


def group_feed(group_id: int, url: str, *, session: Session) -> Feed | None:
    """The group's feed at `url`, active or not."""
    return session.exec(select(Feed).where(Feed.group_id == group_id, Feed.url == url)).first()


def add_feed(feed: Feed, *, session: Session) -> None:
    """Stage a new feed; the caller flushes or commits."""
    session.add(feed)


def change_feed(feed: Feed, values: Mapping[str, Any], *, session: Session) -> None:
    """Set the feed's fields named in `values`; the caller commits."""
    for name, value in values.items():
        setattr(feed, name, value)
    session.add(feed)


def make_due(feed: Feed, *, session: Session, at: datetime) -> None:
    """Make the feed due for fetching at `at`, or when its server asked the hub to wait until (Retry-After) if that
    is later (one UPDATE, whatever the loaded row says); the caller commits."""
    due = sa.case((col(Feed.wait_until) > at, col(Feed.wait_until)), else_=at)
    session.execute(sa.update(Feed).where(col(Feed.id) == feed.id).values(next_attempt_at=due))


def feed_with_group(feed_id: int, *, session: Session) -> tuple[Feed, Group] | None:
    """The feed `feed_id` with its group, or None when there is no such feed."""
    row = session.execute(sa.select(Feed, Group).join(Group, col(Group.id) == Feed.group_id)
                          .where(col(Feed.id) == feed_id)).first()
    return (row[0], row[1]) if row is not None else None


def feed_owners(*, session: Session) -> list[tuple[str, str, str]]:
    """Every feed's address with its group's slug and name: (url, slug, name)."""
    rows = session.execute(sa.select(col(Feed.url), col(Group.slug), col(Group.name))
                           .join(Group, col(Group.id) == col(Feed.group_id))).all()
    return [(url, slug, name) for url, slug, name in rows]
