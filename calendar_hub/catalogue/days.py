"""Events by day, as a calendar shows them: the days each event covers, a month as weeks of days, a day in order.

An all-day event covers its dates (the end date is exclusive, RFC 5545 3.6.1); a timed one every day of the
hub's zone it is on, from the day it starts to the day it ends (an end at midnight ends the day before; an
instant counts on its day).  So an event over a weekend is on the Saturday and the Sunday, and a change of the
clocks moves nothing: days are read in the zone, not counted in 24 hours.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from calendar_hub.catalogue.listing import Listing

__all__ = ["CalendarDay", "days_covered", "grid_span", "month_days", "month_of", "next_month", "on_day",
           "previous_month", "starts_on"]


@dataclass(slots=True)
class CalendarDay:
    """One day of a month grid: its date, whether it is in the month shown, and its events in time order."""

    day: date
    in_month: bool
    events: list[Listing] = field(default_factory=list)


def days_covered(listing: Listing, zone: ZoneInfo) -> tuple[date, date]:
    """(first, last) day, inclusive, that `listing` is on in `zone`."""
    if listing.all_day and listing.start_date:
        last = (listing.end_date or listing.start_date + timedelta(days=1)) - timedelta(days=1)
        return listing.start_date, max(last, listing.start_date)
    start, end = listing.start.astimezone(zone), listing.end.astimezone(zone)
    last = end.date()
    if end > start and end.time() == time(0):
        last -= timedelta(days=1)
    return start.date(), max(last, start.date())


def starts_on(listing: Listing, day: date, zone: ZoneInfo) -> bool:
    """Whether `listing` begins on `day` (else it goes on from an earlier day)."""
    return days_covered(listing, zone)[0] == day


def month_of(day: date) -> date:
    """The first day of the month `day` is in."""
    return day.replace(day=1)


def next_month(first: date) -> date:
    """The first day of the month after the one beginning `first`."""
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def previous_month(first: date) -> date:
    """The first day of the month before the one beginning `first`."""
    return (first - timedelta(days=1)).replace(day=1)


def grid_span(first: date, *, week_starts: int = 0) -> tuple[date, date]:
    """The first and last day of the weeks (Monday first, by default) that hold the month beginning `first`."""
    start = first - timedelta(days=(first.weekday() - week_starts) % 7)
    last_of_month = next_month(first) - timedelta(days=1)
    end = last_of_month + timedelta(days=(week_starts - last_of_month.weekday() - 1) % 7)
    return start, end


def _order(listing: Listing, day: date, zone: ZoneInfo) -> tuple[int, datetime, str]:
    """All-day events and those going on from an earlier day first, then by start time."""
    return (0 if listing.all_day or not starts_on(listing, day, zone) else 1, listing.start, listing.uid)


def month_days(first: date, listings: Iterable[Listing], zone: ZoneInfo, *,
               week_starts: int = 0) -> list[list[CalendarDay]]:
    """The month beginning `first` as weeks of seven `CalendarDay`s, each with the events on it (`days_covered`)."""
    start, end = grid_span(first, week_starts=week_starts)
    days = {start + timedelta(days=n): CalendarDay(start + timedelta(days=n), (start + timedelta(days=n)).month
                                                  == first.month) for n in range((end - start).days + 1)}
    for item in listings:
        begins, ends = days_covered(item, zone)
        day = max(begins, start)
        while day <= min(ends, end):
            days[day].events.append(item)
            day += timedelta(days=1)
    for cell in days.values():
        cell.events.sort(key=functools.partial(_order, day=cell.day, zone=zone))
    ordered = list(days.values())
    return [ordered[n:n + 7] for n in range(0, len(ordered), 7)]


def on_day(day: date, listings: Sequence[Listing], zone: ZoneInfo) -> list[Listing]:
    """The listings on `day`, all-day ones and those going on from before first, then by start time."""
    found = [item for item in listings if days_covered(item, zone)[0] <= day <= days_covered(item, zone)[1]]
    return sorted(found, key=lambda item: _order(item, day, zone))
