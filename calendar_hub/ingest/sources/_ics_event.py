"""One VEVENT (or one occurrence of a series) to an EventIn: times in UTC, text made safe, producer quirks repaired.

`repair(component, ...)` fixes what it can in place before expansion; `EventReader.read(...)`
returns the EventIn, None when it lies outside the window, or raises Unusable with a reason.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Component
from icalendar.prop import vBroken, vCategory, vDDDLists, vDDDTypes, vDuration, vGeo

from calendar_hub.ingest.sanitize import clean_url, to_html, to_text
from calendar_hub.ingest.sources import plausible_point
from calendar_hub.ingest.sources._ics_load import note
from calendar_hub.occurrence import UNTITLED, EventIn, ParseContext, ParseResult

STATUSES = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
_LENIENT_DURATION = re.compile(r"^([+-]?)P((?:T?\d+[WDHMS])+)$", re.IGNORECASE)
_DURATION_PART = re.compile(r"(\d+)([WDHMS])", re.IGNORECASE)
_DATE_WITH_Z = re.compile(r"^(\d{4})(\d{2})(\d{2})Z$")
_SECONDS = {"W": 604800, "D": 86400, "H": 3600, "M": 60, "S": 1}
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_TEXT_ESCAPE = re.compile(r"\\([\\;,nN])")
_UNESCAPED = {"n": "\n", "N": "\n"}


class Unusable(Exception):
    """An event that cannot be published; the message says why in plain words."""


def first(value: Any) -> Any:
    """The first value of a property icalendar returned as a list (the property appeared twice)."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def title_of(component: Component) -> str:
    """SUMMARY on one line, or "(untitled event)"."""
    summary = first(component.get("SUMMARY"))
    title = " ".join(str(summary).split()) if summary is not None else ""
    return title or UNTITLED


def uid_of(component: Component) -> str:
    """UID, or a hash of DTSTART and SUMMARY so an event without one keeps its identity across refreshes.

    `fingerprint._unnamed` groups events without UID as this names them: a change here bumps `PARSER_VERSION`."""
    uid = first(component.get("UID"))
    text = str(uid).strip() if uid is not None else ""
    if text:
        return text
    start = first(component.get("DTSTART"))
    tzid = start.params.get("TZID", "") if start is not None and hasattr(start, "params") else ""
    raw = start.to_ical().decode() if isinstance(start, vDDDTypes) else str(start)
    digest = hashlib.sha256(f"{tzid}|{raw}|{title_of(component)}".encode()).hexdigest()[:32]
    return f"no-uid-{digest}"


def sequence_of(component: Component) -> int:
    """SEQUENCE as an int (RFC 5545 3.8.7.4), 0 when missing or unreadable."""
    value = first(component.get("SEQUENCE"))
    try:
        return max(0, int(str(value))) if value is not None else 0
    except ValueError:
        return 0


def stamp_of(component: Component) -> datetime:
    """DTSTAMP as an aware datetime for choosing between duplicates; the distant past if unreadable."""
    return instant_of(component, "DTSTAMP") or _EARLIEST


def instant_of(component: Component, name: str) -> datetime | None:
    """A date-time property (DTSTAMP, LAST-MODIFIED) as an aware UTC datetime, None when missing or unreadable."""
    value = first(component.get(name))
    dt = value.dt if isinstance(value, vDDDTypes) else None
    if isinstance(dt, datetime):
        return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    return None


