"""What a fetched body is, from its first bytes: `classify(body, content_type)` and plain words for what it is not.

Shared by the refresh (which parser reads a feed) and discovery (what a pasted address serves).
Pure: bytes in, a kind or words out; never raises.
"""

from __future__ import annotations

import json
import re

BOMS = b"\xef\xbb\xbf \t\r\n"
# Before an XML document's root element: the declaration, processing instructions
# (xml-stylesheet, which WordPress and Blogger put on their feeds), comments, a DOCTYPE.
_XML_PROLOGUE = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!doctype[^>]*>)", re.IGNORECASE | re.DOTALL)
_ROOT = re.compile(rb"\s*<([a-z_][\w:.-]*)", re.IGNORECASE)
_FEED_ROOTS = {b"rss", b"feed", b"rdf:rdf", b"rdf"}  # RSS 0.9x/2.0, Atom (RFC 4287), RSS 1.0 (RDF)
_HTML_ROOTS = {b"html", b"head", b"body"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
# JSON Feed 1.0/1.1: a JSON object whose "version" is the URL of the version it follows; some
# producers of 1.0 wrote it with http://.
JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
# What else a calendar's address turns out to serve, by the first bytes.
_SIGNATURES = ((b"%PDF-", "a PDF document"), (b"\x89PNG", "an image"), (b"\xff\xd8\xff", "an image"),
               (b"GIF8", "an image"), (b"PK\x03\x04", "a ZIP file or an office document"),
               (b"\xd0\xcf\x11\xe0", "an office document"), (b"begin:vcard", "a contact card (vCard)"))
# Descriptions that already say what the body is not.
_SELF_EXPLAINED = ("something that is neither", "JSON data that is not", "an XML document that is neither")
HEAD_BYTES = 65_536
# RFC 5545 3.4: a calendar object starts with BEGIN:VCALENDAR; some exporters write its events (and time
# zones) bare, without one, which the ICS parser reads as one calendar.
_CALENDAR_STARTS = (b"begin:vcalendar", b"begin:vevent", b"begin:vtimezone")
# Byte-order marks of the wide encodings, UTF-32 first: its little-endian mark starts like UTF-16's.
_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
              (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def wide_encoding(data: bytes) -> tuple[str, int] | None:
    """(codec, length of its byte-order mark) for a UTF-16 or UTF-32 body, or None for anything else.

    Windows tools export calendars in UTF-16 now and then, with or without a byte-order mark;
    without one, the zero bytes around the first (ASCII) characters tell the form (RFC 2781 4.3).
    """
    for mark, codec in _WIDE_BOMS:
        if data.startswith(mark):
            return codec, len(mark)
    head = data[:4]
    if len(head) < 4:
        return None
    zeros: tuple[bool, ...] = tuple(byte == 0 for byte in head)
    forms: dict[tuple[bool, ...], str] = {
        (True, True, True, False): "utf-32-be", (False, True, True, True): "utf-32-le",
        (True, False, True, False): "utf-16-be", (False, True, False, True): "utf-16-le"}
    form = forms.get(zeros)
    return (form, 0) if form else None


def narrow(data: bytes) -> bytes:
    """A UTF-16 or UTF-32 body as UTF-8 (unreadable units replaced), any other body as it is."""
    wide = wide_encoding(data)
    if wide is None:
        return data
    codec, mark = wide
    return data[mark:].decode(codec, errors="replace").encode("utf-8", errors="replace")


def classify(body: bytes, content_type: str = "") -> str:
    """'ical', 'rss' (RSS or Atom), 'jsonfeed', 'html' or 'other' for a fetched body; never raises."""
    head = narrow(body[:8192])[:4096].lstrip(BOMS)
    lowered = head[:2048].lower()
    if lowered.startswith(_CALENDAR_STARTS):
        return "ical"
    if lowered.startswith((b"{", b"[")):
        return "jsonfeed" if _is_json_feed(body) else "other"
    if lowered.startswith(b"<"):
        if lowered.startswith(b"<!doctype html"):
            return "html"
        root = _root_element(lowered)
        if root in _FEED_ROOTS or root.endswith(b":feed"):
            return "rss"
        if root in _HTML_ROOTS:
            return "html"
    if content_type.split(";")[0].strip().lower() in _HTML_TYPES or b"<html" in lowered or b"<body" in lowered:
        return "html"
    return "other"


def describe_other(body: bytes) -> str:
    """Plain words for a body that is neither a calendar, a feed nor a web page: 'a PDF', 'an image', ..."""
    head = body[:2048].lstrip(BOMS)
    if not head.strip():
        return "an empty page"
    for signature, words in _SIGNATURES:
        if head[: len(signature)].lower() == signature.lower():
            return words
    if head.startswith((b"{", b"[")):
        return "JSON data that is not a JSON Feed"
    if head.startswith(b"<"):
        return "an XML document that is neither a calendar nor a feed"
    return "something that is neither a calendar (ICS) nor a feed (RSS/Atom)"


def returns_instead(body: bytes, wanted: str) -> str:
    """ "this address returns a PDF document, not {wanted}", for a body that is not a web page either."""
    what = describe_other(body)
    return f"this address returns {what}" + ("" if what.startswith(_SELF_EXPLAINED) else f", not {wanted}")


def _root_element(lowered: bytes) -> bytes:
    position = 0
    while match := _XML_PROLOGUE.match(lowered, position):
        if match.end() == position:
            break
        if match.group(0).strip().startswith(b"<!doctype html"):
            return b"html"
        position = match.end()
    root = _ROOT.match(lowered, position)
    return root.group(1) if root else b""


def _is_json_feed(body: bytes) -> bool:
    if b"jsonfeed.org/version/" not in body[:HEAD_BYTES]:
        return False  # cheap refusal before parsing megabytes of someone else's JSON
    data = json_object(body)
    return data is not None and str(data.get("version", "")).startswith(JSON_FEED_VERSIONS)


def json_object(body: bytes) -> dict[str, object] | None:
    """The body as a JSON object, or None if it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # bad JSON, bad encoding, or nesting built to exhaust the stack
        return None
    return data if isinstance(data, dict) else None
