"""JSON-LD: the event objects in a page's <script type="application/ld+json"> blocks (arrays, @graph, @id
references, subEvent), read leniently for the producers' usual slips.
"""

from __future__ import annotations

import html as html_entities
import json
import re
from collections.abc import Iterator
from typing import Any

from calendar_hub.ingest.sources.eventpage.page import MAX_DEPTH, MAX_NODES, MAX_SCRIPTS
from calendar_hub.ingest.sources.eventpage.schema import EVENT_TYPES, schema_get, schema_types

# Where events nest: @graph, subEvent (Event), itemListElement/item (ItemList), mainEntity
# (WebPage) and event (Place, Organization).  superEvent is not followed: a talk's page is not
# the conference's page.
_CONTAINERS = ("@graph", "itemListElement", "item", "mainEntity", "event", "events")
_SUB_EVENTS = ("subEvent", "subEvents")
# For the lenient JSON-LD reading: strings are kept whole; comments, CDATA and HTML comment
# markers and trailing commas (JSON, RFC 8259, allows none of them) are dropped.
# Every alternative matches where it starts (an unclosed string or comment runs to the end, the
# string possessively): no text can make the scan quadratic.
_JSON_JUNK = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)|//[^\n]*|/\*.*?(?:\*/|\Z)|<!\[CDATA\[|\]\]>|<!--|-->'
                        r'|,(?=\s*[}\]])', re.DOTALL)


def jsonld_nodes(tree: Any, page: str) -> list[dict[str, Any]]:
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
    return [_inline(node, ids, 0) for node in event_objects(documents, ids)]


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
    types = schema_types(node)
    if types & EVENT_TYPES or (event_slot and not types and schema_get(node, "startDate") is not None):
        if types != {"EventSeries"}:
            found.append(node)
        for key in _SUB_EVENTS:
            _walk(schema_get(node, key), ids, found, seen, visits, depth + 1, True)
        return
    for key in _CONTAINERS:
        _walk(node.get(key) if key.startswith("@") else schema_get(node, key), ids, found, seen, visits, depth + 1,
              key in ("event", "events"))


def event_objects(documents: list[Any], ids: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The event objects among JSON-LD-shaped documents, in document order, following {"@id": ...} through `ids`."""
    found: list[dict[str, Any]] = []
    _walk(documents, ids, found, set(), [0], 0, False)
    return found
