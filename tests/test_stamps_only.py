"""A refresh whose body changed only in its stamps (Google Calendar and Office 365 set every DTSTAMP to the time
of the request) is an unchanged body: nothing parsed, no event row written, no SEQUENCE bumped, the change counter
where it was, and feed health counts the check as one that found nothing new.  Any other change is parsed whole,
and only the events it changes are written.

The feeds are real exports (tests/data/producers, tests/data/realworld) served on 127.0.0.1 with ETags, their
stamps rewritten between fetches as those producers do.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from calendar_hub import clock, store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from calendar_hub.states import Outcome
from calendar_hub.store.models import Event, Feed, FetchLog
from calendar_hub.store.version import current_version
from tests.feedserver import FeedServer

DATA = Path(__file__).parent / "data"
GOOGLE = DATA / "producers" / "google_calendar_series_overrides.ics"
OFFICE_365 = DATA / "realworld" / "allenporter-ical__office365_custom_timezone.ics"
GOOGLE_ATOM = DATA / "producers" / "google_calendar_atom_gdata.xml"
_UPDATED = re.compile(rb"<updated>[^<]*</updated>")
_DTSTAMP = re.compile(rb"^DTSTAMP:\d{8}T\d{6}Z", re.MULTILINE)


def restamped(body: bytes, at: datetime) -> bytes:
    """The body with every DTSTAMP set to `at`, as Google and Office 365 write it on each request."""
    return _DTSTAMP.sub(f"DTSTAMP:{at:%Y%m%dT%H%M%S}Z".encode(), body)


def reupdated(body: bytes, at: datetime) -> bytes:
    """An Atom feed with its own <updated> (the first one, before any entry) set to `at`, as Google's GData did."""
    return _UPDATED.sub(f"<updated>{at:%Y-%m-%dT%H:%M:%S}.000Z</updated>".encode(), body, count=1)


def load(engine: Engine, url: str) -> None:
    """One group whose one feed is at `url` (the operator lets it reach the loopback server)."""
    with Session(engine) as session:
        store.apply_registry(Registry(groups=(GroupSpec(slug="riverside-greens", name="Riverside Greens",
                                                        feeds=(FeedSpec(url=url, private=True),)),), weeks=()),
                             session=session)


def refresh_now(engine: Engine, settings: Settings) -> Outcome:
    report = asyncio.run(refresh(engine, settings, due_only=False))
    [(_job, outcome)] = report.outcomes
    return outcome.kind


def rows(engine: Engine) -> dict[tuple[str, str], tuple[int, datetime, str, datetime | None]]:
    """Every stored event: (source UID, recurrence id) -> (SEQUENCE, updated_at, title, source DTSTAMP)."""
    with Session(engine) as session:
        return {(uid, rid): (sequence, updated, title, stamp) for uid, rid, sequence, updated, title, stamp in
                session.execute(sa.select(Event.source_uid, Event.recurrence_id, Event.sequence, Event.updated_at,
                                          Event.title, Event.source_stamp))}


def version(engine: Engine) -> int:
    with Session(engine) as session:
        return current_version(session=session)


def the_feed(engine: Engine) -> Feed:
    with Session(engine) as session:
        [health] = store.feed_health(session=session)
        session.expunge_all()
        return health.feed


def last_logged(engine: Engine) -> str:
    with Session(engine) as session:
        return str(session.scalars(sa.select(FetchLog.outcome).order_by(sa.desc(FetchLog.id)).limit(1)).one())


