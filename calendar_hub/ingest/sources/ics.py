"""ICS (RFC 5545) calendars to EventIns: `parse(data, *, context) -> ParseResult`; raises ParseError.

The body is decoded and parsed whole (or salvaged component by component, see `_ics_load`),
then read one series (one UID) at a time: a single event takes a fast path; a series with
RRULE, RDATE or RECURRENCE-ID overrides is expanded over the window by recurring-ical-events (`_ics_expand`),
and a series that fails costs only itself.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import x_wr_timezone
from icalendar import Calendar, Component
from icalendar.prop import vBroken, vDDDTypes, vRecur
from icalendar.timezone import tzp

from calendar_hub.ingest.sanitize import clean_result
from calendar_hub.ingest.sources._ics_event import (
    EventReader,
    Unusable,
    recurrence_id_text,
    repair,
    sequence_of,
    stamp_of,
    title_of,
    to_utc,
    uid_of,
)
from calendar_hub.ingest.sources._ics_expand import expand
from calendar_hub.ingest.sources._ics_load import check_is_calendar, decode, describe, load_calendars, note
from calendar_hub.ingest.sources._ics_rules import MAX_REPEAT_LENGTH, never_repeats, recent_start
from calendar_hub.occurrence import EventIn, ParseContext, ParseResult

MAX_OCCURRENCES_PER_SERIES = 1000
# Expansion runs on a window widened by a day, then every occurrence is checked exactly in UTC:
# recurring-ical-events compares floating times and dates as if they were in the window's zone.
_SLACK = timedelta(days=1)
_TOO_FREQUENT = frozenset({"SECONDLY", "MINUTELY"})


def parse(data: bytes, *, context: ParseContext) -> ParseResult:
    """Read an ICS body into the occurrences inside the context's window; raises ParseError if unreadable."""
    result = ParseResult()
    text = decode(data)
    check_is_calendar(text, context)
    with warnings.catch_warnings():
        # icalendar warns about guessed TZIDs and deprecated forms; the feed's state reports problems.
        warnings.simplefilter("ignore")
        emitted: set[tuple[str, str]] = set()
        for calendar in load_calendars(text, context, result):
            _read_calendar(calendar, context, result, emitted)
    return clean_result(result)


def _read_calendar(calendar: Calendar, context: ParseContext, result: ParseResult,
                   emitted: set[tuple[str, str]]) -> None:
    """Group one calendar's VEVENTs by UID and read each series."""
    x_wr_zone = _x_wr_zone(calendar, context, result)
    reader = EventReader(context, x_wr_zone or context.zone)
    series: dict[str, tuple[list[Component], list[Component]]] = {}
    for component in calendar.subcomponents:
        if component.name != "VEVENT":  # VTODO, VJOURNAL, VFREEBUSY, VTIMEZONE: not events
            continue
        try:
            repair(component, context.zone, result)
            uid = uid_of(component)
        except Exception as e:  # icalendar's values can raise anything for hostile input: costs this event only
            result.skip(f'could not read the event "{title_of(component)}": {describe(e)}', "it could not be read")
            continue
        masters, overrides = series.setdefault(uid, ([], []))
        (overrides if "RECURRENCE-ID" in component else masters).append(component)
    for uid, (masters, overrides) in series.items():
        master = _newest(masters, result) if masters else None
        if master is not None and not overrides and "RRULE" not in master and "RDATE" not in master:
            _emit_single(reader, master, uid, result, emitted)
        else:
            _emit_series(reader, master, overrides, uid, x_wr_zone, result, emitted)


def _x_wr_zone(calendar: Calendar, context: ParseContext, result: ParseResult) -> Any:
    """The zone Google names in X-WR-TIMEZONE for floating times, or None (unknown zones are reported)."""
    value = calendar.get("X-WR-TIMEZONE")
    if isinstance(value, list):
        value = value[0] if value else None
    name = str(value).strip() if value is not None else ""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001  (unknown; OSError for a name too long, RecursionError for one too deep)
        try:
            zone = tzp.timezone(name)  # Windows names and vendor prefixes
        except Exception:  # the lookup opens files named after the value: any error means unknown
            zone = None
        if zone is None:
            note(result, f"X-WR-TIMEZONE {name[:60]!r} is not a known time zone; "
                         f"times without a zone were read as {context.zone.key} time")
        return zone


