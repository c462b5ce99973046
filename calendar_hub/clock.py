"""The hub's one reading of "now": every part of the hub that needs the current instant or day asks here.

The refresh window, "upcoming" in the catalogue, pages and outputs, leases, rate limits and stamps all
read `now()`, so the whole hub can be run as if it were another day: the tests do so for fixtures whose
dates are fixed (`travel_to`), and the clock still moves on from there at its usual pace, so leases
expire and throttles count as they would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo

__all__ = ["now", "today", "travel_to"]

_offset = timedelta(0)


def now() -> datetime:
    """The current instant, aware, in UTC (moved by `travel_to` while one is in force)."""
    return datetime.now(UTC) + _offset


def today(zone: tzinfo) -> date:
    """The current day in `zone`."""
    return now().astimezone(zone).date()


@contextmanager
def travel_to(instant: datetime) -> Iterator[None]:
    """Run the hub as if `instant` (aware) were now; time moves on from it. Restores the real clock after.

    One process at a time: the offset is the process's own, seen by every thread of it (refresh's writer
    thread and the web app's worker threads alike). Parse workers never read the clock: their window comes
    with each job.
    """
    global _offset
    if instant.tzinfo is None:
        raise ValueError("travel_to needs an aware instant")
    before = _offset
    _offset = instant - datetime.now(UTC)
    try:
        yield
    finally:
        _offset = before
