"""Repeat rules that dateutil would take minutes over, tamed before a series is expanded.

dateutil walks a rule from its DTSTART on every query, and looks for the next date of a rule that has
none until the year 9999.  `recent_start` moves an open-ended rule's start forward to just before the
window without changing its dates; `never_repeats` finds, once and cheaply, a rule that gives no date.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dateutil.rrule import rrulestr
from icalendar import Component
from icalendar.prop import vDDDTypes, vRecur

from calendar_hub.ingest.sources._ics_event import to_utc

__all__ = ["MAX_REPEAT_LENGTH", "never_repeats", "recent_start"]

# A repeating event whose every instance lasts longer than this is a producer's mistake, and
# recurring-ical-events would expand the rule over that whole length before the window.
MAX_REPEAT_LENGTH = timedelta(days=366)
# The length of one period of the frequent rules, whose start dateutil walks from on every query.
_PERIODS = {"HOURLY": timedelta(hours=1), "DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}
# The Gregorian calendar repeats every 400 years: 146,097 days, a whole number of weeks.  How many periods
# of each frequency that is, for telling a rule that can never give a date (see `never_repeats`).
_PER_400_YEARS = {"YEARLY": 400, "MONTHLY": 4800, "WEEKLY": 20871, "DAILY": 146097, "HOURLY": 146097 * 24}
_LAST_YEAR = 9999


# The most instances one period of each frequency can hold before BYSETPOS picks among them.
_DAYS_IN_PERIOD = {"YEARLY": 366, "MONTHLY": 31, "WEEKLY": 7, "DAILY": 1, "HOURLY": 1}


def _past_every_position(rule: vRecur, frequency: str) -> bool:
    """Whether every BYSETPOS asks for a place past the most instances one period can hold (BYSETPOS=-181 of an
    hour's one instance), so that the rule gives nothing."""
    positions = rule.get("BYSETPOS") or []
    days = _DAYS_IN_PERIOD.get(frequency)
    if not positions or days is None or not all(isinstance(p, int) for p in positions):
        return False
    hours = 1 if frequency == "HOURLY" else len(rule.get("BYHOUR") or [0])
    most = days * hours * len(rule.get("BYMINUTE") or [0]) * len(rule.get("BYSECOND") or [0])
    return all(abs(p) > most for p in positions)


def recent_start(master: Component, low: datetime) -> None:
    """Move an open-ended rule's start forward by whole periods to just before the window.

    dateutil walks every instance from DTSTART on each query, so DTSTART:17260101 with FREQ=HOURLY
    cost millions of steps to reach the window.  Moving the start (and the end with it) by a whole
    number of INTERVAL periods gives the same instances from the new start on (RFC 5545 3.3.10);
    a rule with COUNT counts from its start, so it is left alone.
    """
    rule = master.get("RRULE")
    start = master.get("DTSTART")
    if not isinstance(rule, vRecur) or "COUNT" in rule or not isinstance(start, vDDDTypes):
        return
    frequency = str((rule.get("FREQ") or [""])[0]).upper()
    period = _PERIODS.get(frequency)
    interval = rule.get("INTERVAL") or [1]
    if not isinstance(interval[0], int) or interval[0] < 1 or not isinstance(start.dt, date):
        return
    if period is None:
        _recent_cycle(master, start, frequency, interval[0], low)
        return
    step = period * interval[0]
    if not isinstance(start.dt, datetime):
        # A start on a date moves by whole days too: every 5 hours from a date moves by 5 days at a time.
        step = timedelta(hours=math.lcm(step // timedelta(hours=1), 24))
    first = to_utc(start.dt, low.tzinfo)
    target = low.astimezone(UTC) - MAX_REPEAT_LENGTH - step
    if first >= target:
        return
    shift = step * ((target - first) // step)
    end = master.get("DTEND")
    master["DTSTART"] = _shifted(start, shift)
    if isinstance(end, vDDDTypes) and isinstance(end.dt, date):
        master["DTEND"] = _shifted(end, shift)


def _recent_cycle(master: Component, start: vDDDTypes, frequency: str, interval: int, low: datetime) -> None:
    """Move an open-ended monthly or yearly rule's start forward by whole 400-year cycles of the calendar (or
    the few of them that hold a whole number of its intervals), to less than one cycle before the window.

    Months and years have no fixed length, but the Gregorian calendar repeats every 400 years, weekdays
    and leap days included, so the same rule from a start so moved gives the same dates from there on.
    """
    periods = _PER_400_YEARS.get(frequency)
    first: Any = start.dt
    if periods is None or not isinstance(first, date):
        return
    cycle = 400 * interval // math.gcd(interval, periods)
    spare = 2 + (interval if frequency == "YEARLY" else -(-interval // 12))   # years the window may reach back
    cycles = (low.year - spare - first.year) // cycle
    if cycles < 1:
        return
    end = master.get("DTEND")
    try:
        master["DTSTART"] = _in_year(start, first.year + cycles * cycle)
        last: Any = end.dt if isinstance(end, vDDDTypes) else None
        if isinstance(last, date):
            master["DTEND"] = _in_year(end, last.year + cycles * cycle)
    except ValueError:
        master["DTSTART"] = start   # an end past 9999: leave the rule as it was


def _in_year(prop: vDDDTypes, year: int) -> vDDDTypes:
    """The same property, its value on the same day and time of `year`, its parameters kept."""
    value: Any = prop.dt
    moved = vDDDTypes(value.replace(year=year))
    moved.params.update(prop.params)
    return moved


def _shifted(prop: vDDDTypes, shift: timedelta) -> vDDDTypes:
    """The same property, its value moved by `shift` of wall-clock time, its parameters kept."""
    value: Any = prop.dt
    moved = vDDDTypes(value + shift)
    moved.params.update(prop.params)
    return moved


def never_repeats(rule: vRecur, start: Any) -> bool:
    """Whether `rule` gives no date ever, such as FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31.

    dateutil looks for the next date of such a rule until the year 9999, on every query (seconds
    each).  The rule is tried once, without COUNT or UNTIL, from its start moved by a whole number of
    calendar cycles (400 years, or the few of them that hold a whole number of its intervals) to one
    or two cycles before 9999: a cycle without a date means no date ever.  A rule whose cycle is
    too long to try is taken to repeat.
    """
    frequency = str((rule.get("FREQ") or [""])[0]).upper()
    interval = (rule.get("INTERVAL") or [1])[0]
    if _past_every_position(rule, frequency):
        return True
    parts = {k: v for k, v in rule.items() if k not in ("COUNT", "UNTIL")}
    if frequency == "HOURLY":
        # Every day its date parts allow holds an hour of it (or the hours skip whole days, which only
        # adds days without one): trying a day at a time costs a 24th of trying every hour.
        parts = {k: v for k, v in parts.items() if k not in ("BYHOUR", "BYMINUTE", "BYSECOND", "BYSETPOS")}
        parts.update(FREQ=["DAILY"], INTERVAL=[1])
        frequency, interval = "DAILY", 1
    periods = _PER_400_YEARS.get(frequency)
    if periods is None or not isinstance(interval, int) or not isinstance(start, vDDDTypes):
        return False
    cycle = 400 * interval // math.gcd(interval, periods)
    value = start.dt
    if not isinstance(value, date) or cycle > 2000:
        return False
    first = (value.replace(tzinfo=None) if isinstance(value, datetime)
             else datetime(value.year, value.month, value.day))
    cycles = -(-(_LAST_YEAR - 2 * cycle - first.year) // cycle)   # the first shift landing in the last 2 cycles
    try:
        probe_start = first.replace(year=first.year + cycles * cycle)
        text = vRecur(parts).to_ical().decode()  # type: ignore[no-untyped-call]
        probe = rrulestr(text, dtstart=probe_start)
        return probe.after(probe_start, inc=True) is None
    except (ValueError, OverflowError, TypeError):
        return False    # dateutil cannot read it: expanding it says why
