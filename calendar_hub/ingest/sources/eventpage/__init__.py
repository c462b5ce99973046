"""An event's web page to EventIns: `events_from_page(html, *, url, context) -> list[EventIn]`; never raises.

Reads schema.org Event from JSON-LD (arrays, @graph, @id references, subEvent), schema.org
microdata and h-event microformats (with hCalendar through mf2py's backward compatibility).
A date written only in prose is never guessed: a page without a machine-readable start gives [].
The same event described twice (JSON-LD and microdata, say) is read once, each field from the
first description that has it.
"""

from __future__ import annotations

import codecs
import hashlib
import html as html_entities
import json
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html

from calendar_hub.ingest.sanitize import clean_html, clean_url, text_to_html, to_text
from calendar_hub.ingest.sources import plausible_point, time_span
from calendar_hub.occurrence import UNTITLED, EventIn, ParseContext

MAX_BYTES = 2 * 1024 * 1024    # only the start of a larger page is read
MAX_EVENTS = 50                # events returned for one page
MAX_READINGS = 200             # event descriptions read, before duplicates are merged
MAX_SCRIPTS = 30               # JSON-LD scripts read
MAX_NODES = 5000               # JSON-LD objects visited
MAX_DEPTH = 12                 # nesting followed in JSON-LD, microdata and microformats
MAX_MF2_CHARS = 256 * 1024     # h-event markup handed to mf2py

# schema.org's Event and its subtypes that are gatherings (not DeliveryEvent, PublicationEvent or
# the retired UserInteraction family).  An EventSeries is read only for its subEvents: its dates
# span the whole series, not one occurrence.
EVENT_TYPES = frozenset({
    "Event", "BusinessEvent", "ChildrensEvent", "ComedyEvent", "CourseInstance", "DanceEvent",
    "EducationEvent", "EventSeries", "ExhibitionEvent", "Festival", "FoodEvent", "Hackathon",
    "LiteraryEvent", "MusicEvent", "SaleEvent", "ScreeningEvent", "SocialEvent", "SportsEvent",
    "TheaterEvent", "VisualArtsEvent",
})
# Where events nest: @graph, subEvent (Event), itemListElement/item (ItemList), mainEntity
# (WebPage) and event (Place, Organization).  superEvent is not followed: a talk's page is not
# the conference's page.
_CONTAINERS = ("@graph", "itemListElement", "item", "mainEntity", "event", "events")
_SUB_EVENTS = ("subEvent", "subEvents")
_SCHEMA_PREFIXES = ("", "schema:", "http://schema.org/", "https://schema.org/")

_DATE_ONLY = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
_HAS_TIME = re.compile(r"\d[T ]\d", re.IGNORECASE)
# schema.org Duration is ISO 8601's (P1DT2H30M); read here rather than through the ICS parser's
# helper, which would load icalendar (about 40 ms) into workers that read only web pages.
_DURATION = re.compile(r"^P(?:(\d{1,4})W)?(?:(\d{1,4})D)?(?:T(?:(\d{1,4})H)?(?:(\d{1,5})M)?(?:(\d{1,6})S)?)?$",
                       re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
_XML_PROLOG = re.compile(r"^\s*<\?xml[^>]*>")
# For the lenient JSON-LD reading: strings are kept whole; comments, CDATA and HTML comment
# markers and trailing commas (JSON, RFC 8259, allows none of them) are dropped.
# Every alternative matches where it starts (an unclosed string or comment runs to the end, the
# string possessively): no text can make the scan quadratic.
_JSON_JUNK = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)|//[^\n]*|/\*.*?(?:\*/|\Z)|<!\[CDATA\[|\]\]>|<!--|-->'
                        r'|,(?=\s*[}\]])', re.DOTALL)
_SCRIPT_BLOCK = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z!?][^>]*(?:>|$)")
_MARKUP = re.compile(r"<[A-Za-z!/]")
# JSON can carry what no text may: NULs and other controls, and lone surrogates ("\\ud800").
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_ONLINE_WORDS = frozenset({"online", "online event", "virtual", "zoom"})
_H_EVENT = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
_MF_EVENT = " or ".join(_H_EVENT.format(name) for name in ("h-event", "vevent"))
_OUTER_MF_EVENTS = f"//*[{_MF_EVENT}][not(ancestor::*[{_MF_EVENT}])]"


