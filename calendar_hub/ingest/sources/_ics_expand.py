"""A series' instances over a window, from recurring-ical-events, without a copy of the VEVENT per instance.

recurring-ical-events answers a query with a copy of the master (or override) for each instance,
its DTSTART, DTEND and RECURRENCE-ID set to the instance's: for a series of hundreds of instances
that copying cost more than working out the dates.  `expand` asks the library's series for their
occurrences instead and returns each as an `Instance`: the VEVENT it comes from and the values the
copy would have carried, which `EventReader.read_instance` reads as `EventReader.read` reads the copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import recurring_ical_events
from icalendar import Calendar, Component
from icalendar.prop import vDDDLists, vDDDTypes, vRecur
from recurring_ical_events.adapters.event import EventAdapter

from calendar_hub.ingest.sources._ics_rules import MAX_REPEAT_LENGTH

__all__ = ["CHUNK", "Instance", "expand"]

# The window is expanded a month at a time, so a series stops as soon as it has its maximum.
CHUNK = timedelta(days=31)
_DAILY_OR_LONGER = [["DAILY"], ["WEEKLY"], ["MONTHLY"], ["YEARLY"]]
_SUB_DAILY_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")


@dataclass(frozen=True, slots=True)
class Instance:
    """One instance of a series: the VEVENT it is read from, and the start, end, RECURRENCE-ID and SEQUENCE the
    library's copy of it would carry (`end` None when the copy would have no end; `sequence` -1 for the VEVENT's)."""

    source: Component
    start: date
    end: date | None
    original: Any          # the value of the copy's RECURRENCE-ID: the source's, else `start`; None if unreadable
    sequence: int


def expand(calendar: Calendar, low: datetime, high: datetime, most: int) -> list[Instance]:
    """The series' instances between `low` and `high`, a month at a time, stopping past `most` of them.

    Raises whatever recurring-ical-events and icalendar raise for a series they cannot expand.
    """
    query = recurring_ical_events.of(calendar)
    sources = _sources(calendar)
    found: dict[tuple[str, str], Instance] = {}
    # A series that cannot reach its maximum is never stopped early: one query gives what the months would.
    step = high - low if _at_most(calendar, low, high) <= most else CHUNK
    chunk_start = low
    while chunk_start < high and len(found) <= most:
        chunk_end = min(chunk_start + step, high)
        for series in query.series:
            for occurrence in series.between(chunk_start, chunk_end):
                instance = _instance(occurrence, sources)
                # An instance longer than a chunk is returned by each chunk it overlaps.
                value = instance.original
                key = (str(instance.start), str(value) if value is not None else "")
                found.setdefault(key, instance)
        chunk_start = chunk_end
    return list(found.values())


def _at_most(calendar: Calendar, low: datetime, high: datetime) -> float:
    """A bound on how many instances the series can have between `low` and `high` (infinity when not known).

    A rule by day, week, month or year without BYHOUR, BYMINUTE or BYSECOND gives at most one start a day;
    an instance lasts at most MAX_REPEAT_LENGTH (`_mend_length` refuses longer), so it may begin that long
    before `low`.  A RANGE moves instances by up to as long again, so such a series is not bounded here.
    """
    days = (high - low).days + 2 + MAX_REPEAT_LENGTH.days + 1
    bound = 0
    for component in calendar.subcomponents:
        if component.name != "VEVENT":
            continue
        original = component.get("RECURRENCE-ID")
        if original is not None and (not isinstance(original, vDDDTypes) or "RANGE" in original.params):
            return math.inf
        bound += 1
        rule = component.get("RRULE")
        if rule is not None:
            if not isinstance(rule, vRecur) or any(part in rule for part in _SUB_DAILY_PARTS) \
                    or [str(f).upper() for f in rule.get("FREQ", [])] not in _DAILY_OR_LONGER:
                return math.inf
            bound += days
        rdates = component.get("RDATE")
        for item in rdates if isinstance(rdates, list) else [] if rdates is None else [rdates]:
            if not isinstance(item, vDDDLists):
                return math.inf
            bound += len(item.dts)
    return bound


def _sources(calendar: Calendar) -> dict[tuple[Any, ...], Component | None]:
    """The calendar's VEVENTs by the recurrence ids recurring-ical-events knows them by (None: two share them)."""
    sources: dict[tuple[Any, ...], Component | None] = {}
    for component in calendar.subcomponents:
        if component.name != "VEVENT":
            continue
        key = tuple(EventAdapter(component).recurrence_ids)
        sources[key] = None if key in sources else component
    return sources


def _instance(occurrence: Any, sources: dict[tuple[Any, ...], Component | None]) -> Instance:
    """The Instance of one of the library's occurrences; the library's own copy when its source is ambiguous."""
    source = sources.get(tuple(occurrence.recurrence_ids))
    if source is None:
        copy = occurrence.as_component(True)
        end = copy.get("DTEND")
        end_value = end.dt if isinstance(end, vDDDTypes) and isinstance(end.dt, date) else None
        return Instance(copy, copy["DTSTART"].dt, end_value, _value(copy.get("RECURRENCE-ID")), -1)
    start = occurrence.start
    end = occurrence.end
    # The library's copy: DTEND set from the occurrence's end (a duration there would leave it without one),
    # RECURRENCE-ID kept from an override, else the instance's start (recurring_ical_events ComponentAdapter).
    original = source.get("RECURRENCE-ID")
    return Instance(source, start, end if isinstance(end, date) else None,
                    start if original is None else _value(original), occurrence.sequence)


def _value(prop: Any) -> Any:
    """A date or date-time property's value, None when it is not one (unreadable)."""
    return prop.dt if isinstance(prop, vDDDTypes) else None