def google_shaped(count: int, *, stamp: datetime, changed: int | None = None, zone: str = "Europe/London") -> bytes:
    """A Google-shaped calendar of `count` single events in UTC, one a day from three days from now, and a weekly
    series in the calendar's zone (its VTIMEZONE named `zone`); every DTSTAMP `stamp`; event `changed` (if any)
    retitled."""
    day = clock.now().date()
    events = "".join(
        f"BEGIN:VEVENT\r\nDTSTART:{day + timedelta(days=3 + i):%Y%m%d}T100000Z\r\n"
        f"DTEND:{day + timedelta(days=3 + i):%Y%m%d}T120000Z\r\nDTSTAMP:{stamp:%Y%m%dT%H%M%S}Z\r\n"
        f"UID:{i:04d}q2s4u6w8y0a2c4e6g8i0k2m4o@google.com\r\nCREATED:20260901T100000Z\r\n"
        f"DESCRIPTION:Litter pick number {i}\\, bags provided.\r\nLAST-MODIFIED:20261001T100000Z\r\n"
        f"LOCATION:Canal towpath\\, lock {i}\r\nSEQUENCE:0\r\nSTATUS:CONFIRMED\r\n"
        f"SUMMARY:{'Moved: litter pick' if i == changed else 'Litter pick'} {i}\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\n"
        for i in range(count - 1))
    series = (f"BEGIN:VEVENT\r\nDTSTART;TZID={zone}:{day:%Y%m%d}T180000\r\n"
              f"DTEND;TZID={zone}:{day:%Y%m%d}T193000\r\nRRULE:FREQ=WEEKLY;COUNT=8\r\n"
              f"DTSTAMP:{stamp:%Y%m%dT%H%M%S}Z\r\nUID:series0a2c4e6g8i0k2m4o@google.com\r\n"
              f"SUMMARY:Climate café drop-in\r\nEND:VEVENT\r\n")
    return ("BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\n"
            "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Canalside Climate Action\r\n"
            f"X-WR-TIMEZONE:Europe/London\r\nBEGIN:VTIMEZONE\r\nTZID:{zone}\r\n"
            "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nTZNAME:BST\r\nDTSTART:19700329T010000\r\n"
            "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0100\r\n"
            "TZOFFSETTO:+0000\r\nTZNAME:GMT\r\nDTSTART:19701025T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
            f"END:STANDARD\r\nEND:VTIMEZONE\r\n{events}{series}END:VCALENDAR\r\n").encode()


def check_stamps_only(engine: Engine, settings: Settings, feed_server: FeedServer, body: bytes,
                      content_type: str = "text/calendar") -> None:
    """Stored once; then the same body with new stamps, twice: nothing written, feed health says unchanged."""
    url = feed_server.serve("/calendar", body, content_type=content_type)
    load(engine, url)
    assert refresh_now(engine, settings) == Outcome.STORED
    before, counter, feed = rows(engine), version(engine), the_feed(engine)
    assert before and feed.not_modified_count == 0
    for minutes in (7, 63):
        later = clock.now() + timedelta(minutes=minutes)
        new = restamped(body, later) if content_type == "text/calendar" else reupdated(body, later)
        assert new != body
        feed_server.serve("/calendar", new, content_type=content_type)
        assert refresh_now(engine, settings) == Outcome.UNCHANGED
    after, now_feed = rows(engine), the_feed(engine)
    assert after == before                      # no row written: SEQUENCE, updated_at and stamps as they were
    assert version(engine) == counter           # the published outputs did not change
    assert now_feed.parsed_at == feed.parsed_at and now_feed.content_hash == feed.content_hash
    assert now_feed.fetch_count == 3 and now_feed.not_modified_count == 2
    assert now_feed.last_success_at is not None and now_feed.last_success_at > feed.last_success_at  # type: ignore[operator]
    assert last_logged(engine) == Outcome.UNCHANGED


@pytest.mark.now("2026-11-20T12:00:00+00:00")
def test_a_google_calendar_whose_stamps_moved_writes_nothing(engine: Engine, settings: Settings,
                                                             feed_server: FeedServer) -> None:
    check_stamps_only(engine, settings, feed_server, GOOGLE.read_bytes())


@pytest.mark.now("2025-06-01T12:00:00+00:00")
def test_an_office_365_calendar_whose_stamps_moved_writes_nothing(engine: Engine, settings: Settings,
                                                                  feed_server: FeedServer) -> None:
    check_stamps_only(engine, settings, feed_server, OFFICE_365.read_bytes())


@pytest.mark.now("2026-11-20T12:00:00+00:00")
def test_an_atom_feed_whose_own_updated_date_moved_writes_nothing(engine: Engine, settings: Settings,
                                                                   feed_server: FeedServer) -> None:
    check_stamps_only(engine, settings, feed_server, GOOGLE_ATOM.read_bytes(), content_type="application/atom+xml")


