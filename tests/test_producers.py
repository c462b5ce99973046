"""Producer by producer: the calendars and feeds that real publishers write, and what the hub must read from them.

Each file in tests/data/producers imitates one producer's export (tests/data/producers/README.md says
which, and where the shape comes from).  Its NAME.expected.toml lists, worked out by hand from RFC 5545,
RFC 7986 and the producers' documentation, every occurrence inside a window, plus what the parser must
report.  The same expectations are checked through `parse_body`, and through a real refresh into the
database (SQLite, and PostgreSQL when CALENDAR_HUB_TEST_DATABASE_URL is set).  Feeds of 10,000 events
are generated here from small templates instead of being committed.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from calendar_hub import clock, store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.ingest.sources import parse_body
from calendar_hub.ingest.sources.ics import MAX_OCCURRENCES_PER_SERIES
from calendar_hub.occurrence import EventIn, ParseContext, ParseResult
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from calendar_hub.store.models import Event, Feed
from tests.feedserver import FeedServer

PRODUCERS = Path(__file__).parent / "data" / "producers"
FIXTURES = sorted(p for p in PRODUCERS.iterdir() if p.suffix in (".ics", ".xml"))
LONDON = ZoneInfo("Europe/London")

# Compared when an expected occurrence gives them; the rest of the fields are always compared.
OPTIONAL_FIELDS = ("uid", "recurrence_id", "sequence", "categories", "lat", "lon")
REQUIRED_FIELDS = ("title", "start", "end", "all_day", "status", "location")


@dataclass(frozen=True)
class Expectation:
    """One NAME.expected.toml: the window and zone to parse with, the occurrences, what must be reported."""

    zone: ZoneInfo
    window_start: datetime
    window_end: datetime
    occurrences: tuple[dict[str, Any], ...]
    skipped: int | None               # items that are not events
    problems_contain: tuple[str, ...]
    cut_off: bool                     # the body ends early (its complete events are still expected)

    def context(self, url: str) -> ParseContext:
        return ParseContext(url=url, zone=self.zone, window_start=self.window_start, window_end=self.window_end)


def expectation(fixture: Path) -> Expectation:
    """Read the expectation file next to a fixture; raises for keys it does not know (a typo must not pass)."""
    raw = tomllib.loads(fixture.with_name(fixture.stem + ".expected.toml").read_text(encoding="utf-8"))
    known = {"zone", "window_start", "window_end", "occurrence", "skipped", "problems_contain", "cut_off"}
    assert set(raw) <= known, f"{fixture.name}: unknown keys {sorted(set(raw) - known)}"
    occurrences = tuple(raw.get("occurrence", []))
    for occurrence in occurrences:
        missing = set(REQUIRED_FIELDS) - set(occurrence)
        unknown = set(occurrence) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS)
        assert not missing and not unknown, f"{fixture.name}: {occurrence.get('title')}: {missing or unknown}"
    window_start, window_end = raw["window_start"], raw["window_end"]
    assert window_start.tzinfo is not None and window_end.tzinfo is not None
    return Expectation(zone=ZoneInfo(raw["zone"]), window_start=window_start, window_end=window_end,
                       occurrences=occurrences, skipped=raw.get("skipped"),
                       problems_contain=tuple(raw.get("problems_contain", ())), cut_off=raw.get("cut_off", False))


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a day starts in `zone` (an all-day event's start or end)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def instant(value: date, zone: ZoneInfo) -> datetime:
    """A TOML value as a UTC instant: offset date-times as they are, dates at midnight in `zone`."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return midnight(value, zone)


