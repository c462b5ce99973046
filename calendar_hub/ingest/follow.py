"""Following feed items to their event pages during a refresh: politely, cached, guarded, bounded.

An RSS, Atom or JSON Feed item that carries no event date but links to a page (`LinkedItem`)
may still be an event: WordPress, Mobilizon and Gancio pages carry schema.org Event JSON-LD or
h-event.  `PageFollower.follow(result)` reads those pages (at most `follow_links` per feed, a few
at a time, with the same limits as feeds and the SSRF guard, since the links come from the web),
caches what it read in the database so a page is fetched at most about once a day, and turns the
items into events or into skipped items with a reason.  A page its site's robots.txt keeps robots from
is not fetched, and its item says so.  A date written only in prose is never guessed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from calendar_hub import store
from calendar_hub.errors import FeedError
from calendar_hub.ingest.fetch import Client, Limits, fetch
from calendar_hub.ingest.robots import Robots
from calendar_hub.occurrence import EventIn, LinkedItem, ParseResult, event_from_dict, event_to_dict
from calendar_hub.store import Engine, Session
from calendar_hub.store.models import LinkedPage

log = logging.getLogger(__name__)

PAGE_FRESH = timedelta(hours=20)     # a cached page younger than this is not fetched again
PAGES_AT_ONCE = 4                    # per feed: one group's site is not hammered
PAGE_KEPT = timedelta(days=30)       # cached pages not needed for this long are forgotten

ReadPage = Callable[[bytes, str], Awaitable[list[EventIn] | str]]


class PageFollower:
    """Reads linked event pages for one refresh run; `read` parses a page (in the parse pool)."""

    def __init__(self, engine: Engine, client: Client, limits: Limits, *, per_feed: int,
                 read: ReadPage, robots: Robots | None = None) -> None:
        self.engine = engine
        self.client = client
        self.limits = limits
        self.per_feed = per_feed
        self.read = read
        self.robots = robots or Robots(client, limits)   # one per refresh run, so each site's is read once

    async def follow(self, result: ParseResult, *, at: datetime) -> list[EventIn]:
        """Turn `result.linked` into events (returned, and added to `result.events`) or skipped items."""
        items, result.linked = result.linked, []
        for item in items[self.per_feed:]:
            result.skip(f'skipped "{item.title}": it had no event date (only the first {self.per_feed} '
                        "linked pages of a feed are read)", "it had no event date")
        items = items[:self.per_feed]
        if not items:
            return []
        pages = await asyncio.to_thread(self._cached, [item.link for item in items])
        stale = [url for url in dict.fromkeys(item.link for item in items)
                 if url not in pages or at - pages[url].fetched_at >= PAGE_FRESH]
        gate = asyncio.Semaphore(PAGES_AT_ONCE)
        fetched = await asyncio.gather(*(self._page(gate, url, pages.get(url), at) for url in stale))
        if fetched:
            await asyncio.to_thread(self._save, fetched)
            pages.update((page.url, page) for page in fetched)
        added: list[EventIn] = []
        for item in items:
            page = pages[item.link]
            events = [event_from_dict(values) for values in page.events]
            if not events:
                why = f"its page could not be read ({page.error})" if page.error else "nor does the page it links to"
                result.skip(f'skipped "{item.title}": it had no event date, {why}', "it had no event date")
                continue
            added.extend(_as_item_events(item, events))
        result.events.extend(added)
        return added

    async def _page(self, gate: asyncio.Semaphore, url: str, cached: LinkedPage | None, at: datetime) -> LinkedPage:
        """Fetch and read one page (conditionally, if cached); a failure keeps the cached events."""
        page = LinkedPage(url=url, fetched_at=at, events=cached.events if cached else [])
        async with gate:
            refused = await self.robots.refusal(url)
            if refused:
                page.error = refused[:2000]
                return page
            try:
                fetched = await fetch(self.client, url, limits=self.limits, etag=cached.etag if cached else "",
                                      last_modified=cached.last_modified if cached else "")
            except FeedError as e:
                page.error = str(e)[:2000]
                return page
        page.etag, page.last_modified = fetched.etag[:500], fetched.last_modified[:100]
        if fetched.body is None:  # 304: the cached events still hold
            return page
        events = await self.read(fetched.body, url)
        if isinstance(events, str):
            page.error = events[:2000]
        else:
            page.events = [event_to_dict(event) for event in events]
        return page

    def _cached(self, urls: list[str]) -> dict[str, LinkedPage]:
        with Session(self.engine, expire_on_commit=False) as session:
            pages = store.linked_pages(urls, session=session)
            session.expunge_all()
            return pages

    def _save(self, pages: list[LinkedPage]) -> None:
        with Session(self.engine) as session:
            store.save_linked_pages(pages, session=session)


def _as_item_events(item: LinkedItem, events: list[EventIn]) -> list[EventIn]:
    """The page's events under the item's identity: the item's id (numbered if the page holds several)."""
    numbered = len(events) > 1
    return [dataclasses.replace(
        event,
        source_uid=f"{item.source_uid}#{index}" if numbered else item.source_uid,
        recurrence_id="",
        description_html=event.description_html or item.description_html,
        description_text=event.description_text or item.description_text,
        url=event.url or item.link,
        categories=tuple(dict.fromkeys(item.categories + event.categories)),
    ) for index, event in enumerate(events, start=1)]