def test_one_event_changed_among_a_hundred_rewrites_that_event_alone(engine: Engine, settings: Settings,
                                                                    feed_server: FeedServer) -> None:
    first = clock.now() - timedelta(hours=2)
    url = feed_server.serve("/calendar", google_shaped(100, stamp=first))
    load(engine, url)
    assert refresh_now(engine, settings) == Outcome.STORED
    before, counter = rows(engine), version(engine)
    assert len(before) == 99 + 8

    feed_server.serve("/calendar", google_shaped(100, stamp=clock.now(), changed=41))
    assert refresh_now(engine, settings) == Outcome.STORED
    after = rows(engine)
    assert after.keys() == before.keys()
    changed = {key for key in after if after[key] != before[key]}
    moved = ("0041q2s4u6w8y0a2c4e6g8i0k2m4o@google.com", "")
    assert changed == {moved}
    sequence, updated, title, _stamp = after[moved]
    assert (sequence, title) == (before[moved][0] + 1, "Moved: litter pick 41") and updated > before[moved][1]
    assert version(engine) == counter + 1


def test_a_changed_time_zone_is_parsed_again_and_moves_the_series(engine: Engine, settings: Settings,
                                                                 feed_server: FeedServer) -> None:
    # A zone of the file's own (as Outlook's "Customized Time Zone"): the tz database does not stand in for it.
    body = google_shaped(5, stamp=clock.now(), zone="Customized Time Zone")
    url = feed_server.serve("/calendar", body)
    load(engine, url)
    assert refresh_now(engine, settings) == Outcome.STORED
    before = rows(engine)
    # The calendar's VTIMEZONE now says its zone is an hour ahead of UTC all year round.
    shifted = body.replace(b"TZOFFSETTO:+0000", b"TZOFFSETTO:+0100").replace(b"TZOFFSETFROM:+0000",
                                                                              b"TZOFFSETFROM:+0100")
    feed_server.serve("/calendar", restamped(shifted, clock.now() + timedelta(minutes=5)))
    assert refresh_now(engine, settings) == Outcome.STORED
    after = rows(engine)
    singles = {key for key in after if key[0].startswith("000")}
    assert all(after[key] == before[key] for key in singles)      # UTC times: the zone is not theirs
    with Session(engine) as session:
        starts = session.execute(sa.select(Event.start_at).where(Event.source_uid.startswith("series"))).scalars()
        hours = {start.hour for start in starts}
    assert hours == {17}   # 18:00 at UTC+01:00 all year round


def test_a_cut_off_body_with_new_stamps_still_keeps_the_last_good_copy(engine: Engine, settings: Settings,
                                                                      feed_server: FeedServer) -> None:
    body = google_shaped(20, stamp=clock.now())
    url = feed_server.serve("/calendar", body)
    load(engine, url)
    assert refresh_now(engine, settings) == Outcome.STORED
    before = rows(engine)
    cut = restamped(body, clock.now() + timedelta(minutes=5))
    feed_server.serve("/calendar", cut[:cut.index(b"BEGIN:VEVENT", len(cut) // 2) + 40])
    assert refresh_now(engine, settings) == Outcome.KEPT
    assert rows(engine) == before and "cut off" in the_feed(engine).error


def test_a_held_drop_is_stored_when_the_next_fetch_agrees_whatever_its_stamps(engine: Engine, settings: Settings,
                                                                             feed_server: FeedServer) -> None:
    url = feed_server.serve("/calendar", google_shaped(100, stamp=clock.now()))
    load(engine, url)
    assert refresh_now(engine, settings) == Outcome.STORED
    feed_server.serve("/calendar", google_shaped(3, stamp=clock.now() + timedelta(minutes=5)))
    assert refresh_now(engine, settings) == Outcome.HELD
    assert len(rows(engine)) == 99 + 8
    feed_server.serve("/calendar", google_shaped(3, stamp=clock.now() + timedelta(minutes=10)))
    assert refresh_now(engine, settings) == Outcome.STORED
    assert len(rows(engine)) == 2 + 8
