"""An event's web page to EventIns: `events_from_page(html, *, url, context) -> list[EventIn]`; never raises.

Reads schema.org Event from JSON-LD (arrays, @graph, @id references, subEvent), schema.org
microdata and h-event microformats (with hCalendar through mf2py's backward compatibility).
A date written only in prose is never guessed: a page without a machine-readable start gives [].
The same event described twice (JSON-LD and microdata, say) is read once, each field from the
first description that has it.

Modules: page (the limits, decoding, the document), schema (schema.org's vocabulary and values), jsonld,
microdata (microdata and h-event), place, reading (one event), merging (the page's events merged and finished).
"""

from __future__ import annotations

import lxml.etree

from calendar_hub.ingest.sanitize import clean_event
from calendar_hub.ingest.sources.eventpage.jsonld import jsonld_nodes
from calendar_hub.ingest.sources.eventpage.merging import finish, merged
from calendar_hub.ingest.sources.eventpage.microdata import microdata_nodes, microformat_nodes
from calendar_hub.ingest.sources.eventpage.page import MAX_BYTES, MAX_EVENTS, MAX_READINGS, document
from calendar_hub.ingest.sources.eventpage.reading import Reading, read
from calendar_hub.occurrence import EventIn, ParseContext

__all__ = ["MAX_BYTES", "MAX_EVENTS", "events_from_page"]


def events_from_page(html: bytes, *, url: str, context: ParseContext) -> list[EventIn]:
    """The events a page describes (JSON-LD, microdata, h-event) within the window; [] if none; never raises."""
    page = url.strip()
    try:
        tree = document(html)
    except (ValueError, LookupError, lxml.etree.LxmlError):
        return []
    if tree is None:
        return []
    readings: list[Reading] = []
    for syntax, source in enumerate((jsonld_nodes, microdata_nodes, microformat_nodes)):
        try:
            nodes = source(tree, page)
        except MemoryError:
            raise  # the worker's limit, not the markup's: the page fails as a whole
        except Exception:
            continue  # an extractor failing on hostile markup costs only its own syntax
        for node in nodes:
            if len(readings) >= MAX_READINGS:
                break
            try:
                reading = read(node, page, context.zone)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError):
                reading = None  # one unreadable event must not cost the others
            if reading is not None:
                reading.syntax = syntax
                readings.append(reading)
    return [clean_event(event) for event in finish(merged(readings, context.zone), page, context)]
