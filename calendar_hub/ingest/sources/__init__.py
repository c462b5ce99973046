"""Source parsers: one module per kind of feed, each `parse(data, *, context) -> ParseResult`.

Parsers are pure: bytes in, occurrences out, no I/O, nothing from the web layer.
`parse_body` picks the parser from the feed's declared kind or by sniffing the body.
What they produce (ParseContext, EventIn, ParseResult...) is `calendar_hub.occurrence`'s.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from calendar_hub.errors import ParseError
from calendar_hub.ingest.sources.kinds import BOMS, classify, returns_instead
from calendar_hub.occurrence import KINDS, ParseContext, ParseResult

# The parsers (ics, rss, jsonfeed, eventpage) and `kinds` are modules of this package, imported where used.
__all__ = [
    "eventpage",
    "ics",
    "jsonfeed",
    "kinds",
    "midnight",
    "not_a_feed",
    "parse_body",
    "plausible_point",
    "rss",
    "sniff",
    "summary",
    "time_span",
]

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
