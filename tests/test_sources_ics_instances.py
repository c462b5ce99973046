"""A series' instances read without copies (`_ics_expand.expand`, `EventReader.read_instance`) give exactly what reading
recurring-ical-events' own copies a month at a time gave: the same EventIns in the same order of start, or the
same refusal, for every series in tests/data (a series that cannot reach the maximum is asked for in one query)."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
import x_wr_timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Component
from icalendar.prop import vDDDTypes, vRecur

from calendar_hub.ingest.sources._ics_event import EventReader, Unusable, to_utc, uid_of
from calendar_hub.ingest.sources._ics_expand import CHUNK, expand
from calendar_hub.occurrence import ParseContext

DATA = Path(__file__).parent / "data"
ICS_FILES = sorted(DATA.rglob("*.ics"))
LONDON = ZoneInfo("Europe/London")
WINDOWS = [(datetime(2012, 1, 1, tzinfo=UTC), datetime(2013, 6, 1, tzinfo=UTC)),
           (datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 6, 1, tzinfo=UTC)),
           (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC))]
MOST = 1000


def copies(calendar: Calendar, low: datetime, high: datetime) -> list[Any]:
    """The library's copies of every instance, a month at a time, as the parser read them before."""
    query = recurring_ical_events.of(calendar)
    found: dict[tuple[str, str], Any] = {}
    chunk_start = low
    while chunk_start < high and len(found) <= MOST:
        chunk_end = min(chunk_start + CHUNK, high)
        for occurrence in query.between(chunk_start, chunk_end):
            original = occurrence.get("RECURRENCE-ID")
            key = (str(occurrence["DTSTART"].dt), str(original.dt) if isinstance(original, vDDDTypes) else "")
            found.setdefault(key, occurrence)
        chunk_start = chunk_end
    return list(found.values())


def outcome(read: Any) -> Any:
    """What one read gave: the EventIn (or None), else the kind and words of the refusal."""
    try:
        return read()
    except Unusable as e:
        return ("unusable", str(e))
    except Exception as e:  # noqa: BLE001  (the library's errors on one instance are compared too)
        return (type(e).__name__, str(e))


def read_copies(reader: EventReader, calendar: Calendar, uid: str, low: datetime, high: datetime) -> list[Any]:
    """Each of the library's copies read as the parser read them before, in order of start."""
    found = sorted(copies(calendar, low, high), key=lambda copy: to_utc(copy["DTSTART"].dt, reader.floating))
    return [outcome(partial(reader.read, copy, uid, "")) for copy in found]


def read_instances(reader: EventReader, calendar: Calendar, uid: str, low: datetime, high: datetime) -> list[Any]:
    """Each instance read as the parser reads it now, in order of start."""
    found = sorted(expand(calendar, low, high, MOST), key=lambda i: to_utc(i.start, reader.floating))
    return [outcome(partial(reader.read_instance, i.source, i.start, i.end, i.sequence, uid, "")) for i in found]


def series_of(calendar: Calendar) -> dict[str, list[Component]]:
    """The calendar's repeating VEVENTs by UID (masters with RRULE or RDATE, and overrides)."""
    found: dict[str, list[Component]] = {}
    for component in calendar.walk("VEVENT"):
        try:
            found.setdefault(uid_of(component), []).append(component)
        except Exception:  # noqa: BLE001, S112  (an unreadable UID: the parser's own tests cover it)
            continue
    return {uid: parts for uid, parts in found.items()
            if len(parts) > 1 or any(name in parts[0] for name in ("RRULE", "RDATE"))}


def compare(path: Path) -> int:
    """Compare both readings of every series in `path`; returns how many instances were compared."""
    try:
        calendar = Calendar.from_ical(path.read_bytes())
    except Exception:  # noqa: BLE001  (files icalendar cannot read whole are salvaged: tested elsewhere)
        return 0
    zone_name = str(calendar.get("X-WR-TIMEZONE", "") or "")
    try:
        floating: Any = ZoneInfo(zone_name) if zone_name else None
    except Exception:  # noqa: BLE001
        floating = None
    compared = 0
    for uid, parts in series_of(calendar).items():
        rule = parts[0].get("RRULE")
        if not isinstance(rule, (vRecur, type(None))) or any(
                str(f).upper() in ("SECONDLY", "MINUTELY") for f in (rule or {}).get("FREQ", [])):
            continue  # the parser refuses these before expanding
        for start, end in WINDOWS:
            context = ParseContext(url="https://x.example/", zone=LONDON, window_start=start, window_end=end)
            one = Calendar()
            one.subcomponents = [part.copy() for part in parts]
            if floating is not None:
                one = x_wr_timezone.to_standard(one, timezone=floating)
            low, high = (start - timedelta(days=1)).astimezone(floating or LONDON), end + timedelta(days=1)
            high = high.astimezone(floating or LONDON)
            zone = floating or LONDON
            before = outcome(partial(read_copies, EventReader(context, zone), one, uid, low, high))
            after = outcome(partial(read_instances, EventReader(context, zone), one, uid, low, high))
            assert after == before, f"{path.name} {uid} {start:%Y}"
            compared += len(before) if isinstance(before, list) else 1
    return compared


