"""Browsing events like a calendar: /calendar (a month as a grid of days) and /calendar/YYYY-MM-DD (one day).

Both take the filters every event list takes (week, group, region, tag, q, near and km), so any list can be seen
by day; "View as calendar" links from the week, group and tag pages.  Server-rendered: no JavaScript.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date, format_time
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import clock, language
from calendar_hub.catalogue import Catalogue
from calendar_hub.catalogue.days import (
    days_covered,
    grid_span,
    month_days,
    month_of,
    next_month,
    on_day,
    previous_month,
)
from calendar_hub.catalogue.listing import Listing
from calendar_hub.web.common import current_catalogue
from calendar_hub.web.public.render import cached, read, render, search_box, subscription_for
from calendar_hub.web.query import Filters, unknown_names

__all__ = ["IN_A_DAY", "calendar_link", "day_page", "month_page"]

IN_A_DAY = 3   # events a day of the month grid lists before "+N more"
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def calendar_link(path: str, filters: Filters, **extra: str) -> str:
    """`path` with the filters (the week's too) and `extra` (month=2026-12) as its query string."""
    query = "&".join(filter(None, [dataclasses.replace(filters, start=None, end=None).query(), urlencode(extra)]))
    return f"{path}?{query}" if query else path


def _month(request: Request, catalogue: Catalogue, filters: Filters) -> date:
    """The month asked for (?month=YYYY-MM); by default this month, or the week's first when a week is chosen."""
    raw = request.query_params.get("month", "")
    if not raw:
        week = catalogue.week(filters.week) if filters.week else None
        return month_of(week.start if week else clock.today(catalogue.zone))
    try:
        first = date.fromisoformat(f"{raw[:7]}-01")
    except ValueError as e:
        raise HTTPException(400, language.gettext("month must be written as YYYY-MM, such as 2026-12.")) from e
    if not EARLIEST <= first <= LATEST:
        raise HTTPException(400, language.gettext("month must be written as YYYY-MM, such as 2026-12."))
    return first


def _day(request: Request) -> date:
    try:
        day = date.fromisoformat(request.path_params["day"])
    except ValueError as e:
        raise HTTPException(404, language.gettext("There is no such day.")) from e
    if not EARLIEST <= day <= LATEST or len(request.path_params["day"]) != 10:
        raise HTTPException(404, language.gettext("There is no such day."))
    return day


def _words() -> dict[str, Any]:
    """Dates and times as the page's language writes them (Babel), for the templates."""
    locale = language.babel_locale()
    return {
        "long_day": lambda day: format_date(day, "EEEE d MMMM y", locale=locale),
        "month_name": lambda day: format_date(day, "LLLL y", locale=locale),
        "weekdays": [(locale.days["format"]["wide"][n], locale.days["format"]["abbreviated"][n]) for n in range(7)],
        "short_weekday": lambda day: locale.days["format"]["abbreviated"][day.weekday()],
    }


def _time_on(zone: Any) -> Any:
    """The time an event shows on a day: its start, or "All day", or "Continues" when it began before."""
    locale = language.babel_locale()

    def time_on(item: Listing, day: date) -> str:
        if item.all_day:
            return language.gettext("All day")
        if days_covered(item, zone)[0] != day:
            return language.gettext("Continues")
        return str(format_time(item.start.astimezone(zone), "HH:mm", locale=locale))
    return time_on


def _page(request: Request, catalogue: Catalogue) -> tuple[Filters, str]:
    filters, problem = read(request, catalogue)
    return dataclasses.replace(filters, start=None, end=None,
                               unknown=unknown_names(request.query_params, also=("month", "page"))), problem


async def month_page(request: Request) -> Response:
    """GET /calendar?month=YYYY-MM: the month as a table of days, each listing its events' times and titles."""
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    filters, problem = _page(request, catalogue)
    first = _month(request, catalogue, filters)
    start, end = grid_span(first)
    shown = dataclasses.replace(filters, start=start, end=end)

    def context() -> dict[str, Any]:
        return {"weeks": month_days(first, shown.apply(catalogue), catalogue.zone)}

    box = search_box(request, filters, problem)
    box["canonical_path"] = calendar_link("/calendar", filters, month=first.strftime("%Y-%m"))
    return await render(request, "calendar_month.html", catalogue, status_code=400 if problem else 200,
                        context=context, first=first, today=clock.today(catalogue.zone), in_a_day=IN_A_DAY,
                        previous_url=calendar_link("/calendar", filters, month=previous_month(first).strftime("%Y-%m")),
                        next_url=calendar_link("/calendar", filters, month=next_month(first).strftime("%Y-%m")),
                        day_url=lambda day: calendar_link(f"/calendar/{day.isoformat()}", filters),
                        time_on=_time_on(catalogue.zone), filtered=bool(filters.query()),
                        subscription=subscription_for(request, catalogue, filters), **_words(), **box)


async def day_page(request: Request) -> Response:
    """GET /calendar/YYYY-MM-DD: the day's events in time order, with the days before and after."""
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    day = _day(request)
    filters, problem = _page(request, catalogue)
    shown = dataclasses.replace(filters, start=day, end=day)

    def context() -> dict[str, Any]:
        return {"listings": on_day(day, shown.apply(catalogue), catalogue.zone)}

    box = search_box(request, filters, problem)
    box["canonical_path"] = calendar_link(f"/calendar/{day.isoformat()}", filters)
    return await render(request, "calendar_day.html", catalogue, status_code=400 if problem else 200,
                        context=context, day=day, today=clock.today(catalogue.zone),
                        previous_url=calendar_link(f"/calendar/{(day - timedelta(days=1)).isoformat()}", filters),
                        next_url=calendar_link(f"/calendar/{(day + timedelta(days=1)).isoformat()}", filters),
                        month_url=calendar_link("/calendar", filters, month=day.strftime("%Y-%m")),
                        time_on=_time_on(catalogue.zone), filtered=bool(filters.query()),
                        subscription=subscription_for(request, catalogue, filters), **_words(), **box)