def expected_view(occurrence: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """An expected occurrence, normalised for comparison: times in UTC, dates as dates."""
    view = {key: occurrence[key] for key in REQUIRED_FIELDS + OPTIONAL_FIELDS if key in occurrence}
    for key in ("start", "end"):
        value = view[key]
        view[key] = value.astimezone(UTC) if isinstance(value, datetime) else value
    if "categories" in view:
        view["categories"] = tuple(view["categories"])
    return view


def actual_view(event: EventIn, keys: Iterable[str], zone: ZoneInfo) -> dict[str, Any]:
    """The same fields of what the hub read.  An all-day event shows its days, provided that its UTC
    start and end are the midnights of those days in the hub's zone (else it shows the instants)."""
    start: date = event.start
    end: date = event.end
    if event.all_day and event.start_date is not None and event.end_date is not None:
        if event.start == midnight(event.start_date, zone) and event.end == midnight(event.end_date, zone):
            start, end = event.start_date, event.end_date
    fields: dict[str, Any] = {
        "title": event.title, "start": start, "end": end, "all_day": event.all_day, "status": event.status,
        "location": event.location, "uid": event.source_uid, "recurrence_id": event.recurrence_id,
        "sequence": event.sequence, "categories": event.categories, "lat": event.lat, "lon": event.lon,
    }
    return {key: fields[key] for key in keys}


def compared(events: list[EventIn], expected: Expectation) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(what the hub read, what is expected), field by field, both sorted by start then title."""
    zone = expected.zone
    wanted = sorted(expected.occurrences, key=lambda o: (instant(o["start"], zone), o["title"],
                                                          o.get("uid", ""), o.get("recurrence_id", "")))
    got = sorted(events, key=lambda e: (e.start, e.title, e.source_uid, e.recurrence_id))
    wanted_views = [expected_view(o, zone) for o in wanted]
    every_field = REQUIRED_FIELDS + OPTIONAL_FIELDS
    got_views = [actual_view(e, wanted_views[i].keys() if i < len(wanted_views) else every_field, zone)
                 for i, e in enumerate(got)]
    return got_views, wanted_views


def assert_occurrences(events: list[EventIn], expected: Expectation, where: str) -> None:
    """The hub's occurrences equal the expected ones, field by field."""
    got, wanted = compared(events, expected)
    assert got == wanted, where


def fixture_url(fixture: Path) -> str:
    return f"https://producers.example.org/{fixture.name}"


def not_events(result: ParseResult) -> tuple[int, list[str]]:
    """How many items the parser did not publish as events, and what it said about them.

    An item without an event date is skipped with a reason, or, if it has a link, passed on
    (`linked`) for the refresh to look for the date on the page; either way it is named by title.
    """
    return result.skipped + len(result.linked), result.problems + [item.title for item in result.linked]


# ---------------------------------------------------------------- the fixtures, one by one

def test_every_fixture_has_an_expectation_and_a_readme_entry() -> None:
    readme = (PRODUCERS / "README.md").read_text(encoding="utf-8")
    expectations = sorted(p.name for p in PRODUCERS.glob("*.expected.toml"))
    assert expectations == sorted(f.stem + ".expected.toml" for f in FIXTURES)
    for fixture in FIXTURES:
        assert f"`{fixture.name}`" in readme, f"{fixture.name} is not described in README.md"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.name)
def test_producer_fixture_gives_the_expected_occurrences(fixture: Path) -> None:
    expected = expectation(fixture)
    result = parse_body(fixture.read_bytes(), kind="", context=expected.context(fixture_url(fixture)))
    assert_occurrences(result.events, expected, fixture.name)
    for event in result.events:
        assert event.start.tzinfo is UTC and event.end.tzinfo is UTC
    count, reported = not_events(result)
    if expected.skipped is not None:
        assert count == expected.skipped, reported
    for text in expected.problems_contain:
        assert any(text in line for line in reported), (text, reported)


# ---------------------------------------------------------------- the whole suite through a refresh

def covering(settings: Settings, expectations: list[Expectation], now: datetime) -> Settings:
    """Settings whose refresh window (window_past_days/window_future_days around now) holds every fixture's window."""
    earliest = min(e.window_start for e in expectations)
    latest = max(e.window_end for e in expectations)
    past = max(settings.window_past_days, (now - earliest).days + 2)
    future = max(settings.window_future_days, (latest - now).days + 2)
    return settings.replace(window_past_days=past, window_future_days=future)


def stored_as_parsed(row: Event) -> EventIn:
    """A stored occurrence in the parser's terms, so the same comparison applies."""
    return EventIn(source_uid=row.source_uid, recurrence_id=row.recurrence_id, title=row.title,
                   start=row.start_at, end=row.end_at, all_day=row.all_day, start_date=row.start_date,
                   end_date=row.end_date, status=row.status, location=row.location,
                   categories=tuple(row.categories), lat=row.lat, lon=row.lon, sequence=row.source_sequence)


