"""Refreshing feeds: lease due feeds, fetch them concurrently, parse on every core, store in batches.

    claim (store) -> fetch (async, bounded) -> unchanged? (304 / the same body but for its stamps: ingest.fingerprint)
                  -> parse (ingest.worker: processes with a time and a memory limit)
                  -> judge (ingest.judge: broken or empty bodies keep the last good copy, sudden drops wait for a
                     second fetch) -> record (store, batched)

Nothing here deletes events except a successful parse of a whole body, so a server error, a
time-out, a truncated or garbled body, a body over the parse limits, or a process killed mid-refresh never
loses an event.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from calendar_hub import clock, store
from calendar_hub.errors import FeedError, FetchError, ParseError
from calendar_hub.identity import content_hash
from calendar_hub.ingest import observe
from calendar_hub.ingest.fetch import Client, Limits, fetch, make_client
from calendar_hub.ingest.fingerprint import body_fingerprint
from calendar_hub.ingest.follow import PAGE_KEPT, PageFollower
from calendar_hub.ingest.geocode import geocode_pending
from calendar_hub.ingest.judge import cut_off_notice, held_words, hold, judge, looks_truncated
from calendar_hub.ingest.robots import Robots
from calendar_hub.ingest.sources import sniff, summary
from calendar_hub.ingest.worker import GRACE, WorkerPool, parse_in_worker, read_page_in_worker
from calendar_hub.occurrence import EventIn, ParseResult
from calendar_hub.settings import Settings
from calendar_hub.states import Origin, Outcome
from calendar_hub.store import Engine, FeedJob, FeedOutcome, Session, lookups

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# An unchanged body is still parsed again after this long, so the expansion window moves on.
REPARSE_AFTER = timedelta(hours=20)
FETCH_LOG_KEPT = timedelta(days=90)
BATCH_OUTCOMES = 50
BATCH_SECONDS = 0.25
CLAIM_BATCH = 100       # feeds claimed at a time (twice the fetch concurrency when that is more)
GEOCODE_PER_RUN = 50    # lines looked up online per refresh at most (a minute at Nominatim's one a second)


@dataclass(slots=True)
class RefreshReport:
    """What one refresh did, feed by feed."""

    outcomes: list[tuple[FeedJob, FeedOutcome]] = field(default_factory=list)
    seconds: float = 0.0
    events_changed: int = 0

    def count(self, kind: Outcome) -> int:
        return sum(1 for _job, outcome in self.outcomes if outcome.kind == kind)


class Refresher:
    """One refresh run: holds the client, the parse pool and the batch writer."""

    def __init__(self, engine: Engine, settings: Settings, *, client: Client | None = None,
                 on_done: Callable[[FeedJob, FeedOutcome], None] | None = None,
                 on_claimed: Callable[[Sequence[FeedJob]], None] | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.client = client
        self.on_done = on_done
        self.on_claimed = on_claimed
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.limits = Limits.from_settings(settings)
        # Long enough for a feed's fetch, its parse and the pages it links to, each within their limits (a parse
        # that gives way to serving may take GRACE times its limit on the clock).
        self.lease_for = timedelta(seconds=settings.fetch_total_timeout * 3 + settings.parse_seconds * 2 * GRACE + 120)
        self.pool: WorkerPool | None = None
        self.guarded: Client | None = None   # SSRF-guarded: feeds (but private registry ones), links in feeds
        self.robots: Robots | None = None    # the robots.txt of the sites whose pages the run follows
        self.queue: asyncio.Queue[tuple[FeedJob, FeedOutcome] | None] = asyncio.Queue()
        self.report = RefreshReport()

    async def run(self, *, due_only: bool = True, feed_ids: list[int] | None = None) -> RefreshReport:
        """Refresh the due feeds (or all, or the given ones) and return what happened.

        Feeds are claimed a batch at a time (`CLAIM_BATCH`, in id order), the next batch once no more than one
        batch's fetches are left, so that several refresh processes sharing a database share the feeds
        between them instead of the first taking them all.
        """
        started = time.perf_counter()
        batch = max(CLAIM_BATCH, self.settings.fetch_concurrency * 2)
        client: Client | None = None
        writer: asyncio.Task[None] | None = None
        gate = asyncio.Semaphore(max(self.settings.fetch_concurrency, 1))
        running: set[asyncio.Task[None]] = set()
        after = 0
        try:
            while True:
                jobs = await asyncio.to_thread(self._claim, clock.now(), due_only, feed_ids, after, batch)
                if not jobs:
                    break
                after = jobs[-1].id
                if self.on_claimed is not None:
                    self.on_claimed(jobs)
                if client is None:
                    client = self.client or make_client(self.settings)
                    writer = asyncio.create_task(self._write())
                fetching = client
                running.update(asyncio.create_task(self._one(fetching, gate, job)) for job in jobs)
                while len(running) > batch:
                    done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()
            if running:
                await asyncio.gather(*running)
        finally:
            for task in running:
                task.cancel()
            if writer is not None:
                await self.queue.put(None)
                await writer
                if self.client is None and client is not None:
                    await client.aclose()
                if self.guarded is not None:
                    await self.guarded.aclose()
                if self.pool is not None:
                    self.pool.close()
                await asyncio.to_thread(self._release)
        if writer is None:
            return self.report
        if self.settings.geocoder:
            await self._geocode()
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _claim(self, now: datetime, due_only: bool, feed_ids: list[int] | None, after: int,
               limit: int) -> list[FeedJob]:
        with Session(self.engine) as session:
            for holder in store.lease_holders(session=session, now=now):
                if owner_gone(holder):
                    log.warning("taking over the feeds of refresh %s, which is no longer running", holder)
                    store.release_leases(session=session, owner=holder)
            return store.claim_feeds(session=session, owner=self.owner, now=now, lease_for=self.lease_for,
                                     due_only=due_only, feed_ids=feed_ids, after=after, limit=limit)

    async def _geocode(self) -> None:
        """Look up online the location lines of feeds stored in this run; a failure is logged, never raised."""
        changed = [job.id for job, outcome in self.report.outcomes if outcome.kind == Outcome.STORED]
        if not changed:
            return
        try:
            lines = await asyncio.to_thread(self._location_lines, changed)
            await geocode_pending(self.engine, self.settings, lines=lines, limit=GEOCODE_PER_RUN)
        except Exception:  # noqa: BLE001  (the geocoder is an extra: it must never cost a refresh)
            log.exception("the geocoder failed; its lines stay unplaced until a later refresh")

    def _location_lines(self, feed_ids: list[int]) -> list[str]:
        with Session(self.engine) as session:
            return lookups.location_lines(feed_ids, session=session)

    def _release(self) -> None:
        with Session(self.engine) as session:
            store.release_leases(session=session, owner=self.owner)
            store.prune_fetch_log(session=session, older_than=clock.now() - FETCH_LOG_KEPT)
            store.prune_linked_pages(session=session, older_than=clock.now() - PAGE_KEPT)

    async def _one(self, client: Client, gate: asyncio.Semaphore, job: FeedJob) -> None:
        if job.origin != Origin.REGISTRY or not job.private:  # SSRF-guarded on every hop, redirects included,
            client = self._guarded_client()                    # but for a registry feed the operator made private
        async with gate:
            with observe.parse_clock() as parse_ms:
                outcome = await self._outcome(client, job)
            outcome.parse_ms = parse_ms()
        await self.queue.put((job, outcome))

    async def _outcome(self, client: Client, job: FeedJob) -> FeedOutcome:
        at = clock.now()
        try:
            fetched = await fetch(client, job.url, limits=self.limits, etag=job.etag,
                                  last_modified=job.last_modified, allow_files=job.origin == Origin.REGISTRY)
        except FetchError as e:
            return FeedOutcome(job.id, Outcome.FAILED, at, http_status=e.status, error=str(e),
                               retry_after=e.retry_after)
        except FeedError as e:
            return FeedOutcome(job.id, Outcome.FAILED, at, http_status=e.status, error=str(e))
        outcome = functools.partial(
            FeedOutcome, job.id, at=at, http_status=None if job.url.startswith("file:") else fetched.status,
            etag=fetched.etag, last_modified=fetched.last_modified, duration_ms=fetched.duration_ms,
            moved_to=fetched.moved_to)
        if fetched.body is None:
            return outcome(kind=Outcome.NOT_MODIFIED)
        body = fetched.body
        # Stamps left out: Google and Office 365 stamp every event with the time of the request.
        digest = body_fingerprint(body, job.kind)
        fresh = job.parsed_at is not None and at - job.parsed_at < REPARSE_AFTER
        if digest == job.content_hash and fresh:
            return outcome(kind=Outcome.UNCHANGED, bytes=len(body))
        try:
            kind = job.kind or sniff(body)
        except FeedError as e:
            return outcome(kind=Outcome.FAILED, error=str(e), bytes=len(body))
        parsed = await self._parse(body, kind, job.url, at)
        if isinstance(parsed, str):
            return outcome(kind=Outcome.FAILED, error=parsed, bytes=len(body))
        result, hashes = parsed
        if result.linked:
            hashes.extend(content_hash(event) for event in await self._follow(result, at))
        notice = summary(result, kind=kind, days=self.settings.window_future_days)
        reason = judge(job, body, kind, result)
        if reason:
            return outcome(kind=Outcome.KEPT, error=reason, skipped=result.skipped, problems=result.problems,
                           notice=notice, bytes=len(body))
        if looks_truncated(body, kind):
            # Stored for want of anything better, and parsed again next time (no content hash).
            notice = cut_off_notice(body, len(result.events), notice)
            digest = ""
        held = hold(job, result.events, hashes, at)
        if held is not None:
            return outcome(kind=Outcome.HELD, error=held_words(held.upcoming_before, held.upcoming_after),
                           hold=held, content_hash=digest, events=result.events, found=len(result.events),
                           skipped=result.skipped, problems=result.problems, notice=notice, bytes=len(body))
        return outcome(kind=Outcome.STORED, content_hash=digest, events=result.events, hashes=hashes,
                       found=len(result.events), skipped=result.skipped, problems=result.problems, notice=notice,
                       bytes=len(body))

    async def _parse(self, body: bytes, kind: str, url: str, at: datetime) -> tuple[ParseResult, list[str]] | str:
        try:
            return await self._in_pool(parse_in_worker, body, kind, url, *self._window(at))
        except ParseError as e:  # over the time or memory limit: the last good events stay
            log.warning("%s: %s", url, e)
            return str(e)
        except Exception as e:  # noqa: BLE001  (a parser bug must cost one feed, not the refresh)
            log.exception("parser failed on %s", url)
            return f"the hub could not read this feed ({type(e).__name__}); the organisers have been told"

    async def _follow(self, result: ParseResult, at: datetime) -> list[EventIn]:
        """Read the pages that dateless items link to; returns the events added to `result`."""
        if self.settings.follow_links <= 0:
            for item in result.linked:
                result.skip(f'skipped "{item.title}": it had no event date', "it had no event date")
            result.linked = []
            return []
        guarded = self._guarded_client()

        async def read(html: bytes, url: str) -> list[EventIn] | str:
            try:
                events: list[EventIn] = await self._in_pool(read_page_in_worker, html, url, *self._window(at),
                                                            what="the page")
            except ParseError as e:
                return str(e)
            except Exception as e:  # noqa: BLE001  (one odd page must not cost the feed)
                log.exception("event page reader failed on %s", url)
                return f"the page could not be read ({type(e).__name__})"
            return events

        if self.robots is None:
            self.robots = Robots(guarded, self.limits)
        follower = PageFollower(self.engine, guarded, self.limits, per_feed=self.settings.follow_links,
                                read=read, robots=self.robots)
        return await follower.follow(result, at=at)

    def _guarded_client(self) -> Client:
        if self.guarded is None:
            self.guarded = make_client(self.settings, guarded=True)
        return self.guarded

    def _window(self, at: datetime) -> tuple[str, datetime, datetime]:
        settings = self.settings
        return (settings.timezone, at - timedelta(days=settings.window_past_days),
                at + timedelta(days=settings.window_future_days))

    async def _in_pool(self, function: Callable[..., _T], *args: object, what: str = "the calendar") -> _T:
        """Run `function(*args)` in a parse worker, within the time and memory limits (ParseError past them)."""
        if self.pool is None:
            self.pool = WorkerPool.from_settings(self.settings)
        return await self.pool.run(function, *args, what=what)

    async def _write(self) -> None:
        """Write outcomes in batches: one transaction per batch keeps an unchanged refresh cheap."""
        done = False
        while not done:
            item = await self.queue.get()
            if item is None:
                break
            batch = [item]
            deadline = time.monotonic() + BATCH_SECONDS
            while len(batch) < BATCH_OUTCOMES:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    break
                try:
                    nxt = await asyncio.wait_for(self.queue.get(), timeout)
                except TimeoutError:
                    break
                if nxt is None:
                    done = True
                    break
                batch.append(nxt)
            self.report.events_changed += await asyncio.to_thread(self._record, [o for _j, o in batch])
            for job, outcome in batch:
                # Stored: let them go, a refresh of 100,000 events must stay small.
                outcome.events, outcome.hashes = [], []
                self.report.outcomes.append((job, outcome))
                observe.finished(job, outcome)
                if self.on_done is not None:
                    self.on_done(job, outcome)

    def _record(self, outcomes: list[FeedOutcome]) -> int:
        with Session(self.engine) as session:
            return store.record_outcomes(outcomes, session=session, owner=self.owner,
                                         refresh_interval=timedelta(seconds=self.settings.refresh_interval))


def owner_gone(owner: str) -> bool:
    """Whether the refresh that holds leases as `owner` has surely ended: it ran on this machine, in a process
    that is no longer there.  A refresh on another machine is waited for until its leases expire."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) in (0, os.getpid()):
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False   # there, but another user's
    return False


async def refresh(engine: Engine, settings: Settings, *, due_only: bool = True, feed_ids: list[int] | None = None,
                  client: Client | None = None,
                  on_done: Callable[[FeedJob, FeedOutcome], None] | None = None,
                  on_claimed: Callable[[Sequence[FeedJob]], None] | None = None) -> RefreshReport:
    """Refresh due feeds (all with `due_only=False`); see `Refresher`. `on_claimed` is told each batch of feeds
    this run claims before any of them is fetched, `on_done` each feed's outcome as it comes."""
    return await Refresher(engine, settings, client=client, on_done=on_done, on_claimed=on_claimed).run(
        due_only=due_only, feed_ids=feed_ids)