@pytest.mark.parametrize("path", ICS_FILES, ids=lambda p: str(p.relative_to(DATA)))
def test_instances_read_as_the_library_copies_them(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(path)


def test_the_comparison_sees_series() -> None:
    """The comparison is not empty: the fixtures hold series with instances in the windows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert sum(compare(path) for path in ICS_FILES) > 200


ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "UTC", ""]   # "": floating


@st.composite
def series_text(draw: st.DrawFn) -> str:
    """A VEVENT series as text: a rule by day, week, month or year, with COUNT or UNTIL (in UTC or floating), BYDAY,
    EXDATE, RDATE, a moved instance, all-day or timed in a zone that changes its clocks, or floating."""
    all_day = draw(st.booleans())
    zone = draw(st.sampled_from(ZONES))
    first = date(2025, 10, 1) + timedelta(days=draw(st.integers(0, 600)))
    clock_time = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
    start = datetime.combine(first, clock_time)

    def when(value: datetime, utc: bool = False) -> str:
        if all_day:
            return f";VALUE=DATE:{value:%Y%m%d}"
        if utc:
            return f":{value:%Y%m%dT%H%M%S}Z"
        return (f";TZID={zone}" if zone else "") + f":{value:%Y%m%dT%H%M%S}"

    frequency = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={frequency}", f"INTERVAL={draw(st.integers(1, 3))}"]
    end_kind = draw(st.sampled_from(["none", "count", "until-utc", "until-floating"]))
    if end_kind == "count":
        parts.append(f"COUNT={draw(st.integers(1, 120))}")
    elif end_kind != "none":
        until = start + timedelta(days=draw(st.integers(0, 500)), hours=draw(st.integers(0, 23)))
        parts.append("UNTIL=" + (f"{until:%Y%m%d}" if all_day else
                                 f"{until:%Y%m%dT%H%M%S}" + ("Z" if end_kind == "until-utc" else "")))
    if frequency in ("WEEKLY", "DAILY") and draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), min_size=1, max_size=3,
                             unique=True))
        parts.append("BYDAY=" + ",".join(days))
    length = timedelta(days=draw(st.integers(1, 3))) if all_day else timedelta(minutes=draw(st.sampled_from(
        [0, 30, 90, 60 * 26])))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Calendar Hub tests//EN", "BEGIN:VEVENT",
             "UID:series@example.org", "SUMMARY:Walk", "DTSTAMP:20260101T000000Z", "DTSTART" + when(start),
             "DTEND" + when(start + length), "RRULE:" + ";".join(parts)]
    steps = draw(st.lists(st.integers(0, 60), max_size=3))
    step = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 30, "YEARLY": 365}[frequency]
    lines += ["EXDATE" + when(start + timedelta(days=n * step)) for n in steps[:2]]
    lines += ["RDATE" + when(start + timedelta(days=n, hours=3)) for n in draw(st.lists(st.integers(1, 400),
                                                                                      max_size=2))]
    lines.append("END:VEVENT")
    if steps and draw(st.booleans()):
        original = start + timedelta(days=steps[-1] * step)
        lines += ["BEGIN:VEVENT", "UID:series@example.org", "SUMMARY:Walk, moved", "DTSTAMP:20260101T000000Z",
                  "RECURRENCE-ID" + when(original), "DTSTART" + when(original + timedelta(days=1)),
                  "DTEND" + when(original + timedelta(days=1) + length), "SEQUENCE:2", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=series_text(), floating_name=st.sampled_from(["", "Europe/London", "America/New_York"]))
def test_generated_series_read_as_the_library_copies_them(text: str, floating_name: str) -> None:
    """Over generated rules and zones (DST changes, all-day, UNTIL in UTC or floating, a moved instance), the
    instances read from one query or a month at a time equal the library's copies read a month at a time."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calendar = Calendar.from_ical(text)
        zone = ZoneInfo(floating_name) if floating_name else LONDON
        start, end = WINDOWS[2]
        context = ParseContext(url="https://x.example/", zone=LONDON, window_start=start, window_end=end)
        if floating_name:
            calendar = x_wr_timezone.to_standard(calendar, timezone=zone)
        low, high = (start - timedelta(days=1)).astimezone(zone), (end + timedelta(days=1)).astimezone(zone)
        before = outcome(partial(read_copies, EventReader(context, zone), calendar, "series@example.org", low, high))
        after = outcome(partial(read_instances, EventReader(context, zone), calendar, "series@example.org", low, high))
    assert after == before
