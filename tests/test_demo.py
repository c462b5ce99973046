"""Tests for calendar_hub.demo and the demo registry's feeds: valid files, planted cases, moved in time."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import icalendar
import pytest
import recurring_ical_events

from calendar_hub.demo import prepare_demo, shift_ics, shift_iso, shift_rfc822, shift_weeks
from calendar_hub.errors import ConfigError
from calendar_hub.registry import read_registry

DEMO = Path(__file__).resolve().parent.parent / "feeds" / "demo"
FEEDS = DEMO / "feeds"
LONDON = ZoneInfo("Europe/London")
REFERENCE_START = date(2026, 12, 5)
TAGS = {"ct4r", "togetherwithrefugees"}
ICS_FILES = sorted(FEEDS.glob("*.ics"))
RSS_FILES = sorted([*FEEDS.glob("*.xml"), *FEEDS.glob("*.rss")])
RFC822 = re.compile(r"<(?:pubDate|lastBuildDate)>([^<]+)</")


def calendar(path: Path) -> icalendar.Calendar:
    """The parsed calendar in `path`."""
    return icalendar.Calendar.from_ical(path.read_bytes())


def feed(path: Path) -> Any:
    """The feed in `path`, parsed by feedparser."""
    return feedparser.parse(path.read_bytes())


def local(value: date | datetime) -> datetime:
    """A start or end as an aware London time (all-day dates at local midnight)."""
    if isinstance(value, datetime):
        return value.astimezone(LONDON)
    return datetime.combine(value, time(), LONDON)


def tagged(categories: list[str], text: str) -> bool:
    """The hub's week rule in miniature: a tag among the categories or the #hashtags."""
    words = {c.strip().lstrip("#").casefold() for c in categories}
    words |= {h.casefold() for h in re.findall(r"#(\w+)", text)}
    return bool(words & TAGS)


def categories_of(event: icalendar.Event) -> list[str]:
    """Every CATEGORIES value of an event, however many CATEGORIES lines it has."""
    value = event.get("CATEGORIES")
    if value is None:
        return []
    return [str(c) for prop in (value if isinstance(value, list) else [value]) for c in prop.cats]


def week_occurrences(folder: Path, first_day: date) -> list[tuple[str, str, datetime]]:
    """(file, title, start) of every occurrence in the feeds of `folder` that belongs to the week."""
    week_start = datetime.combine(first_day, time(), LONDON)
    week_end = week_start + timedelta(days=9)
    found: list[tuple[str, str, datetime]] = []
    for path in sorted(folder.glob("*.ics")):
        for event in recurring_ical_events.of(calendar(path)).between(week_start, week_end):
            categories = categories_of(event)
            text = f"{event.get('SUMMARY', '')} {event.get('DESCRIPTION', '')}"
            if tagged(categories, text):
                found.append((path.name, str(event["SUMMARY"]), local(event.start)))
    for path in sorted([*folder.glob("*.xml"), *folder.glob("*.rss")]):
        for entry in feed(path).entries:
            start, end = datetime.fromisoformat(entry.ev_startdate), datetime.fromisoformat(entry.ev_enddate)
            categories = [t.term for t in entry.get("tags", [])]
            if start < week_end and end > week_start and tagged(categories, f"{entry.title} {entry.summary}"):
                found.append((path.name, entry.title, start.astimezone(LONDON)))
    return found


# -- the demo's files ----------------------------------------------------------------------------------


def test_every_registered_feed_file_is_in_the_demo_and_every_file_is_registered() -> None:
    registry = read_registry(DEMO)
    registered = {f.url for g in registry.groups for f in g.feeds}
    on_disk = {p.resolve().as_uri() for p in FEEDS.iterdir()}
    assert registered == on_disk
    assert len(ICS_FILES) >= 8 and len(RSS_FILES) >= 2


