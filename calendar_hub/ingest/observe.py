"""What a refresh tells the operator: one log line per feed once its outcome is written, and its durations to
whoever watches (the web app's /metrics), without the refresh knowing who that is.

    finished(job, outcome)    the line on the "calendar_hub.refresh" logger, and the watcher told
    parse_clock()             around one feed's work: the time its parses took in the workers, in ms
    parsed(seconds)           told by the worker pool after each parse
    watching(watcher)         the watcher for the refreshes started inside it (a context variable, so two apps
                              in one process each see their own refreshes, and a `refresh` command none)

The line names the feed by id, group and host, never the whole address: a feed's address may carry its
calendar's secret (Google's and Outlook's private addresses do).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator
from typing import Protocol
from urllib.parse import urlsplit

from calendar_hub import clock
from calendar_hub.store import FeedJob, FeedOutcome

__all__ = ["LOGGER", "Watcher", "finished", "parse_clock", "parsed", "watching"]

LOGGER = logging.getLogger("calendar_hub.refresh")


class Watcher(Protocol):
    """Told about the refreshes of the process it watches."""

    def parse_took(self, seconds: float) -> None: ...

    def feed_done(self, outcome: FeedOutcome, seconds: float) -> None: ...


_watcher: contextvars.ContextVar[Watcher | None] = contextvars.ContextVar("refresh_watcher", default=None)
_parse_seconds: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar("parse_seconds", default=None)


@contextlib.contextmanager
def watching(watcher: Watcher) -> Iterator[None]:
    """Tell `watcher` about every refresh started (as a task or awaited) within the block."""
    token = _watcher.set(watcher)
    try:
        yield
    finally:
        _watcher.reset(token)


@contextlib.contextmanager
def parse_clock() -> Iterator[Callable[[], int]]:
    """Within the block, parses are timed; the function given returns their total so far, in ms."""
    spent: list[float] = []
    token = _parse_seconds.set(spent)
    try:
        yield lambda: round(sum(spent) * 1000)
    finally:
        _parse_seconds.reset(token)


def parsed(seconds: float) -> None:
    """One parse took `seconds` (in a worker, waiting for one left out)."""
    spent = _parse_seconds.get()
    if spent is not None:
        spent.append(seconds)
    watcher = _watcher.get()
    if watcher is not None:
        watcher.parse_took(seconds)


def finished(job: FeedJob, outcome: FeedOutcome) -> None:
    """The feed's outcome is written: log its line and tell the watcher."""
    took = max((clock.now() - outcome.at).total_seconds(), 0.0)   # the hub's clock: `at` was read from it
    fields = {
        "feed": job.id, "group": job.group_slug, "host": _host(job.url), "outcome": str(outcome.kind),
        "http_status": outcome.http_status, "events": outcome.found, "added": outcome.added,
        "changed": outcome.changed, "removed": outcome.removed, "skipped": outcome.skipped, "bytes": outcome.bytes,
        "fetch_ms": outcome.duration_ms, "parse_ms": outcome.parse_ms, "total_ms": round(took * 1000),
        "error": outcome.error[:300],
    }
    if LOGGER.isEnabledFor(logging.INFO):
        words = " ".join(f"{name}={_word(value)}" for name, value in fields.items() if value not in ("", None))
        LOGGER.info("feed refreshed: %s", words, extra={"refresh": fields})
    watcher = _watcher.get()
    if watcher is not None:
        watcher.feed_done(outcome, took)


def _host(url: str) -> str:
    if url.startswith("file:"):
        return "file"
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _word(value: object) -> str:
    """A value as one logfmt word: quoted when it holds a space, a quote or an equals sign."""
    text = str(value)
    if text and not any(c in text for c in ' "=\n\t'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