@dataclass(slots=True)
class _Place:
    """Where an event happens, field by field so two descriptions of one event can be merged."""

    name: str = ""
    street: str = ""
    locality: str = ""
    postcode: str = ""
    text: str = ""                 # a location given as plain text
    lat: float | None = None
    lon: float | None = None
    online: bool = False           # a VirtualLocation, or an online attendance mode

    def line(self) -> str:
        """"Name, street, locality, postcode" on one line, each part once; "Online" for a place on the web."""
        kept: list[str] = []
        address: list[str] = []
        for value, in_address in ((self.name, False), (self.street, True), (self.locality, True),
                                  (self.postcode, True), (self.text, True)):
            for part in re.split(r"\s*[\n,]\s*", value[:1000])[:10]:
                part = " ".join(part.split())[:200]  # no place needs more, and _said stays cheap
                # A town or postcode already in the street ("12 Example Lane London SW9 8QZ") is said once;
                # the town in a venue's name ("Hilltown Library") is not its address.
                if not part or clean_url(part) or part.casefold() in {k.casefold() for k in kept} \
                        or any(_said(part, earlier) for earlier in address):
                    continue
                kept.append(part)
                if in_address:
                    address.append(part)
        if not kept and self.online:
            return "Online"
        joined = ", ".join(kept)
        return "Online" if joined.casefold() in _ONLINE_WORDS else joined


@dataclass(slots=True)
class _Reading:
    """One description of an event as read from the page, before merging and sanitising."""

    title: str
    start: datetime
    end: datetime
    start_date: date | None
    end_date: date | None
    own_id: str                    # @id, itemid, uid or the event's own URL; "" if none
    url: str
    status: str
    description: str
    categories: tuple[str, ...]
    place: _Place = field(default_factory=_Place)
    syntax: int = 0                # 0 JSON-LD, 1 microdata, 2 microformats


def events_from_page(html: bytes, *, url: str, context: ParseContext) -> list[EventIn]:
    """The events a page describes (JSON-LD, microdata, h-event) within the window; [] if none; never raises."""
    page = url.strip()
    try:
        tree = _document(html)
    except (ValueError, LookupError, lxml.etree.LxmlError):
        return []
    if tree is None:
        return []
    readings: list[_Reading] = []
    for syntax, source in enumerate((_jsonld_nodes, _microdata_nodes, _microformat_nodes)):
        try:
            nodes = source(tree, page)
        except Exception:
            continue  # an extractor failing on hostile markup costs only its own syntax
        for node in nodes:
            if len(readings) >= MAX_READINGS:
                break
            try:
                reading = _read(node, page, context.zone)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError):
                reading = None  # one unreadable event must not cost the others
            if reading is not None:
                reading.syntax = syntax
                readings.append(reading)
    return _finish(_merged(readings, context.zone), page, context)


# ---------------------------------------------------------------- the page


def _document(data: bytes) -> Any:
    """The page's lxml tree, or None when the bytes hold no HTML at all."""
    head = data[:MAX_BYTES]
    if b"<" not in head:
        return None
    text = _XML_PROLOG.sub("", _decode(head)).replace("\x00", "")
    if not text.strip():
        return None
    # lxml is given UTF-8 bytes and told so, whatever the page declared: _decode already chose.
    parser = lxml.html.HTMLParser(encoding="utf-8")
    return lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)


