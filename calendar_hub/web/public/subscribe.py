"""Every view is a subscription: the calendar a page's Subscribe box offers, with exactly that page's filters,
and its name in words ("Communities Together for Refugees: within 10 km of M14 5TG").

The addresses are built from CALENDAR_HUB_BASE_URL and the checked filters only, never from the request.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from calendar_hub.catalogue import Catalogue
from calendar_hub.web.present import google_subscribe, webcal
from calendar_hub.web.query import DEFAULT_KM, Filters

ALL_EVENTS = "%s: all events"  # the calendar of every event, by the hub's name


@dataclass(frozen=True, slots=True)
class Subscription:
    """A calendar to subscribe to: its name and https address, and the links that add it to each kind of app."""

    name: str
    https_url: str

    @property
    def webcal_url(self) -> str:
        """The webcal:// address: Apple Calendar, Outlook and Thunderbird subscribe when it is opened."""
        return webcal(self.https_url)

    @property
    def google_url(self) -> str:
        """Google Calendar's "add by URL" page, with the calendar filled in."""
        return google_subscribe(self.https_url)

    @property
    def outlook_url(self) -> str:
        """Outlook.com's "add from web" page, with the calendar and its name filled in."""
        return ("https://outlook.live.com/calendar/0/addfromweb?"
                + urlencode({"url": self.https_url, "name": self.name}, quote_via=quote))


def filter_words(catalogue: Catalogue, filters: Filters, *, base: str = "") -> str:
    """The filters that narrow `base` ("week", "group" or "") in words: "by Sanctuary Manchester, in North West,
    from Sat 5 Dec 2026, within 10 km of M14 5TG"; "" when there are none."""
    words = []
    if filters.group and base != "group":
        group = catalogue.group(filters.group)
        words.append(f"by {group.name if group else filters.group}")
    if filters.week and base != "week":
        week = catalogue.week(filters.week)
        words.append(f"in {week.name if week else filters.week}")
    if filters.region:
        words.append(f"in {filters.region}")
    if filters.start:
        words.append(f"from {_day(filters)}")
    if filters.end:
        words.append(f"until {filters.end:%a} {filters.end.day} {filters.end:%b %Y}")
    if filters.near:
        words.append(f"within {filters.km or DEFAULT_KM:g} km of {filters.near}")
    return ", ".join(words)


def _day(filters: Filters) -> str:
    assert filters.start is not None
    return f"{filters.start:%a} {filters.start.day} {filters.start:%b %Y}"


def calendar_name(catalogue: Catalogue, filters: Filters) -> str:
    """The name a calendar of these filters goes by (its X-WR-CALNAME, and the page's words): the week's or the
    group's name, or the hub's, then the other filters."""
    week = catalogue.week(filters.week) if filters.week else None
    group = catalogue.group(filters.group) if filters.group else None
    if week is not None:
        name, base = week.name, "week"
    elif group is not None:
        name, base = group.name, "group"
    else:
        name, base = ALL_EVENTS % catalogue.site.name, ""
    words = filter_words(catalogue, filters, base=base)
    return f"{name}: {words}" if words else name


def subscription(catalogue: Catalogue, filters: Filters, *, base_url: str) -> Subscription:
    """The calendar of exactly these filters: /weeks/{week}.ics, /groups/{group}.ics or /calendar.ics, with the
    other filters as its query string."""
    if filters.week:
        path, rest = f"/weeks/{filters.week}.ics", dataclasses.replace(filters, week=None)
    elif filters.group:
        path, rest = f"/groups/{filters.group}.ics", dataclasses.replace(filters, group=None)
    else:
        path, rest = "/calendar.ics", filters
    query = rest.query()
    return Subscription(calendar_name(catalogue, filters),
                        base_url.rstrip("/") + path + (f"?{query}" if query else ""))

