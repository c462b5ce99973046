"""The page's events: readings of one event merged field by field, then finished as EventIns inside the window."""

from __future__ import annotations

import hashlib
import html as html_entities
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from calendar_hub.ingest.sanitize import clean_html, clean_url, text_to_html, to_text
from calendar_hub.ingest.sources.eventpage.page import MAX_EVENTS
from calendar_hub.ingest.sources.eventpage.place import Place
from calendar_hub.ingest.sources.eventpage.reading import Reading
from calendar_hub.occurrence import EventIn, ParseContext

_MARKUP = re.compile(r"<[A-Za-z!/]")


def merged(readings: list[Reading], zone: ZoneInfo) -> list[Reading]:
    """One reading per event, merged field by field: the same title and start, or, from two syntaxes, day.

    Two syntaxes may say the same event with different precision (JSON-LD's time, hCalendar's date)
    or one of them without its offset; within one syntax, two starts on a day are two events.
    """
    kept: list[Reading] = []
    exact: dict[tuple[datetime, str], Reading] = {}
    by_day: dict[tuple[date, str], list[Reading]] = {}
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
        first.place = Place(
            name=a.name or b.name, street=a.street or b.street, locality=a.locality or b.locality,
            postcode=a.postcode or b.postcode, text=a.text or b.text,
            lat=a.lat if a.lat is not None else b.lat, lon=a.lon if a.lat is not None else b.lon,
            online=a.online or b.online,
        )
    return kept


def finish(readings: list[Reading], page: str, context: ParseContext) -> list[EventIn]:
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