def _future_shifts(overrides: list[Component], zone: Any) -> dict[str, timedelta]:
    """For each THISANDFUTURE override (by its RECURRENCE-ID text), how far it moved the instances."""
    shifts: dict[str, timedelta] = {}
    for override in overrides:
        original, start = override.get("RECURRENCE-ID"), override.get("DTSTART")
        if (isinstance(original, vDDDTypes) and isinstance(start, vDDDTypes)
                and str(original.params.get("RANGE", "")).upper() == "THISANDFUTURE"
                and isinstance(original.dt, datetime) and isinstance(start.dt, datetime)):
            shifts[recurrence_id_text(original.dt, zone)] = to_utc(start.dt, zone) - to_utc(original.dt, zone)
    return shifts


def _newest(masters: list[Component], result: ParseResult) -> Component:
    """Of VEVENTs sharing a UID without RECURRENCE-ID (a producer bug), the highest SEQUENCE, then DTSTAMP."""
    if len(masters) == 1:
        return masters[0]
    # RFC 5546 2.1.5: SEQUENCE, then DTSTAMP, orders revisions; on a tie the later one in the file wins.
    ranked = max(enumerate(masters), key=lambda pair: (sequence_of(pair[1]), stamp_of(pair[1]), pair[0]))
    note(result, f'"{title_of(ranked[1])}" appears {len(masters)} times with the same UID; kept the newest')
    return ranked[1]


def _emit(event: EventIn | None, result: ParseResult, emitted: set[tuple[str, str]]) -> None:
    if event is None:
        return
    key = (event.source_uid, event.recurrence_id)
    if key not in emitted:
        emitted.add(key)
        result.events.append(event)


def _emit_single(reader: EventReader, component: Component, uid: str, result: ParseResult,
                 emitted: set[tuple[str, str]]) -> None:
    """The fast path: an event that does not repeat is read directly, without recurring-ical-events."""
    try:
        _emit(reader.read(component, uid, ""), result, emitted)
    except Unusable as e:
        result.skip(f'skipped "{title_of(component)}": {e}', str(e))
    except Exception as e:  # a library error on one value costs this event only
        result.skip(f'could not read the event "{title_of(component)}": {describe(e)}', "it could not be read")