@pytest.mark.parametrize("path", ICS_FILES, ids=lambda p: p.name)
def test_every_demo_calendar_parses_and_expands(path: Path) -> None:
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")  # RFC 5545 3.1: CRLF line ends
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))       # RFC 5545 3.1: folded at 75 octets
    occurrences = recurring_ical_events.of(calendar(path)).between(date(2026, 11, 1), date(2027, 4, 1))
    assert len(occurrences) >= 3


@pytest.mark.parametrize("path", RSS_FILES, ids=lambda p: p.name)
def test_every_demo_rss_feed_parses_with_event_fields(path: Path) -> None:
    parsed = feed(path)
    assert not parsed.bozo
    assert len(parsed.entries) >= 3
    for entry in parsed.entries:
        assert entry.ev_startdate < entry.ev_enddate
        assert entry.ev_location
        assert datetime.fromisoformat(entry.ev_startdate).tzinfo is not None


def test_the_week_has_between_25_and_35_matching_local_actions() -> None:
    found = week_occurrences(FEEDS, REFERENCE_START)
    distinct = {(title.casefold().replace("–", ",").replace(" ,", ","), start) for _, title, start in found}
    assert 25 <= len(distinct) <= len(found) <= 35
    assert len({name for name, _, _ in found}) == len(ICS_FILES) + len(RSS_FILES)  # every group takes part


def test_the_special_cases_are_planted() -> None:
    texts = {p.name: p.read_bytes().decode("utf-8") for p in [*ICS_FILES, *RSS_FILES]}
    stockport = texts["sanctuary-stockport.ics"]
    assert "RRULE:FREQ=WEEKLY;WKST=MO;UNTIL=20270225T235959Z;BYDAY=TH" in stockport
    assert "EXDATE;TZID=Europe/London:20261224T183000" in stockport
    assert "RECURRENCE-ID;TZID=Europe/London:20261210T183000" in stockport
    starts = [o.start for o in recurring_ical_events.of(calendar(FEEDS / "sanctuary-stockport.ics")).between(
        date(2026, 12, 1), date(2027, 1, 1)) if str(o["SUMMARY"]).startswith("English")]
    assert sorted(s.day for s in starts) == [3, 9, 17, 31]  # the 10th moved to the 9th, the 24th left out
    shared = "UID:0c9r6u3p1n8b5x2z7w4y1v6t3s@google.com"
    assert shared in stockport and shared in texts["manchester-welcome-circle.ics"]
    assert "SUMMARY:Welcome Walk\\, Sefton Park" in texts["merseyside-refugee-welcome.ics"]
    assert "<title>Welcome walk – Sefton Park</title>" in texts["aigburth-community-hub.xml"]
    assert "STATUS:CANCELLED" in texts["camden-welcome-table.ics"]
    multi_day = "DTSTART;VALUE=DATE:20261205\r\nDTEND;VALUE=DATE:20261214"
    one_day = "DTSTART;VALUE=DATE:20261208\r\nDTEND;VALUE=DATE:20261209"
    assert multi_day in texts["merseyside-refugee-welcome.ics"]
    assert one_day in texts["coventry-migrant-welcome.ics"]
    assert "LOCATION:Online (Zoom)" in texts["glasgow-southside-welcome.ics"]
    assert "TZID:GMT Standard Time" in texts["belfast-unity-choir.ics"]
    assert "ECPv6" in texts["coventry-migrant-welcome.ics"]
    assert "X-WR-TIMEZONE:Europe/London" in texts["plymouth-welcomes-refugees.ics"]
    assert "PRODID:-//Meetup//RemoteApi//EN" in texts["sheffield-conversation-club.ics"]
    where = [e.where for e in feed(FEEDS / "birmingham-faiths-for-sanctuary.rss").entries]
    assert all(w["type"] == "Point" for w in where)


# -- moving the demo in time ----------------------------------------------------------------------------


