"""A second opinion on every calendar in tests/data: the hub's occurrences against recurring-ical-events'.

For each .ics file that icalendar can read as a whole, both expand the same window.  Every
(UID, start) that recurring-ical-events yields must be in the hub's output, unless the hub's
problems name that event (its title or UID); an occurrence only the hub has is allowed only for a
series that recurring-ical-events had to skip.  Instants are compared in UTC, all-day events by
their dates; floating times are read in the calendar's X-WR-TIMEZONE, else in Europe/London, as
the hub does.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import x_wr_timezone
from icalendar import Calendar
from icalendar.timezone import tzp

from calendar_hub.ingest.sources import parse_body
from calendar_hub.occurrence import ParseContext

DATA = Path(__file__).parent / "data"
ICS_FILES = sorted(DATA.rglob("*.ics"))
LONDON = ZoneInfo("Europe/London")
SLACK = timedelta(days=1)

# The window the parser tests use (tests/factories.py parse_context) for the hand-made fixtures
# and the end-to-end registry; the real exports get a window around their own dates.
DEFAULT_WINDOW = (datetime(2026, 6, 1, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC))
REAL_EXPORT_WINDOWS = {
    "node-ical__tec_wordpress_multiple_tzids.ics": (datetime(2024, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)),
    "khal__ns_international_ticket.ics": (datetime(2023, 1, 1, tzinfo=UTC), datetime(2023, 3, 1, tzinfo=UTC)),
    "ical4j__exchange2010_blank_tzid.ics": (datetime(2015, 1, 1, tzinfo=UTC), datetime(2016, 1, 1, tzinfo=UTC)),
    "node-ical__exchange2010_ms_timezones.ics": (datetime(2020, 6, 1, tzinfo=UTC), datetime(2021, 6, 1, tzinfo=UTC)),
    "icaljs__google_birthday.ics": (datetime(2012, 1, 1, tzinfo=UTC), datetime(2015, 1, 1, tzinfo=UTC)),
    "node-ical__lanyrd_multi_event.ics": (datetime(2011, 1, 1, tzinfo=UTC), datetime(2012, 1, 1, tzinfo=UTC)),
    "node-ical__synology_duration_pt1w.ics": (datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC)),
    "allenporter-ical__office365_custom_timezone.ics": (datetime(2025, 1, 1, tzinfo=UTC),
                                                        datetime(2026, 1, 1, tzinfo=UTC)),
}

# Where the two may disagree about one event, and why: (file name, UID) -> reason.
ALLOWED = {
    ("end_before_start.ics", "ng-77@northtown-greens.example.org"):
        "DTEND before DTSTART (invalid, RFC 5545 3.8.2.2): recurring-ical-events swaps the two (its "
        "issue 132), the hub keeps DTSTART and gives the event no length (tests/test_sources_ics.py)",
}
# Rules rather than entries:
# - A series repeating every minute or second is refused by the hub (and named in its problems);
#   it is not expanded here either, as a year of minutes takes recurring-ical-events tens of seconds.
# - One UID on several VEVENTs without RECURRENCE-ID is a producer error.  The hub keeps the newest
#   (SEQUENCE, then DTSTAMP: RFC 5546 2.1.5) and names it in its problems; recurring-ical-events
#   keeps the first of equal SEQUENCE.  Such a UID may differ either way if the hub names it.
# - The hub's cap of 1,000 occurrences per series is named in its problems, so it needs nothing.
TOO_FREQUENT = frozenset({"SECONDLY", "MINUTELY"})


def window_for(path: Path) -> tuple[datetime, datetime]:
    """The fixed window a file is compared in."""
    if path.parent.name == "realworld":
        return REAL_EXPORT_WINDOWS[path.name]
    expectation = path.with_name(path.stem + ".expected.toml")
    if expectation.exists():
        raw = tomllib.loads(expectation.read_text(encoding="utf-8"))
        return raw["window_start"], raw["window_end"]
    return DEFAULT_WINDOW


def decode(data: bytes) -> str:
    """Text for icalendar: UTF-8 (RFC 5545 3.1.4) without a byte-order mark, else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def one_line(text: object) -> str:
    return " ".join(str(text).split())


