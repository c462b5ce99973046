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
  changes are such lines stores nothing, and skipping it stores nothing too.  Where a UID has more than one
  VEVENT without RECURRENCE-ID (the ICS parser keeps the copy with the highest SEQUENCE, then the newest
  DTSTAMP, `ics._newest`), the order of the copies takes their stamps' place (`_stamped`), and so it does for
  VEVENTs without UID, which the parser names by DTSTART and title: grouped here by what of those the text
  shows plainly, coarser than the parser (`_unnamed`).  Where that order cannot be read from the text, the
  stamps stay in.  A malformed stamp stays in: it may cost its event in a parse.
- RSS and Atom: the channel's or feed's own `lastBuildDate`, `pubDate`, `updated` and `dc:date`, before the
  first item or entry (the RSS parser reads no date of the channel); items are hashed as they are.
- Anything else (JSON Feed, wide encodings, unknown kinds): the whole body.

The fingerprint includes `PARSER_VERSION`, so a change to parsing parses every body again.
"""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import datetime
from itertools import chain

from calendar_hub.ingest.judge import PARSER_VERSION
from calendar_hub.ingest.sources.kinds import classify, wide_encoding

__all__ = ["FINGERPRINT_VERSION", "body_fingerprint", "stamp_free_ics"]

# Bump when what is left out changes.
FINGERPRINT_VERSION = "2"

_FOLD = re.compile(rb"\r?\n[ \t]")
_INSTANT = re.compile(rb"\d{8}T\d{6}Z?")
_SEQUENCE = re.compile(rb"SEQUENCE:(\d{1,9})", re.IGNORECASE)
_PARAMS = rb'((?:;[^:;"=]+=(?:"[^"]*"|[^:;"]*))*)'
_PLAIN_START = re.compile(rb"DTSTART" + _PARAMS + rb":(\d{8})(?:T\d{6}Z?)?", re.IGNORECASE)
_PLAIN_SUMMARY = re.compile(rb"SUMMARY" + _PARAMS + rb":(.*)", re.IGNORECASE | re.DOTALL)
_NOT_TITLE = re.compile(rb"\\[nN]|[\x09-\x0d\x1c-\x20\\]")
# The lines the pass looks at, by their first four letters (looked up again in capitals if not in capitals).
_BEGIN, _END, _STAMP, _DT, _UID, _RECURRENCE, _SUMMARY, _SEQUENCE_MARK = range(1, 9)
_MARKS = {b"BEGI": _BEGIN, b"END:": _END, b"LAST": _STAMP, b"DTST": _DT, b"UID:": _UID, b"UID;": _UID,
          b"RECU": _RECURRENCE, b"SUMM": _SUMMARY, b"SEQU": _SEQUENCE_MARK}
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
    text = _unfold(body)
    lines = text.split(b"\n")
    stamps: list[int] = []          # the lines that are stamps with a real date-time
    events: list[_Event] = []
    event = _Event(0, 0)
    calendar, in_event, alarms = 0, False, 0
    for number, line in enumerate(lines):
        mark = _MARKS.get(line[:4])
        if mark is None:
            upper = line[:4].upper()
            mark = _MARKS.get(upper, 0) if upper != line[:4] else 0
            if not mark:
                continue
        head = line[:15].upper()
        if mark == _BEGIN:
            if head.startswith(b"BEGIN:VEVENT"):
                if in_event:
                    return body   # a VEVENT whose END was lost: the parser reads it in ways the text does not show
                event, in_event, alarms = _Event(calendar, number), True, 0
            elif head.startswith(b"BEGIN:VCALENDAR"):
                if in_event:
                    return body
                calendar += 1
            elif in_event and head.startswith(b"BEGIN:VALARM"):
                alarms += 1
        elif mark == _END:
            if head.startswith(b"END:VEVENT"):
                if not in_event:
                    return body
                event.last = number
                events.append(event)
                in_event = False
            elif in_event and head.startswith(b"END:VALARM"):
                alarms = max(alarms - 1, 0)
        elif mark == _STAMP or (mark == _DT and head.startswith(b"DTSTAMP")):
            real = head.startswith((b"DTSTAMP:", b"LAST-MODIFIED:")) and _real_instant(line.partition(b":")[2])
            if real:
                stamps.append(number)
            if in_event and not alarms and mark == _DT and event.stamp == b"":
                # The copy's DTSTAMP as the parser compares it (UTC, or floating read as UTC); None: not plain.
                event.stamp = line[8:23] if real and head.startswith(b"DTSTAMP:") and line[8:12] >= b"1900" else None
        elif not in_event or alarms:
            continue   # RFC 9074 gives alarms UIDs of their own
        elif mark == _UID:
            if event.uid is None:  # a second UID line: the parser reads the first
                value = line[4:] if head.startswith(b"UID:") else line.partition(b":")[2]
                event.uid = (_UNESCAPE.sub(rb"\1", value) if b"\\" in value else value).strip()
        elif mark == _RECURRENCE:
            if head.startswith((b"RECURRENCE-ID:", b"RECURRENCE-ID;")):
                event.master = False
        elif mark == _DT:
            if head.startswith((b"DTSTART:", b"DTSTART;")) and event.start < 0:
                event.start = number
        elif mark == _SUMMARY:
            if head.startswith((b"SUMMARY:", b"SUMMARY;")) and event.summary < 0:
                event.summary = number
        elif mark == _SEQUENCE_MARK and event.sequence == -1:
            plain = _SEQUENCE.fullmatch(line.rstrip(b"\r"))
            event.sequence = int(plain.group(1)) if plain else None
    if in_event:
        return body
    kept: set[int] = set()
    stamped, chosen = _stamped(events, lines, set(stamps))
    for first, last in stamped:
        kept.update(range(first, last + 1))
    dropped = {number for number in stamps if number not in kept}
    if not dropped:
        return text
    # The copies the stamps chose, in the text's place of the stamps left out: the same choices, the same parse.
    ends = sorted(dropped)
    kept_lines = chain.from_iterable(lines[after + 1:until]
                                     for after, until in zip([-1, *ends], [*ends, len(lines)], strict=True))
    return b"\n".join(kept_lines) + chosen


class _Event:
    """One VEVENT as the pass sees it: its lines, its UID and whether it is a master (no RECURRENCE-ID), and for
    choosing between copies its first SEQUENCE and DTSTAMP (`None`: not written plainly enough to compare)."""

    __slots__ = ("calendar", "first", "last", "master", "sequence", "stamp", "start", "summary", "uid")

    def __init__(self, calendar: int, first: int) -> None:
        self.calendar, self.first, self.last = calendar, first, first
        self.uid: bytes | None = None
        self.master = True
        self.sequence: int | None = -1   # -1: none yet (the parser reads 0)
        self.stamp: bytes | None = b""
        self.start = self.summary = -1   # the first DTSTART and SUMMARY lines, which name an event without UID


def _stamped(events: list[_Event], lines: list[bytes], stamps: set[int]) -> tuple[list[tuple[int, int]], bytes]:
    """The VEVENTs whose stamps must stay in, and the choices of copy that stand for the others' stamps.

    A UID with more than one VEVENT without RECURRENCE-ID in one calendar is a producer bug; the parser keeps the
    copy with the highest SEQUENCE, then the newest DTSTAMP, then the last (`ics._newest`).  Where every copy's
    SEQUENCE and DTSTAMP are plain, that order can be worked out here, and it goes into the fingerprint in place
    of their stamps: Office 365 repeats UIDs and stamps every copy with the time of the request, and its bodies
    then keep one fingerprint while the same copy wins (or copies alike win).  VEVENTs without UID are grouped as
    the parser may name them alike (`_unnamed`).  Otherwise the copies keep their stamps."""
    copies: dict[tuple[int, bytes], list[_Event]] = {}
    for event in events:
        if event.master and event.uid:
            copies.setdefault((event.calendar, event.uid), []).append(event)
    if any(uid.startswith(b"no-uid-") for _calendar, uid in copies):
        return [(event.first, event.last) for event in events], b""   # a UID such as the parser makes up
    stamped: list[tuple[int, int]] = []
    for key, group in _unnamed(events, lines).items():
        if key is None:
            stamped.extend((event.first, event.last) for event in group)
        else:
            copies[key] = group
    chosen: list[bytes] = []
    for (calendar, uid), group in copies.items():
        if len(group) == 1:
            continue
        if any(copy.sequence is None or copy.stamp is None for copy in group):
            stamped.extend((copy.first, copy.last) for copy in group)
            continue
        # The whole order, not only the first: a copy the parser cannot read at all is left out of the choice.
        order = sorted(range(len(group)), key=lambda i: (max(group[i].sequence or 0, 0), group[i].stamp, i))
        # Copies alike but for their stamps give the same event whichever is kept: each stands for the first like it.
        texts = [b"\n".join(lines[n] for n in range(copy.first, copy.last + 1) if n not in stamps) for copy in group]
        alike = [texts.index(text) for text in texts]
        chosen.append(b"%d %d %s " % (calendar, len(uid), b",".join(b"%d" % alike[i] for i in order)) + uid)
    return stamped, (b"\0chosen\0" + b"\0".join(chosen)) if chosen else b""


def _unnamed(events: list[_Event], lines: list[bytes]) -> dict[tuple[int, bytes] | None, list[_Event]]:
    """The VEVENTs without UID (masters), grouped so that any two the parser names alike share a group.

    The parser names such an event by its DTSTART and its title (`uid_of`: SUMMARY unescaped, its white space
    collapsed).  Here the group is the calendar, DTSTART's date and the title's ASCII letters without white
    space or backslashes, which can only be coarser; where a calendar's DTSTART or a day's SUMMARY cannot be
    read so plainly (repair may move a value, non-ASCII white space), the calendar's or the day's events share
    one group; key None: the events that keep their stamps (overrides without UID).  This holds while `uid_of` and
    `title_of` (`sources._ics_event`) name events as they do now: a change to them bumps `PARSER_VERSION`."""
    groups: dict[tuple[int, bytes] | None, list[_Event]] = {}
    plain: dict[int, bool] = {}
    for event in events:
        if not event.uid and event.master:
            start = _PLAIN_START.fullmatch(lines[event.start].rstrip(b"\r")) if event.start >= 0 else None
            if event.start >= 0 and start is None:
                plain[event.calendar] = False
            plain.setdefault(event.calendar, True)
    days: dict[tuple[int, bytes], list[tuple[_Event, bytes | None]]] = {}
    for event in events:
        if event.uid or not event.master:
            continue
        if not plain[event.calendar]:
            groups.setdefault((event.calendar, b"\0all"), []).append(event)
            continue
        start = _PLAIN_START.fullmatch(lines[event.start].rstrip(b"\r")) if event.start >= 0 else None
        title = _PLAIN_SUMMARY.fullmatch(lines[event.summary].rstrip(b"\r")) if event.summary >= 0 else None
        value = title.group(2) if title else b"" if event.summary < 0 else None
        key = None if value is None or not value.isascii() else _NOT_TITLE.sub(b"", value) or None  # no title:
        # "(untitled event)", as is a title of white space, or one so written
        days.setdefault((event.calendar, start.group(2) if start else b""), []).append((event, key))
    for (calendar, day), named in days.items():
        whole = any(key is None for _event, key in named)
        for event, key in named:
            groups.setdefault((calendar, b"\0" + day + (b"" if whole else b"\0" + (key or b""))), []).append(event)
    stamped = [event for event in events if not event.uid and not event.master]
    if stamped:
        groups[None] = stamped
    return groups


def _unfold(body: bytes) -> bytes:
    """`body` with its folded lines joined (RFC 5545 3.1): what `_FOLD` does, by `bytes.replace` where one
    pattern does it (every line break CRLF, or none; folds by spaces only, or tabs only), several times faster."""
    spaces, tabs = b"\n " in body, b"\n\t" in body
    if not spaces and not tabs:
        return body
    if spaces != tabs:
        fold = b"\n " if spaces else b"\n\t"
        if b"\r" not in body:
            return body.replace(fold, b"")
        if body.count(b"\n") == body.count(b"\r\n"):
            return body.replace(b"\r" + fold, b"")
    return _FOLD.sub(b"", body)


@functools.lru_cache(maxsize=4096)
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