@pytest.mark.parametrize(("today", "weeks"), [
    (date(2026, 12, 4), 0), (date(2026, 12, 5), 1), (date(2026, 12, 11), 1), (date(2026, 12, 12), 2),
    (date(2026, 11, 28), 0), (date(2026, 11, 27), -1), (date(2027, 6, 1), 26),
])
def test_shift_weeks_puts_the_start_in_the_coming_week(today: date, weeks: int) -> None:
    assert shift_weeks(REFERENCE_START, today) == weeks
    moved = REFERENCE_START + timedelta(weeks=weeks)
    assert today < moved <= today + timedelta(days=7)


@pytest.fixture(params=[date(2027, 3, 10), date(2027, 7, 20), date(2026, 6, 30)], ids=str)
def moved(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, date, timedelta]:
    """The demo prepared for a `today` after the reference week (winter and summer) or before it."""
    today: date = request.param
    target = tmp_path / "demo"
    prepare_demo(DEMO, target, today=today)
    return target, today, timedelta(weeks=shift_weeks(REFERENCE_START, today))


def test_the_moved_week_starts_soon_on_the_same_weekday(moved: tuple[Path, date, timedelta]) -> None:
    target, today, _ = moved
    week = read_registry(target).weeks[0]
    assert today < week.start <= today + timedelta(weeks=8)
    assert week.start.weekday() == REFERENCE_START.weekday()
    assert (week.end - week.start).days == 8
    feeds = [f for g in read_registry(target).groups for f in g.feeds]
    assert all(f.url.startswith(target.resolve().as_uri()) for f in feeds)


def test_every_moved_event_moves_by_the_same_days_at_the_same_local_time(
        moved: tuple[Path, date, timedelta]) -> None:
    target, _, days = moved
    for path in ICS_FILES:
        before = calendar(path).walk("VEVENT")
        after = calendar(target / "feeds" / path.name).walk("VEVENT")
        assert len(before) == len(after)
        for old, new in zip(before, after, strict=True):
            assert old["UID"] == new["UID"]
            for prop in ("DTSTART", "DTEND", "RECURRENCE-ID"):
                if prop in old:
                    was, now = old.decoded(prop), new.decoded(prop)
                    if isinstance(was, datetime):
                        assert local(now).replace(tzinfo=None) == local(was).replace(tzinfo=None) + days
                    else:
                        assert now == was + days
            if "RRULE" in old and "UNTIL" in old["RRULE"]:
                until_was, until_now = old["RRULE"]["UNTIL"][0], new["RRULE"]["UNTIL"][0]
                assert local(until_now).replace(tzinfo=None) == local(until_was).replace(tzinfo=None) + days
            if "RRULE" in old:
                assert old["RRULE"].get("BYDAY") == new["RRULE"].get("BYDAY")


def test_the_moved_demo_keeps_its_occurrences_and_week_actions(moved: tuple[Path, date, timedelta]) -> None:
    target, _, days = moved
    for path in ICS_FILES:
        window = (date(2026, 11, 1), date(2027, 4, 1))
        before = recurring_ical_events.of(calendar(path)).between(*window)
        after = recurring_ical_events.of(calendar(target / "feeds" / path.name)).between(
            window[0] + days, window[1] + days)
        assert sorted(local(o.start).replace(tzinfo=None) + days for o in before) == sorted(
            local(o.start).replace(tzinfo=None) for o in after)
    original = week_occurrences(FEEDS, REFERENCE_START)
    shifted = week_occurrences(target / "feeds", REFERENCE_START + days)
    assert sorted((n, t, s.replace(tzinfo=None) + days) for n, t, s in original) == sorted(
        (n, t, s.replace(tzinfo=None)) for n, t, s in shifted)


