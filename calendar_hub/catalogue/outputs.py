"""The built outputs of one catalogue: each body is built once, by one thread, however many ask at once.

A new version of the data gets a new, empty `Outputs`, which may remember the bodies the versions before
it built.  While a body is rebuilt for the new version, requests for it then get the last one built (if it
is at most `stale_seconds` old), so a change never makes a page wait for its rebuild; and a burst of
requests after a change costs one build per body, not one per request.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

OUTPUTS_KEPT = 512

Key = tuple[Any, ...]
Build = Callable[[], tuple[bytes, str]]

# Rebuilds of bodies served stale run here, one at a time, so that they take one core's share at most.
_REBUILDS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="calendar-hub-rebuild")


@dataclass(frozen=True)
class Output:
    """A built response body with its validator; the gzip form is made once, when first asked for."""

    body: bytes
    media_type: str
    etag: str
    made: float = field(default_factory=time.monotonic, compare=False)

    @functools.cached_property
    def compressed(self) -> bytes:
        return gzip.compress(self.body, compresslevel=6, mtime=0)


def made(body: bytes, media_type: str) -> Output:
    return Output(body=body, media_type=media_type, etag='"' + hashlib.sha256(body).hexdigest()[:24] + '"')


class Outputs:
    """One catalogue's outputs by key (the kind of output, its filters and anything else it depends on)."""

    def __init__(self, previous: Outputs | None = None, *, stale_seconds: float = 0.0,
                 keeps: Callable[[Key], bool] | None = None) -> None:
        """`previous` is the version before; its outputs whose key `keeps` holds are this version's own (they hold
        nothing that changed), the others may be served stale while they are built again."""
        self.stale_seconds = stale_seconds
        self._built: OrderedDict[Key, Output] = OrderedDict()
        self._pending: dict[Key, Future[Output]] = {}
        self._lock = threading.Lock()
        self._earlier: dict[Key, Output] = {}
        self.superseded = False
        if previous is not None:
            previous.superseded = True
        if previous is not None and stale_seconds > 0:
            with previous._lock:
                earlier = {**previous._earlier, **previous._built}
            self._earlier = dict(list(earlier.items())[-OUTPUTS_KEPT:])
        if previous is not None and keeps is not None:
            with previous._lock:
                built = list(previous._built.items())
            self._built.update((key, output) for key, output in built if keeps(key))
            for key in self._built:
                self._earlier.pop(key, None)

    def __len__(self) -> int:
        return len(self._built)

    def keys(self) -> list[Key]:
        """The keys of the outputs built, oldest used first."""
        with self._lock:
            return list(self._built)

    def cached(self, key: Key) -> Output | None:
        """The output built for `key`, if any (cheap: no lock, no build)."""
        return self._built.get(key)

    def stale(self, key: Key) -> Output | None:
        """The body an earlier version built for `key`, if it is recent enough to serve during a rebuild."""
        found = self._earlier.get(key)
        return found if found is not None and time.monotonic() - found.made <= self.stale_seconds else None

    def get(self, key: Key, build: Build) -> Output:
        """The output for `key`, built by `build() -> (body, media type)` the first time; a caller that asks while
        another builds it waits for that build."""
        with self._lock:
            found = self._built.get(key)
            if found is not None:
                self._built.move_to_end(key)
                return found
            pending = self._pending.get(key)
            mine = pending is None
            if pending is None:
                pending = self._pending[key] = Future()
        if not mine:
            return pending.result()
        try:
            output = made(*build())
        except BaseException as e:
            with self._lock:
                del self._pending[key]
            pending.set_exception(e)
            raise
        with self._lock:
            self._built[key] = output
            while len(self._built) > OUTPUTS_KEPT:
                self._built.popitem(last=False)
            del self._pending[key]
        pending.set_result(output)
        return output

    def rebuild_later(self, key: Key, build: Build) -> None:
        """Build `key` in the background unless it is built, being built, or this version is already replaced."""
        with self._lock:
            if key in self._built or key in self._pending or self.superseded:
                return
        _REBUILDS.submit(self._rebuild, key, build)

    def _rebuild(self, key: Key, build: Build) -> None:
        if self.superseded:
            return   # a newer version came meanwhile: its own requests ask for what they need
        try:
            self.get(key, build)
        except Exception:  # noqa: BLE001  (the request that next asks builds it itself, and sees the error)
            log.exception("rebuilding an output in the background failed")
