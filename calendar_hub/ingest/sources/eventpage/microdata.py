"""Microdata (through extruct) and h-event microformats (through mf2py, hCalendar too) as JSON-LD-shaped objects.

Both libraries are loaded only for a page that has such events: importing this module loads neither.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import lxml.html

from calendar_hub.ingest.sources.eventpage.jsonld import event_objects
from calendar_hub.ingest.sources.eventpage.page import MAX_DEPTH, MAX_EVENTS, MAX_MF2_CHARS, MAX_READINGS
from calendar_hub.ingest.sources.eventpage.schema import EVENT_TYPES

_H_EVENT = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
_MF_EVENT = " or ".join(_H_EVENT.format(name) for name in ("h-event", "vevent"))
_OUTER_MF_EVENTS = f"//*[{_MF_EVENT}][not(ancestor::*[{_MF_EVENT}])]"


def microdata_nodes(tree: Any, page: str) -> list[dict[str, Any]]:
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
    return event_objects(documents, {})


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


def microformat_nodes(tree: Any, page: str) -> list[dict[str, Any]]:
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
    """Coordinates from p-geo (an h-geo or "lat;lon" text) or p-latitude/p-longitude, checked with the place."""
    geo = _mf2_first(props, "geo")
    if isinstance(geo, dict):
        props = geo.get("properties") or {}
    elif isinstance(geo, str):
        return geo  # "37.386013;-122.082932", as hCard writes it
    latitude, longitude = _mf2_first(props, "latitude"), _mf2_first(props, "longitude")
    return {"latitude": latitude, "longitude": longitude} if latitude is not None else None
