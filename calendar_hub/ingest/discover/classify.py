"""What discovery says of a calendar or feed it found: its title, notes on its content, and its fingerprint.

What kind a body is comes from `calendar_hub.ingest.sources.kinds`, which the refresh uses too.
"""

from __future__ import annotations

import hashlib
import re
from itertools import islice

from calendar_hub.ingest.sanitize import to_text
from calendar_hub.ingest.sources.kinds import HEAD_BYTES, json_object

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
        data = json_object(body)
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