def _decode(data: bytes) -> str:
    """The page as text: a BOM, else UTF-8 if it is valid, else the <meta> charset, else Windows-1252."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, "replace")
    try:
        # Not final: a page cut at MAX_BYTES may end inside a character.
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        pass
    match = _META_CHARSET.search(data[:4096])
    if match:
        try:
            name = codecs.lookup(match.group(1).decode("ascii")).name
        except LookupError:
            name = ""
        # HTML's encoding sniffing reads a declared UTF-16 in an ASCII-compatible page as UTF-8.
        if name and not name.startswith("utf-16"):
            return data.decode(name, "replace")
    return data.decode("cp1252", "replace")


# ---------------------------------------------------------------- JSON-LD


def _jsonld_nodes(tree: Any, page: str) -> list[dict[str, Any]]:
    """The event objects in the page's <script type="application/ld+json"> blocks, in document order."""
    documents: list[Any] = []
    for script in tree.iter("script"):
        kind = str(script.get("type") or "").split(";")[0].strip().lower()
        if kind != "application/ld+json":
            continue
        if len(documents) >= MAX_SCRIPTS:
            break
        documents.extend(_load_json(script.text or ""))
    ids: dict[str, dict[str, Any]] = {}
    _index_ids(documents, ids, [0], 0)
    found: list[dict[str, Any]] = []
    _walk(documents, ids, found, set(), [0], 0, False)
    return [_inline(node, ids, 0) for node in found]


def _load_json(text: str) -> list[Any]:
    """The JSON values in one script; leniently for the producers' usual slips; [] if unreadable."""
    text = text.strip().lstrip("\ufeff")
    if not text:
        return []
    for candidate in _json_readings(text):
        try:
            return [json.loads(candidate, strict=False)]
        except RecursionError:
            return []
        except ValueError:
            values = _json_sequence(candidate)
            if values:
                return values
    return []


def _json_readings(text: str) -> Iterator[str]:
    """The script as written, then leniently, then unescaped: each tried only if the one before failed."""
    yield text
    # Comments, CDATA wrappers (extruct issue #143) and trailing commas dropped.
    yield _JSON_JUNK.sub(_keep_strings, text)
    if "&quot;" in text or "&#34;" in text:
        # The whole script HTML-escaped (`{&quot;@type&quot;: ...}`, extruct issue #208).
        yield _JSON_JUNK.sub(_keep_strings, html_entities.unescape(text))


def _keep_strings(match: re.Match[str]) -> str:
    token = match.group(0)
    return token if token.startswith('"') else ""


def _json_sequence(text: str) -> list[Any]:
    """Values written one after another (`{...}{...}`, `{...};`: extruct issue #109), as far as they can be read."""
    decoder = json.JSONDecoder(strict=False)
    values: list[Any] = []
    index = 0
    while len(values) < MAX_SCRIPTS:
        while index < len(text) and text[index] in " \t\r\n,;":
            index += 1
        if index >= len(text):
            break
        try:
            value, index = decoder.raw_decode(text, index)
        except (ValueError, RecursionError):
            break
        values.append(value)
    return values


def _index_ids(value: Any, ids: dict[str, dict[str, Any]], visits: list[int], depth: int) -> None:
    """Record every object that has an @id and more, so that {"@id": ...} references can be followed."""
    visits[0] += 1
    if depth > MAX_DEPTH or visits[0] > MAX_NODES:
        return
    if isinstance(value, list):
        for item in value:
            _index_ids(item, ids, visits, depth + 1)
    elif isinstance(value, dict):
        key = value.get("@id")
        if isinstance(key, str) and len(value) > 1:
            ids.setdefault(key, value)
        for item in value.values():
            if isinstance(item, (dict, list)):
                _index_ids(item, ids, visits, depth + 1)


