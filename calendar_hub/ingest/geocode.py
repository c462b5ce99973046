"""Placing location lines with an online geocoder (Nominatim, through geopy) when the offline places cannot.

Off unless `CALENDAR_HUB_GEOCODER=nominatim`.  Only a refresh calls `geocode_pending`, never a page
request; pages read the cache through `geocoded`.  Each distinct line (as `lookup_key` normalises it)
is sent once: "nothing found" is kept for good, a failure of the network or the server is tried again
after `RETRY_FAILED`.  Requests keep to `CALENDAR_HUB_GEOCODER_PER_SECOND` over every process sharing
the database: Nominatim's usage policy (https://operations.osmfoundation.org/policies/nominatim/) allows
one a second and asks for a User-Agent that identifies the application.  The slots are read from each
machine's clock, so several machines sharing one database need synchronised clocks (NTP).

geopy is an optional extra (`pip install 'calendar-hub[geocoder]'`), imported only when the geocoder is on.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from calendar_hub import clock
from calendar_hub.errors import ConfigError
from calendar_hub.places import Place, online, resolver
from calendar_hub.places.resolve import UNKNOWN
from calendar_hub.settings import Settings
from calendar_hub.store import Engine, Session, lookups

log = logging.getLogger(__name__)

GEOCODERS = ("nominatim",)
RETRY_FAILED = timedelta(days=1)      # a line whose look-up failed (network, server) is tried again after this
TIMEOUT_SECONDS = 10.0
COUNTRY_CODES = ["gb", "ie"]          # the hub's places are in the UK and Ireland, like the offline gazetteer
SLOT_PATIENCE = 60.0                  # seconds a run waits for one free request slot before it stops


def lookup_key(text: str) -> str:
    """A location line as the cache knows it: whitespace collapsed, casefolded, at most 1000 characters."""
    return " ".join(text.split()).casefold()[:1000]


def needs_lookup(text: str) -> bool:
    """Whether a location line is worth sending: not online, not "TBC", and not placed by the offline places."""
    return bool(text.strip()) and not online(text) and not UNKNOWN.match(text) and resolver().resolve(text) is None


def make_geocoder(settings: Settings) -> Any:
    """A geopy Nominatim geocoder for `settings`.

    Raises ConfigError for an unknown geocoder, a URL that is not http(s), a missing User-Agent,
    a rate that is not positive, or geopy not installed.
    """
    name = settings.geocoder.strip().lower()
    if name not in GEOCODERS:
        raise ConfigError(f"CALENDAR_HUB_GEOCODER={settings.geocoder!r}: expected empty (off) or 'nominatim'")
    if not settings.geocoder_user_agent.strip():
        raise ConfigError("CALENDAR_HUB_GEOCODER_USER_AGENT is required when the geocoder is on: Nominatim's "
                          "usage policy asks for a User-Agent naming the application and a contact")
    if not settings.geocoder_per_second > 0:
        raise ConfigError(f"CALENDAR_HUB_GEOCODER_PER_SECOND={settings.geocoder_per_second!r}: must be above 0")
    parts = urlsplit(settings.geocoder_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"CALENDAR_HUB_GEOCODER_URL={settings.geocoder_url!r}: expected an http(s) address")
    try:
        from geopy.geocoders import Nominatim
    except ImportError as e:
        raise ConfigError("the geocoder needs geopy: pip install 'calendar-hub[geocoder]'") from e
    # geopy builds "<scheme>://<domain>/search"; keeping the path lets a server live under a prefix.
    return Nominatim(user_agent=settings.geocoder_user_agent.strip(), domain=parts.netloc + parts.path.rstrip("/"),
                     scheme=parts.scheme, timeout=TIMEOUT_SECONDS)


async def geocode_pending(engine: Engine, settings: Settings, *, lines: Iterable[str], limit: int = 50) -> int:
    """Look up, at most `limit` of them, the lines never looked up that the offline places cannot place.

    Returns how many look-ups were stored (found, not found or failed).  Does nothing when the geocoder
    is off; raises ConfigError when it is on but misconfigured.  Stops early, leaving the rest for a later
    run, when the service turns the hub away (rate limited, forbidden, unreachable) or is busy (time-outs,
    503, 504), or when no request slot frees up within `SLOT_PATIENCE`.
    """
    if not settings.geocoder or limit <= 0:
        return 0
    geocoder = make_geocoder(settings)
    from geopy import exc  # importable now: make_geocoder found geopy

    # The service refuses the hub (429, 402, 401, 403) or cannot be reached: no fault of the line, kept for later.
    turned_away = (exc.GeocoderRateLimited, exc.GeocoderQuotaExceeded, exc.GeocoderAuthenticationFailure,
                   exc.GeocoderInsufficientPrivileges, exc.GeocoderUnavailable)
    interval_ms = max(round(1000 / settings.geocoder_per_second), 1)
    todo = await asyncio.to_thread(_pending, engine, list(lines), limit)
    stored = 0
    for index, (key, text) in enumerate(todo):
        at = clock.now()
        request = functools.partial(geocoder.geocode, text, exactly_one=True, timeout=TIMEOUT_SECONDS,
                                    country_codes=COUNTRY_CODES)
        try:
            sent, location = await _in_turn(engine, interval_ms, request)
        except turned_away as e:
            log.warning("the geocoder turned the hub away (%s: %s); %d lines left for a later refresh",
                        type(e).__name__, e, len(todo) - index)
            break
        except exc.GeopyError as e:
            # Kept against the line and tried again after RETRY_FAILED.  A time-out (geopy's name for 503 and
            # 504 too) means a busy server as often as a hard line: leave it alone for the rest of this run.
            await asyncio.to_thread(_record, engine, key, at=at, error=f"{type(e).__name__}: {e}")
            stored += 1
            if isinstance(e, exc.GeocoderTimedOut):
                log.warning("the geocoder timed out (%s); %d lines left for a later refresh", e, len(todo) - index - 1)
                break
            continue
        if not sent:
            log.warning("no geocoder slot came free in %.0f s; %d lines left for a later refresh",
                        SLOT_PATIENCE, len(todo) - index)
            break
        if location is None:
            await asyncio.to_thread(_record, engine, key, at=at)
        else:
            await asyncio.to_thread(_record, engine, key, at=at, lat=float(location.latitude),
                                    lon=float(location.longitude), display_name=str(location.address or ""))
        stored += 1
    if stored:
        log.info("the geocoder looked up %d location lines", stored)
    return stored


def geocoded(session: Session) -> dict[str, Place]:
    """Every line the geocoder found, keyed by `lookup_key`, as a Place with `placed_by="geocoder"`."""
    places: dict[str, Place] = {}
    for row in lookups.found(session=session):
        if row.lat is not None and row.lon is not None:
            places[row.query] = resolver().locate(row.lat, row.lon, placed_by="geocoder", label=row.display_name)
    return places


def _pending(engine: Engine, lines: list[str], limit: int) -> list[tuple[str, str]]:
    """(key, line) pairs to look up: distinct, not settled in the cache, not placed offline; at most `limit`."""
    candidates: dict[str, str] = {}
    for line in lines:
        text = " ".join(line.split())
        if text:
            candidates.setdefault(lookup_key(text), text)
    with Session(engine) as session:
        settled = lookups.settled(candidates, session=session, retry_failed_before=clock.now() - RETRY_FAILED)
    pending: list[tuple[str, str]] = []
    for key, text in candidates.items():
        if len(pending) >= limit:
            break
        # Checked after the cache, so a large run resolves only as many lines offline as it needs.
        if key not in settled and needs_lookup(text):
            pending.append((key, text))
    return pending


async def _in_turn(engine: Engine, interval_ms: int, request: Callable[[], Any]) -> tuple[bool, Any]:
    """Make `request` in the next slot shared with every process on the database: (True, its result),
    or (False, None) when no slot came free within `SLOT_PATIENCE`; the request's errors propagate."""
    deadline = time.monotonic() + SLOT_PATIENCE
    while True:
        wait_ms, result = await asyncio.to_thread(_try_in_turn, engine, interval_ms, request)
        if wait_ms == 0:
            return True, result
        if time.monotonic() + wait_ms / 1000 > deadline:
            return False, None
        await asyncio.sleep(wait_ms / 1000)


def _try_in_turn(engine: Engine, interval_ms: int, request: Callable[[], Any]) -> tuple[int, Any]:
    """Take the next slot and make the request at its start: (0, the result), else (milliseconds to wait, None).

    A slot counts from the time read before claiming it; when the claim itself took long (waiting for
    the database's write lock, say), the slot is let go unused rather than used late, which would bring
    the request close to the next process's.  For the same reason the request is made here, in this
    thread, not after a hop back through the event loop.
    """
    now_ms = _epoch_ms()
    with Session(engine) as session:
        wait_ms = lookups.claim_slot(session=session, now_ms=now_ms, interval_ms=interval_ms)
    if wait_ms:
        return wait_ms, None
    late_ms = _epoch_ms() - now_ms
    if late_ms > max(interval_ms // 10, 5):
        return max(now_ms + interval_ms - _epoch_ms(), 1), None
    return 0, request()


def _epoch_ms() -> int:
    return int(clock.now().timestamp() * 1000)


def _record(engine: Engine, key: str, **values: Any) -> None:
    with Session(engine) as session:
        lookups.record_lookup(key, session=session, **values)
