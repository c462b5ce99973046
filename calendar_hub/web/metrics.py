"""GET /metrics: what operators watch, in Prometheus' text format, on a registry of each app's own.

Two kinds of figure, because several web processes and separate `calendar-hub refresh` processes share one database:

- what the database holds (feeds by the outcome of their last fetch, events stored, work waiting, each feed's last
  fetch time) is read at scrape time by `StoreCollector`, the same in every process, and kept `CACHE_SECONDS` so a
  storm of scrapes costs one set of queries;
- what this process did (requests by route and status, their durations, catalogue builds, and the fetches and
  parses of the refreshes it ran) counts from the process's start, as Prometheus counters do.

Nothing a visitor sent reaches the figures: requests are counted by their route's template (`/weeks/{week}`,
never the path asked for, so one scanner cannot make a million series) and status, not by method or header. Feeds
are counted, never named. /metrics is public unless CALENDAR_HUB_METRICS_TOKEN is set (then a Bearer token).
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calendar_hub import clock, store
from calendar_hub.states import Outcome
from calendar_hub.store import Engine, FeedOutcome, HubFigures, Session

__all__ = ["CACHE_SECONDS", "UNMATCHED", "HubMetrics", "RequestMetrics", "StoreCollector", "metrics",
           "route_template"]

log = logging.getLogger(__name__)
CACHE_SECONDS = 5.0
UNMATCHED = "(unmatched)"   # the route label of a request no route took (a 404 for a path nobody serves)
PREFIX = "calendar_hub"
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LONG_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class StoreCollector:
    """The database's figures (`store.hub_figures`) as metrics, read at most once every `cache_seconds`."""

    def __init__(self, engine: Engine, *, cache_seconds: float = CACHE_SECONDS) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._read_at = float("-inf")
        self._metrics: list[Metric] = []

    def collect(self) -> Iterator[Metric]:
        with self._lock:   # concurrent scrapes wait for one read rather than each running the queries
            if time.monotonic() - self._read_at >= self.cache_seconds:
                self._metrics = self._read()
                self._read_at = time.monotonic()
            yield from self._metrics

    def _read(self) -> list[Metric]:
        up = GaugeMetricFamily(f"{PREFIX}_database_up", "1 when the figures below were read from the database")
        try:
            with Session(self.engine) as session:
                figures = store.hub_figures(session=session, now=clock.now())
        except Exception:  # noqa: BLE001  (monitoring must say the database failed, not fail itself)
            log.exception("the figures for /metrics could not be read")
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *_figures(figures)]


def _figures(figures: HubFigures) -> Iterable[Metric]:
    feeds = GaugeMetricFamily(f"{PREFIX}_feeds", "Feeds a refresh fetches, by the outcome of their last fetch",
                              labels=["outcome"])
    for outcome, count in figures.feeds.items():
        feeds.add_metric([str(outcome)], count)
    yield feeds
    for name, value, words in (
            ("feeds_never_fetched", figures.never_fetched, "Feeds a refresh fetches that were never fetched yet"),
            ("feeds_gone", figures.feeds_gone, "Feeds that answered 410 Gone, not fetched until resumed"),
            ("feeds_paused", figures.feeds_paused, "Feeds paused by an organiser, or whose group is"),
            ("feeds_due", figures.feeds_due, "Feeds due for a fetch now that no refresh holds: the refresh queue"),
            ("events_stored", figures.events, "Occurrences stored, from every feed"),
            ("join_requests_waiting", figures.join_requests, "Requests to join waiting for an organiser"),
            ("submitted_events_waiting", figures.submitted_events, "Sent events waiting for an organiser"),
            ("mail_outbox_waiting", figures.outbox, "E-mail messages waiting to be sent")):
        yield GaugeMetricFamily(f"{PREFIX}_{name}", words, value=value)
    last = GaugeHistogramMetricFamily(f"{PREFIX}_feed_last_fetch_seconds",
                                      "Feeds a refresh fetches, by how long their last answered fetch took")
    buckets = [(str(bound / 1000), count) for bound, count in figures.fetch_buckets]
    last.add_metric([], [*buckets, ("+Inf", figures.fetch_timed)], gsum_value=figures.fetch_ms_sum / 1000)
    yield last