def _resolve(value: Any, ids: dict[str, dict[str, Any]]) -> Any:
    """The object a bare {"@id": ...} reference names, if the page has it; else the value itself."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("@id"), str):
        return ids.get(value["@id"], value)
    return value


def _inline(value: Any, ids: dict[str, dict[str, Any]], depth: int) -> Any:
    """A copy of an event object with {"@id": ...} references (its Place, say) replaced by what they name."""
    value = _resolve(value, ids)
    if depth > 4:
        return value
    if isinstance(value, list):
        return [_inline(item, ids, depth + 1) for item in value[:20]]
    if isinstance(value, dict):
        return {key: item if key in _SUB_EVENTS else _inline(item, ids, depth + 1) for key, item in value.items()}
    return value


def _walk(value: Any, ids: dict[str, dict[str, Any]], found: list[dict[str, Any]], seen: set[int],
          visits: list[int], depth: int, event_slot: bool) -> None:
    """Collect event objects: top-level ones, those in containers, and subEvents (typed or not)."""
    visits[0] += 1
    if depth > MAX_DEPTH or visits[0] > MAX_NODES:
        return
    if isinstance(value, list):
        for item in value:
            _walk(item, ids, found, seen, visits, depth + 1, event_slot)
        return
    node = _resolve(value, ids)
    if not isinstance(node, dict) or id(node) in seen:
        return
    seen.add(id(node))
    types = _types(node)
    if types & EVENT_TYPES or (event_slot and not types and _get(node, "startDate") is not None):
        if types != {"EventSeries"}:
            found.append(node)
        for key in _SUB_EVENTS:
            _walk(_get(node, key), ids, found, seen, visits, depth + 1, True)
        return
    for key in _CONTAINERS:
        _walk(node.get(key) if key.startswith("@") else _get(node, key), ids, found, seen, visits, depth + 1,
              key in ("event", "events"))


def _types(node: dict[str, Any]) -> set[str]:
    """The node's @type names without their vocabulary ("https://schema.org/MusicEvent" -> "MusicEvent")."""
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {re.split(r"[/#:]", value.strip())[-1] for value in values[:10] if isinstance(value, str)}


def _get(node: dict[str, Any], key: str) -> Any:
    """A schema.org property, also when written with a prefix ("schema:startDate") or in full."""
    for prefix in _SCHEMA_PREFIXES:
        value = node.get(prefix + key)
        if value is not None:
            return value
    return None


# ---------------------------------------------------------------- microdata and microformats


def _microdata_nodes(tree: Any, page: str) -> list[dict[str, Any]]:
    """Microdata items of an event type, as JSON-LD-shaped objects; [] without any (extruct is not loaded then)."""
    declared = " ".join(str(t) for t in tree.xpath("//*[@itemscope]/@itemtype"))
    if not {re.split(r"[/#:]", t)[-1] for t in declared.split()} & EVENT_TYPES:
        return []
    with warnings.catch_warnings():
        # Loaded here: extruct brings rdflib and more (about 200 ms), paid only by pages with microdata
        # events.  Its dependencies' own deprecations are theirs, not the page's: silenced.
        warnings.simplefilter("ignore")
        from extruct.w3cmicrodata import MicrodataExtractor

        items = MicrodataExtractor().extract_items(tree, base_url=page)
    documents = [_from_microdata(item, 0) for item in items[:MAX_READINGS]]
    found: list[dict[str, Any]] = []
    _walk(documents, {}, found, set(), [0], 0, False)
    return found


def _from_microdata(value: Any, depth: int) -> Any:
    """extruct's {"type", "id", "properties"} item as a JSON-LD-shaped object (values recursively)."""
    if isinstance(value, list):
        return [_from_microdata(item, depth + 1) for item in value[:50]]
    if not isinstance(value, dict) or depth > MAX_DEPTH:
        return value
    node: dict[str, Any] = {"@type": value.get("type") or []}
    if value.get("id"):
        node["@id"] = value["id"]
    for key, item in (value.get("properties") or {}).items():
        node[key] = _from_microdata(item, depth + 1)
    return node


def _microformat_nodes(tree: Any, page: str) -> list[dict[str, Any]]:
    """h-event (and hCalendar vevent) items as JSON-LD-shaped objects; mf2py is loaded only for such pages."""
    outer = tree.xpath(_OUTER_MF_EVENTS)[:MAX_EVENTS]
    if not outer:
        return []
    # Only the events' own markup is handed over, and at most MAX_MF2_CHARS of it: mf2py parses what
    # it is given again, with BeautifulSoup, at about 1.5 s a megabyte.
    if any(element.tag in ("html", "body") for element in outer):
        markup = lxml.html.tostring(tree, encoding="unicode")
    else:
        markup = "<html><body>" + "".join(lxml.html.tostring(e, encoding="unicode") for e in outer) + "</body></html>"
    with warnings.catch_warnings():
        # Loaded here (about 130 ms, with BeautifulSoup); BeautifulSoup's warnings about markup are silenced.
        warnings.simplefilter("ignore")
        import mf2py

        parsed = mf2py.parse(doc=markup[:MAX_MF2_CHARS], url=page or None, html_parser="lxml")
    found: list[dict[str, Any]] = []
    _mf2_events(parsed.get("items") or [], found, 0)
    return found


