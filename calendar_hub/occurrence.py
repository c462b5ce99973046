"""What the ingest stage hands the store: occurrences as parsers read them, with the context they were read in.

    ParseContext       where the bytes came from and which window of occurrences to expand
    EventIn            one occurrence, times as aware UTC instants
    LinkedItem         a feed item whose date may be on the page it links to
    ParseResult        a parser's occurrences, linked items and what it skipped and why
    KINDS, UNTITLED    the feed kinds the hub reads; the title of an event that has none
    event_to_dict / event_from_dict   an EventIn as JSON-ready values and back, for caches

Plain types, no I/O: the store, identities, the registry, the catalogue and the console read
these without depending on the parsers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "KINDS",
    "UNTITLED",
    "EventIn",
    "LinkedItem",
    "ParseContext",
    "ParseResult",
    "event_from_dict",
    "event_to_dict",
]

KINDS = ("ical", "rss", "jsonfeed")
UNTITLED = "(untitled event)"


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a parser needs to know besides the bytes: where they came from and which window to expand."""

    url: str
    zone: ZoneInfo                 # the hub's zone: floating times without X-WR-TIMEZONE, all-day days
    window_start: datetime         # aware; occurrences ending before it are left out
    window_end: datetime           # aware; occurrences starting after it are left out


@dataclass(frozen=True, slots=True)
class EventIn:
    """One occurrence of an event as a parser read it from a feed.

    `start`/`end` are aware UTC instants.  For an all-day event they are local midnights in
    the hub's zone and `start_date`/`end_date` (end exclusive, as in RFC 5545 3.6.1) carry the days.
    """

    source_uid: str
    recurrence_id: str             # "" for a single event, else the instance's original start (ISO 8601)
    title: str
    start: datetime
    end: datetime
    all_day: bool = False
    start_date: date | None = None
    end_date: date | None = None
    status: str = "CONFIRMED"      # CONFIRMED, TENTATIVE or CANCELLED
    description_html: str = ""     # sanitised, safe to put in a page
    description_text: str = ""     # plain text for ICS, Atom summaries and search
    location: str = ""
    url: str = ""
    categories: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    sequence: int = 0
    stamp: datetime | None = None      # DTSTAMP and LAST-MODIFIED, aware UTC: which of two copies is newer
    modified: datetime | None = None


@dataclass(frozen=True, slots=True)
class LinkedItem:
    """A feed item with no event date of its own, only a link to a page that may say when it happens."""

    source_uid: str
    title: str
    link: str                      # a checked http(s) address
    description_html: str = ""
    description_text: str = ""
    categories: tuple[str, ...] = ()


@dataclass(slots=True)
class ParseResult:
    """A parser's output: the occurrences in the window, and what it had to skip and why.

    `linked` holds items whose event date may be on the page they link to; the refresh reads
    those pages (parsers do no I/O) and either adds their events or counts the items as skipped.
    """

    events: list[EventIn] = field(default_factory=list)
    linked: list[LinkedItem] = field(default_factory=list)
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)  # why items were skipped, without their values

    def skip(self, problem: str, reason: str) -> None:
        """Count one item that could not be used: `problem` names it, `reason` says why in plain words.

        The first few problems are kept for the feed's state; every reason is counted, with the
        quoted values and library details taken out, for the one-line diagnosis (`ingest.sources.summary`).
        """
        self.skipped += 1
        if len(self.problems) < 20:
            self.problems.append(problem)
        general = " ".join(_DETAILS.sub("", reason).split())
        self.reasons[general] = self.reasons.get(general, 0) + 1


_DETAILS = re.compile(r"""\s*(?:'[^']*'|"[^"]*"|\([^)]*\))""")


def event_to_dict(event: EventIn) -> dict[str, object]:
    """An EventIn as JSON-ready values (times and days as ISO 8601), for caches."""
    values = {name: getattr(event, name) for name in EventIn.__slots__}
    for name in ("start", "end", "start_date", "end_date", "stamp", "modified"):
        if values[name] is not None:
            values[name] = values[name].isoformat()
    values["categories"] = list(event.categories)
    return values


def event_from_dict(values: dict[str, object]) -> EventIn:
    """The EventIn that `event_to_dict` wrote; raises ValueError or TypeError if the values do not fit."""
    fields = dict(values)
    for name in ("start", "end"):
        fields[name] = datetime.fromisoformat(str(fields[name]))
    for name in ("start_date", "end_date"):
        fields[name] = date.fromisoformat(str(fields[name])) if fields.get(name) else None
    for name in ("stamp", "modified"):
        fields[name] = datetime.fromisoformat(str(fields[name])) if fields.get(name) else None
    fields["categories"] = tuple(fields.get("categories") or ())  # type: ignore[arg-type]
    return EventIn(**fields)  # type: ignore[arg-type]