Key = tuple[str | None, date]   # (UID, UTC start instant or all-day date)


@dataclass
class Reference:
    """What recurring-ical-events makes of one file: occurrences by key, the series it skipped, its names."""

    keys: set[Key] = field(default_factory=set)
    skipped_uids: set[str | None] = field(default_factory=set)
    names: dict[str | None, set[str]] = field(default_factory=dict)   # UID -> UID and every title it has
    too_frequent: set[str | None] = field(default_factory=set)       # not expanded here: see above
    duplicated: set[str | None] = field(default_factory=set)         # several VEVENTs without RECURRENCE-ID
    notes: list[str] = field(default_factory=list)


def uid_of(component: icalendar.Component) -> str | None:
    value = component.get("UID")
    text = str(value).strip() if value is not None else ""
    return text or None


def utc_start(value: date, floating: Any) -> date:
    """A start as the key compares it: the UTC instant for a time (floating ones in `floating`), the date itself."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=floating)).astimezone(UTC)
    return value


def span(occurrence: icalendar.Component, floating: Any) -> tuple[datetime, datetime]:
    """The UTC interval an occurrence covers, with all-day days from Europe/London midnights, as the hub sees it."""
    start = occurrence["DTSTART"].dt
    if "DTEND" in occurrence:
        end = occurrence["DTEND"].dt
    elif "DURATION" in occurrence:
        end = start + occurrence["DURATION"].dt
    else:  # RFC 5545 3.6.1
        end = start if isinstance(start, datetime) else start + timedelta(days=1)

    def instant(value: date) -> datetime:
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=floating)).astimezone(UTC)
        return datetime.combine(value, time(), LONDON).astimezone(UTC)

    return instant(start), max(instant(start), instant(end))


def standard(calendar: Calendar, reference: Reference) -> tuple[Calendar, Any]:
    """The calendar with X-WR-TIMEZONE applied (as recurring-ical-events' documentation advises), and
    the zone for floating times that remain."""
    if "X-WR-TIMEZONE" not in calendar:
        return calendar, LONDON
    try:
        return x_wr_timezone.to_standard(calendar), LONDON
    except Exception as e:  # noqa: BLE001  (an unknown zone name: keep the calendar as it is)
        reference.notes.append(f"X-WR-TIMEZONE not applied: {type(e).__name__}")
        return calendar, LONDON


def one_series(calendar: Calendar, uid: str | None, *, leave_out: set[str | None] | None = None) -> Calendar:
    """A copy holding every time zone and one UID's events (or, with `leave_out`, all events but those UIDs')."""
    single = Calendar()
    for name, value in calendar.property_items(recursive=False):
        if name not in ("BEGIN", "END"):
            single.add(name, value, encode=False)

    def kept(c: icalendar.Component) -> bool:
        if c.name == "VTIMEZONE":
            return True
        if c.name != "VEVENT":
            return False
        return uid_of(c) not in leave_out if leave_out is not None else uid_of(c) == uid

    single.subcomponents = [c for c in calendar.subcomponents if kept(c)]
    return single


def expand(calendar: Calendar, low: datetime, high: datetime, reference: Reference) -> list[icalendar.Component]:
    """recurring-ical-events over the whole calendar; when that fails, skip_bad_series=True, and
    find which series it skipped by expanding each alone."""
    try:
        return list(recurring_ical_events.of(calendar).between(low, high))
    except Exception as e:  # noqa: BLE001  (it raises many kinds for one bad series)
        reference.notes.append(f"whole calendar failed ({type(e).__name__}); used skip_bad_series=True")
    uids = {uid_of(c) for c in calendar.walk("VEVENT")}
    good: list[icalendar.Component] = []
    for uid in uids:
        try:
            good += recurring_ical_events.of(one_series(calendar, uid)).between(low, high)
        except Exception:  # noqa: BLE001
            reference.skipped_uids.add(uid)
    try:
        return list(recurring_ical_events.of(calendar, skip_bad_series=True).between(low, high))
    except Exception as e:  # noqa: BLE001  (a VEVENT without DTSTART still raises: FIELD-NOTES)
        reference.notes.append(f"skip_bad_series failed too ({type(e).__name__}); expanded series one by one")
        return good


def too_frequent(component: icalendar.Component) -> bool:
    rule = component.get("RRULE")
    frequencies = rule.get("FREQ", []) if isinstance(rule, icalendar.vRecur) else []
    return any(str(f).upper() in TOO_FREQUENT for f in frequencies)


def reference_for(calendars: Iterable[Calendar], window: tuple[datetime, datetime]) -> Reference:
    reference = Reference()
    for original in calendars:
        masters: dict[str | None, int] = {}
        for component in original.walk("VEVENT"):
            uid = uid_of(component)
            reference.names.setdefault(uid, {uid} if uid else set()).add(one_line(component.get("SUMMARY", "")))
            if "RECURRENCE-ID" not in component:
                masters[uid] = masters.get(uid, 0) + 1
            if too_frequent(component):
                reference.too_frequent.add(uid)
        reference.duplicated.update(uid for uid, count in masters.items() if count > 1)
        original = one_series(original, None, leave_out=reference.too_frequent)
        calendar, floating = standard(original, reference)
        for occurrence in expand(calendar, window[0] - SLACK, window[1] + SLACK, reference):
            start, end = span(occurrence, floating)
            # The hub's window: occurrences ending before it or starting after it are left out.
            if start <= window[1] and end >= window[0]:
                reference.keys.add((uid_of(occurrence), utc_start(occurrence["DTSTART"].dt, floating)))
    return reference


def readable_calendars(path: Path) -> list[Calendar]:
    """The calendars icalendar reads from the file as a whole ([] when it cannot)."""
    tzp.use_zoneinfo()  # icalendar caches custom VTIMEZONEs by TZID across files; start clean, as the hub does
    try:
        parsed = Calendar.from_ical(decode(path.read_bytes()), multiple=True)
    except Exception:  # noqa: BLE001  (ValueError, AttributeError, InvalidCalendar...: FIELD-NOTES)
        return []
    return [c for c in parsed if isinstance(c, Calendar) and c.name == "VCALENDAR"]


# icalendar warns when it guesses a zone from a TZID (GloballyUniqueTZIDGuessed, for
# /mozilla.org/... names); the hub reads those names the same way, so the guess is wanted here.
@pytest.mark.filterwarnings("ignore::icalendar.GloballyUniqueTZIDGuessed")
@pytest.mark.parametrize("path", ICS_FILES, ids=lambda p: str(p.relative_to(DATA)))
def test_hub_occurrences_agree_with_recurring_ical_events(path: Path) -> None:
    calendars = readable_calendars(path)
    if not calendars:
        pytest.skip("icalendar cannot read this file as a whole; the hub's salvage is tested with the parser")
    window = window_for(path)
    reference = reference_for(calendars, window)
    result = parse_body(path.read_bytes(), kind="ical",
                        context=ParseContext(url=f"https://hub.test/{path.name}", zone=LONDON,
                                             window_start=window[0], window_end=window[1]))
    hub: set[Key] = set()
    for event in result.events:
        uid = None if event.source_uid.startswith("no-uid-") else event.source_uid
        hub.add((uid, event.start_date if event.all_day and event.start_date else event.start))

    def named(uid: str | None) -> bool:
        names = {n for n in reference.names.get(uid, set()) if n}
        return any(name in problem for name in names for problem in result.problems)

    allowed = {uid for (name, uid) in ALLOWED if name == path.name}
    missing = sorted((k for k in reference.keys - hub if not named(k[0]) and k[0] not in allowed), key=repr)
    extra = sorted((k for k in hub - reference.keys
                    if k[0] not in reference.skipped_uids | allowed
                    and not (k[0] in reference.duplicated and named(k[0]))), key=repr)
    refused = sorted((uid for uid in reference.too_frequent if not named(uid)), key=repr)
    assert (missing, extra, refused) == ([], [], []), (reference.notes, result.problems)