def _mf2_events(items: list[Any], found: list[dict[str, Any]], depth: int) -> None:
    """Collect the h-events among mf2py's items and their children."""
    for item in items:
        if not isinstance(item, dict) or depth > MAX_DEPTH:
            continue
        if "h-event" in (item.get("type") or []):
            found.append(_from_mf2(item))
        _mf2_events(item.get("children") or [], found, depth + 1)


def _mf2_first(props: dict[str, Any], name: str) -> Any:
    values = props.get(name)
    return values[0] if isinstance(values, list) and values else None


def _mf2_text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) else ""


def _from_mf2(item: dict[str, Any]) -> dict[str, Any]:
    """An h-event as a JSON-LD-shaped Event (microformats.org/wiki/h-event)."""
    props: dict[str, Any] = item.get("properties") or {}
    content = _mf2_first(props, "content")
    if isinstance(content, dict):
        description = str(content.get("html") or content.get("value") or "")
    else:
        description = _mf2_text(_mf2_first(props, "description")) or _mf2_text(_mf2_first(props, "summary"))
    return {
        "@type": "Event",
        "@id": _mf2_text(_mf2_first(props, "uid")),
        "name": _mf2_text(_mf2_first(props, "name")),
        "startDate": _mf2_text(_mf2_first(props, "start")),
        "endDate": _mf2_text(_mf2_first(props, "end")),
        "duration": _mf2_text(_mf2_first(props, "duration")),
        "url": _mf2_text(_mf2_first(props, "url")),
        "description": description,
        "keywords": [_mf2_text(v) for v in props.get("category") or [] if _mf2_text(v)],
        "location": _mf2_place(_mf2_first(props, "location")),
        "geo": _mf2_geo(props),
    }


def _mf2_place(value: Any) -> Any:
    """A p-location (text, h-card, h-adr or h-geo) as a schema.org Place."""
    if not isinstance(value, dict):
        return value
    props: dict[str, Any] = value.get("properties") or {}
    adr = _mf2_first(props, "adr")
    adr_props: dict[str, Any] = adr.get("properties") or {} if isinstance(adr, dict) else {}
    address = {
        schema: _mf2_text(_mf2_first(props, mf2)) or _mf2_text(_mf2_first(adr_props, mf2))
        for schema, mf2 in (("streetAddress", "street-address"), ("addressLocality", "locality"),
                            ("postalCode", "postal-code"))
    }
    name = _mf2_text(_mf2_first(props, "name"))
    if not name and not any(address.values()) and "h-geo" not in (value.get("type") or []):
        name = _mf2_text(value)  # an h-card with only text: the text is the place's name
    return {"@type": "Place", "name": name, "address": address, "geo": _mf2_geo(props) or _mf2_geo(adr_props)}


def _mf2_geo(props: dict[str, Any]) -> Any:
    """Coordinates from p-geo (an h-geo or "lat;lon" text) or p-latitude/p-longitude, for _point to check."""
    geo = _mf2_first(props, "geo")
    if isinstance(geo, dict):
        props = geo.get("properties") or {}
    elif isinstance(geo, str):
        return geo  # "37.386013;-122.082932", as hCard writes it
    latitude, longitude = _mf2_first(props, "latitude"), _mf2_first(props, "longitude")
    return {"latitude": latitude, "longitude": longitude} if latitude is not None else None


# ---------------------------------------------------------------- one event


