"""Presenting listings to people: local times in words, grouping by region and town, schema.org JSON-LD."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Protocol
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from markupsafe import Markup

from calendar_hub import language
from calendar_hub.catalogue.counts import is_online as is_online
from calendar_hub.catalogue.listing import Listing
from calendar_hub.places import Place, km_between, local_name, translated_note

UNKNOWN_REGION = "Region not given"
UNKNOWN_TOWN = "Place not given"
ONLINE = "Online"  # online events are listed under this heading, after the regions, with no towns


class Timed(Protocol):
    """What `when` reads of an event: a listing, an occurrence being previewed, a sent event."""

    @property
    def all_day(self) -> bool: ...
    @property
    def start_date(self) -> date | None: ...
    @property
    def end_date(self) -> date | None: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...


def when(listing: Timed, zone: ZoneInfo) -> str:
    """When a listing happens, in the current language's words: 'Saturday 5 December 2026, 10:00–12:00',
    'Saturday 5 December 2026 (all day)', 'Friday 11 December – Sunday 13 December 2026'
    ('Dydd Sadwrn 5 Rhagfyr 2026, 10:00–12:00' in Welsh)."""
    if listing.all_day and listing.start_date and listing.end_date:
        last = listing.end_date - timedelta(days=1)
        if last <= listing.start_date:
            return language.gettext("%(day)s (all day)") % {"day": long_day(listing.start_date)}
        return day_range(listing.start_date, last)
    start, end = listing.start.astimezone(zone), listing.end.astimezone(zone)
    text = f"{long_day(start.date())}, {_time(start)}"
    if end > start:
        text += f"–{_time(end)}" if end.date() == start.date() else f" – {_day(end.date())}, {_time(end)}"
    return text


def long_day(day: date) -> str:
    """'Saturday 5 December 2026' / 'Dydd Sadwrn 5 Rhagfyr 2026', in the current language (Babel's names)."""
    return format_date(day, format="EEEE d MMMM y", locale=language.babel_locale())


def day_range(first: date, last: date, *, short: bool = False) -> str:
    """The days from `first` to `last` in the current language: 'Saturday 5 December – Sunday 13 December 2026'
    ('Sat 5 Dec – Sun 13 Dec 2026' when `short`); one day alone when they are the same; the year once if shared."""
    locale = language.babel_locale()
    pattern = "EEE d MMM" if short else "EEEE d MMMM"
    if last <= first:
        return format_date(first, format=pattern + " y", locale=locale)
    head = format_date(first, format=pattern if first.year == last.year else pattern + " y", locale=locale)
    return f"{head} – {format_date(last, format=pattern + ' y', locale=locale)}"


def _day(moment: date) -> str:
    """'Saturday 5 December' / 'Dydd Sadwrn 5 Rhagfyr' (no leading zero, in the current language)."""
    return format_date(moment, format="EEEE d MMMM", locale=language.babel_locale())


def _time(moment: datetime) -> str:
    """'10:00', on the 24-hour clock in either language."""
    return format_time(moment, format="HH:mm", locale=language.babel_locale())


def machine_time(listing: Listing, zone: ZoneInfo) -> str:
    """The `datetime` attribute of a <time> element: a date for all-day events, else local ISO 8601."""
    if listing.all_day and listing.start_date:
        return listing.start_date.isoformat()
    return listing.start.astimezone(zone).isoformat(timespec="minutes")


def by_region_and_town(listings: Sequence[Listing]) -> list[tuple[str, int, list[tuple[str, list[Listing]]]]]:
    """[(region, events not cancelled, [(town, listings in time order)])], regions and towns sorted by name.

    Online events come under `ONLINE` (its one "town" is `ONLINE` too), after the regions and before
    `UNKNOWN_REGION`: an event on Zoom has no region to be missing.
    """
    regions: dict[str, dict[str, list[Listing]]] = {}
    for item in listings:
        if is_online(item):
            regions.setdefault(ONLINE, {}).setdefault(ONLINE, []).append(item)
            continue
        towns = regions.setdefault(item.region or UNKNOWN_REGION, {})
        towns.setdefault(item.town or UNKNOWN_TOWN, []).append(item)
    result = []
    for region in sorted(regions, key=lambda r: (r == UNKNOWN_REGION, r == ONLINE, r)):
        towns = OrderedDict(sorted(regions[region].items(), key=lambda kv: (kv[0] == UNKNOWN_TOWN, kv[0])))
        # The count is of what happens (as `catalogue.counts` has it): a cancelled event is listed, not counted.
        count = sum(1 for items in towns.values() for item in items if not item.cancelled)
        result.append((region, count, list(towns.items())))
    return result


def place_note(note: str) -> str:
    """How an event was placed (`Listing.place_note`, kept in English) in the current language."""
    return translated_note(note, language.gettext)


def place_name(name: str, region: str | None = None) -> str:
    """A region's or town's heading in the current language: "Caerdydd" and "Cymru" on Welsh pages, "Ar-lein"
    for `ONLINE`; `region` is the place's region, which tells Newport in Wales from the others."""
    words = {ONLINE: language.gettext("Online"), UNKNOWN_REGION: language.gettext("Region not given"),
             UNKNOWN_TOWN: language.gettext("Place not given")}
    if name in words:
        return words[name]
    return local_name(name, language.current(), region=region)


def distance(listing: Listing, origin: Place | None) -> str:
    """How far a placed event is from a near-me search's place: "850 m", "2.3 km", "46 km"; "" without either."""
    if origin is None or listing.lat is None or listing.lon is None:
        return ""
    return km_text(km_between(origin.lat, origin.lon, listing.lat, listing.lon))


def km_text(km: float) -> str:
    """A distance as the current language writes it: "850 m", "2.3 km", "46 km" (Welsh "2,3 km" were it so)."""
    locale = language.babel_locale()
    if km < 1:
        return f"{format_decimal(max(round(km * 1000, -1), 10), format='#,##0', locale=locale)} m"
    return f"{format_decimal(km, format='#,##0.0' if km < 10 else '#,##0', locale=locale)} km"


def json_ld(listing: Listing, *, zone: ZoneInfo, page_url: str, base_url: str = "") -> Markup:
    """A schema.org Event as a <script type="application/ld+json"> block, safe inside HTML.

    `page_url` is the event's page on the hub (its `url`; the page its feed gave is `sameAs`); with `base_url`,
    a group without a website of its own is linked to its page on the hub.
    """
    if listing.all_day and listing.start_date and listing.end_date:
        start = listing.start_date.isoformat()
        end = (listing.end_date - timedelta(days=1)).isoformat()
    else:
        start = listing.start.astimezone(zone).isoformat()
        end = listing.end.astimezone(zone).isoformat()
    virtual = is_online(listing)
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": listing.title,
        "startDate": start,
        "endDate": end,
        "eventStatus": "https://schema.org/EventCancelled" if listing.cancelled
        else "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OnlineEventAttendanceMode" if virtual
        else "https://schema.org/OfflineEventAttendanceMode",
        "url": page_url,
        "organizer": [{"@type": "Organization", "name": g.name, **_organizer_url(g.website, g.slug, base_url)}
                      for g in listing.groups],
    }
    if listing.url and listing.url != page_url:
        data["sameAs"] = listing.url
    if listing.description_text:
        data["description"] = listing.description_text[:1000]
    if listing.location or listing.lat is not None:
        place: dict[str, object] = {"@type": "VirtualLocation" if virtual else "Place",
                                    "name": listing.location or listing.town}
        if virtual:  # schema.org: a VirtualLocation's url is where to join (else the event's own page)
            address = listing.location.strip()
            place["url"] = address if address.startswith(("https://", "http://")) else listing.url or page_url
        else:
            place["address"] = listing.location or listing.town
        if listing.lat is not None and listing.place_precision == "exact":
            place["geo"] = {"@type": "GeoCoordinates", "latitude": listing.lat, "longitude": listing.lon}
        data["location"] = place
    text = json.dumps(data, ensure_ascii=False)
    # Inside <script>, "</" would end the element and "<!--" changes parsing: escape every "<" and ">".
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup('<script type="application/ld+json">') + Markup(text) + Markup("</script>")


def _organizer_url(website: str, slug: str, base_url: str) -> dict[str, str]:
    if website:
        return {"url": website}
    return {"url": f"{base_url.rstrip('/')}/groups/{quote(slug, safe='')}"} if base_url else {}


def webcal(url: str) -> str:
    """The webcal:// form of an http(s) URL, which calendar apps open as a subscription."""
    parts = urlsplit(url)
    return "webcal://" + url[len(parts.scheme) + 3:] if parts.scheme in ("http", "https") else url


def google_subscribe(url: str) -> str:
    """A link that asks Google Calendar to subscribe to a public calendar URL."""
    return "https://calendar.google.com/calendar/render?cid=" + quote(webcal(url), safe="")
