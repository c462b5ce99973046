"""Seeing a calendar's events before it is added: what the hub would read from an address, storing nothing.

    preview(client, address, ...)       discovery, then each calendar found fetched and parsed
    preview_feeds(client, feeds, ...)   the same for feeds already known (a join request's)
    check_feed(client, url, ...)        the feed at exactly one address, fetched again before it is saved

Fetching goes through the client the caller passes (the SSRF-guarded one: these addresses arrive
through the web) with the refresh's limits; parsing is the refresh's own (`worker.parse_in_worker`, in a
worker process with the refresh's time and memory limits, never in the web process), so the preview shows
what a refresh would store.  `preview` and `preview_feeds` never raise: every
failure is said in words on the result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from calendar_hub import clock
from calendar_hub.catalogue import GroupInfo, place_of
from calendar_hub.errors import FeedError, FetchError, ParseError
from calendar_hub.ingest.discover import FoundFeed, discover
from calendar_hub.ingest.fetch import Client, Limits, fetch
from calendar_hub.ingest.judge import looks_truncated, size_words
from calendar_hub.ingest.sources import not_a_feed, summary
from calendar_hub.ingest.sources.kinds import classify
from calendar_hub.ingest.worker import WorkerPool, parse_in_worker
from calendar_hub.occurrence import KINDS, EventIn, ParseResult
from calendar_hub.places import Place, online
from calendar_hub.settings import Settings

MAX_FEEDS = 4       # calendars fetched and parsed for one preview; discovery may find more, listed unread
NEXT_EVENTS = 15    # upcoming events shown for each


@dataclass(frozen=True, slots=True)
class PreviewEvent:
    """One occurrence as the hub read it, with where the map would put it, in words."""

    event: EventIn
    place: str


@dataclass(frozen=True, slots=True)
class FeedPreview:
    """What the hub read from one calendar: counts, the next events, what it lacked; or why it could not read it.

    `read` is False for a calendar found but not fetched (beyond `MAX_FEEDS`); `error` is set when
    fetching or parsing failed.
    """

    feed: FoundFeed
    read: bool = True
    error: str = ""
    total: int = 0                  # occurrences in the hub's window, past days included
    upcoming: int = 0               # of those, the ones not yet over
    events: tuple[PreviewEvent, ...] = ()
    notice: str = ""                # what the parser had to skip or lacked, in plain words ("" when nothing)
    problems: tuple[str, ...] = ()  # the first items it skipped, each named

    @property
    def usable(self) -> bool:
        """Whether it was read: an organiser may add it (one not read is checked again on adding)."""
        return self.read and not self.error


@dataclass(frozen=True, slots=True)
class Preview:
    """The calendars behind an address with what each holds, or why there are none (`message`)."""

    requested: str
    feeds: tuple[FeedPreview, ...] = ()
    message: str = ""

    @property
    def choices(self) -> tuple[FeedPreview, ...]:
        """The calendars an organiser may pick: those read, and those beyond `MAX_FEEDS` (checked on adding)."""
        return tuple(item for item in self.feeds if item.usable or not item.read)

    @property
    def problem(self) -> str:
        """Why nothing can be added, as a sentence for the organiser, or "" when some calendar was read."""
        if not self.feeds:
            return f"No calendar was found there: {_sentence(self.message)}"
        if not any(item.usable for item in self.feeds):
            first = self.feeds[0]
            return f"The calendar was found but could not be read: {_sentence(first.error or 'not fetched')}"
        return ""


async def preview(client: Client, address: str, *, settings: Settings, home: Place | None = None,
                  now: datetime | None = None) -> Preview:
    """The calendars discovery finds behind `address`, each fetched and parsed; `home` is the group's home place."""
    found = await discover(client, address, limits=Limits.from_settings(settings))
    if not found.feeds:
        return Preview(address, (), found.message or "this address does not lead to a calendar")
    return await preview_feeds(client, found.feeds, requested=address, settings=settings, home=home, now=now)


async def preview_feeds(client: Client, feeds: Sequence[FoundFeed], *, requested: str,
                        settings: Settings, home: Place | None = None, now: datetime | None = None) -> Preview:
    """The first `MAX_FEEDS` of `feeds` fetched and parsed side by side; the rest listed, unread."""
    now = now or clock.now()
    pool = WorkerPool.from_settings(settings, most=MAX_FEEDS)
    try:
        read = await asyncio.gather(*(_read(client, pool, feed, settings, home, now) for feed in feeds[:MAX_FEEDS]))
    finally:
        pool.close()
    unread = [FeedPreview(feed, read=False) for feed in feeds[MAX_FEEDS:]]
    return Preview(requested, (*read, *unread))