def to_utc(value: date, zone: Any) -> datetime:
    """An aware UTC datetime: floating times and dates (at midnight) are read in `zone`."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)
    return datetime.combine(value, time(), zone).astimezone(UTC)


def recurrence_id_text(value: date, zone: Any) -> str:
    """RECURRENCE-ID as stable text: "2026-12-05T10:00:00+00:00" (UTC) for a time, "2026-12-05" for a date."""
    if isinstance(value, datetime):
        return to_utc(value, zone).isoformat()
    return value.isoformat()


def repair(component: Component, zone: ZoneInfo, result: ParseResult) -> None:
    """Fix, in place, the producer quirks that would otherwise cost the event or its whole series."""
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "DURATION", "RRULE"):
        value = component.get(name)
        if isinstance(value, list) and value:  # the property appears twice: keep the first
            # RFC 5545 3.8.5.3: the set a second RRULE makes is undefined, and the checks on the
            # rule (how often, from when) must see the one rule that is expanded.
            component[name] = value[0]
    if component.errors:
        _repair_broken(component, result)
    # RFC 5545 3.2.19: a TZID names a VTIMEZONE.  When neither the calendar nor the tz database
    # knows it, icalendar leaves the time floating; read it in the hub's zone, and say so.
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        prop = component.get(name)
        if isinstance(prop, vDDDTypes):
            _fallback_zone(prop, prop.params, zone, result)
    for name in ("EXDATE", "RDATE"):
        if name in component:
            values = component[name]
            for item in values if isinstance(values, list) else [values]:
                if isinstance(item, vDDDLists):
                    for prop in item.dts:
                        _fallback_zone(prop, item.params, zone, result)


def _fallback_zone(prop: vDDDTypes, params: Any, zone: ZoneInfo, result: ParseResult) -> None:
    dt = prop.dt
    if isinstance(dt, datetime) and dt.tzinfo is None and "TZID" in params:
        prop.dt = dt.replace(tzinfo=zone)
        note(result, f"unknown time zone {str(params['TZID'])!r}: its times were read as {zone.key} time")


def _repair_broken(component: Component, result: ParseResult) -> None:
    title = title_of(component)
    for name in ("DTSTART", "DTEND"):
        prop = component.get(name)
        tzid = str(prop.params.get("TZID", "")) if isinstance(prop, vBroken) else ""
        if isinstance(prop, vBroken) and not str(prop) and ":" in tzid:
            # Exchange 2010 writes DTSTART;TZID="W. Europe Standard Time:20200609T090000":
            # the value swallowed into a quoted parameter.
            zone_name, _, raw = tzid.rpartition(":")
            try:
                fixed = vDDDTypes(vDDDTypes.from_ical(raw, timezone=zone_name))  # type: ignore[no-untyped-call]
            except (ValueError, TypeError):
                continue
            fixed.params["TZID"] = zone_name
            component[name] = fixed
    duration = component.get("DURATION")
    if isinstance(duration, vBroken):
        # Synology writes DURATION:PT1W (weeks in the time part).
        lenient = lenient_duration(str(duration))
        del component["DURATION"]
        if lenient is not None:
            component["DURATION"] = vDuration(lenient)
        else:
            note(result, f'"{title}": its length {str(duration)!r} could not be read and was ignored')
    for name in ("RDATE", "EXDATE"):
        values = component.get(name)
        items = values if isinstance(values, list) else [values]
        if values is None or not any(isinstance(item, vBroken) for item in items):
            continue
        kept: list[Any] = []
        for item in items:
            if not isinstance(item, vBroken):
                kept.append(item)
                continue
            # Google's birthday calendar writes RDATE:20131210Z, a date with a "Z".
            match = _DATE_WITH_Z.match(str(item).strip())
            if match:
                kept.append(vDDDLists([date(*map(int, match.groups()))]))
            else:
                note(result, f'"{title}": ignored an unreadable {name} value {str(item)!r}')
        del component[name]
        for item in kept:
            component.add(name, item, encode=False)


def lenient_duration(text: str) -> timedelta | None:
    """A duration read leniently ("PT1W", "P1DT2H"); None if it is not one (RFC 5545 3.3.6 is stricter)."""
    match = _LENIENT_DURATION.match(text.strip())
    if not match or "M" in match.group(2).upper().partition("T")[0]:
        return None  # an M before the T would be months, which a duration cannot hold
    seconds = sum(int(n) * _SECONDS[unit.upper()] for n, unit in _DURATION_PART.findall(match.group(2)))
    return timedelta(seconds=-seconds if match.group(1) == "-" else seconds)


class EventReader:
    """Reads VEVENTs of one calendar into EventIns for one ParseContext."""

    def __init__(self, context: ParseContext, floating: ZoneInfo | Any) -> None:
        """`floating` is the zone for floating times: the calendar's X-WR-TIMEZONE, else the hub's."""
        self.zone = context.zone
        self.floating = floating
        self.window_start = context.window_start
        self.window_end = context.window_end
        self._descriptions: dict[tuple[str, str], tuple[str, str]] = {}
        self._sources: dict[int, tuple[Component, dict[str, Any]]] = {}

    def times(self, component: Component) -> tuple[datetime, datetime, date | None, date | None]:
        """(start, end, start_date, end_date): UTC instants, and the days for an all-day event."""
        prop = first(component.get("DTSTART"))
        if prop is None:
            raise Unusable("it has no start time")
        if isinstance(prop, vBroken) or not isinstance(prop, vDDDTypes):
            raise Unusable(f"its start time {str(prop)!r} could not be read")
        value = prop.dt
        if not isinstance(value, date):
            raise Unusable(f"its start {value!r} is not a date or a time")
        try:
            return self._span(value, self.end_value(component, value))
        except OverflowError as e:
            # Python's dates end with the year 9999: a start or end there, moved to UTC or by a
            # duration, falls off the calendar.  No real event is that far away.
            raise Unusable("its dates are out of range") from e

    def _span(self, value: date, end_value: date | None) -> tuple[datetime, datetime, date | None, date | None]:
        if not isinstance(value, datetime):
            # RFC 5545 3.6.1: a DATE start with neither DTEND nor DURATION lasts one day.
            start_date = value
            if isinstance(end_value, datetime):
                end_value = end_value.astimezone(self.floating).date() if end_value.tzinfo else end_value.date()
            end_date = end_value if isinstance(end_value, date) and end_value > start_date \
                else start_date + timedelta(days=1)
            return to_utc(start_date, self.zone), to_utc(end_date, self.zone), start_date, end_date
        start = to_utc(value, self.floating)
        # RFC 5545 3.6.1: a DATE-TIME start with neither lasts no time at all: end == start.
        end = to_utc(end_value, self.floating) if end_value is not None else start
        return start, max(start, end), None, None

    def end_value(self, component: Component, start: date) -> date | None:
        """DTEND, or DTSTART plus DURATION, as written (before any check against the start); None if neither."""
        prop = first(component.get("DTEND"))
        if isinstance(prop, vDDDTypes) and isinstance(prop.dt, date):
            return prop.dt
        duration = first(component.get("DURATION"))
        length = duration.dt if isinstance(duration, (vDDDTypes, vDuration)) else None
        if isinstance(length, timedelta):
            if not isinstance(start, datetime):
                return start + timedelta(days=length.days)
            return start + length
        return None

    def read(self, component: Component, uid: str, recurrence_id: str) -> EventIn | None:
        """The EventIn for one VEVENT or occurrence; None outside the window; raises Unusable."""
        start, end, start_date, end_date = self.times(component)
        if start > self.window_end or end < self.window_start:
            return None
        return self._event(self._fields(component), uid, recurrence_id, start, end, start_date, end_date)

    def read_instance(self, source: Component, start_value: date, end_value: date | None, sequence: int,
                      uid: str, recurrence_id: str) -> EventIn | None:
        """The EventIn for one instance of a series, as `read` gives it for the library's copy of `source` with
        that DTSTART, DTEND (none if `end_value` is None) and SEQUENCE (the source's if negative); None outside
        the window; raises Unusable.  What does not depend on the instance is read once per source."""
        try:
            start, end, start_date, end_date = self._span(start_value, end_value)
        except OverflowError as e:
            raise Unusable("its dates are out of range") from e
        if start > self.window_end or end < self.window_start:
            return None
        cached = self._sources.get(id(source))
        if cached is None or cached[0] is not source:
            cached = self._sources[id(source)] = (source, self._fields(source))
        fields = cached[1]
        if sequence >= 0:
            fields = {**fields, "sequence": sequence}
        return self._event(fields, uid, recurrence_id, start, end, start_date, end_date)

    def _fields(self, component: Component) -> dict[str, Any]:
        """What an EventIn takes from the VEVENT besides its identity and times, read in `read`'s order."""
        description_html, description_text = self._description(component)
        lat, lon = _geo(component)
        status = str(first(component.get("STATUS")) or "").strip().upper()
        return {
            "status": status if status in STATUSES else "CONFIRMED",
            "description_html": description_html,
            "description_text": description_text,
            "title": title_of(component),
            "location": _location(component),
            "url": clean_url(first(component.get("URL"))),
            "categories": _categories(component),
            "lat": lat,
            "lon": lon,
            "sequence": sequence_of(component),
            "stamp": instant_of(component, "DTSTAMP"),
            "modified": instant_of(component, "LAST-MODIFIED"),
        }

    @staticmethod
    def _event(fields: dict[str, Any], uid: str, recurrence_id: str, start: datetime, end: datetime,
               start_date: date | None, end_date: date | None) -> EventIn:
        return EventIn(source_uid=uid, recurrence_id=recurrence_id, start=start, end=end,
                       all_day=start_date is not None, start_date=start_date, end_date=end_date, **fields)

    def _description(self, component: Component) -> tuple[str, str]:
        """(html, text) from DESCRIPTION and Outlook's X-ALT-DESC;FMTTYPE=text/html, cached per text."""
        description = first(component.get("DESCRIPTION"))
        plain = str(description) if description is not None else ""
        alt = first(component.get("X-ALT-DESC"))
        rich = str(alt) if alt is not None and "html" in str(alt.params.get("FMTTYPE", "")).lower() else ""
        if "\\" in rich:
            # icalendar leaves X- properties as written, so RFC 5545 3.3.11 escapes are still in.
            rich = _TEXT_ESCAPE.sub(lambda m: _UNESCAPED.get(m.group(1), m.group(1)), rich)
        key = (plain, rich)
        cached = self._descriptions.get(key)
        if cached is None:
            if not plain and not rich:
                cached = ("", "")
            else:
                cached = (to_html(rich or plain), to_text(plain or rich))
            self._descriptions[key] = cached
        return cached


def _location(component: Component) -> str:
    """LOCATION on one line: escaped newlines (TripIt, Outlook) become commas."""
    value = first(component.get("LOCATION"))
    if value is None:
        return ""
    lines = [" ".join(line.split()) for line in str(value).splitlines()]
    return ", ".join(line for line in lines if line)


def _categories(component: Component) -> tuple[str, ...]:
    """Every CATEGORIES value, flattened, stripped and without repeats (RFC 5545 3.8.1.2)."""
    values = component.get("CATEGORIES")
    if values is None:
        return ()
    found: dict[str, None] = {}
    for item in values if isinstance(values, list) else [values]:
        names = item.cats if isinstance(item, vCategory) else str(item).split(",")
        for name in names:
            cleaned = " ".join(str(name).split())
            if cleaned:
                found.setdefault(cleaned, None)
    return tuple(found)


def _geo(component: Component) -> tuple[float | None, float | None]:
    """GEO as (lat, lon) (RFC 5545 3.8.1.6), or (None, None) if missing, out of range, or 0,0."""
    value = first(component.get("GEO"))
    if not isinstance(value, vGeo):
        return None, None
    lat, lon = float(value.latitude), float(value.longitude)
    return (lat, lon) if plausible_point(lat, lon) else (None, None)
