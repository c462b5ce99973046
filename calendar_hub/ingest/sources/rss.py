"""RSS and Atom feeds to EventIns: `parse(data, *, context) -> ParseResult`; raises ParseError.

An item is an event only if the feed says when it happens: the RSS event module
(ev:startdate), xCal elements (xcal:dtstart) or Google Calendar's gd:when.  The item's
published or updated date is never taken for the event's date, and no date is guessed from
prose: such items are counted as skipped.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

from calendar_hub.errors import ParseError
from calendar_hub.ingest.sanitize import clean_html, clean_result, clean_url, text_to_html, to_text
from calendar_hub.ingest.sources import not_a_feed, plausible_point, time_span
from calendar_hub.ingest.sources._ics_load import describe, note
from calendar_hub.occurrence import UNTITLED, EventIn, LinkedItem, ParseContext, ParseResult

EVENT_MODULE = "http://purl.org/rss/1.0/modules/event/"
GDATA = "http://schemas.google.com/g/2005"
_DATE_ONLY = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
_CHAR_REF = re.compile(rb"&#(x[0-9a-f]+|[0-9]+);", re.IGNORECASE)
_ITEM = re.compile(rb"<(item|entry)[\s>/].*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_CLOSE_ITEM = re.compile(rb"</(?:item|entry)\s*>", re.IGNORECASE)
_ENCODING = re.compile(rb"(<\?xml[^>]*?)\s+encoding\s*=\s*(?:\"[^\"]*\"|'[^']*')", re.IGNORECASE)


class Unusable(Exception):
    """An item that cannot be published as an event; the message says why in plain words."""


class NoEventDate(Unusable):
    """An item that says nothing about when an event happens (its page may)."""


@dataclass(frozen=True, slots=True)
class _When:
    """An item's event time as written, and which vocabulary wrote it."""

    start: str
    end: str
    vocabulary: str  # "ev", "xcal" or "gd"


def parse(data: bytes, *, context: ParseContext) -> ParseResult:
    """Read an RSS/Atom body into the events inside the context's window; raises ParseError if it is no feed."""
    result = ParseResult()
    feed = _read(_valid_references(data), context, result)
    if not feed.get("version") and not feed.entries:
        # feedparser never raises: for an HTML page it sets `bozo` and returns no entries.
        raise ParseError(not_a_feed(data, wanted="a feed"), url=context.url)
    prefixes = _prefixes(feed.get("namespaces") or {})
    seen: set[str] = set()
    for entry in feed.entries:
        try:
            title = " ".join(to_text(str(entry.get("title") or "")).split()) or UNTITLED
        except Exception as e:  # a value the libraries cannot take costs its item only
            result.skip(f"could not read an item: {describe(e)}", "it could not be read")
            continue
        try:
            event = _event(entry, title, prefixes, context)
        except NoEventDate as e:
            link = clean_url(entry.get("link"))
            if link:
                html, text = _description(entry)
                result.linked.append(LinkedItem(source_uid=_text(entry.get("id")) or link, title=title, link=link,
                                                description_html=html, description_text=text,
                                                categories=_categories(entry)))
            else:
                result.skip(f'skipped "{title}": {e}', str(e))
            continue
        except Unusable as e:
            result.skip(f'skipped "{title}": {e}', str(e))
            continue
        except Exception as e:  # a library error on one value (a date, a text) costs this item only
            result.skip(f'could not read the item "{title}": {describe(e)}', "it could not be read")
            continue
        if event is None:
            continue
        if event.source_uid in seen:
            if len(result.problems) < 20:
                result.problems.append(f'"{title}" appears twice with the same id; kept the first')
            continue
        seen.add(event.source_uid)
        result.events.append(event)
    return clean_result(result)


def _feedparser(data: bytes, context: ParseContext) -> Any:
    with warnings.catch_warnings():
        # feedparser warns about its own deprecated internals; bozo feeds are still read.
        warnings.simplefilter("ignore")
        return feedparser.parse(io.BytesIO(data), response_headers={"content-location": context.url})