def _read(node: dict[str, Any], page: str, zone: ZoneInfo) -> _Reading | None:
    """One event object as a _Reading; None without a readable start."""
    start = _when(_get(node, "startDate"), zone)
    if start is None:
        return None
    end = _when(_get(node, "endDate"), zone)
    duration = _duration(_text(_get(node, "duration")))
    start_utc, end_utc, start_date, end_date = _span(start, end, duration, zone)
    link = _text(_get(node, "url")).strip()
    own_url = clean_url(urljoin(page, link)) if link else ""
    title = _plain(_text(_get(node, "name")) or _text(_get(node, "summary")))
    return _Reading(
        title=title or UNTITLED,
        start=start_utc,
        end=end_utc,
        start_date=start_date,
        end_date=end_date,
        own_id=_identifier(node.get("@id"), page) or own_url,
        url=own_url,
        status=_status(_get(node, "eventStatus")),
        description=_unslash(_text(_get(node, "description"))),
        categories=_categories(_get(node, "keywords")),
        place=_place(node),
    )


def _when(value: Any, zone: ZoneInfo) -> date | datetime | None:
    """An ISO 8601 date (all day) or an aware datetime (no offset: the hub's zone); None for anything else."""
    text = _text(value).strip()
    if not text or len(text) > 40:
        return None
    match = _DATE_ONLY.match(text)
    try:
        if match:
            return date(*map(int, match.groups()))
        if not _HAS_TIME.search(text):
            return date.fromisoformat(text)  # week and ordinal dates
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None  # "Saturday 13 June", "TBC": prose is never read as a date
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def _duration(text: str) -> timedelta | None:
    """An ISO 8601 duration ("PT2H", "P1DT2H30M") as a timedelta; None if absent, unreadable or zero."""
    match = _DURATION.match(text.strip())
    if not match or not any(match.groups()):
        return None
    weeks, days, hours, minutes, seconds = (int(n) if n else 0 for n in match.groups())
    length = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    return length or None


def _span(start: date, end: date | None, duration: timedelta | None,
          zone: ZoneInfo) -> tuple[datetime, datetime, date | None, date | None]:
    """(start, end, start_date, end_date) in UTC; days for an all-day event, the end day exclusive."""
    if isinstance(start, datetime) and isinstance(end, datetime) and _whole_days(start, end):
        # The Events Calendar writes an all-day event as 00:00:00 to 23:59:59 on its days.
        start, end = start.date(), end.date()
    # schema.org's endDate, when a date, names the event's last day.
    return time_span(start, end, zone, last_day_inclusive=True, duration=duration)


def _whole_days(start: datetime, end: datetime) -> bool:
    """Whether a span runs from the first second of its first day to the last second of its last."""
    return start.time() == time() and end.time() == time(23, 59, 59) and end.date() >= start.date()


def _text(value: Any) -> str:
    """A property's text: a string, a number, a JSON-LD value object, or the first of a list that has one."""
    if isinstance(value, str):
        return _UNSAFE.sub("", value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, dict):
        return _text(value.get("@value"))
    if isinstance(value, list):
        for item in value[:20]:
            text = _text(item)
            if text.strip():
                return text
    return ""


def _unslash(text: str) -> str:
    """Undo WordPress's esc_js, which The Events Calendar runs on names and descriptions: "\\n" and "\\'"."""
    if "\\" not in text:
        return text
    return text.replace("\\r", "").replace("\\n", "\n").replace("\\'", "'").replace('\\"', '"')


def _plain(text: str) -> str:
    """One line of plain text from text that may hold markup or (even doubly) encoded entities."""
    text = _unslash(text)
    for _ in range(3):
        if "&" not in text and "<" not in text:
            break
        text = html_entities.unescape(text)
        text = _TAG.sub(" ", _SCRIPT_BLOCK.sub(" ", text))
    return " ".join(text.split())


def _said(part: str, earlier: str) -> bool:
    """Whether a place's part is already in an earlier part as whole words ("London" in "1 High St London E1")."""
    return re.search(rf"(?<!\w){re.escape(part)}(?!\w)", earlier, re.IGNORECASE) is not None