class HubMetrics:
    """One app's registry: the database's figures and this process's own. It watches the refreshes this
    process runs (`calendar_hub.ingest.observe.Watcher`) and the catalogue's builds."""

    def __init__(self, engine: Engine, *, cache_seconds: float = CACHE_SECONDS) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(StoreCollector(engine, cache_seconds=cache_seconds))
        self.requests = Counter(f"{PREFIX}_http_requests", "Requests answered, by route template and status",
                                ["route", "status"], registry=self.registry)
        self.request_seconds = Histogram(f"{PREFIX}_http_request_duration_seconds",
                                         "Time to answer a request, by route template", ["route"],
                                         buckets=_SECONDS, registry=self.registry)
        self.builds = Histogram(f"{PREFIX}_catalogue_build_seconds",
                                "Time to build the catalogue after the data changed", buckets=_LONG_SECONDS,
                                registry=self.registry)
        self.refreshes = Counter(f"{PREFIX}_feed_refreshes", "Feed refreshes this process ran, by outcome",
                                 ["outcome"], registry=self.registry)
        for outcome in Outcome:
            self.refreshes.labels(str(outcome))
        self.fetches = Histogram(f"{PREFIX}_feed_fetch_seconds", "Time to fetch a feed, in this process's refreshes",
                                 buckets=_LONG_SECONDS, registry=self.registry)
        self.parses = Histogram(f"{PREFIX}_feed_parse_seconds",
                                "Time to parse a feed (or a page it links to), in this process's refreshes",
                                buckets=_LONG_SECONDS, registry=self.registry)

    def request_done(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route, str(status)).inc()
        self.request_seconds.labels(route).observe(seconds)

    def catalogue_built(self, seconds: float) -> None:
        self.builds.observe(seconds)

    def parse_took(self, seconds: float) -> None:
        self.parses.observe(seconds)

    def feed_done(self, outcome: FeedOutcome, seconds: float) -> None:
        self.refreshes.labels(str(outcome.kind)).inc()
        if outcome.duration_ms:
            self.fetches.observe(outcome.duration_ms / 1000)

    def exposition(self) -> bytes:
        """The text format; reads the database (blocking: call it off the event loop)."""
        return generate_latest(self.registry)


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The template of the route that serves `scope` ("/weeks/{week}", "/admin/groups/{slug}"), else UNMATCHED."""
    for route in routes:
        match, child = route.matches(scope)
        if match == Match.NONE:
            continue
        if isinstance(route, Mount):
            inner = route.routes
            rest = route_template(inner, {**scope, **child}) if inner else UNMATCHED
            return route.path + (rest if rest != UNMATCHED else "/{path}")
        return str(getattr(route, "path", UNMATCHED))
    return UNMATCHED


class RequestMetrics:
    """Counts every request by its route's template and status, and times it (a pure ASGI middleware)."""

    def __init__(self, app: ASGIApp, *, metrics: HubMetrics, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Routing writes into the scope as it goes (a mount's root_path): match a copy of the request as it came.
        asked: dict[str, Any] = {"type": "http", "path": scope["path"], "root_path": scope.get("root_path", ""),
                                 "method": scope["method"]}
        started = time.perf_counter()
        status = 500   # what the client gets when the app fails before answering

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.request_done(route_template(self.routes, asked), status, time.perf_counter() - started)


async def metrics(request: Request) -> Response:
    """GET /metrics: the exposition, to anyone, or only with the Bearer token when one is set."""
    token = request.app.state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), f"Bearer {token}".encode()):
            refused = {"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"}
            return PlainTextResponse("A token is needed to read the metrics.", status_code=401, headers=refused)
    body = await run_in_threadpool(request.app.state.metrics.exposition)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