def _read(data: bytes, context: ParseContext, result: ParseResult) -> Any:
    """feedparser's reading of the whole feed; if feedparser raises, the feed is read again item by item.

    feedparser itself raises for some hostile documents (a null byte in the encoding name,
    a GML position outside a georss:where): one such item must cost only itself.
    """
    try:
        return _feedparser(data, context)
    except Exception as e:  # noqa: BLE001  (feedparser raises KeyError, ValueError, LookupError...)
        reason = describe(e)
    data = _ENCODING.sub(rb"\1", data, count=1)  # a bad encoding name: let feedparser detect it
    items = list(_ITEM.finditer(data))
    head = data[: items[0].start()] if items else data
    tail = data[items[-1].end():] if items else b""
    try:
        feed = _feedparser(head + tail, context)
    except Exception as e:
        raise ParseError(f"this feed could not be read ({describe(e)})", url=context.url) from e
    note(result, f"the feed as a whole could not be read ({reason}); its items were read one by one")
    for item in items:
        try:
            feed.entries.extend(_feedparser(head + item.group(0) + tail, context).entries)
        except Exception as e:
            result.skip(f"could not read an item: {describe(e)}", "it could not be read")
    return feed


def _valid_references(data: bytes) -> bytes:
    """The body with character references to no character (lone surrogates, NUL, past U+10FFFF) as U+FFFD.

    XML 1.0 section 4.1 allows references only to Char; feedparser turns `&#xD800;` into a lone
    surrogate and then fails to encode it, losing the whole feed.
    """
    def valid(match: re.Match[bytes]) -> bytes:
        ref = match.group(1)
        try:
            code = int(ref[1:], 16) if ref[:1] in (b"x", b"X") else int(ref)
        except ValueError:
            return b"&#xFFFD;"
        usable = (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
                  or 0x10000 <= code <= 0x10FFFF)
        return match.group(0) if usable else b"&#xFFFD;"

    return _CHAR_REF.sub(valid, data) if b"&#" in data else data


def _prefixes(namespaces: dict[str, str]) -> dict[str, list[str]]:
    """The element prefixes feedparser used for each event vocabulary in this feed.

    feedparser names elements of namespaces it does not know by the document's own prefix
    (lowercased), so an xCal feed may give `xcal_dtstart` or `x_dtstart`.
    """
    found: dict[str, list[str]] = {"ev": ["ev"], "xcal": ["xcal"], "gd": ["gd"]}
    for prefix, uri in namespaces.items():
        if not prefix:
            continue
        lowered = str(uri).lower().rstrip("/")
        if lowered == EVENT_MODULE.rstrip("/"):
            found["ev"].append(prefix.lower())
        elif "xcal" in lowered or lowered.endswith("icalendar-2.0"):
            found["xcal"].append(prefix.lower())
        elif lowered == GDATA:
            found["gd"].append(prefix.lower())
    return {role: list(dict.fromkeys(names)) for role, names in found.items()}


def _when(entry: Any, prefixes: dict[str, list[str]]) -> _When:
    """The item's event time from the RSS event module, xCal or gd:when; raises Unusable if none."""
    unreadable = False
    for prefix in prefixes["ev"]:
        start = entry.get(f"{prefix}_startdate")
        if isinstance(start, str) and start.strip():
            return _When(start, _text(entry.get(f"{prefix}_enddate")), "ev")
    for prefix in prefixes["xcal"]:
        start = entry.get(f"{prefix}_dtstart")
        if isinstance(start, str) and start.strip():
            return _When(start, _text(entry.get(f"{prefix}_dtend")), "xcal")
        # feedparser keeps only the attributes of an element it does not know
        # (<xcal:dtstart tzid="...">), and RFC 6321's nested <date-time> loses its parent.
        unreadable = unreadable or start is not None
    for prefix in prefixes["gd"]:
        when = entry.get(f"{prefix}_when")
        if isinstance(when, dict) and _text(when.get("starttime")):
            return _When(_text(when.get("starttime")), _text(when.get("endtime")), "gd")
    if unreadable:
        raise Unusable("its event date is written in a form the hub cannot read")
    raise NoEventDate("it had no event date")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def read_time(text: str, zone: Any) -> date | datetime:
    """A date (all day) or an aware datetime from ISO 8601, iCalendar basic form or RFC 822; raises Unusable."""
    value = text.strip()
    match = _DATE_ONLY.match(value)
    if match:
        try:
            return date(*map(int, match.groups()))
        except ValueError as e:
            raise Unusable(f"its event date {value!r} is not a real date") from e
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)  # RFC 822, as in pubDate
        except (TypeError, ValueError, IndexError) as e:
            raise Unusable(f"its event date {value!r} could not be read") from e
    # A time without an offset is in the hub's zone.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _span(when: _When, context: ParseContext) -> tuple[datetime, datetime, date | None, date | None]:
    """(start, end, start_date, end_date) in UTC; dates for an all-day event, end date exclusive."""
    zone = context.zone
    start = read_time(when.start, zone)
    try:
        end: date | datetime | None = read_time(when.end, zone) if when.end else None
    except Unusable:
        end = None
    # The RSS event module's ev:enddate names the last day (inclusive); xCal and gd:when
    # follow iCalendar, where an end date is the first day after the event (RFC 5545 3.6.1).
    try:
        return time_span(start, end, zone, last_day_inclusive=when.vocabulary == "ev")
    except OverflowError as e:  # Python's dates end with 9999: moved to UTC or by a day, they fall off
        raise Unusable("its dates are out of range") from e


