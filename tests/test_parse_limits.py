"""Every parse of a fetched body runs in a worker process held to a time and a memory limit: a calendar over
either fails its feed with a plain reason and the feed keeps its last good events."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from calendar_hub import clock, store
from calendar_hub.errors import ParseError
from calendar_hub.ingest.refresh import refresh
from calendar_hub.ingest.worker import WorkerPool, parse_in_worker
from calendar_hub.settings import Settings
from calendar_hub.store.models import Event, Feed
from tests.feedserver import FeedServer
from tests.hubdata import moved_hub, served

SLOW_FEED = "/liverpool_outlook.ics"


def hourly_series(count: int) -> bytes:
    """A calendar slow to read by construction: `count` series repeating every hour through the window."""
    start = (clock.now() - timedelta(days=1)).strftime("%Y%m%dT%H0000Z")
    parts = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Hourly//EN"]
    for i in range(count):
        parts += ["BEGIN:VEVENT", f"UID:hourly-{i}@hourly.example.org", "DTSTAMP:20260101T000000Z",
                  f"DTSTART:{start}", "DURATION:PT30M", f"SUMMARY:Drop-in {i}", "RRULE:FREQ=HOURLY", "END:VEVENT"]
    parts.append("END:VCALENDAR")
    return ("\r\n".join(parts) + "\r\n").encode()


def long_description(size: int) -> bytes:
    """A calendar heavy to read by construction: one event whose description is `size` bytes long."""
    start = (clock.now() + timedelta(days=3)).strftime("%Y%m%dT100000Z")
    description = "DESCRIPTION:" + "\r\n ".join(["words that take memory "] * (size // 24))
    return ("\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Heavy//EN", "BEGIN:VEVENT",
                         "UID:heavy@heavy.example.org", "DTSTAMP:20260101T000000Z", f"DTSTART:{start}",
                         "SUMMARY:Heavy", description, "END:VEVENT", "END:VCALENDAR"]) + "\r\n").encode()


@pytest.fixture
def refreshed(tmp_path: Path, engine: Engine, settings: Settings, feed_server: FeedServer) -> dict[str, int]:
    """The test registry served over HTTP and refreshed once with good bodies; events stored per feed URL."""
    with Session(engine) as session:
        store.apply_registry(served(moved_hub(tmp_path), feed_server), session=session)
    report = asyncio.run(refresh(engine, settings, due_only=False))
    assert report.count("stored") == 3, [o.error for _j, o in report.outcomes]
    return events_by_feed(engine)


def events_by_feed(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(select(Feed.url, func.count()).join(Event, Event.feed_id == Feed.id)  # type: ignore[arg-type]
                            .group_by(Feed.url)).all()
        return {url.rsplit("/", 1)[-1]: count for url, count in rows}


# The bodies are megabytes: on a busy machine the test server may take longer than the suite's usual time-outs.
PATIENT = {"fetch_total_timeout": 120.0, "fetch_read_timeout": 60.0}


def test_a_calendar_slower_than_the_parse_limit_fails_its_feed_and_keeps_its_events(
        refreshed: dict[str, int], engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    assert refreshed["liverpool_outlook.ics"] > 0
    feed_server.serve(SLOW_FEED, hourly_series(2000))
    report = asyncio.run(refresh(engine, settings.replace(parse_seconds=0.2, **PATIENT), due_only=False))
    outcome = next(o for job, o in report.outcomes if job.url.endswith(SLOW_FEED))
    assert (outcome.kind, outcome.error) == ("failed", "the calendar took too long to read")
    assert report.count("failed") == 1
    assert events_by_feed(engine) == refreshed


def test_a_calendar_that_needs_more_memory_than_the_limit_fails_its_feed_and_keeps_its_events(
        refreshed: dict[str, int], engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    feed_server.serve(SLOW_FEED, long_description(3_000_000))
    report = asyncio.run(refresh(engine, settings.replace(parse_memory_mb=16, **PATIENT), due_only=False))
    outcome = next(o for job, o in report.outcomes if job.url.endswith(SLOW_FEED))
    assert (outcome.kind, outcome.error) == ("failed", "the calendar needed too much memory to read")
    assert report.count("failed") == 1
    assert events_by_feed(engine) == refreshed


def test_the_worker_pool_gives_each_parse_its_limits_and_replaces_a_worker_it_stopped() -> None:
    now = clock.now()
    window = ("Europe/London", now - timedelta(days=30), now + timedelta(days=400))

    async def run(pool: WorkerPool, bodies: tuple[bytes, ...]) -> list[str]:
        said = []
        try:
            for body in bodies:
                try:
                    parsed = await pool.run(parse_in_worker, body, "ical", "http://127.0.0.1/x.ics", *window)
                except ParseError as e:
                    said.append(str(e))
                else:
                    assert not isinstance(parsed, str)
                    said.append(f"{len(parsed[0].events)} events")
        finally:
            pool.close()
        return said

    # Each limit on its own pool, so a loaded machine cannot make the memory-hungry parse run out of time first;
    # after each stopped parse a small one shows that the stopped worker was replaced.
    small = long_description(1000)
    assert asyncio.run(run(WorkerPool(1, seconds=0.2, memory_mb=0), (hourly_series(2000), small))) == [
        "the calendar took too long to read", "1 events"]
    said = asyncio.run(run(WorkerPool(1, seconds=0, memory_mb=16), (long_description(3_000_000), small)))
    assert said == ["the calendar needed too much memory to read", "1 events"]
