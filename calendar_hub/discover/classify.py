"""What a fetched body is: `classify(body, content_type)`, plain words for what it is not, and a feed's title."""

from __future__ import annotations

import hashlib
import json
import re
from itertools import islice

from calendar_hub.sanitize import to_text

_BOMS = b"\xef\xbb\xbf \t\r\n"
# Before an XML document's root element: the declaration, processing instructions
# (xml-stylesheet, which WordPress and Blogger put on their feeds), comments, a DOCTYPE.
_XML_PROLOGUE = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!doctype[^>]*>)", re.IGNORECASE | re.DOTALL)
_ROOT = re.compile(rb"\s*<([a-z_][\w:.-]*)", re.IGNORECASE)
_FEED_ROOTS = {b"rss", b"feed", b"rdf:rdf", b"rdf"}  # RSS 0.9x/2.0, Atom (RFC 4287), RSS 1.0 (RDF)
_HTML_ROOTS = {b"html", b"head", b"body"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
# JSON Feed 1.0/1.1: a JSON object whose "version" is the URL of the version it follows; some
# producers of 1.0 wrote it with http://, and the JSON Feed parser takes those too.
JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")
# The vocabularies in which an RSS/Atom item can say when its event happens, as the RSS parser
# reads them: the RSS event module, xCal (RFC 6321) and Google Calendar's gd:when.
_EVENT_VOCABULARIES = (b"purl.org/rss/1.0/modules/event", b"urn:ietf:params:xml:ns:xcal",
                       b"urn:ietf:params:xml:ns:icalendar-2.0", b"schemas.google.com/g/2005")
_ITEM = re.compile(rb"<(?:[\w-]+:)?(?:item|entry)[\s>/]", re.IGNORECASE)
_VEVENT = re.compile(rb"^BEGIN:VEVENT\s*$", re.IGNORECASE | re.MULTILINE)
_UID = re.compile(rb"^UID[;:].*$", re.IGNORECASE | re.MULTILINE)
_CALNAME = re.compile(r"^X-WR-CALNAME(?:;[^:\r\n]*)?:(.*)$", re.IGNORECASE | re.MULTILINE)
_XML_TITLE = re.compile(r"<(?:[\w-]+:)?title\b[^>]*>(.*?)</(?:[\w-]+:)?title\s*>", re.IGNORECASE | re.DOTALL)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_SIGNATURES = ((b"%PDF-", "a PDF"), (b"\x89PNG", "an image"), (b"\xff\xd8\xff", "an image"),
               (b"GIF8", "an image"), (b"PK\x03\x04", "a ZIP file or an office document"),
               (b"\xd0\xcf\x11\xe0", "an office document"), (b"begin:vcard", "a contact card (vCard)"))
HEAD_BYTES = 65_536


def classify(body: bytes, content_type: str = "") -> str:
    """'ical', 'rss' (RSS or Atom), 'jsonfeed', 'html' or 'other' for a fetched body; never raises."""
    head = body[:4096].lstrip(_BOMS)
    lowered = head[:2048].lower()
    if lowered.startswith(b"begin:vcalendar"):   # RFC 5545 3.4: a calendar object starts so
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
    head = body[:2048].lstrip(_BOMS)
    if not head.strip():
        return "an empty page"
    for signature, words in _SIGNATURES:
        if head[: len(signature)].lower() == signature.lower():
            return words
    if head.startswith((b"{", b"[")):
        return "JSON data that is not a JSON Feed"
    if head.startswith(b"<"):
        return "an XML document that is neither a calendar nor a feed"
    return "something that is neither a calendar (ICS) nor a feed (RSS, Atom or JSON Feed)"


def feed_title(body: bytes, kind: str) -> str:
    """The title a calendar or feed gives itself (X-WR-CALNAME, <title>, "title"), as plain text, or ""."""
    text = body[:HEAD_BYTES].decode("utf-8", errors="replace")
    title = ""
    if kind == "ical":
        # RFC 5545 3.1: unfold continuation lines first; 3.3.11: unescape TEXT values.
        match = _CALNAME.search(re.sub(r"\r?\n[ \t]", "", text))
        if match:
            title = re.sub(r"\\([\\;,nN])", lambda m: " " if m.group(1) in "nN" else m.group(1), match.group(1))
    elif kind == "rss":
        match = _XML_TITLE.search(text)
        if match:
            title = to_text(_CDATA.sub(lambda m: m.group(1), match.group(1)))
    elif kind == "jsonfeed":
        data = _json_object(body)
        title = str(data.get("title") or "") if data else ""
    return plain(title)


def notes(body: bytes, kind: str) -> tuple[str, bool]:
    """Words to add to a feed's `how` about what is (not) in it, and whether that makes it a weaker choice."""
    if kind == "ical":
        events = sum(1 for _ in islice(_VEVENT.finditer(body), 2))
        if events == 0:
            return "; it has no events at the moment", False
        if events == 1:
            return "; it holds a single event (perhaps one event's \"add to calendar\" file)", True
    elif kind == "rss":
        head = body[:1_000_000]
        if not _ITEM.search(head):
            return "; it has no items at the moment", False
        if not any(vocabulary in head for vocabulary in _EVENT_VOCABULARIES):
            return "; a news feed: its items have no event dates", True
    return "", False


def fingerprint(body: bytes, kind: str) -> str:
    """What makes two bodies the same calendar: its UIDs for ICS (DTSTAMP changes on every fetch), else its bytes."""
    if kind == "ical":
        uids = sorted(set(_UID.findall(body)))
        if uids:
            return "uids:" + hashlib.sha256(b"\n".join(uids)).hexdigest()
    return "body:" + hashlib.sha256(body).hexdigest()


def plain(text: str, limit: int = 160) -> str:
    """Untrusted text as one short line: control characters dropped, spaces collapsed, cut at `limit`."""
    line = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


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
    data = _json_object(body)
    return data is not None and str(data.get("version", "")).startswith(JSON_FEED_VERSIONS)


def _json_object(body: bytes) -> dict[str, object] | None:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # bad JSON, bad encoding, or nesting built to exhaust the stack
        return None
    return data if isinstance(data, dict) else None
