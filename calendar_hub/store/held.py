"""Fetched bodies held back because they would take most of a feed's upcoming events away (`held_change`).

A feed server that suddenly lists one event where there were a hundred is more often broken than right, so the
change waits, one row per feed, for a second fetch that reads the same events or for an organiser's word
(`outcomes.accept_held` stores it).  Functions take a keyword-only `session`; none of them commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub.occurrence import EventIn, event_to_dict
from calendar_hub.store.batches import chunks
from calendar_hub.store.models import HeldChange

__all__ = ["Hold", "forget_held", "held_change", "held_changes", "save_held"]


@dataclass(frozen=True, slots=True)
class Hold:
    """Why a body waits: the digest of its events (`identity.events_digest`) and the upcoming events before and
    after it."""

    digest: str
    upcoming_before: int
    upcoming_after: int


def held_change(feed_id: int, *, session: Session) -> HeldChange | None:
    """The change held for the feed `feed_id`, if any."""
    return session.exec(select(HeldChange).where(HeldChange.feed_id == feed_id)).first()


def held_changes(*, session: Session) -> dict[int, HeldChange]:
    """Every held change, by feed id."""
    return {row.feed_id: row for row in session.exec(select(HeldChange)).all()}


def save_held(feed_id: int, hold: Hold, events: Sequence[EventIn], *, at: datetime, body_hash: str, skipped: int,
              problems: Sequence[str], notice: str, session: Session) -> None:
    """Hold `events` (a fetch's whole parse) for the feed, in place of any change held before."""
    found = held_change(feed_id, session=session) or HeldChange(feed_id=feed_id, digest=hold.digest)
    found.at, found.digest, found.body_hash = at, hold.digest, body_hash[:64]
    found.upcoming_before, found.upcoming_after = hold.upcoming_before, hold.upcoming_after
    found.events = [event_to_dict(event) for event in events]
    found.skipped, found.problems, found.notice = skipped, list(problems)[:20], notice[:2000]
    session.add(found)


def forget_held(feed_ids: Iterable[int], *, session: Session) -> None:
    """Drop the changes held for these feeds (the feed was stored, or came back as it was)."""
    for chunk in chunks(sorted(set(feed_ids))):
        session.execute(sa.delete(HeldChange).where(col(HeldChange.feed_id).in_(chunk)))
