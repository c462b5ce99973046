"""The feed for feed readers: listings in, one Atom 1.0 document (RFC 4287, UTF-8 bytes) out."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from urllib.parse import quote
from zoneinfo import ZoneInfo

from calendar_hub import __version__
from calendar_hub.catalogue.listing import Listing
from calendar_hub.publish.api import days, event_url, group_url, in_order

ATOM = "http://www.w3.org/2005/Atom"
LONDON = ZoneInfo("Europe/London")

# XML 1.0 section 2.2 Char: no C0 controls but tab, LF, CR; no surrogates, U+FFFE or U+FFFF.
# ElementTree escapes & < > and quotes but writes these through, making the document unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Day and month names in English whatever the process locale (strftime would follow it).
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December")


def build_atom(
    listings: Sequence[Listing],
    *,
    title: str,
    self_url: str,
    base_url: str,
    now: datetime,
    zone: tzinfo = LONDON,
) -> bytes:
    """Build the Atom feed, one entry per listing in start order; times for people are in `zone`."""
    feed = ET.Element("feed", {"xmlns": ATOM})
    # RFC 4287 4.1.1: a feed needs id, title and updated; author here covers entries without groups.
    _text(feed, "id", self_url)
    _text(feed, "title", title)
    _text(feed, "updated", _rfc3339(now))
    ET.SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": _clean(self_url)})
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": _clean(base_url)})
    _text(ET.SubElement(feed, "author"), "name", title)
    _text(feed, "generator", "Calendar Hub").set("version", __version__)
    for listing in in_order(listings):
        _entry(feed, listing, base_url=base_url, zone=zone)
    ET.indent(feed)
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def _entry(feed: ET.Element, listing: Listing, *, base_url: str, zone: tzinfo) -> None:
    """Append one atom:entry (RFC 4287 4.1.2) for a listing."""
    entry = ET.SubElement(feed, "entry")
    # RFC 4287 4.2.6: the id is an IRI that never changes; the listing's uid is stable across refreshes.
    _text(entry, "id", "urn:uid:" + quote(listing.uid, safe="@!$&'()*+,;=:-._~"))
    _text(entry, "title", ("CANCELLED: " if listing.cancelled else "") + listing.title)
    _text(entry, "published", _rfc3339(listing.created))
    _text(entry, "updated", _rfc3339(listing.updated))
    # RFC 4287 4.2.7.2: "alternate" is the event's page on the hub; "related" the page its feed gave.
    page = event_url(base_url, listing.uid)
    ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": _clean(page)})
    if listing.url:
        ET.SubElement(entry, "link", {"rel": "related", "type": "text/html", "href": _clean(listing.url)})
    for group in listing.groups:
        author = ET.SubElement(entry, "author")
        _text(author, "name", group.name)
        _text(author, "uri", group_url(base_url, group.slug))
    for category in listing.categories:
        ET.SubElement(entry, "category", {"term": _clean(category)})
    _text(entry, "summary", summary(listing, zone=zone)).set("type", "text")


def summary(listing: Listing, *, zone: tzinfo = LONDON) -> str:
    """Plain text for people: when (local time), where, who organises it, then the organisers' text."""
    lines = [("Cancelled. Was: " if listing.cancelled else "") + when(listing, zone=zone)]
    place = listing.location
    if listing.town and listing.town.casefold() not in place.casefold():  # unless the address names it
        place = f"{place}, {listing.town}" if place else listing.town
    if place:
        lines.append("Where: " + place)
    if listing.groups:
        lines.append("Organised by: " + ", ".join(g.name for g in listing.groups))
    if listing.description_text.strip():
        lines.extend(("", listing.description_text.strip()))
    return "\n".join(lines)


def when(listing: Listing, *, zone: tzinfo = LONDON) -> str:
    """The date and time in words: "Saturday 13 June 2026, 10:00 to 12:00 (BST)", or all day."""
    if listing.all_day:
        first, after = days(listing)
        last = after - timedelta(days=1)
        if last == first:
            return f"{_day(first)} (all day)"
        return f"{_day(first)} to {_day(last)} (all day)"
    start, end = listing.start.astimezone(zone), listing.end.astimezone(zone)
    if end <= start:
        return f"{_day(start.date())}, {start:%H:%M} ({start.tzname()})"
    zones = start.tzname() if start.tzname() == end.tzname() else f"{start.tzname()} to {end.tzname()}"
    if end.date() == start.date() or (end - start < timedelta(days=1) and end.time() == time(0)):
        # Within one day, counting an evening that ends at midnight.
        return f"{_day(start.date())}, {start:%H:%M} to {end:%H:%M} ({zones})"
    return f"{_day(start.date())}, {start:%H:%M} to {_day(end.date())}, {end:%H:%M} ({zones})"


def _day(day: date) -> str:
    """A day in words, such as "Saturday 13 June 2026"."""
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def _rfc3339(moment: datetime) -> str:
    """An Atom date (RFC 4287 3.3, RFC 3339) in UTC with "Z"; a naive datetime is taken to be UTC."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat()[:19] + "Z"


def _clean(value: str) -> str:
    """Text with the characters XML 1.0 cannot carry removed."""
    return _NOT_XML.sub("", value)


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    """A child element holding `value` as text; ElementTree does the escaping."""
    child = ET.SubElement(parent, tag)
    child.text = _clean(value)
    return child
