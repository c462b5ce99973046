"""The demo registry, moved in time: copies `feeds/demo` so its week of action starts within the coming week.

The demo's files are written for a reference week (the registry's `[[week]]`, Saturday 5 to Sunday
13 December 2026).  `prepare_demo` shifts every date in them by the whole number of weeks that puts
the week's start 1 to 7 days after today (so on the first Saturday after today), which keeps
weekdays and RRULE BYDAY parts right, and keeps local wall-clock times: a 10:00Z (10:00 GMT) event
moved into summer becomes 09:00Z (10:00 BST).  The rewriting is a few regular expressions
over files we wrote ourselves, not a general calendar transformer.

`waiting_work` then leaves work for the demo's organiser, so that every console view has something in it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from calendar_hub import clock
from calendar_hub.console import joining, submissions
from calendar_hub.errors import ConfigError
from calendar_hub.registry import read_registry
from calendar_hub.settings import Settings
from calendar_hub.store import Session

ZONE = ZoneInfo("Europe/London")

# RFC 5545 properties whose values are dates or date-times; everything else (UIDs, text) is left alone.
_ICS_DATE_PROPERTIES = frozenset({
    "DTSTART", "DTEND", "DUE", "DTSTAMP", "CREATED", "LAST-MODIFIED", "RECURRENCE-ID",
    "EXDATE", "RDATE", "RRULE",
})
_ICS_VALUE = re.compile(r"(?<!\d)(\d{8})(?:T(\d{6})(Z?))?(?!\d)")
_ISO_VALUE = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})?)?(?![\d-])")
_RFC822_VALUE = re.compile(
    r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|GMT|UT|Z)"
)


def shift_weeks(reference_start: date, today: date) -> int:
    """Weeks to add to `reference_start` so it falls after `today` and at most a week later."""
    return (today - reference_start).days // 7 + 1


def prepare_demo(source: Path, target: Path, *, today: date) -> None:
    """Copy the demo registry `source` to `target` with dates moved by whole weeks so that its first week
    starts 1 to 7 days after `today`; raises ConfigError if `source` is not a valid registry with a week."""
    registry = read_registry(source)
    if not registry.weeks:
        raise ConfigError(f"{source}: the demo registry has no [[week]] to move")
    if source.resolve() == target.resolve():
        raise ConfigError(f"{target}: the demo cannot be prepared in its own source folder")
    days = timedelta(weeks=shift_weeks(min(w.start for w in registry.weeks), today))
    shutil.copytree(source, target, dirs_exist_ok=True)
    for original in sorted(source.rglob("*")):
        path = target / original.relative_to(source)  # only the copied files: never shift a file twice
        suffix = path.suffix.lower()
        if suffix == ".ics":
            _rewrite(path, lambda text: shift_ics(text, days))
        elif suffix == ".toml":
            _rewrite(path, lambda text: shift_iso(text, days))
        elif suffix in (".xml", ".rss"):
            _rewrite(path, lambda text: shift_iso(shift_rfc822(text, days), days))
    read_registry(target)  # the moved copy must still be a valid registry


def shift_ics(text: str, days: timedelta) -> str:
    """Move the dates of an iCalendar text by `days`; VTIMEZONE transitions are the zone's own, kept."""
    lines = text.splitlines(keepends=True)
    in_timezone = False
    for i, line in enumerate(lines):
        stripped = line.rstrip("\r\n")
        if stripped == "BEGIN:VTIMEZONE":
            in_timezone = True
        elif stripped == "END:VTIMEZONE":
            in_timezone = False
        name = re.split(r"[;:]", stripped, maxsplit=1)[0].upper()
        if in_timezone or name not in _ICS_DATE_PROPERTIES or ":" not in stripped:
            continue
        head, value = _split_quoted(line)
        lines[i] = head + ":" + _ICS_VALUE.sub(_ics_replacer(days), value)
    return "".join(lines)


def shift_iso(text: str, days: timedelta) -> str:
    """Move every ISO 8601 date (`2026-12-05`) and date-time with an offset in `text` by `days`."""
    def replace(match: re.Match[str]) -> str:
        day, time = match.group(1), match.group(2)
        if not time:
            return (date.fromisoformat(day) + days).isoformat()
        moment = datetime.fromisoformat(day + time)
        if moment.tzinfo is None:
            return (moment + days).isoformat()
        moved = _move_keeping_local_time(moment, days)
        if time.endswith("Z"):
            return moved.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return moved.isoformat()
    return _ISO_VALUE.sub(replace, text)


def shift_rfc822(text: str, days: timedelta) -> str:
    """Move every RFC 822 date (`Sat, 05 Dec 2026 10:00:00 +0000`) in `text`, weekday name included."""
    def replace(match: re.Match[str]) -> str:
        return format_datetime(_move_keeping_local_time(parsedate_to_datetime(match.group(0)), days))
    return _RFC822_VALUE.sub(replace, text)


def _move_keeping_local_time(moment: datetime, days: timedelta) -> datetime:
    """`moment` + `days` at the same Europe/London wall-clock time, in the UK offset of the new day."""
    local = moment.astimezone(ZONE).replace(tzinfo=None) + days
    return local.replace(tzinfo=ZONE).astimezone(ZONE)


def _ics_replacer(days: timedelta) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        day, time, utc = match.group(1), match.group(2), match.group(3)
        if time is None:
            return (datetime.strptime(day, "%Y%m%d").date() + days).strftime("%Y%m%d")
        moment = datetime.strptime(day + time, "%Y%m%d%H%M%S")
        if utc:  # RFC 5545 3.3.5 form 2: UTC; keep the UK wall-clock time across a DST change
            return _move_keeping_local_time(moment.replace(tzinfo=UTC), days).astimezone(UTC).strftime(
                "%Y%m%dT%H%M%SZ")
        return (moment + days).strftime("%Y%m%dT%H%M%S")  # floating or TZID local time
    return replace


def _split_quoted(line: str) -> tuple[str, str]:
    """Split a content line at the first colon outside a quoted parameter value (RFC 5545 3.1)."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            return line[:i], line[i + 1:]
    return line, ""


def _rewrite(path: Path, change: Callable[[str], str]) -> None:
    # Bytes in and out so CRLF line ends (RFC 5545 3.1) survive untouched.
    text = path.read_bytes().decode("utf-8")
    path.write_bytes(change(text).encode("utf-8"))


def waiting_work(settings: Settings, *, session: Session) -> None:
    """Work waiting for the demo's organiser: a group asking to join and an event sent in for the week, made as
    the /join and /submit forms make them."""
    joining.submit({"name": "Leeds Welcome", "home": "Leeds LS7", "contact": "hello@leeds-welcome.example.org",
                    "address": "https://leeds-welcome.example.org/"},
                   feed_url="https://leeds-welcome.example.org/events.ics", feed_kind="ics",
                   found_how="a calendar link on the group's site", session=session)
    weeks = submissions.open_weeks(session=session, today=clock.today(settings.zone))
    if not weeks:
        return
    week, now = weeks[0], clock.now()
    checked = submissions.check_form(
        {"group_name": "Hull Refugee Friends", "contact": "hullfriends@example.org", "title": "Welcome tea dance",
         "day": (week.start_date + timedelta(days=2)).isoformat(), "start_time": "14:00", "end_time": "16:00",
         "location": "Guildhall, Alfred Gelder Street, Hull HU1 2AA", "url": "",
         "description": "Tea, cake and a band: everyone welcome, new neighbours most of all.", "week": week.slug},
        weeks=weeks, zone=settings.zone, now=now)
    submissions.submit(checked, address="127.0.0.1", session=session)
