"""The change counter (`hub_state` row "version"): every change to what is published moves it.

Web processes compare it with the version of the catalogue they hold and rebuild when it moved.  Each move is
logged (`change_log`) with what it changed: the events of some feeds, or anything else ("everything": groups,
weeks, hidden events, merge decisions, the site, place lookups, the registry, console edits).  A web process
that finds only feeds' events changed since its catalogue updates that catalogue for those feeds alone.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub.store.changes import Change
from calendar_hub.store.models import Feed, HubState

VERSION_KEY = "version"
# Versions of the log kept: a web process further behind than this rebuilds its catalogue whole.
CHANGES_KEPT = 2000


def bump_version(*, session: Session, feeds: Iterable[int] | None = None) -> None:
    """Record that the published outputs changed; web processes rebuild on their next check.

    `feeds` names the feeds whose events alone changed; without it the change counts as one to everything.  The
    log names every feed of their groups: storing one feed's events may hand a published UID on to the same
    occurrence in another feed of the group (`succession`).
    """
    updated = session.execute(
        sa.update(HubState).where(col(HubState.key) == VERSION_KEY).values(value=HubState.value + 1)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(HubState(key=VERSION_KEY, value=1))
        session.flush()
    version = current_version(session=session)
    named = _with_their_groups(set(feeds), session=session) if feeds is not None else []
    session.add_all([Change(version=version, feed_id=feed_id) for feed_id in named] if named
                    else [Change(version=version, feed_id=None)])
    if version % 100 == 0:  # pruning now and then is enough: the log only needs to reach back CHANGES_KEPT
        session.execute(sa.delete(Change).where(col(Change.version) <= version - CHANGES_KEPT))


def _with_their_groups(feeds: set[int], *, session: Session) -> list[int]:
    if not feeds:
        return []
    groups = sa.select(col(Feed.group_id)).where(col(Feed.id).in_(sorted(feeds))).scalar_subquery()
    return sorted(feeds | set(session.scalars(sa.select(col(Feed.id)).where(col(Feed.group_id).in_(groups)))))


def current_version(*, session: Session) -> int:
    """The change counter: any change to groups, feeds, weeks or events moves it."""
    value = session.scalar(select(HubState.value).where(HubState.key == VERSION_KEY))
    return int(value or 0)


def changes_since(version: int, *, session: Session, until: int | None = None) -> frozenset[int] | None:
    """The feeds whose events alone changed after `version` (up to `until`, else the current version), or None
    when anything else changed or the log does not reach back that far (the caller then rebuilds whole)."""
    newest = current_version(session=session) if until is None else until
    if newest < version:
        return None
    if newest == version:
        return frozenset()
    rows = session.execute(sa.select(col(Change.version), col(Change.feed_id))
                           .where(col(Change.version) > version, col(Change.version) <= newest)).all()
    if {v for v, _feed in rows} != set(range(version + 1, newest + 1)):
        return None   # a version logged before the log existed, or pruned since
    feeds = {feed for _v, feed in rows}
    if None in feeds:
        return None
    return frozenset(f for f in feeds if f is not None)
