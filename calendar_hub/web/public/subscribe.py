"""Every view is a subscription: the calendar a page's Subscribe box offers, with exactly that page's filters,
and its name in words ("Communities Together for Refugees: within 10 km of M14 5TG").

The addresses are built from CALENDAR_HUB_BASE_URL and the checked filters only, never from the request.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlencode

from babel.dates import format_date

from calendar_hub import language
from calendar_hub.catalogue import Catalogue
from calendar_hub.language import babel_locale, gettext
from calendar_hub.web.present import google_subscribe, place_name, webcal
from calendar_hub.web.query import DEFAULT_KM, Filters


def all_events(hub: str) -> str:
    """The name of the calendar of every event, in the current language: "Welcome Together: all events"."""
    return gettext("%(hub)s: all events") % {"hub": hub}


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
    """The filters that narrow `base` ("week", "group" or "") in words, in the current language: "by Sanctuary
    Manchester, in North West, from Sat 5 Dec 2026, within 10 km of M14 5TG"; "" when there are none."""
    words = []
    if filters.group and base != "group":
        group = catalogue.group(filters.group)
        words.append(gettext("by %(group)s") % {"group": group.name if group else filters.group})
    if filters.week and base != "week":
        week = catalogue.week(filters.week)
        words.append(gettext("in %(week)s") % {"week": week.name if week else filters.week})
    if filters.region:
        words.append(gettext("in %(region)s") % {"region": place_name(filters.region, filters.region)})
    if filters.tag and base != "tag":
        words.append(gettext("tagged %(tag)s") % {"tag": f"#{filters.tag}"})
    if filters.q:
        words.append(gettext("matching \u201c%(words)s\u201d") % {"words": filters.q})
    if filters.start:
        words.append(gettext("from %(day)s") % {"day": _day(filters.start)})
    if filters.end:
        words.append(gettext("until %(day)s") % {"day": _day(filters.end)})
    if filters.near:
        words.append(gettext("within %(km)s km of %(place)s") % {"km": f"{filters.km or DEFAULT_KM:g}",
                                                                  "place": filters.near})
    return ", ".join(words)


def _day(day: date) -> str:
    """'Sat 5 Dec 2026' / 'Sad 5 Rhag 2026'."""
    return format_date(day, format="EEE d MMM y", locale=babel_locale())


def calendar_name(catalogue: Catalogue, filters: Filters) -> str:
    """The name a calendar of these filters goes by (its X-WR-CALNAME, and the page's words): the week's or the
    group's name, or the hub's, then the other filters."""
    week = catalogue.week(filters.week) if filters.week else None
    group = catalogue.group(filters.group) if filters.group else None
    hub = catalogue.site.in_language(language.current()).name
    if week is not None:
        name, base = week.name, "week"
    elif group is not None:
        name, base = group.name, "group"
    elif filters.tag:
        name, base = f"{hub}: #{filters.tag}", "tag"
    else:
        name, base = all_events(hub), ""
    words = filter_words(catalogue, filters, base=base)
    return f"{name}: {words}" if words else name


def subscription(catalogue: Catalogue, filters: Filters, *, base_url: str) -> Subscription:
    """The calendar of exactly these filters: /weeks/{week}.ics, /groups/{group}.ics, /tags/{tag}.ics or
    /calendar.ics, with the other filters as its query string."""
    if filters.week:
        path, rest = f"/weeks/{filters.week}.ics", dataclasses.replace(filters, week=None)
    elif filters.group:
        path, rest = f"/groups/{filters.group}.ics", dataclasses.replace(filters, group=None)
    elif filters.tag:
        path, rest = f"/tags/{quote(filters.tag, safe='')}.ics", dataclasses.replace(filters, tag=None)
    else:
        path, rest = "/calendar.ics", filters
    query = rest.query()
    return Subscription(calendar_name(catalogue, filters),
                        base_url.rstrip("/") + path + (f"?{query}" if query else ""))

