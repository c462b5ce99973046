"""A fetched body's fingerprint with the stamps the hub never publishes left out: what says "nothing changed".

    body_fingerprint(body, kind)   a hash that two bodies differing only in their stamps share

Google Calendar and Office 365 set every VEVENT's DTSTAMP to the time of the request, so their bodies never
hash the same twice, and every refresh of such a feed was a full parse, expansion and diff that wrote nothing
(a stamp is in no event's content hash, `identity.content_hash`).  The fingerprint hashes the body with those
lines taken out, so such a refresh costs one pass over the bytes and one hash.

What is left out, and why leaving it out cannot change what a parse would store:
- ICS: `DTSTAMP:` and `LAST-MODIFIED:` lines (no parameters) whose value is a real date-time.  The parsers read
  them only into `EventIn.stamp` / `EventIn.modified`, which the store writes only with a change of content,
  and the catalogue's choice of the newest copy reads those stored values; so a parse of a body whose only
  changes are such lines stores nothing, and skipping it stores nothing too.  Two exceptions keep the
  stamps in: a UID with more than one VEVENT without RECURRENCE-ID (the ICS parser keeps the copy with the
  newest DTSTAMP, `ics._newest`), and a VEVENT without UID (its identity comes from other lines, so a
  duplicate cannot be told from the text).  A malformed stamp stays in: it may cost its event in a parse.
- RSS and Atom: the channel's or feed's own `lastBuildDate`, `pubDate`, `updated` and `dc:date`, before the
  first item or entry (the RSS parser reads no date of the channel); items are hashed as they are.
- Anything else (JSON Feed, wide encodings, unknown kinds): the whole body.

The fingerprint includes `PARSER_VERSION`, so a change to parsing parses every body again.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

from calendar_hub.ingest.judge import PARSER_VERSION
from calendar_hub.ingest.sources.kinds import classify, wide_encoding

__all__ = ["FINGERPRINT_VERSION", "body_fingerprint", "stamp_free_ics"]

# Bump when what is left out changes.
FINGERPRINT_VERSION = "1"

_FOLD = re.compile(rb"\r?\n[ \t]")
_STAMP = re.compile(rb"^(?:DTSTAMP|LAST-MODIFIED):(\d{8}T\d{6}Z?)[ \t]*(?:\r?\n|\Z)", re.IGNORECASE | re.MULTILINE)
# The lines that say which VEVENT a UID belongs to: its BEGIN, its UID, its RECURRENCE-ID, and the alarms inside
# it (RFC 9074 gives alarms UIDs of their own).
_MARKS = re.compile(rb"^(BEGIN:VEVENT|END:VEVENT|BEGIN:VALARM|END:VALARM|UID[;:]|RECURRENCE-ID[;:])([^\r\n]*)",
                    re.IGNORECASE | re.MULTILINE)
_UNESCAPE = re.compile(rb"\\([\\;,])")
_FIRST_ITEM = re.compile(rb"<(?:[\w-]+:)?(?:item|entry)[\s>/]", re.IGNORECASE)
_HEAD_STAMP = re.compile(rb"<((?:[\w-]+:)?(?:lastBuildDate|pubDate|updated|date))(?:\s[^>]*)?>[^<]*</\1\s*>",
                         re.IGNORECASE)


def body_fingerprint(body: bytes, kind: str) -> str:
    """The hash of `body` with the stamps the hub never publishes left out (see the module's docstring).

    `kind` is the feed's declared kind ("ical", "rss", "jsonfeed") or "" to tell it from the bytes."""
    chosen = kind or classify(body)
    if chosen == "ical":
        text = stamp_free_ics(body)
    elif chosen == "rss":
        text = _stamp_free_feed(body)
    else:
        text = body
    return hashlib.sha256(f"{PARSER_VERSION}\0{FINGERPRINT_VERSION}\0{chosen}\0".encode() + text).hexdigest()


def stamp_free_ics(body: bytes) -> bytes:
    """An ICS body unfolded, without the stamp lines that leaving out cannot change a parse (see the module)."""
    if wide_encoding(body) is not None:
        return body
    text = _FOLD.sub(b"", body)
    kept = _stamped_events(text)
    if kept is None:
        return body
    parts, at = [], 0
    for start, end in kept:
        parts += [_STAMP.sub(_keep_if_unreadable, text[at:start]), text[start:end]]
        at = end
    parts.append(_STAMP.sub(_keep_if_unreadable, text[at:]))
    return b"".join(parts)


def _stamped_events(text: bytes) -> list[tuple[int, int]] | None:
    """The spans of the VEVENTs whose stamps may decide something, in order: those without a UID, and those of a
    UID with more than one VEVENT without RECURRENCE-ID.  None (keep every stamp) when the VEVENTs do not nest
    as they should (an END line lost), as the parser then reads them in ways the text does not show."""
    events: list[tuple[int, int, bytes, bool]] = []   # start, end, UID, whether a master
    uid: bytes | None = None
    start, master, in_event, alarms = 0, True, False, 0
    for match in _MARKS.finditer(text):
        mark = match.group(1).upper()
        if mark == b"BEGIN:VEVENT":
            if in_event:
                return None
            uid, start, master, in_event, alarms = None, match.start(), True, True, 0
        elif mark == b"END:VEVENT":
            if not in_event:
                return None
            events.append((start, match.end(), uid or b"", master))
            in_event = False
        elif mark == b"BEGIN:VALARM":
            alarms += 1
        elif mark == b"END:VALARM":
            alarms = max(alarms - 1, 0)
        elif not in_event or alarms:
            continue
        elif mark.startswith(b"UID"):
            if uid is None:  # a second UID line: the parser reads the first
                value = match.group(2).partition(b":")[2] if mark == b"UID;" else match.group(2)
                uid = _UNESCAPE.sub(rb"\1", value).strip()
        else:
            master = False
    if in_event:
        return None
    seen: set[bytes] = set()
    twice: set[bytes] = set()
    for _start, _end, key, is_master in events:
        if is_master:
            (twice if key in seen else seen).add(key)
    return [(s, e) for s, e, key, is_master in events if not key or key in twice]


def _keep_if_unreadable(match: re.Match[bytes]) -> bytes:
    """Nothing for a stamp line with a real date-time; the line itself when its value could fail a parse."""
    value = match.group(1).decode("ascii")
    try:
        datetime.strptime(value.rstrip("Zz"), "%Y%m%dT%H%M%S")
    except ValueError:
        return match.group(0)
    return b""


def _stamp_free_feed(body: bytes) -> bytes:
    """An RSS or Atom body without the channel's own dates (before its first item or entry)."""
    first = _FIRST_ITEM.search(body)
    cut = first.start() if first else len(body)
    head = body[:cut]
    if b"<![CDATA[" in head or b"<!--" in head:
        return body   # a date inside text or a comment is not the channel's
    return _HEAD_STAMP.sub(b"", head) + body[cut:]
