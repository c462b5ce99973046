"""The running hub: its settings, its database and the current catalogue, shared by web requests."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from calendar_hub import clock, store
from calendar_hub.catalogue import Catalogue, build_catalogue
from calendar_hub.settings import Settings
from calendar_hub.site import SiteSpec
from calendar_hub.store import Engine, Session
from calendar_hub.store.engine import make_engine

log = logging.getLogger(__name__)

REBUILD_PAUSE = 2.0   # times the last rebuild's length before the next one
# A catalogue is updated for the feeds that changed for this long after its full build, then built whole again
# (in the background): the window of past events kept moves on, and nothing drifts for long.
FULL_BUILD_EVERY = 3600.0


class Hub:
    """Holds the engine and hands out the catalogue, bringing it up to date when another process stored changes.

    The database's change counter is read at most every `change_check_seconds`, so a busy
    server costs the database nothing per request, and a separate `refresh` shows within that time.
    When only feeds' events changed since the catalogue held (the change log says which), it is updated for
    those feeds (`Catalogue.updated`: a few hundred milliseconds at a million events); after any other change it
    is built whole in a background thread while the one held is served, so no request waits for it (but the
    first).  With `change_check_seconds` 0 every request checks, and one that finds a change waits for the new
    catalogue: every request sees the newest data.
    While feeds keep changing, an update or build that took `d` seconds is followed by at least `2 d` seconds
    without one, so that work never takes more than a third of the process from the requests it serves.
    """

    def __init__(self, settings: Settings, *, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings.database_url, busy_seconds=settings.database_busy_seconds)
        self._catalogue: Catalogue | None = None
        self._next_check = 0.0     # time.monotonic() from which the change counter is read again
        self._lock = threading.Lock()
        self._building: threading.Thread | None = None
        self.update_seconds: float | None = None   # how long the last update for changed feeds took
        self.build_seconds: float | None = None    # how long the last full build took
        self.on_built: Callable[[float], None] | None = None   # told how long each build or update took (/metrics)

    def fresh(self) -> Catalogue | None:
        """The catalogue if it was checked recently enough to need no database query, else None."""
        current = self._catalogue
        if current is not None and time.monotonic() < self._next_check:
            return current
        return None

    def catalogue(self) -> Catalogue:
        """The catalogue of the newest data version (built on first use, brought up to date after every change)."""
        current = self.fresh()
        if current is not None:
            return current
        current = self._catalogue
        if not self._lock.acquire(blocking=current is None):
            assert current is not None  # another thread is checking: serve the last one meanwhile
            return current
        try:
            if self._building is not None:
                return self._catalogue or current   # type: ignore[return-value]
            started = time.monotonic()
            with Session(self.engine) as session:
                version = store.current_version(session=session)
                current = self._catalogue
                if current is None:
                    self._install(self._build(session))
                elif current.version != version and not self._update(current, version, session=session):
                    if self.settings.change_check_seconds > 0:
                        self._build_in_background()
                        return current
                    self._install(self._build(session))
            self._pace(started)
            assert self._catalogue is not None
            return self._catalogue
        finally:
            self._lock.release()

    def _update(self, current: Catalogue, version: int, *, session: Session) -> bool:
        """Bring `current` to `version` for the feeds that changed, when the change log allows; whether it did."""
        basis = getattr(current, "basis", None)
        if basis is None or time.monotonic() - basis.built > FULL_BUILD_EVERY:
            return False
        feeds = store.changes_since(current.version, session=session, until=version)
        if feeds is None:
            return False
        started = time.monotonic()
        fresh = store.occurrence_rows(session=session, since=basis.since, feeds=feeds)
        self._catalogue = current.updated(feeds, fresh, version=version, built_at=clock.now(),
                                          stale_seconds=self.settings.stale_seconds)
        self.update_seconds = time.monotonic() - started
        if self.on_built is not None:
            self.on_built(self.update_seconds)
        return True

    def _build(self, session: Session) -> Catalogue:
        started = time.monotonic()
        built = build_catalogue(session=session, zone=self.settings.zone, now=clock.now(),
                                keep_days=self.settings.window_past_days)
        self.build_seconds = time.monotonic() - started
        if self.on_built is not None:
            self.on_built(self.build_seconds)
        return built

    def _install(self, built: Catalogue) -> None:
        previous = self._catalogue
        if previous is not None:
            built.succeed(previous, stale_seconds=self.settings.stale_seconds)
        self._catalogue = built

    def _build_in_background(self) -> None:
        """Build the catalogue whole in a thread of its own; the one held is served until it is done."""
        def run() -> None:
            started = time.monotonic()
            try:
                with Session(self.engine) as session:
                    built = self._build(session)
                previous = self._catalogue
                if previous is not None and previous.index_built:
                    _ = built.index   # searches were made: the first after this build does not wait for the index
                with self._lock:
                    self._install(built)
                    self._pace(started)
            except Exception:  # noqa: BLE001  (the next check tries again; requests keep the one held)
                log.exception("building the catalogue in the background failed")
            finally:
                self._building = None

        self._building = threading.Thread(target=run, name="calendar-hub-catalogue", daemon=True)
        self._building.start()

    def _pace(self, started: float) -> None:
        took = time.monotonic() - started
        every = self.settings.change_check_seconds
        self._next_check = started + took + (max(every, REBUILD_PAUSE * took) if every > 0 else 0.0)

    def settle(self, timeout: float | None = None) -> None:
        """Wait for a full build running in the background, if any (for tests and commands, never requests)."""
        building = self._building
        if building is not None:
            building.join(timeout)

    def site(self) -> SiteSpec:
        """The hub's identity of the catalogue last built (the defaults before the first): no database query."""
        current = self._catalogue
        return current.site if current is not None else SiteSpec()

    def close(self) -> None:
        """Release the database connections."""
        self.settle()
        self.engine.dispose()