async def check_feed(client: Client, url: str, *, limits: Limits) -> FoundFeed:
    """The calendar or feed at exactly `url` (http or https), fetched again through `client`.

    Its kind is what the body is now, whatever a form said.  Raises FetchError when it cannot be
    fetched (a private address with the guarded client among them), ParseError when it is not a feed.
    """
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise FetchError("choose one of the calendars found: its address starts with https://", url=url)
    fetched = await fetch(client, url, limits=limits)
    body = fetched.body or b""
    kind = classify(body, fetched.content_type)
    if kind not in KINDS:
        raise ParseError(not_a_feed(body), url=url)
    return FoundFeed(url=url, kind=kind, title="", how="checked again on adding")


async def _read(client: Client, pool: WorkerPool, feed: FoundFeed, settings: Settings, home: Place | None,
                now: datetime) -> FeedPreview:
    try:
        fetched = await fetch(client, feed.url, limits=Limits.from_settings(settings))
    except FeedError as e:
        return FeedPreview(feed, error=str(e))
    body = fetched.body or b""
    start, end = now - timedelta(days=settings.window_past_days), now + timedelta(days=settings.window_future_days)
    try:
        # In a worker process: a hostile calendar must not hold the web process, its time or its memory.
        parsed = await pool.run(parse_in_worker, body, feed.kind, feed.url, settings.timezone, start, end)
    except ParseError as e:  # over the time or memory limit
        return FeedPreview(feed, error=str(e))
    except Exception as e:  # noqa: BLE001  (a parser bug must show as a problem, as it costs a refresh one feed)
        return FeedPreview(feed, error=f"the hub could not read this feed ({type(e).__name__})")
    if isinstance(parsed, str):
        return FeedPreview(feed, error=parsed)
    return summarise(feed, body, parsed[0], settings=settings, home=home, now=now)


def summarise(feed: FoundFeed, body: bytes, result: ParseResult, *, settings: Settings, home: Place | None,
              now: datetime) -> FeedPreview:
    """A parsed calendar as a preview: counts, the next `NEXT_EVENTS` events placed, and its notices in words."""
    kind = feed.kind or classify(body)
    notes = []
    if looks_truncated(body, kind):
        notes.append(f"the file is cut off after {size_words(len(body))}; only the {len(result.events)} "
                     "complete events before the cut were read")
    following = bool(result.linked) and settings.follow_links > 0
    if following:
        # The refresh reads these pages (refresh._follow) and may find dates there; a preview fetches none.
        notes.append("1 item gives no date of its own: on each refresh the hub reads the page it links to"
                     if len(result.linked) == 1 else
                     f"{len(result.linked)} items give no date of their own: on each refresh the hub reads the "
                     "pages they link to")
    else:
        for item in result.linked:  # as the refresh does when it follows no links
            result.skip(f'skipped "{item.title}": it had no event date', "it had no event date")
    if result.events or result.skipped or not following:  # "no events" is not yet known while pages wait
        notes.append(summary(result, kind=kind, days=settings.window_future_days))
    ordered = sorted(result.events, key=lambda e: (e.start, e.title))
    upcoming = [event for event in ordered if event.end >= now]
    shown = tuple(PreviewEvent(event, place_words(event, home, geocoder=bool(settings.geocoder)))
                  for event in upcoming[:NEXT_EVENTS])
    return FeedPreview(feed, total=len(ordered), upcoming=len(upcoming), events=shown,
                       notice="; ".join(filter(None, notes)), problems=tuple(result.problems[:5]))


def place_words(event: EventIn, home: Place | None, *, geocoder: bool = False) -> str:
    """Where the map would put `event` (as the catalogue places it: coordinates, its place line, the group's
    home), or why it stays off the map, in words."""
    groups = [GroupInfo(slug="", name="", website="", home="", region="", lat=None, lon=None, place=home)]
    place = place_of([event], groups if home is not None else [])
    if place is not None:
        return place.note()
    if event.location and online(event.location):
        return "Online: not on the map"
    if event.location:
        later = "; the address lookup tries it after the next refresh" if geocoder else ""
        return f"Not on the map: its place names no town or postcode the hub knows{later}"
    return "Not on the map: it gives no place"


def _sentence(text: str) -> str:
    text = text.strip() or "no reason was given"
    return text if text.endswith((".", "!", "?")) else text + "."
