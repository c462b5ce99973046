"""Second parser: ical.js (Thunderbird's) must read the published calendar as icalendar does."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from calendar_hub.catalogue.listing import Listing
from calendar_hub.publish.ics import build_calendar, describe
from tests.factories import london, make_listing
from tests.icaljs import JS, NODE, icalendar_view, icaljs, icaljs_properties

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(NODE is None, reason="node is not installed"),
    pytest.mark.skipif(not (JS / "node_modules" / "ical.js").is_dir(),
                       reason="ical.js is not installed: run `npm ci` in tests/js"),
]


def at(zone: str, *args: int) -> datetime:
    """A wall-clock time in `zone`, as the aware UTC datetime a Listing carries."""
    return datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


def timed(uid: str, start: datetime, hours: float = 2, **overrides: object) -> Listing:
    """A timed listing lasting `hours`."""
    return make_listing(uid=uid, start=start, end=start + timedelta(hours=hours), **overrides)


def day(uid: str, first: date, days: int = 1) -> Listing:
    """An all-day listing of `days` days."""
    return make_listing(uid=uid, all_day=True, start_date=first, end_date=first + timedelta(days=days))


LISTINGS = [
    # FIELD-NOTES: 10:00 London on 3 December read as 09:00Z through a multi-valued RDATE VTIMEZONE.
    timed("london-winter", london(2026, 12, 3, 10)),
    timed("london-summer", london(2026, 6, 13, 10)),
    timed("london-spring-forward", london(2026, 3, 29, 0, 30), hours=3),  # crosses 01:00 GMT -> 02:00 BST
    timed("london-fall-back", london(2026, 10, 25, 0, 30), hours=3),  # crosses 02:00 BST -> 01:00 GMT
    timed("london-new-year", london(2026, 12, 31, 23, 30)),
    timed("new-york-summer", at("America/New_York", 2026, 7, 4, 18, 0)),
    timed("new-york-winter", at("America/New_York", 2026, 1, 15, 9, 0)),
    timed("kolkata", at("Asia/Kolkata", 2026, 8, 15, 9, 15)),
    timed("chatham", at("Pacific/Chatham", 2026, 2, 1, 6, 0)),
    timed("honolulu", at("Pacific/Honolulu", 2026, 9, 1, 20, 0)),
    timed("no-end", london(2026, 5, 1, 9), hours=0),
    timed("hostile", london(2026, 4, 4, 11),
          title='Café; "quotes", back\\slash <script>]]> ' + "🏳️‍🌈" * 30 + "\nsecond line",
          location="Hall; Room 2, Upper Street\r\nIslington", description_text="a,b;c\\d\n" + "é" * 100),
    day("all-day-winter", date(2026, 1, 10)),
    day("all-day-summer", date(2026, 7, 18)),
    day("all-day-over-clock-change", date(2026, 10, 24), days=3),
]


# A reader far from UTC on either side: a time ical.js took as floating would move.
@pytest.mark.parametrize("reader_tz", ["Pacific/Auckland", "America/Los_Angeles", "Europe/London"])
def test_icaljs_reads_the_same_events_as_icalendar(reader_tz: str) -> None:
    data = build_calendar(LISTINGS, name="Cross-check", description="ical.js vs icalendar",
                          self_url="https://hub.example.org/calendar.ics", base_url="https://hub.example.org",
                          now=datetime(2026, 5, 3, tzinfo=UTC))
    theirs, ours = icaljs(data, reader_tz), icalendar_view(data)
    assert set(theirs) == set(ours) == {item.uid for item in LISTINGS}
    for uid in ours:
        assert theirs[uid] == ours[uid], uid


def test_both_parsers_agree_with_the_listings() -> None:
    data = build_calendar(LISTINGS, name="n", description="d", self_url="https://h/c.ics",
                          base_url="https://h", now=datetime(2026, 5, 3, tzinfo=UTC))
    theirs = icaljs(data, "Pacific/Auckland")
    for item in LISTINGS:
        event = theirs[item.uid]
        assert event["allDay"] is item.all_day
        if item.all_day:
            assert event["start"] == item.start_date.isoformat()  # type: ignore[union-attr]
            assert event["end"] == item.end_date.isoformat()  # type: ignore[union-attr]
        else:
            assert event["start"] == item.start.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert event["summary"] == item.title.replace("\r\n", "\n")
        assert event["description"] == describe(item)
        assert event["location"] == item.location.replace("\r\n", "\n")
    assert theirs["london-winter"]["start"] == "2026-12-03T10:00:00Z"
    assert theirs["london-summer"]["start"] == "2026-06-13T09:00:00Z"


def test_icaljs_shows_the_calendar_description_and_each_geo_as_icalendar_does() -> None:
    from icalendar import Calendar

    description = "Events of Cardiff, Swansea & Newport; in one calendar"
    listings = [make_listing(uid="exact"),
                make_listing(uid="postcode", place_precision="area", placed_by="postcode", lat=53.4483, lon=-2.2299),
                make_listing(uid="home", place_precision="approximate", placed_by="group")]
    data = build_calendar(listings, name="Cardiff, Swansea & Newport", description=description, self_url="https://h/c.ics",
                          base_url="https://h", now=datetime(2026, 5, 3, tzinfo=UTC))
    theirs, ours = icaljs_properties(data), Calendar.from_ical(data)
    assert theirs["calendar"]["x-wr-caldesc"] == [description] and str(ours["X-WR-CALDESC"]) == description
    assert theirs["calendar"]["x-wr-calname"] == ["Cardiff, Swansea & Newport"]
    assert str(ours["X-WR-CALNAME"]) == "Cardiff, Swansea & Newport"
    assert "method" not in theirs["calendar"]
    events = {str(e["UID"]): e for e in ours.walk("VEVENT")}
    for uid in ("exact", "postcode"):
        lat, lon = (float(part) for part in theirs["events"][uid]["geo"][0].split(","))
        assert (lat, lon) == (events[uid]["GEO"].latitude, events[uid]["GEO"].longitude)
    assert theirs["events"]["postcode"]["geo;params"] == {"x-calendar-hub-placed-by": "POSTCODE"}
    assert "geo" not in theirs["events"]["home"] and "GEO" not in events["home"]