def _identifier(value: Any, page: str) -> str:
    """An @id, itemid or uid usable as the event's identity: an absolute http(s) URL (made so), a URN or a tag."""
    text = _text(value).strip()
    if not text or text.startswith("_:") or len(text) > 1000:
        return ""  # a blank node names nothing outside its document
    if re.match(r"^(?:urn|tag):\S+$", text, re.IGNORECASE):
        return text
    return clean_url(urljoin(page, text))


def _status(value: Any) -> str:
    """CANCELLED for EventCancelled, TENTATIVE for EventPostponed, else CONFIRMED (EventRescheduled too)."""
    raw = value.get("@id") if isinstance(value, dict) else value
    name = re.split(r"[/#:]", _text(raw).strip())[-1].casefold()
    if "cancel" in name:
        return "CANCELLED"
    if "postpone" in name:
        return "TENTATIVE"
    return "CONFIRMED"


def _categories(value: Any) -> tuple[str, ...]:
    """schema.org keywords (a comma-separated text or a list) without repeats or URLs."""
    values = value if isinstance(value, list) else [value]
    found: dict[str, None] = {}
    for item in values[:50]:
        for name in _text(item)[:2000].split(",")[:50]:
            cleaned = _plain(name)[:100]
            if cleaned and not clean_url(cleaned):
                found.setdefault(cleaned, None)
    return tuple(found)[:20]


def _place(node: dict[str, Any]) -> _Place:
    """The event's location (Place, PostalAddress, text, VirtualLocation) and coordinates."""
    place = _Place()
    locations = _get(node, "location")
    for location in (locations if isinstance(locations, list) else [locations])[:10]:
        if isinstance(location, str):
            if clean_url(location.strip()):
                place.online = True  # a bare URL is where to join online
            elif not place.text and not place.name:
                place.text = _plain(", ".join(_text(location).splitlines()))
        elif isinstance(location, dict):
            _read_location(location, place)
    mode = re.split(r"[/#:]", _text(_get(node, "eventAttendanceMode")).strip())[-1]
    if mode == "OnlineEventAttendanceMode":
        # Online only: a Place given as well is the organiser's office or a placeholder.
        return _Place(online=True)
    if place.lat is None:
        place.lat, place.lon = _point(_get(node, "geo"))
    return place


def _read_location(location: dict[str, Any], place: _Place) -> None:
    """Fill `place` from one location object, unless a physical place was already read."""
    types = _types(location)
    if "VirtualLocation" in types:
        place.online = True
        return
    if place.name or place.street or place.text:
        return  # the first physical place is the event's
    address = _get(location, "address")
    address = address[0] if isinstance(address, list) and address else address
    if "PostalAddress" in types or (not types and _get(location, "streetAddress") is not None):
        address = location
    else:
        name = _plain(_text(_get(location, "name")))
        # Microdata reads a name written as a link (Gancio's <a itemprop="name">) as the link's href.
        place.name = "" if clean_url(name) else name
    if isinstance(address, dict):
        place.street = _plain(_text(_get(address, "streetAddress")))
        place.locality = _plain(_text(_get(address, "addressLocality")))
        place.postcode = _plain(_text(_get(address, "postalCode")))
    elif isinstance(address, str):
        place.street = _plain(", ".join(_text(address).splitlines()))  # a postal address's lines
    geo = _get(location, "geo")
    if geo is None and _get(location, "latitude") is not None:
        geo = {"latitude": _get(location, "latitude"), "longitude": _get(location, "longitude")}
    place.lat, place.lon = _point(geo)


def _point(geo: Any) -> tuple[float | None, float | None]:
    """(lat, lon) from GeoCoordinates (numbers or strings) or "lat;lon" text; None if absent or implausible."""
    geo = geo[0] if isinstance(geo, list) and geo else geo
    if isinstance(geo, dict):
        raw_lat, raw_lon = _text(_get(geo, "latitude")), _text(_get(geo, "longitude"))
    elif isinstance(geo, str) and re.fullmatch(r"\s*-?[\d.]+\s*[;,]\s*-?[\d.]+\s*", geo):
        raw_lat, raw_lon = re.split(r"[;,]", geo)
    else:
        return None, None
    try:
        lat, lon = float(raw_lat), float(raw_lon)
    except ValueError:
        return None, None
    if math.isfinite(lat) and math.isfinite(lon) and plausible_point(lat, lon):
        return lat, lon
    return None, None