def test_the_suite_through_refresh_and_storage(engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    expectations = {fixture.name: expectation(fixture) for fixture in FIXTURES}
    urls = {fixture.name: feed_server.serve(
        f"/{fixture.name}", fixture.read_bytes(),
        content_type="application/rss+xml" if fixture.suffix == ".xml" else "text/calendar")
        for fixture in FIXTURES}
    registry = Registry(groups=(GroupSpec(slug="producer-suite", name="Producer suite",
                                          feeds=tuple(FeedSpec(url=url, private=True)  # served on loopback
                                                      for url in urls.values())),), weeks=())
    with Session(engine) as session:
        store.apply_registry(registry, session=session)
    # The refresh window is relative to now; widen it to hold every fixture's window, then compare
    # each fixture's stored occurrences inside its own window.
    wide = covering(settings, list(expectations.values()), clock.now())
    report = asyncio.run(refresh(engine, wide, due_only=False))
    outcomes = {job.url: outcome for job, outcome in report.outcomes}
    kinds = {name: outcomes[url].kind for name, url in urls.items()}
    # Every feed is stored: a cut-off body too, as nothing was stored before (its complete events are
    # better than none; a feed that already has events keeps them instead, see test_end_to_end).
    assert kinds == {name: "stored" for name in expectations}, {u: o.error for u, o in outcomes.items() if o.error}
    # ... and the feed's notice says which bodies were cut off.
    assert {name for name, url in urls.items() if "cut off" in outcomes[url].notice} == {
        name for name, e in expectations.items() if e.cut_off}
    with Session(engine) as session:
        rows = session.exec(select(Event, Feed.url).join(Feed, col(Feed.id) == Event.feed_id)).all()
    differences: list[str] = []
    for name, url in urls.items():
        expected = expectations[name]
        stored = [stored_as_parsed(event) for event, feed_url in rows if feed_url == url]
        inside = [e for e in stored if e.start <= expected.window_end and e.end >= expected.window_start]
        got, wanted = compared(inside, expected)
        if got != wanted:
            differences += [f"{name}: stored   {g}" for g in got if g not in wanted]
            differences += [f"{name}: expected {w}" for w in wanted if w not in got]
    assert not differences, "\n".join(differences)


# ---------------------------------------------------------------- 10,000 events

BIG_WINDOW = ParseContext(url="https://producers.example.org/generated", zone=LONDON,
                          window_start=datetime(2026, 11, 1, tzinfo=UTC), window_end=datetime(2028, 6, 1, tzinfo=UTC))
FIRST_DAY = date(2026, 11, 2)


def generated_start(i: int) -> tuple[str, date | datetime]:
    """Event i of the generated calendar: its DTSTART line and where it must land (UTC instant or day).

    24 events a day, half-hourly from 06:00 wall-clock time (clear of the 01:00 daylight saving
    changes), cycling through four shapes: UTC, TZID=Europe/London, floating, and all-day.
    """
    day = FIRST_DAY + timedelta(days=i // 24)
    wall = datetime.combine(day, time(6, 0)) + timedelta(minutes=30 * (i % 24))
    shape = i % 4
    if shape == 0:
        return f"DTSTART:{wall:%Y%m%dT%H%M%S}Z", wall.replace(tzinfo=UTC)
    if shape == 1:
        return f"DTSTART;TZID=Europe/London:{wall:%Y%m%dT%H%M%S}", wall.replace(tzinfo=LONDON).astimezone(UTC)
    if shape == 2:
        return f"DTSTART:{wall:%Y%m%dT%H%M%S}", wall.replace(tzinfo=LONDON).astimezone(UTC)
    return f"DTSTART;VALUE=DATE:{day:%Y%m%d}", day


def ten_thousand_events_calendar() -> bytes:
    parts = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Producer suite//generated//EN", "BEGIN:VTIMEZONE",
             "TZID:Europe/London", "BEGIN:STANDARD", "DTSTART:19701025T020000",
             "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0000", "END:STANDARD",
             "BEGIN:DAYLIGHT", "DTSTART:19700329T010000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
             "TZOFFSETFROM:+0000", "TZOFFSETTO:+0100", "END:DAYLIGHT", "END:VTIMEZONE"]
    for i in range(10_000):
        dtstart, _ = generated_start(i)
        parts += ["BEGIN:VEVENT", f"UID:generated-{i:05d}@producers.example.org", "DTSTAMP:20261101T000000Z",
                  dtstart, f"SUMMARY:Generated event {i}", "LOCATION:Village hall", "END:VEVENT"]
    parts.append("END:VCALENDAR")
    return ("\r\n".join(parts) + "\r\n").encode("utf-8")


def test_ten_thousand_single_events_are_all_read_without_expansion(monkeypatch: pytest.MonkeyPatch) -> None:
    expansions = 0
    real_of = recurring_ical_events.of

    def counting_of(*args: Any, **kwargs: Any) -> Any:
        nonlocal expansions
        expansions += 1
        return real_of(*args, **kwargs)

    monkeypatch.setattr(recurring_ical_events, "of", counting_of)
    result = parse_body(ten_thousand_events_calendar(), kind="", context=BIG_WINDOW)
    assert (len(result.events), result.skipped) == (10_000, 0)
    # Bounded work: an event that does not repeat never goes through recurrence expansion.
    assert expansions == 0
    by_uid = {e.source_uid: e for e in result.events}
    for i in range(10_000):
        _, where = generated_start(i)
        event = by_uid[f"generated-{i:05d}@producers.example.org"]
        if isinstance(where, datetime):
            assert (event.start, event.end, event.all_day) == (where, where, False), i
        else:  # RFC 5545 3.6.1: a DATE start alone lasts one day
            assert (event.start_date, event.end_date, event.start) == (where, where + timedelta(days=1),
                                                                        midnight(where, LONDON)), i
    ordered = sorted(result.events, key=lambda e: (e.start, e.source_uid))
    assert (ordered[0].title, ordered[0].start) == ("Generated event 3", datetime(2026, 11, 2, tzinfo=UTC))
    # The last day is 2027-12-23 (day 416); its latest start is event 9998, floating 13:00 (GMT).
    assert (ordered[-1].title, ordered[-1].start) == ("Generated event 9998", datetime(2027, 12, 23, 13, 0,
                                                                                       tzinfo=UTC))


def test_ten_thousand_feed_items_and_a_thousand_without_dates() -> None:
    items = []
    for i in range(11_000):
        day = FIRST_DAY + timedelta(days=i // 24)
        start = datetime.combine(day, time(6, 0), LONDON) + timedelta(minutes=30 * (i % 24))
        when = "" if i % 11 == 10 else f"<ev:startdate>{start.isoformat()}</ev:startdate>"
        items.append(f"<item><title>Item {i}</title><link>https://producers.example.org/items/{i}</link>"
                     f"<guid>https://producers.example.org/items/{i}</guid>{when}</item>")
    body = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel><title>Generated</title>'
            "<link>https://producers.example.org/</link><description>10,000 events</description>"
            + "".join(items) + "</channel></rss>").encode("utf-8")
    result = parse_body(body, kind="", context=BIG_WINDOW)
    assert len(result.events) == 10_000
    assert not_events(result)[0] == 1_000
    # Bounded reporting: the feed's state keeps the first few reasons, not a thousand of them.
    assert len(result.problems) <= 20
    ordered = sorted(result.events, key=lambda e: e.start)
    assert (ordered[0].title, ordered[0].start) == ("Item 0", datetime(2026, 11, 2, 6, 0, tzinfo=UTC))
    # Item 10999 has no date; item 10998 is on day 458 (2028-02-03) at 09:00 GMT.
    assert (ordered[-1].title, ordered[-1].start) == ("Item 10998", datetime(2028, 2, 3, 9, 0, tzinfo=UTC))


def test_a_series_of_ten_thousand_is_capped_and_reported() -> None:
    body = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Producer suite//generated//EN\r\nBEGIN:VEVENT\r\n"
            b"UID:daily@producers.example.org\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261102T080000Z\r\n"
            b"DTEND:20261102T090000Z\r\nRRULE:FREQ=DAILY;COUNT=10000\r\nSUMMARY:Daily litter round\r\n"
            b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    context = ParseContext(url=BIG_WINDOW.url, zone=LONDON, window_start=BIG_WINDOW.window_start,
                           window_end=datetime(2054, 1, 1, tzinfo=UTC))
    result = parse_body(body, kind="", context=context)
    starts = sorted(e.start for e in result.events)
    assert len(starts) == MAX_OCCURRENCES_PER_SERIES
    assert starts[0] == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert starts[-1] == starts[0] + timedelta(days=MAX_OCCURRENCES_PER_SERIES - 1)
    assert any("Daily litter round" in p for p in result.problems)
