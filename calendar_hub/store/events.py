"""Stored occurrences as the catalogue reads them, and the one written by hand (an approved sent event).

Functions take a keyword-only `session` (a SQLModel Session); none of them commits.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from calendar_hub.occurrence import EventIn
from calendar_hub.store.models import Event, Feed, Group


def occurrence_rows(*, session: Session, since: datetime, feeds: Collection[int] | None = None) -> list[sa.Row[Any]]:
    """Stored occurrences of active feeds of active groups ending at or after `since`, as light rows (of `feeds`
    alone, when given: a catalogue update reads only the feeds that changed).

    Rows (not ORM objects) because a catalogue build reads up to hundreds of thousands of them.
    """
    event = Event.__table__  # type: ignore[attr-defined]
    query = (sa.select(event, col(Feed.group_id)).join(Feed, col(Feed.id) == event.c.feed_id)
             .join(Group, col(Group.id) == Feed.group_id)
             .where(col(Feed.active), col(Group.active), event.c.end_at >= since))
    if feeds is not None:
        query = query.where(event.c.feed_id.in_(sorted(feeds)))
    return list(session.execute(query.order_by(event.c.start_at, event.c.id)).all())


def add_event(event: EventIn, *, feed_id: int, uid: str, digest: str, now: datetime, session: Session) -> Event:
    """Stage `event` as a stored occurrence of the feed `feed_id`, published as `uid`; the caller commits.

    The fields are those `record_outcomes` sets for an occurrence read from a feed.
    """
    row = Event(feed_id=feed_id, source_uid=event.source_uid, recurrence_id=event.recurrence_id, uid=uid,
                title=event.title, description_html=event.description_html,
                description_text=event.description_text, location=event.location, url=event.url,
                categories=list(event.categories), status=event.status, start_at=event.start,
                end_at=event.end, all_day=event.all_day, start_date=event.start_date,
                end_date=event.end_date, lat=event.lat, lon=event.lon, source_sequence=event.sequence,
                source_stamp=event.stamp, source_modified=event.modified,
                sequence=event.sequence, content_hash=digest, created_at=now, updated_at=now)
    session.add(row)
    return row
