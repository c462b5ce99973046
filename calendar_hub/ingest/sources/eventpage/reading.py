"""One event object read into a Reading: its title, times, identity, status, description, categories and place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from calendar_hub.ingest.sanitize import clean_url
from calendar_hub.ingest.sources import time_span
from calendar_hub.ingest.sources.eventpage.place import Place, place_of
from calendar_hub.ingest.sources.eventpage.schema import one_line, schema_get, text_of, unslash
from calendar_hub.occurrence import UNTITLED

_DATE_ONLY = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
_HAS_TIME = re.compile(r"\d[T ]\d", re.IGNORECASE)
# schema.org Duration is ISO 8601's (P1DT2H30M); read here rather than through the ICS parser's
# helper, which would load icalendar (about 40 ms) into workers that read only web pages.
_DURATION = re.compile(r"^P(?:(\d{1,4})W)?(?:(\d{1,4})D)?(?:T(?:(\d{1,4})H)?(?:(\d{1,5})M)?(?:(\d{1,6})S)?)?$",
                       re.IGNORECASE)


@dataclass(slots=True)
class Reading:
    """One description of an event as read from the page, before merging and sanitising."""

    title: str
    start: datetime
    end: datetime
    start_date: date | None
    end_date: date | None
    own_id: str                    # @id, itemid, uid or the event's own URL; "" if none
    url: str
    status: str
    description: str
    categories: tuple[str, ...]
    place: Place = field(default_factory=Place)
    syntax: int = 0                # 0 JSON-LD, 1 microdata, 2 microformats


def read(node: dict[str, Any], page: str, zone: ZoneInfo) -> Reading | None:
    """One event object as a Reading; None without a readable start."""
    start = _when(schema_get(node, "startDate"), zone)
    if start is None:
        return None
    end = _when(schema_get(node, "endDate"), zone)
    duration = _duration(text_of(schema_get(node, "duration")))
    start_utc, end_utc, start_date, end_date = _span(start, end, duration, zone)
    link = text_of(schema_get(node, "url")).strip()
    own_url = clean_url(urljoin(page, link)) if link else ""
    title = one_line(text_of(schema_get(node, "name")) or text_of(schema_get(node, "summary")))
    return Reading(
        title=title or UNTITLED,
        start=start_utc,
        end=end_utc,
        start_date=start_date,
        end_date=end_date,
        own_id=_identifier(node.get("@id"), page) or own_url,
        url=own_url,
        status=_status(schema_get(node, "eventStatus")),
        description=unslash(text_of(schema_get(node, "description"))),
        categories=_categories(schema_get(node, "keywords")),
        place=place_of(node),
    )


def _when(value: Any, zone: ZoneInfo) -> date | datetime | None:
    """An ISO 8601 date (all day) or an aware datetime (no offset: the hub's zone); None for anything else."""
    text = text_of(value).strip()
    if not text or len(text) > 40:
        return None
    match = _DATE_ONLY.match(text)
    try:
        if match:
            return date(*map(int, match.groups()))
        if not _HAS_TIME.search(text):
            return date.fromisoformat(text)  # week and ordinal dates
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None  # "Saturday 13 June", "TBC": prose is never read as a date
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _duration(text: str) -> timedelta | None:
    """An ISO 8601 duration ("PT2H", "P1DT2H30M") as a timedelta; None if absent, unreadable or zero."""
    match = _DURATION.match(text.strip())
    if not match or not any(match.groups()):
        return None
    weeks, days, hours, minutes, seconds = (int(n) if n else 0 for n in match.groups())
    length = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    return length or None


def _span(start: date, end: date | None, duration: timedelta | None,
          zone: ZoneInfo) -> tuple[datetime, datetime, date | None, date | None]:
    """(start, end, start_date, end_date) in UTC; days for an all-day event, the end day exclusive."""
    if isinstance(start, datetime) and isinstance(end, datetime) and _whole_days(start, end):
        # The Events Calendar writes an all-day event as 00:00:00 to 23:59:59 on its days.
        start, end = start.date(), end.date()
    # schema.org's endDate, when a date, names the event's last day.
    return time_span(start, end, zone, last_day_inclusive=True, duration=duration)


def _whole_days(start: datetime, end: datetime) -> bool:
    """Whether a span runs from the first second of its first day to the last second of its last."""
    return start.time() == time() and end.time() == time(23, 59, 59) and end.date() >= start.date()


def _identifier(value: Any, page: str) -> str:
    """An @id, itemid or uid usable as the event's identity: an absolute http(s) URL (made so), a URN or a tag."""
    text = text_of(value).strip()
    if not text or text.startswith("_:") or len(text) > 1000:
        return ""  # a blank node names nothing outside its document
    if re.match(r"^(?:urn|tag):\S+$", text, re.IGNORECASE):
        return text
    return clean_url(urljoin(page, text))


def _status(value: Any) -> str:
    """CANCELLED for EventCancelled, TENTATIVE for EventPostponed, else CONFIRMED (EventRescheduled too)."""
    raw = value.get("@id") if isinstance(value, dict) else value
    name = re.split(r"[/#:]", text_of(raw).strip())[-1].casefold()
    if "cancel" in name:
        return "CANCELLED"
    if "postpone" in name:
        return "TENTATIVE"
    return "CONFIRMED"


def _categories(value: Any) -> tuple[str, ...]:
    """schema.org keywords (a comma-separated text or a list) without repeats or URLs."""
    values = value if isinstance(value, list) else [value]
    found: dict[str, None] = {}
    for item in values[:50]:
        for name in text_of(item)[:2000].split(",")[:50]:
            cleaned = one_line(name)[:100]
            if cleaned and not clean_url(cleaned):
                found.setdefault(cleaned, None)
    return tuple(found)[:20]
