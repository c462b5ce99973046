"""JSON Feed (https://jsonfeed.org/version/1.1) to linked items: `parse(data, *, context) -> ParseResult`.

JSON Feed has no vocabulary for when an event happens, and an item's `date_published` is when
it was posted, never the event's date.  So every item with a link becomes a `LinkedItem`: the
refresh reads the event from the page it links to (schema.org Event or h-event), or skips it.
"""

from __future__ import annotations

import json
from typing import Any

from calendar_hub.errors import ParseError
from calendar_hub.ingest.sanitize import clean_html, clean_result, clean_url, text_to_html, to_text
from calendar_hub.ingest.sources.kinds import JSON_FEED_VERSIONS
from calendar_hub.occurrence import UNTITLED, LinkedItem, ParseContext, ParseResult

MAX_ITEMS = 1000


def parse(data: bytes, *, context: ParseContext) -> ParseResult:
    """Read a JSON Feed's items as linked items; raises ParseError if the body is not a JSON Feed."""
    try:
        feed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # RecursionError: nesting built to exhaust the stack
        raise ParseError("this address returns JSON that cannot be read", url=context.url) from e
    if not isinstance(feed, dict) or not str(feed.get("version", "")).startswith(JSON_FEED_VERSIONS):
        raise ParseError("this address returns JSON data, not a calendar or a feed", url=context.url)
    items = feed.get("items")
    result = ParseResult()
    seen: set[str] = set()
    for item in items[:MAX_ITEMS] if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        title = " ".join(to_text(str(item.get("title") or "")).split()) or UNTITLED
        link = clean_url(item.get("url") or item.get("external_url"))
        if not link:
            result.skip(f'skipped "{title}": it had no event date and no link', "it had no event date")
            continue
        uid = str(item.get("id") or link)
        if uid in seen:
            continue
        seen.add(uid)
        html, text = _content(item)
        result.linked.append(LinkedItem(source_uid=uid, title=title, link=link, description_html=html,
                                        description_text=text, categories=_tags(item)))
    return clean_result(result)


def _content(item: dict[str, Any]) -> tuple[str, str]:
    """(html, text) from content_html, else content_text, else summary."""
    if isinstance(item.get("content_html"), str) and item["content_html"].strip():
        return clean_html(item["content_html"]), to_text(item["content_html"])
    for key in ("content_text", "summary"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return text_to_html(value), to_text(value)
    return "", ""


def _tags(item: dict[str, Any]) -> tuple[str, ...]:
    tags = item.get("tags")
    if not isinstance(tags, list):
        return ()
    return tuple(dict.fromkeys(" ".join(str(tag).split()) for tag in tags if str(tag).strip()))