def _emit_series(reader: EventReader, master: Component | None, overrides: list[Component], uid: str,
                 x_wr_zone: Any, result: ParseResult, emitted: set[tuple[str, str]]) -> None:
    """Expand one UID's master and RECURRENCE-ID overrides (RFC 5545 3.8.4.4) over the window."""
    title = title_of(master if master is not None else overrides[0])
    try:
        if master is not None:
            reader.times(master)  # a plain reason for a bad DTSTART, before the library's
            rule = master.get("RRULE")
            if isinstance(rule, vBroken):
                raise Unusable(f"its repeat rule {str(rule)!r} could not be read")
            frequencies = rule.get("FREQ", []) if isinstance(rule, vRecur) else []
            if any(str(f).upper() in _TOO_FREQUENT for f in frequencies):
                raise Unusable("it repeats every minute or second")
            intervals = rule.get("INTERVAL", []) if isinstance(rule, vRecur) else []
            if any(not isinstance(n, int) or n < 1 for n in intervals):
                # RFC 5545 3.3.10: INTERVAL is a positive integer; dateutil never gets past an interval of 0.
                raise Unusable(f"its repeat interval {str(intervals[0])!r} is not a positive number")
            if isinstance(rule, vRecur) and never_repeats(rule, master.get("DTSTART")):
                master.pop("RRULE")
                note(result, f'"{title}" repeats by a rule that gives no date at all; it was read as one event')
        for component in ([master] if master is not None else []) + overrides:
            _mend_length(reader, component, result)
            # A VEVENT holds only alarms (dropped); a VEVENT inside one (an END line lost to a bad fold) is read on
            # its own, and must not be expanded again with this series, unchecked.
            component.subcomponents = []
        calendar = Calendar()
        calendar.subcomponents = ([master] if master is not None else []) + overrides
        if x_wr_zone is not None:
            # Google writes UTC times on series and names the wall-clock zone in X-WR-TIMEZONE:
            # repeats must follow that zone across daylight saving changes.
            calendar = x_wr_timezone.to_standard(calendar, timezone=x_wr_zone)
        low = (reader.window_start - _SLACK).astimezone(reader.floating)
        high = (reader.window_end + _SLACK).astimezone(reader.floating)
        if master is not None:
            recent_start(master, low)
        instances = expand(calendar, low, high, MAX_OCCURRENCES_PER_SERIES)
        instances.sort(key=lambda instance: to_utc(instance.start, reader.floating))
    except Unusable as e:
        result.skip(f'skipped "{title}": {e}', str(e))
        return
    except Exception as e:  # recurring-ical-events and icalendar raise many kinds for one bad series
        result.skip(f'skipped "{title}": its repeats could not be worked out ({describe(e)})',
                    "its repeats could not be worked out")
        return
    try:
        shifts = _future_shifts(overrides, reader.floating)
    except OverflowError:
        shifts = {}
    count = 0
    for instance in instances:
        if count >= MAX_OCCURRENCES_PER_SERIES:
            note(result, f'"{title}" has more than {MAX_OCCURRENCES_PER_SERIES} repeats in the window; '
                         f"only {MAX_OCCURRENCES_PER_SERIES} were kept")
            break
        value = instance.original
        rid = recurrence_id_text(value, reader.floating) if isinstance(value, date) else ""
        if rid in shifts and isinstance(value, datetime):
            # RFC 5545 3.8.4.4 RANGE=THISANDFUTURE: every later instance is moved as the override was,
            # and carries the override's RECURRENCE-ID; its own original start is its start less the move.
            rid = (to_utc(instance.start, reader.floating) - shifts[rid]).isoformat()
        try:
            event = reader.read_instance(instance.source, instance.start, instance.end, instance.sequence, uid, rid)
        except Unusable as e:
            result.skip(f'skipped "{title_of(instance.source)}" on {rid or "one date"}: {e}', str(e))
            continue
        except Exception as e:  # a library error on one instance costs that instance only
            result.skip(f'could not read "{title_of(instance.source)}" on {rid or "one date"}: {describe(e)}',
                        "it could not be read")
            continue
        if event is not None:
            count += 1
            _emit(event, result, emitted)


def _mend_length(reader: EventReader, component: Component, result: ParseResult) -> None:
    """Before expansion: an end before the start means no length; repeats over a year long, or moved more, are refused.

    recurring-ical-events swaps an end that comes before its start, so a DTEND centuries early made
    every instance centuries long, and the whole rule was expanded over those centuries.  The hub reads
    such an end as the producer's mistake, as it does for a single event (`EventReader.times`).
    """
    start_prop = component.get("DTSTART")
    if not isinstance(start_prop, vDDDTypes) or not isinstance(start_prop.dt, date):
        return
    try:
        start = to_utc(start_prop.dt, reader.floating)
        end_value = reader.end_value(component, start_prop.dt)
        end = to_utc(end_value, reader.floating) if end_value is not None else start
        original = component.get("RECURRENCE-ID")
        moved = (abs(start - to_utc(original.dt, reader.floating))
                 if isinstance(original, vDDDTypes) and isinstance(original.dt, date)
                 and str(original.params.get("RANGE", "")).upper() == "THISANDFUTURE" else timedelta(0))
    except OverflowError as e:
        raise Unusable("its dates are out of range") from e
    if end < start:
        for name in ("DTEND", "DURATION"):
            component.pop(name, None)
        note(result, f'"{title_of(component)}" ends before it starts; its repeats were read as having no length')
    elif end - start > MAX_REPEAT_LENGTH:
        raise Unusable("each of its repeats lasts more than a year")
    if moved > MAX_REPEAT_LENGTH:
        raise Unusable("one of its changes moves its later repeats by more than a year")
