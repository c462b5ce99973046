"""Judging a fetched body before it may replace a feed's events: whether it is cut off or empty, whether it must
wait for a second fetch, and the words organisers read about it.  (Whether it changed at all is
`ingest.fingerprint`'s.)

Pure: a body and its parse result in, a yes or no, or a sentence out; nothing is raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from calendar_hub.identity import content_hash, events_digest
from calendar_hub.occurrence import EventIn, ParseResult
from calendar_hub.store import FeedJob, Hold

__all__ = ["DROP_AT_LEAST", "PARSER_VERSION", "cut_off_notice", "has_items", "held_words", "hold",
           "judge", "looks_truncated", "size_words"]

# A fetch that would take away more than half of a feed's upcoming events, and at least this many, waits.
DROP_AT_LEAST = 5

# Bump when parsing changes, so that unchanged bodies are parsed again with the new code.
PARSER_VERSION = "2"


def looks_truncated(body: bytes, kind: str) -> bool:
    """Whether a body stops before its end: an ICS without END:VCALENDAR, a feed without its closing tag."""
    tail = body[-4096:].rstrip().lower()
    if kind == "ical":
        return not tail.endswith(b"end:vcalendar")
    if kind == "jsonfeed":
        return not tail.endswith(b"}")
    return not (tail.endswith(b"</rss>") or tail.endswith(b"</feed>") or tail.endswith(b"</rdf:rdf>"))


def has_items(body: bytes, kind: str) -> bool:
    """Whether a body holds any event or item at all (before any window or parsing)."""
    lowered = body.lower()
    if kind == "ical":
        return b"begin:vevent" in lowered
    if kind == "jsonfeed":
        return b'"url"' in lowered
    return b"<item" in lowered or b"<entry" in lowered


def size_words(size: int) -> str:
    """A body's size for people: "512 KB", "740 bytes"."""
    return f"{size // 1024} KB" if size >= 1024 else f"{size} bytes"


def judge(job: FeedJob, body: bytes, kind: str, result: ParseResult) -> str:
    """Why a parsed body must not replace the feed's events, or "" when it may.

    A body cut off before its end, or a feed that had events and now parses to none while its
    body is broken or suspicious (items were skipped, or it holds no item at all), keeps the last
    good copy.  A calendar whose events all moved out of the window (or that the group emptied on
    purpose, leaving its items) is taken at its word.  With nothing stored yet, nothing can be lost:
    the complete events of a cut-off body are better than none.
    """
    if looks_truncated(body, kind) and (job.events_stored or not result.events):
        return f"the file is cut off after {size_words(len(body))}; keeping the last good copy"
    if not result.events and job.events_stored:
        if result.skipped:
            unread = ("its only item could not be read" if result.skipped == 1
                      else f"none of the {result.skipped} items could be read")
            return f"{unread}; keeping the last good copy"
        if not has_items(body, kind):
            return "the feed came back with no events at all; keeping the last good copy"
    return ""


def cut_off_notice(body: bytes, found: int, notice: str) -> str:
    """The notice for a cut-off body stored for want of a better one: what was read of it, then `notice` (or "")."""
    return "; ".join(filter(None, [f"the file is cut off after {size_words(len(body))}; "
                                   f"only the {found} complete events before the cut were read", notice]))


def hold(job: FeedJob, events: Sequence[EventIn], hashes: Sequence[str], at: datetime) -> Hold | None:
    """Whether a body that may be stored must wait for a second fetch that agrees; None when it may be stored now.

    A valid body with one event where there were a hundred, or with only past ones, is more often a broken
    server or export than a group emptying its calendar (feed readers hold such drops too), so a body that
    would take away more than half of the upcoming events, and at least `DROP_AT_LEAST`, is held until a
    fetch reads the same events again (`job.held_digest`).  `hashes` are the events' content hashes, if known.
    """
    before = job.upcoming_stored
    after = sum(1 for event in events if event.end >= at)
    lost = before - after
    if lost < DROP_AT_LEAST or lost * 2 <= before:
        return None
    digest = events_digest(hashes if len(hashes) == len(events) else [content_hash(event) for event in events])
    if job.held_digest and digest == job.held_digest:
        return None  # the second fetch agrees: the calendar really is this
    return Hold(digest=digest, upcoming_before=before, upcoming_after=after)


def held_words(before: int, after: int) -> str:
    """What organisers read about a held change: "this calendar suddenly lists 1 upcoming event instead of 100; ..."."""
    listed = "no upcoming event" if after == 0 else f"{after} upcoming event{'' if after == 1 else 's'}"
    return (f"this calendar suddenly lists {listed} instead of {before}; the hub keeps the {before} until the "
            "next fetch agrees, or an organiser accepts the change")
