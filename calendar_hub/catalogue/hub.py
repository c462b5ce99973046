"""The running hub: its settings, its database and the current catalogue, shared by web requests."""

from __future__ import annotations

import threading
import time

from calendar_hub import clock, store
from calendar_hub.catalogue import Catalogue, build_catalogue
from calendar_hub.settings import Settings
from calendar_hub.store import Engine, Session
from calendar_hub.store.engine import make_engine


class Hub:
    """Holds the engine and hands out the catalogue, rebuilding it when another process stored changes.

    The database's change counter is read at most every `change_check_seconds`, so a busy
    server costs the database nothing per request, and a separate `refresh` shows within that time.
    """

    def __init__(self, settings: Settings, *, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url, busy_seconds=settings.database_busy_seconds)
        self._catalogue: Catalogue | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def fresh(self) -> Catalogue | None:
        """The catalogue if it was checked recently enough to need no database query, else None."""
        current = self._catalogue
        if current is not None and time.monotonic() - self._checked < self.settings.change_check_seconds:
            return current
        return None

    def catalogue(self) -> Catalogue:
        """The catalogue of the newest data version (built on first use and after every change)."""
        current = self._catalogue
        if current is not None and time.monotonic() - self._checked < self.settings.change_check_seconds:
            return current
        if not self._lock.acquire(blocking=current is None):
            assert current is not None  # another thread is rebuilding: serve the last one meanwhile
            return current
        try:
            with Session(self.engine) as session:
                version = store.current_version(session=session)
                self._checked = time.monotonic()
                if self._catalogue is None or self._catalogue.version != version:
                    self._catalogue = build_catalogue(session=session, zone=self.settings.zone, now=clock.now(),
                                                      keep_days=self.settings.window_past_days)
            return self._catalogue
        finally:
            self._lock.release()

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