# ---------------------------------------------------------------- the page's events


def _merged(readings: list[_Reading], zone: ZoneInfo) -> list[_Reading]:
    """One reading per event, merged field by field: the same title and start, or, from two syntaxes, day.

    Two syntaxes may say the same event with different precision (JSON-LD's time, hCalendar's date)
    or one of them without its offset; within one syntax, two starts on a day are two events.
    """
    kept: list[_Reading] = []
    exact: dict[tuple[datetime, str], _Reading] = {}
    by_day: dict[tuple[date, str], list[_Reading]] = {}
    for reading in readings:
        title = reading.title.casefold()
        day = reading.start_date or reading.start.astimezone(zone).date()
        first = exact.get((reading.start, title)) or next(
            (r for r in by_day.get((day, title), []) if r.syntax != reading.syntax), None)
        if first is None:
            kept.append(reading)
            exact[(reading.start, title)] = reading
            by_day.setdefault((day, title), []).append(reading)
            continue
        if first.end == first.start and reading.end > reading.start:
            first.end, first.end_date = reading.end, reading.end_date
        first.own_id = first.own_id or reading.own_id
        first.url = first.url or reading.url
        first.status = first.status if first.status != "CONFIRMED" else reading.status
        first.description = first.description or reading.description
        first.categories = first.categories or reading.categories
        a, b = first.place, reading.place
        first.place = _Place(
            name=a.name or b.name, street=a.street or b.street, locality=a.locality or b.locality,
            postcode=a.postcode or b.postcode, text=a.text or b.text,
            lat=a.lat if a.lat is not None else b.lat, lon=a.lon if a.lat is not None else b.lon,
            online=a.online or b.online,
        )
    return kept


def _finish(readings: list[_Reading], page: str, context: ParseContext) -> list[EventIn]:
    """EventIns for the readings inside the window, with identities unique on the page."""
    events: list[EventIn] = []
    used: set[str] = set()
    several = len(readings) > 1
    page_url = clean_url(page)
    for index, reading in enumerate(readings, start=1):
        uid = reading.own_id or (f"{page}#event-{index}" if several else page)
        if not page and not reading.own_id:
            digest = hashlib.sha256(f"{reading.title}|{reading.start.isoformat()}".encode()).hexdigest()[:32]
            uid = f"no-id-{digest}"  # as the RSS parser names an item without id or link
        if uid in used:
            uid = f"{uid}{'-' if '#' in uid else '#'}event-{index}"
        used.add(uid)
        if reading.start > context.window_end or reading.end < context.window_start:
            continue
        html_text, plain_text = _description(reading.description)
        place = reading.place
        events.append(EventIn(
            source_uid=uid,
            recurrence_id="",
            title=reading.title,
            start=reading.start,
            end=reading.end,
            all_day=reading.start_date is not None,
            start_date=reading.start_date,
            end_date=reading.end_date,
            status=reading.status,
            description_html=html_text,
            description_text=plain_text,
            location=place.line(),
            url=reading.url or page_url,
            categories=reading.categories,
            lat=place.lat,
            lon=place.lon,
        ))
        if len(events) >= MAX_EVENTS:
            break
    return events


def _description(text: str) -> tuple[str, str]:
    """(safe html, plain text) from a description that may be HTML, entity-escaped HTML or plain text."""
    if not text.strip():
        return "", ""
    if not _MARKUP.search(text) and "&lt;" in text:
        # The Events Calendar's JSON-LD carries the excerpt as escaped HTML ("&lt;p&gt;...").
        text = html_entities.unescape(text)
    if _MARKUP.search(text):
        cleaned = clean_html(text)
        return cleaned, to_text(cleaned)
    plain = html_entities.unescape(text) if "&" in text else text
    return text_to_html(plain), to_text(plain)
