"""The online geocoder's SQL: cached look-ups (`place_lookup`), its shared rate limit, the lines to look up.

Functions take a keyword-only `session` (a SQLModel Session); those that write say so and commit.
The rate limit is one `hub_state` row shared by every process on the database (see `claim_slot`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from calendar_hub.store.models import Event, HubState, PlaceLookup
from calendar_hub.store.version import bump_version

SLOT_KEY = "geocoder_next_at"
_CHUNK = 500   # ids or keys per IN (...): well inside SQLite's and PostgreSQL's limits on bound parameters


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _insert(session: Session, model: Any) -> Any:
    """An INSERT that can say ON CONFLICT, in the session's dialect (the hub runs on SQLite and PostgreSQL)."""
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(model)


def location_lines(feed_ids: Iterable[int], *, session: Session) -> list[str]:
    """The distinct, non-empty location lines of the events stored for these feeds, in text order."""
    lines: set[str] = set()
    for chunk in _chunks(sorted(set(feed_ids))):
        lines.update(session.scalars(
            sa.select(col(Event.location)).distinct()
            .where(col(Event.feed_id).in_(chunk), col(Event.location) != "")
        ))
    return sorted(lines)


def settled(keys: Iterable[str], *, session: Session, retry_failed_before: datetime) -> set[str]:
    """Which of these look-up keys need no look-up: found, not found, or failed at or after `retry_failed_before`."""
    done: set[str] = set()
    for chunk in _chunks(sorted(set(keys))):
        done.update(session.scalars(
            sa.select(col(PlaceLookup.query)).where(
                col(PlaceLookup.query).in_(chunk),
                sa.or_(col(PlaceLookup.error) == "", col(PlaceLookup.looked_up_at) >= retry_failed_before))
        ))
    return done


def record_lookup(key: str, *, session: Session, at: datetime, lat: float | None = None, lon: float | None = None,
                  display_name: str = "", error: str = "") -> None:
    """Store what looking up `key` gave, replacing an earlier failure (or a concurrent look-up). Commits.

    A place found changes where events are shown, so it also bumps the data version.
    """
    values = {"lat": lat, "lon": lon, "display_name": display_name[:1000], "looked_up_at": at, "error": error[:2000]}
    statement = _insert(session, PlaceLookup).values(query=key, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["query"], set_=values))
    if lat is not None and lon is not None:
        bump_version(session=session)
    session.commit()


def found(*, session: Session) -> Sequence[PlaceLookup]:
    """Every look-up that found a place (with coordinates), by query."""
    return session.exec(
        select(PlaceLookup).where(col(PlaceLookup.lat).is_not(None), col(PlaceLookup.lon).is_not(None))
        .order_by(col(PlaceLookup.query))
    ).all()


def claim_slot(*, session: Session, now_ms: int, interval_ms: int) -> int:
    """Take the geocoder's next request slot: 0 when this caller may send now, else milliseconds to wait. Commits.

    The slot is the `hub_state` row `geocoder_next_at` (epoch milliseconds). The UPDATE takes it only
    while it is not in the future, so of two processes racing for one slot exactly one moves it on:
    PostgreSQL re-checks the condition once the first writer commits, and SQLite writes one at a time.
    """
    claimed = session.execute(
        sa.update(HubState).where(col(HubState.key) == SLOT_KEY, col(HubState.value) <= now_ms)
        .values(value=now_ms + interval_ms)
    )
    if claimed.rowcount == 1:  # type: ignore[attr-defined]
        session.commit()
        return 0
    next_at = session.scalar(sa.select(col(HubState.value)).where(col(HubState.key) == SLOT_KEY))
    if next_at is None:
        # The first request of this database: create the row, then take it like anyone else.
        session.execute(_insert(session, HubState).values(key=SLOT_KEY, value=0)
                        .on_conflict_do_nothing(index_elements=["key"]))
        session.commit()
        return claim_slot(session=session, now_ms=now_ms, interval_ms=interval_ms)
    session.commit()
    return max(int(next_at) - now_ms, 1)