def test_moved_rss_dates_keep_local_time_and_right_weekday_names(moved: tuple[Path, date, timedelta]) -> None:
    target, _, days = moved
    for path in RSS_FILES:
        text = (target / "feeds" / path.name).read_text(encoding="utf-8")
        for stamp in RFC822.findall(text):
            parsed = parsedate_to_datetime(stamp)
            assert stamp.startswith(parsed.strftime("%a, "))
            assert parsed.utcoffset() == parsed.astimezone(LONDON).utcoffset()
        old_entries, new_entries = feed(path).entries, feed(target / "feeds" / path.name).entries
        assert not feed(target / "feeds" / path.name).bozo
        for old, new in zip(old_entries, new_entries, strict=True):
            for key in ("ev_startdate", "ev_enddate"):
                was, now = datetime.fromisoformat(old[key]), datetime.fromisoformat(new[key])
                assert local(now).replace(tzinfo=None) == local(was).replace(tzinfo=None) + days
                assert now.utcoffset() == local(now).utcoffset()


def test_preparing_twice_into_the_same_folder_moves_each_file_once(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    prepare_demo(DEMO, target, today=date(2027, 3, 10))
    prepare_demo(DEMO, target, today=date(2027, 3, 10))
    assert read_registry(target).weeks[0].start == date(2027, 3, 13)


def test_prepare_demo_refuses_its_own_folder_and_a_registry_without_a_week(tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(DEMO, copy)
    with pytest.raises(ConfigError, match="its own source folder"):
        prepare_demo(copy, copy, today=date(2027, 1, 1))
    text = (copy / "hub.toml").read_text(encoding="utf-8")
    (copy / "hub.toml").write_text(text[: text.index("[[week]]")], encoding="utf-8")
    with pytest.raises(ConfigError, match=r"has no \[\[week\]\]"):
        prepare_demo(copy, tmp_path / "out", today=date(2027, 1, 1))


# -- the rewriting rules one by one --------------------------------------------------------------------


def test_shift_ics_moves_dates_but_not_timezones_uids_or_text() -> None:
    text = ("BEGIN:VTIMEZONE\r\nDTSTART:19701025T020000\r\nEND:VTIMEZONE\r\n"
            "DTSTART;VALUE=DATE:20261205\r\nDTSTART:20261205T100000Z\r\n"
            "EXDATE;TZID=Europe/London:20261224T183000,20261231T183000\r\n"
            "UID:20261205T100000Z-1@example.org\r\nSUMMARY:Meet 20261205\r\n"
            'DTSTART;X-NOTE="at: 20261205":20261205T100000\r\n')
    moved = shift_ics(text, timedelta(weeks=26))
    assert moved == ("BEGIN:VTIMEZONE\r\nDTSTART:19701025T020000\r\nEND:VTIMEZONE\r\n"
                     "DTSTART;VALUE=DATE:20270605\r\nDTSTART:20270605T090000Z\r\n"
                     "EXDATE;TZID=Europe/London:20270624T183000,20270701T183000\r\n"
                     "UID:20261205T100000Z-1@example.org\r\nSUMMARY:Meet 20261205\r\n"
                     'DTSTART;X-NOTE="at: 20261205":20270605T100000\r\n')


def test_shift_iso_and_rfc822_keep_local_time_across_summer_time() -> None:
    days = timedelta(weeks=26)
    assert shift_iso("start = 2026-12-05\n", days) == "start = 2027-06-05\n"
    assert shift_iso("<ev:startdate>2026-12-05T10:00:00+00:00</ev:startdate>", days) == (
        "<ev:startdate>2027-06-05T10:00:00+01:00</ev:startdate>")
    assert shift_iso("2026-12-05T10:00:00Z", days) == "2027-06-05T09:00:00Z"
    assert shift_rfc822("<pubDate>Sat, 05 Dec 2026 10:00:00 +0000</pubDate>", days) == (
        "<pubDate>Sat, 05 Jun 2027 10:00:00 +0100</pubDate>")
    one_week = shift_rfc822("Fri, 20 Nov 2026 08:12:00 +0000", timedelta(weeks=1))
    assert one_week == "Fri, 27 Nov 2026 08:12:00 +0000"
    moved = parsedate_to_datetime(shift_rfc822("Sun, 06 Dec 2026 11:00:00 GMT", timedelta(weeks=-20)))
    assert moved == datetime(2026, 7, 19, 10, 0, tzinfo=UTC)
