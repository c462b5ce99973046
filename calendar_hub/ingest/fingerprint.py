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
_INSTANT = re.compile(rb"\d{8}T\d{6}Z?")
# The first letters of the lines the pass looks at: BEGIN, END, UID, RECURRENCE-ID, DTSTAMP, LAST-MODIFIED.
_MARKED = frozenset(bytes([c]) for c in b"BEURDLberudl")
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
    """An ICS body unfolded, without the stamp lines that leaving out cannot change a parse (see the module).

    One pass over the lines (a regular expression anchored at every line start costs several times more)."""
    if wide_encoding(body) is not None:
        return body
    text = _FOLD.sub(b"", body) if b"\n " in body or b"\n\t" in body else body
    lines = text.split(b"\n")
    stamps: list[int] = []                           # the lines that are stamps with a real date-time
    events: list[tuple[int, int, bytes, bool]] = []  # each VEVENT's first and last line, its UID, whether a master
    uid: bytes | None = None
    start, master, in_event, alarms = 0, True, False, 0
    for number, line in enumerate(lines):
        if line[:1] not in _MARKED:
            continue
        head = line[:14].upper()
        if head.startswith(b"BEGIN:VEVENT"):
            if in_event:
                return body   # a VEVENT whose END was lost: the parser reads it in ways the text does not show
            uid, start, master, in_event, alarms = None, number, True, True, 0
        elif head.startswith(b"END:VEVENT"):
            if not in_event:
                return body
            events.append((start, number, uid or b"", master))
            in_event = False
        elif head.startswith(b"DTSTAMP:") or head.startswith(b"LAST-MODIFIED:"):
            if _real_instant(line.partition(b":")[2]):
                stamps.append(number)
        elif not in_event:
            continue
        elif head.startswith(b"BEGIN:VALARM"):
            alarms += 1
        elif head.startswith(b"END:VALARM"):
            alarms = max(alarms - 1, 0)
        elif alarms:
            continue   # RFC 9074 gives alarms UIDs of their own
        elif head.startswith((b"UID:", b"UID;")):
            if uid is None:  # a second UID line: the parser reads the first
                value = line[4:] if head.startswith(b"UID:") else line.partition(b":")[2]
                uid = _UNESCAPE.sub(rb"\1", value).strip()
        elif head.startswith((b"RECURRENCE-ID:", b"RECURRENCE-ID;")):
            master = False
    if in_event:
        return body
    kept: set[int] = set()
    for first, last in _stamped(events):
        kept.update(range(first, last + 1))
    dropped = {number for number in stamps if number not in kept}
    if not dropped:
        return text
    return b"\n".join(line for number, line in enumerate(lines) if number not in dropped)


def _stamped(events: list[tuple[int, int, bytes, bool]]) -> list[tuple[int, int]]:
    """The VEVENTs whose stamps may decide something: those without a UID, and those of a UID with more than one
    VEVENT without RECURRENCE-ID (the parser keeps the copy with the newest DTSTAMP)."""
    seen: set[bytes] = set()
    twice: set[bytes] = set()
    for _first, _last, key, is_master in events:
        if is_master:
            (twice if key in seen else seen).add(key)
    return [(first, last) for first, last, key, is_master in events if not key or key in twice]


def _real_instant(value: bytes) -> bool:
    """Whether a stamp's value is a date-time the parser reads without fail (a malformed one may cost its event)."""
    text = value.rstrip(b"\r \t")
    if not _INSTANT.fullmatch(text):
        return False
    try:
        datetime(int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]),
                 int(text[13:15]))
    except ValueError:
        return False
    return True


def _stamp_free_feed(body: bytes) -> bytes:
    """An RSS or Atom body without the channel's own dates (before its first item or entry)."""
    first = _FIRST_ITEM.search(body)
    cut = first.start() if first else len(body)
    head = body[:cut]
    if b"<![CDATA[" in head or b"<!--" in head:
        return body   # a date inside text or a comment is not the channel's
    return _HEAD_STAMP.sub(b"", head) + body[cut:]
