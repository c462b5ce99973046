"""Feeds for the refresh and for organisers: leases (so two processes never fetch one feed at once), health reads.

Also the active groups and weeks the catalogue is built from.  Functions take a keyword-only `session`
(a SQLModel Session); those that commit say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub.states import Origin
from calendar_hub.store.models import Event, Feed, Group, HeldChange, Week


@dataclass(frozen=True, slots=True)
class FeedJob:
    """A feed leased to one refresh process, with what a conditional fetch needs."""

    id: int
    url: str
    kind: str
    origin: str
    private: bool     # the operator lets this registry feed reach private addresses
    etag: str
    last_modified: str
    content_hash: str
    parsed_at: datetime | None
    group_slug: str
    events_stored: int
    upcoming_stored: int = 0  # stored events not yet over
    held_digest: str = ""     # the events of the change held for this feed (`held_change`), if any


def next_attempt(*, session: Session) -> datetime | None:
    """When the soonest of the feeds a refresh fetches (active, of an active group, neither gone nor sent through
    /submit) is next due; None when no feed is scheduled."""
    query = (sa.select(sa.func.min(col(Feed.next_attempt_at))).join(Group, col(Group.id) == Feed.group_id)
             .where(col(Group.active), col(Feed.active), col(Feed.origin) != Origin.SUBMITTED,
                    col(Feed.gone_at).is_(None)))
    found: datetime | None = session.scalar(query)
    return found


def claim_feeds(*, session: Session, owner: str, now: datetime, lease_for: timedelta,
                due_only: bool = True, feed_ids: Sequence[int] | None = None, after: int = 0,
                limit: int | None = None) -> list[FeedJob]:
    """Lease active feeds to `owner` so that no other process refreshes them at the same time: those with an id
    above `after`, the `limit` lowest (all when None), so a run can go through the feeds a batch at a time.

    A lease that was not released (its process died) expires after `lease_for`.  Commits.
    """
    def claimable(query: Any) -> Any:
        query = query.where(col(Feed.active), sa.or_(col(Feed.lease_until).is_(None), col(Feed.lease_until) < now))
        query = query.where(col(Feed.origin) != Origin.SUBMITTED)  # events sent through /submit: nothing to fetch
        query = query.where(col(Feed.gone_at).is_(None))  # 410 Gone: not fetched until an organiser resumes it
        # Retry-After: not before the time its server asked for, whoever asks for a refresh.
        query = query.where(sa.or_(col(Feed.wait_until).is_(None), col(Feed.wait_until) <= now))
        if due_only:
            query = query.where(sa.or_(col(Feed.next_attempt_at).is_(None), col(Feed.next_attempt_at) <= now))
        if feed_ids is not None:
            query = query.where(col(Feed.id).in_(list(feed_ids)))
        return query

    while True:
        candidates = claimable(sa.select(col(Feed.id)).join(Group, col(Group.id) == Feed.group_id)
                               .where(col(Group.active), col(Feed.id) > after)).order_by(col(Feed.id)).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(of=Feed, skip_locked=True)
        ids = list(session.scalars(candidates))
        if not ids:
            session.commit()
            return []
        # The conditions are repeated on the UPDATE so a concurrent claimer that won the race is seen; when it took
        # every one of these, the next ones are tried rather than saying that nothing is left.
        taken = session.execute(claimable(sa.update(Feed).where(col(Feed.id).in_(ids)))
                                .values(lease_owner=owner, lease_until=now + lease_for))
        if taken.rowcount:  # type: ignore[attr-defined]
            break
        after = ids[-1]
    upcoming = sa.func.sum(sa.case((col(Event.end_at) >= now, 1), else_=0))
    counts: dict[int, tuple[int, int]] = {feed_id: (stored, ahead or 0) for feed_id, stored, ahead in session.execute(
        sa.select(col(Event.feed_id), sa.func.count(), upcoming)
        .where(col(Event.feed_id).in_(ids)).group_by(col(Event.feed_id)))}
    held = dict(session.execute(sa.select(col(HeldChange.feed_id), col(HeldChange.digest))
                                .where(col(HeldChange.feed_id).in_(ids))).all())
    rows = session.execute(
        sa.select(Feed, col(Group.slug)).join(Group, col(Group.id) == Feed.group_id)
        .where(col(Feed.lease_owner) == owner, col(Feed.id).in_(ids)).order_by(col(Feed.id))
    ).all()
    jobs = [FeedJob(id=f.id, url=f.url, kind=f.kind, origin=f.origin, private=f.private, etag=f.etag,
                    last_modified=f.last_modified, content_hash=f.content_hash, parsed_at=f.parsed_at,
                    group_slug=slug, events_stored=counts.get(f.id, (0, 0))[0],
                    upcoming_stored=counts.get(f.id, (0, 0))[1], held_digest=held.get(f.id, "")) for f, slug in rows]
    session.commit()
    return jobs


def lease_holders(*, session: Session, now: datetime) -> list[str]:
    """The owners of leases that have not expired."""
    return list(session.scalars(sa.select(col(Feed.lease_owner)).distinct()
                                .where(col(Feed.lease_owner) != "", col(Feed.lease_until) >= now)))


def release_leases(*, session: Session, owner: str) -> None:
    """Give back every lease `owner` still holds (after an interrupted refresh).  Commits."""
    session.execute(sa.update(Feed).where(col(Feed.lease_owner) == owner).values(lease_owner="", lease_until=None))
    session.commit()


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """A feed's state as organisers see it."""

    feed: Feed
    group_slug: str
    group_name: str
    events_stored: int
    held: HeldChange | None = None   # a change waiting for a fetch that agrees, or an organiser's word


def feed_health(*, session: Session) -> list[FeedHealth]:
    """Every feed with its group and stored event count, failing feeds first."""
    counts: dict[int, int] = dict(session.execute(
        sa.select(col(Event.feed_id), sa.func.count()).group_by(col(Event.feed_id))).all())
    rows = session.execute(
        sa.select(Feed, col(Group.slug), col(Group.name)).join(Group, col(Group.id) == Feed.group_id)
        .order_by(col(Feed.consecutive_failures).desc(), Group.slug, Feed.url)
    ).all()
    held = {row.feed_id: row for row in session.exec(select(HeldChange)).all()}
    return [FeedHealth(feed=f, group_slug=slug, group_name=name, events_stored=counts.get(f.id, 0),
                       held=held.get(f.id)) for f, slug, name in rows]


def active_groups(*, session: Session) -> list[Group]:
    """Active groups, by name."""
    return list(session.exec(select(Group).where(col(Group.active)).order_by(Group.name)).all())


def active_weeks(*, session: Session) -> list[Week]:
    """Active weeks of action, by start date."""
    return list(session.exec(select(Week).where(col(Week.active)).order_by(col(Week.start_date), col(Week.slug))).all())



def feed_names(*, session: Session) -> dict[int, tuple[str, str]]:
    """Each feed's id -> (its URL, its group's name)."""
    rows = session.execute(sa.select(col(Feed.id), col(Feed.url), col(Group.name))
                           .join(Group, col(Group.id) == Feed.group_id))
    return {feed_id: (url, name) for feed_id, url, name in rows}