def _event(entry: Any, title: str, prefixes: dict[str, list[str]], context: ParseContext) -> EventIn | None:
    """The EventIn for one item; None outside the window; raises Unusable."""
    when = _when(entry, prefixes)
    start, end, start_date, end_date = _span(when, context)
    if start > context.window_end or end < context.window_start:
        return None
    html, text = _description(entry)
    link = clean_url(entry.get("link"))
    uid = _text(entry.get("id")) or link
    if not uid:
        digest = hashlib.sha256(f"{title}|{start.isoformat()}".encode()).hexdigest()[:32]
        uid = f"no-id-{digest}"
    lat, lon = _geo(entry)
    return EventIn(
        source_uid=uid,
        recurrence_id="",
        title=title,
        start=start,
        end=end,
        all_day=start_date is not None,
        start_date=start_date,
        end_date=end_date,
        status=_status(entry, prefixes),
        description_html=html,
        description_text=text,
        location=_location(entry, prefixes),
        url=link,
        categories=_categories(entry),
        lat=lat,
        lon=lon,
    )


def _description(entry: Any) -> tuple[str, str]:
    """(html, text) from the full content if there is one, else the summary."""
    content = entry.get("content") or []
    detail = content[0] if content and isinstance(content[0], dict) else entry.get("summary_detail") or {}
    value = str(detail.get("value") or entry.get("summary") or "")
    if not value.strip():
        return "", ""
    if "html" in str(detail.get("type") or "text/html"):
        return clean_html(value), to_text(value)
    return text_to_html(value), to_text(value)


def _location(entry: Any, prefixes: dict[str, list[str]]) -> str:
    """ev:location, xcal:location or gd:where, on one line."""
    candidates: list[Any] = [entry.get(f"{p}_location") for p in prefixes["ev"] + prefixes["xcal"]]
    for prefix in prefixes["gd"]:
        where = entry.get(f"{prefix}_where")
        candidates.append(where.get("valuestring") if isinstance(where, dict) else None)
    for value in candidates:
        if isinstance(value, str) and value.strip():
            return ", ".join(" ".join(line.split()) for line in to_text(value).splitlines() if line.strip())
    return ""


def _status(entry: Any, prefixes: dict[str, list[str]]) -> str:
    """CANCELLED or TENTATIVE from gd:eventStatus or xcal:status, else CONFIRMED."""
    for prefix in prefixes["gd"]:
        status = entry.get(f"{prefix}_eventstatus")
        value = str(status.get("value", "")) if isinstance(status, dict) else ""
        if value.endswith(("event.canceled", "event.cancelled")):
            return "CANCELLED"
        if value.endswith("event.tentative"):
            return "TENTATIVE"
    for prefix in prefixes["xcal"]:
        value = _text(entry.get(f"{prefix}_status")).upper()
        if value in ("CANCELLED", "TENTATIVE"):
            return value
    return "CONFIRMED"


def _categories(entry: Any) -> tuple[str, ...]:
    """The item's categories (RSS <category>, Atom <category term>), stripped and without repeats."""
    found: dict[str, None] = {}
    for tag in entry.get("tags") or []:
        if str(tag.get("scheme") or "").endswith("#kind"):
            continue  # Google's GData marks every entry with <category scheme="...#kind" term="...#event">
        name = " ".join(str(tag.get("label") or tag.get("term") or "").split())
        if name and not name.startswith(("http://", "https://")):
            found.setdefault(name, None)
    return tuple(found)


def _geo(entry: Any) -> tuple[float | None, float | None]:
    """(lat, lon) from GeoRSS (GeoJSON in entry.where, lon first) or W3C geo; None if missing or implausible."""
    where = entry.get("where")
    pairs: list[tuple[Any, Any]] = []
    if isinstance(where, dict) and where.get("type") == "Point":
        coordinates: Any = where.get("coordinates") or ()
        if len(coordinates) >= 2:
            pairs.append((coordinates[1], coordinates[0]))
    pairs.append((entry.get("geo_lat"), entry.get("geo_long")))
    for raw_lat, raw_lon in pairs:
        try:
            lat, lon = float(raw_lat), float(raw_lon)
        except (TypeError, ValueError):
            continue
        if plausible_point(lat, lon):
            return lat, lon
    return None, None
