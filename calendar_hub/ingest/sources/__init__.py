"""Source parsers: one module per kind of feed, each `parse(data, *, context) -> ParseResult`.

Parsers are pure: bytes in, occurrences out, no I/O, nothing from the web layer.
`parse_body` picks the parser from the feed's declared kind or by sniffing the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from calendar_hub.errors import ParseError
from calendar_hub.ingest.sources.kinds import BOMS, classify, returns_instead

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
        quoted values and library details taken out, for the one-line diagnosis (`summary`).
        """
        self.skipped += 1
        if len(self.problems) < 20:
            self.problems.append(problem)
        general = " ".join(_DETAILS.sub("", reason).split())
        self.reasons[general] = self.reasons.get(general, 0) + 1


_DETAILS = re.compile(r"""\s*(?:'[^']*'|"[^"]*"|\([^)]*\))""")
_PLURAL_VERBS = {"it had ": "had ", "it has ": "have ", "it is ": "are ", "it repeats ": "repeat "}


def summary(result: ParseResult, *, kind: str, days: int) -> str:
    """One line on what a parsed feed lacked, for organisers: "3 items had no event date", or "".

    `kind` is the parser's ("ical" or "rss"); `days` the length of the hub's window into the future.
    """
    noun = "event" if kind == "ical" else "item"
    parts = []
    for reason, count in sorted(result.reasons.items(), key=lambda pair: -pair[1]):
        things = f"{count} {noun}{'' if count == 1 else 's'}"
        verb = next((v for prefix, v in _PLURAL_VERBS.items() if reason.startswith(prefix)), None)
        if verb is not None and count > 1:
            parts.append(f"{things} {verb}{reason.split(' ', 2)[2]}")
        elif verb is not None:
            parts.append(f"{things} {reason[3:]}")
        else:
            parts.append(f"{things} skipped: {reason}")
    if not result.events and not result.skipped:
        whole = "the calendar" if kind == "ical" else "the feed"
        parts.append(f"{whole} has no events in the next {days} days")
    return "; ".join(parts)


def sniff(data: bytes) -> str:
    """'ical', 'rss' or 'jsonfeed' from the first bytes of a body; raises ParseError for anything else."""
    kind = classify(data)
    if kind in KINDS:
        return kind
    raise ParseError(not_a_feed(data))


def not_a_feed(data: bytes, *, wanted: str = "a calendar or a feed") -> str:
    """Plain words for a body that is neither a calendar nor a feed: empty, a web page, or something else."""
    if not data[:4096].strip(BOMS):
        return f"the server sent an empty body instead of {wanted}"
    if classify(data) == "html":
        return "this address returns a web page, not a calendar or a feed"
    return returns_instead(data, "a calendar or a feed")


def time_span(start: date, end: date | None, zone: ZoneInfo, *, last_day_inclusive: bool,
              duration: timedelta | None = None) -> tuple[datetime, datetime, date | None, date | None]:
    """(start, end, start_date, end_date) as EventIn holds them, from a feed's start and optional end.

    A date start is an all-day event: its days come back, the end day exclusive (RFC 5545 3.6.1),
    with the local midnights in `zone` as instants.  `last_day_inclusive` says whether an end *date*
    names the event's last day (the RSS event module, schema.org) or the day after (iCalendar, xCal).
    For a timed start, an end before it counts as no length at all (end = start).
    """
    if not isinstance(start, datetime):
        if isinstance(end, datetime):
            end_date = end.astimezone(zone).date() + timedelta(days=1)
        elif isinstance(end, date):
            end_date = end + timedelta(days=1) if last_day_inclusive else end
        elif duration is not None and duration.days >= 1:
            end_date = start + timedelta(days=duration.days)
        else:
            end_date = start + timedelta(days=1)
        if end_date <= start:
            end_date = start + timedelta(days=1)
        return midnight(start, zone), midnight(end_date, zone), start, end_date
    start_utc = start.astimezone(UTC)
    if isinstance(end, datetime):
        end_utc = end.astimezone(UTC)
    elif isinstance(end, date):
        end_utc = midnight(end + timedelta(days=1) if last_day_inclusive else end, zone)
    elif duration is not None:
        end_utc = start_utc + duration
    else:
        end_utc = start_utc
    return start_utc, max(start_utc, end_utc), None, None


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def plausible_point(lat: float, lon: float) -> bool:
    """Whether coordinates can be a place: in range, and not 0,0 (what a blank form field often becomes)."""
    return -90 <= lat <= 90 and -180 <= lon <= 180 and not (lat == 0 and lon == 0)


def event_to_dict(event: EventIn) -> dict[str, object]:
    """An EventIn as JSON-ready values (times and days as ISO 8601), for caches."""
    values = {name: getattr(event, name) for name in EventIn.__slots__}
    for name in ("start", "end", "start_date", "end_date"):
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
    fields["categories"] = tuple(fields.get("categories") or ())  # type: ignore[arg-type]
    return EventIn(**fields)  # type: ignore[arg-type]


def parse_body(data: bytes, *, kind: str, context: ParseContext) -> ParseResult:
    """Parse a fetched body with the parser for `kind` ('ical', 'rss', 'jsonfeed', or '' to sniff)."""
    from calendar_hub.ingest.sources import ics, jsonfeed, rss

    chosen = kind or sniff(data)
    if chosen == "ical":
        return ics.parse(data, context=context)
    if chosen == "rss":
        return rss.parse(data, context=context)
    if chosen == "jsonfeed":
        return jsonfeed.parse(data, context=context)
    raise ParseError(f"unknown feed kind {chosen!r}", url=context.url)
