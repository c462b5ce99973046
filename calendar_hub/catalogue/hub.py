"""The running hub: its settings, its database and the current catalogue, shared by web requests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from calendar_hub import clock, store
from calendar_hub.catalogue import Catalogue, build_catalogue
from calendar_hub.settings import Settings
from calendar_hub.site import SiteSpec
from calendar_hub.store import Engine, Session
from calendar_hub.store.engine import make_engine

REBUILD_PAUSE = 2.0   # times the last rebuild's length before the next one


class Hub:
    """Holds the engine and hands out the catalogue, rebuilding it when another process stored changes.

    The database's change counter is read at most every `change_check_seconds`, so a busy
    server costs the database nothing per request, and a separate `refresh` shows within that time.
    While feeds keep changing, a rebuild that took `d` seconds is followed by at least `2 d` seconds
    without one, so rebuilding never takes more than a third of the process from the requests it serves
    (with `change_check_seconds` 0, every request checks).
    """

    def __init__(self, settings: Settings, *, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url, busy_seconds=settings.database_busy_seconds)
        self._catalogue: Catalogue | None = None
        self._next_check = 0.0     # time.monotonic() from which the change counter is read again
        self._lock = threading.Lock()
        self.on_built: Callable[[float], None] | None = None   # told how long each build took (/metrics)

    def fresh(self) -> Catalogue | None:
        """The catalogue if it was checked recently enough to need no database query, else None."""
        current = self._catalogue
        if current is not None and time.monotonic() < self._next_check:
            return current
        return None

    def catalogue(self) -> Catalogue:
        """The catalogue of the newest data version (built on first use and after every change)."""
        current = self.fresh()
        if current is not None:
            return current
        current = self._catalogue
        if not self._lock.acquire(blocking=current is None):
            assert current is not None  # another thread is rebuilding: serve the last one meanwhile
            return current
        try:
            with Session(self.engine) as session:
                started = time.monotonic()
                version = store.current_version(session=session)
                if self._catalogue is None or self._catalogue.version != version:
                    built = build_catalogue(session=session, zone=self.settings.zone, now=clock.now(),
                                            keep_days=self.settings.window_past_days)
                    if self._catalogue is not None:
                        built.succeed(self._catalogue, stale_seconds=self.settings.stale_seconds)
                    self._catalogue = built
                    if self.on_built is not None:
                        self.on_built(time.monotonic() - started)
                took = time.monotonic() - started
                every = self.settings.change_check_seconds
                self._next_check = started + took + (max(every, REBUILD_PAUSE * took) if every > 0 else 0.0)
            return self._catalogue
        finally:
            self._lock.release()

    def site(self) -> SiteSpec:
        """The hub's identity of the catalogue last built (the defaults before the first): no database query."""
        current = self._catalogue
        return current.site if current is not None else SiteSpec()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
