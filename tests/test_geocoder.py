"""The online geocoder: off by default, only for lines the offline places cannot place, each line sent once,
a User-Agent of the deployment's own, and one rate limit over every process sharing the database."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from calendar_hub import clock, store
from calendar_hub.errors import ConfigError
from calendar_hub.ingest.geocode import geocode_pending, geocoded, lookup_key
from calendar_hub.ingest.refresh import refresh
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from calendar_hub.store.models import PlaceLookup
from calendar_hub.web.app import create_app
from tests.feedserver import FeedServer
from tests.liveserver import serving

AGENT = "CalendarHub-tests/1.0 (+http://hub.test/about; hub@example.org)"
FORGE = "The Old Forge, Quiet Lane"                  # no postcode, no known town: only a geocoder can place it
YARD = "Unit 4, Tannery Yard"
FORGE_FOUND = (53.47, -2.25, "The Old Forge, Quiet Lane, Hulme, Manchester, England, United Kingdom")


@dataclass(frozen=True)
class Sent:
    """One request the fake Nominatim received."""

    at: float                      # time.monotonic() on arrival
    params: dict[str, str]
    user_agent: str

    @property
    def query(self) -> str:
        return self.params.get("q", "")


class FakeNominatim:
    """Nominatim's /search on 127.0.0.1: `places` (query -> lat, lon, display name) are found, others are not."""

    def __init__(self) -> None:
        self.places: dict[str, tuple[float, float, str]] = {}
        self.status = 200
        self.sent: list[Sent] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def queries(self) -> list[str]:
        with self.lock:
            return [s.query for s in self.sent]

    def answer(self, query: str) -> list[dict[str, object]]:
        if query not in self.places:
            return []
        lat, lon, name = self.places[query]
        # The shape of Nominatim's format=json answer; geopy reads lat, lon and display_name.
        return [{"place_id": 1, "licence": "Data © OpenStreetMap contributors, ODbL 1.0.", "osm_type": "node",
                 "osm_id": 1, "lat": str(lat), "lon": str(lon), "class": "amenity", "type": "community_centre",
                 "place_rank": 30, "importance": 0.5, "addresstype": "amenity", "name": query.split(",")[0],
                 "display_name": name, "boundingbox": [str(lat - 0.001), str(lat + 0.001), str(lon - 0.001),
                                                       str(lon + 0.001)]}]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True   # headers and body leave at once, not 40 ms apart

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
                parts = urlsplit(self.path)
                params = {name: values[-1] for name, values in parse_qs(parts.query).items()}
                with fake.lock:
                    fake.sent.append(Sent(time.monotonic(), params, self.headers.get("User-Agent", "")))
                if parts.path != "/search":
                    status, body = 404, b"[]"
                elif fake.status != 200:
                    status, body = fake.status, b'{"error": "refused"}'
                else:
                    status, body = 200, json.dumps(fake.answer(params.get("q", ""))).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


@pytest.fixture
def nominatim() -> Iterator[FakeNominatim]:
    fake = FakeNominatim()
    with serving(fake.httpd):
        yield fake


@pytest.fixture
def geocoding(settings: Settings, nominatim: FakeNominatim) -> Settings:
    """The test settings with the geocoder on, asking the fake Nominatim, quickly."""
    return settings.replace(geocoder="nominatim", geocoder_url=nominatim.url, geocoder_user_agent=AGENT,
                            geocoder_per_second=50.0)


def look_up(engine: Engine, settings: Settings, lines: Iterable[str], limit: int = 50) -> int:
    return asyncio.run(geocode_pending(engine, settings, lines=lines, limit=limit))


def lookups(engine: Engine) -> dict[str, PlaceLookup]:
    with Session(engine) as session:
        return {row.query: row for row in session.exec(select(PlaceLookup)).all()}


# ---------------------------------------------------------------- what is sent, and how often

def test_the_geocoder_is_off_by_default_and_sends_nothing(engine: Engine, settings: Settings,
                                                          nominatim: FakeNominatim) -> None:
    assert Settings().geocoder == "" and Settings.from_env({}).geocoder == ""
    assert look_up(engine, settings.replace(geocoder_url=nominatim.url, geocoder_user_agent=AGENT), [FORGE]) == 0
    assert nominatim.sent == []
    assert lookups(engine) == {}


def test_lines_placed_offline_online_or_unconfirmed_are_never_sent(engine: Engine, geocoding: Settings,
                                                                  nominatim: FakeNominatim) -> None:
    lines = ["Friends Meeting House, Mount Street, Manchester M2 5NS", "Cardiff", "Hulme Community Garden Centre",
             "Online via Zoom", "https://meet.example.org/abc-defg", "TBC", "", "   ", FORGE]
    assert look_up(engine, geocoding, lines) == 1
    assert nominatim.queries() == [FORGE]


def test_each_distinct_line_is_sent_once_across_runs(engine: Engine, geocoding: Settings,
                                                     nominatim: FakeNominatim) -> None:
    nominatim.places[FORGE] = FORGE_FOUND
    assert look_up(engine, geocoding, [FORGE, "the old forge,\n  QUIET lane ", YARD]) == 2
    assert look_up(engine, geocoding, [YARD, FORGE, "Riverside Mosque, Ashgrove Terrace"]) == 1
    assert sorted(nominatim.queries()) == sorted([FORGE, YARD, "Riverside Mosque, Ashgrove Terrace"])


def test_a_run_looks_up_at_most_its_limit_and_leaves_the_rest_for_the_next(engine: Engine, geocoding: Settings,
                                                                           nominatim: FakeNominatim) -> None:
    lines = [FORGE, YARD, "Riverside Mosque, Ashgrove Terrace"]
    assert look_up(engine, geocoding, lines, limit=2) == 2
    assert look_up(engine, geocoding, lines, limit=2) == 1
    assert sorted(nominatim.queries()) == sorted(lines)


def test_the_request_names_the_deployment_and_keeps_to_britain_and_ireland(engine: Engine, geocoding: Settings,
                                                                          nominatim: FakeNominatim) -> None:
    look_up(engine, geocoding, [FORGE])
    [sent] = nominatim.sent
    assert sent.user_agent == AGENT
    assert sent.params == {"q": FORGE, "format": "json", "limit": "1", "countrycodes": "gb,ie"}


# ---------------------------------------------------------------- what is kept

def test_a_line_found_is_a_place_placed_by_the_geocoder(engine: Engine, geocoding: Settings,
                                                        nominatim: FakeNominatim) -> None:
    nominatim.places[FORGE] = FORGE_FOUND
    look_up(engine, geocoding, [FORGE])
    with Session(engine) as session:
        places = geocoded(session)
    assert list(places) == [lookup_key(FORGE)] == ["the old forge, quiet lane"]
    place = places[lookup_key("  The Old   Forge, QUIET Lane")]
    assert (place.lat, place.lon, place.placed_by, place.label) == (53.47, -2.25, "geocoder", FORGE_FOUND[2])
    assert (place.nation, place.region, place.town) == ("England", "North West", "Manchester")
    assert place.precision == "area"


def test_nothing_found_is_kept_and_not_asked_again(engine: Engine, geocoding: Settings,
                                                   nominatim: FakeNominatim) -> None:
    assert look_up(engine, geocoding, [YARD]) == 1
    row = lookups(engine)[lookup_key(YARD)]
    assert (row.lat, row.lon, row.error) == (None, None, "")
    assert look_up(engine, geocoding, [YARD]) == 0
    assert nominatim.queries() == [YARD]
    with Session(engine) as session:
        assert geocoded(session) == {}


def test_a_failed_look_up_is_tried_again_after_a_day(engine: Engine, geocoding: Settings,
                                                     nominatim: FakeNominatim) -> None:
    nominatim.status = 500
    assert look_up(engine, geocoding, [FORGE]) == 1
    assert lookups(engine)[lookup_key(FORGE)].error
    assert look_up(engine, geocoding, [FORGE]) == 0          # not again the same day

    with Session(engine) as session:
        session.execute(sa.update(PlaceLookup).values(looked_up_at=clock.now() - timedelta(days=1, minutes=1)))
        session.commit()
    nominatim.status = 200
    nominatim.places[FORGE] = FORGE_FOUND
    assert look_up(engine, geocoding, [FORGE]) == 1
    row = lookups(engine)[lookup_key(FORGE)]
    assert (row.lat, row.lon, row.error) == (53.47, -2.25, "")
    assert nominatim.queries() == [FORGE, FORGE]


@pytest.mark.parametrize("status", [429, 402, 401, 403])
def test_a_service_that_turns_the_hub_away_stops_the_run_and_keeps_the_lines(
        engine: Engine, geocoding: Settings, nominatim: FakeNominatim, status: int) -> None:
    nominatim.status = status
    assert look_up(engine, geocoding, [FORGE, YARD]) == 0
    assert len(nominatim.sent) == 1
    assert lookups(engine) == {}


def test_a_service_out_of_reach_stops_the_run_and_keeps_the_lines(engine: Engine, geocoding: Settings) -> None:
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    closed.server_close()          # a port nothing listens on: the connection is refused
    url = f"http://127.0.0.1:{closed.server_address[1]}"
    assert look_up(engine, geocoding.replace(geocoder_url=url), [FORGE, YARD]) == 0
    assert lookups(engine) == {}


@pytest.mark.parametrize("status", [503, 504])
def test_a_busy_service_stops_the_run_and_the_line_waits_a_day(engine: Engine, geocoding: Settings,
                                                               nominatim: FakeNominatim, status: int) -> None:
    nominatim.status = status
    assert look_up(engine, geocoding, [FORGE, YARD]) == 1
    assert nominatim.queries() == [FORGE]
    assert "TimedOut" in lookups(engine)[lookup_key(FORGE)].error


@pytest.mark.parametrize("changes", [{"geocoder_user_agent": ""}, {"geocoder_user_agent": "  "},
                                     {"geocoder": "google"}, {"geocoder_url": "ftp://127.0.0.1/"},
                                     {"geocoder_url": "127.0.0.1:8080"}, {"geocoder_per_second": 0.0}])
def test_a_misconfigured_geocoder_refuses_to_start(engine: Engine, geocoding: Settings, nominatim: FakeNominatim,
                                                   changes: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        look_up(engine, geocoding.replace(**changes), [FORGE])
    assert nominatim.sent == []


# ---------------------------------------------------------------- the rate limit

# One hub process: reads its settings from the environment, warms up, waits for "go", looks up its lines.
PROCESS = """
import asyncio, os, sys
from calendar_hub.store.engine import make_engine
from calendar_hub.ingest.geocode import geocode_pending, make_geocoder, needs_lookup
from calendar_hub.settings import Settings

settings = Settings.from_env(os.environ)
engine = make_engine(settings.database_url)
lines = sys.argv[1:]
needs_lookup(lines[0]), make_geocoder(settings), engine.connect().close()
print("ready", flush=True)
sys.stdin.readline()
print(asyncio.run(geocode_pending(engine, settings, lines=lines)), flush=True)
"""


def test_the_rate_limit_holds_across_processes(database_url: str, nominatim: FakeNominatim) -> None:
    per_second = 5.0
    interval = 1 / per_second
    env = {**os.environ, "CALENDAR_HUB_DATABASE_URL": database_url, "CALENDAR_HUB_GEOCODER": "nominatim",
           "CALENDAR_HUB_GEOCODER_URL": nominatim.url, "CALENDAR_HUB_GEOCODER_USER_AGENT": AGENT,
           "CALENDAR_HUB_GEOCODER_PER_SECOND": str(per_second)}
    batches = [[f"Unit {n}, Tannery Yard" for n in range(1, 6)], [f"Barn {n}, Old Forge Lane" for n in range(1, 6)]]
    processes = [subprocess.Popen([sys.executable, "-c", PROCESS, *lines], env=env, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE) for lines in batches]
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline() == "ready\n"
        for process in processes:   # both start together
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=60)[0] for process in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait()
    assert [process.returncode for process in processes] == [0, 0]
    assert outputs == ["5\n", "5\n"]

    times = sorted(s.at for s in nominatim.sent)
    assert len(times) == 10
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    # Slots start exactly `interval` apart; a request reaches the server some milliseconds into its slot
    # (tens on a busy machine, for a process's first), hence the tolerance.  Without a limit shared by
    # the processes their requests would arrive in pairs, a millisecond or two apart.
    assert min(gaps) >= interval / 2, [round(g, 3) for g in gaps]
    assert times[-1] - times[0] >= 9 * interval - interval / 2


def test_the_rate_limit_slot_is_kept_as_epoch_milliseconds(engine: Engine, geocoding: Settings,
                                                           nominatim: FakeNominatim) -> None:
    before = time.time_ns() // 1_000_000
    look_up(engine, geocoding, [FORGE])
    with Session(engine) as session:
        value = session.scalar(sa.text("SELECT value FROM hub_state WHERE key = 'geocoder_next_at'"))
    # Beyond 2**31 (a 32-bit INTEGER on PostgreSQL would have refused it).
    assert before + 20 <= value <= time.time_ns() // 1_000_000 + 20


# ---------------------------------------------------------------- from a refresh

def calendar(*locations: str) -> bytes:
    day = (clock.today(UTC) + timedelta(days=10)).strftime("%Y%m%d")
    events = "".join(f"BEGIN:VEVENT\r\nUID:forge-{n}@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
                     f"DTSTART:{day}T180000Z\r\nDTEND:{day}T200000Z\r\nSUMMARY:Repair cafe {n}\r\n"
                     f"LOCATION:{location.replace(',', chr(92) + ',')}\r\nEND:VEVENT\r\n"
                     for n, location in enumerate(locations))
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//geocoder//EN\r\n{events}END:VCALENDAR\r\n".encode()


def served_group(engine: Engine, feed_server: FeedServer, body: bytes) -> None:
    url = feed_server.serve("/forge.ics", body)
    feeds = (FeedSpec(url=url, private=True),)  # the test server is on loopback
    registry = Registry(groups=(GroupSpec(slug="old-forge", name="Old Forge Friends", feeds=feeds),),
                        weeks=())
    with Session(engine) as session:
        store.apply_registry(registry, session=session)


def test_a_refresh_looks_up_the_new_lines_of_the_feeds_it_stored(
        engine: Engine, geocoding: Settings, feed_server: FeedServer, nominatim: FakeNominatim) -> None:
    served_group(engine, feed_server, calendar(FORGE, "Manchester M2 5NS", "Online via Zoom", FORGE))
    report = asyncio.run(refresh(engine, geocoding, due_only=False))
    assert report.count("stored") == 1
    assert nominatim.queries() == [FORGE]

    # Unchanged feed: nothing stored, nothing looked up; a changed one sends only its new line.
    asyncio.run(refresh(engine, geocoding, due_only=False))
    assert nominatim.queries() == [FORGE]
    feed_server.serve("/forge.ics", calendar(FORGE, YARD))
    asyncio.run(refresh(engine, geocoding, due_only=False))
    assert nominatim.queries() == [FORGE, YARD]


def test_the_geocoders_answer_reaches_the_map(engine: Engine, geocoding: Settings, feed_server: FeedServer,
                                             nominatim: FakeNominatim) -> None:
    """Offline places first, then the geocoder's cache, and only then nothing (this group has no home)."""
    nominatim.places[FORGE] = FORGE_FOUND
    served_group(engine, feed_server, calendar(FORGE, YARD))
    asyncio.run(refresh(engine, geocoding, due_only=False))
    with TestClient(create_app(geocoding)) as client:
        features = json.loads(client.get("/api/events.geojson").content)["features"]
    assert [(f["properties"]["location"], f["properties"]["placed_by"], f["geometry"]["coordinates"])
            for f in features] == [(FORGE, "geocoder", [-2.25, 53.47])]
    assert features[0]["properties"]["region"] == "North West"


def test_a_refresh_with_the_geocoder_off_sends_nothing(engine: Engine, settings: Settings,
                                                       feed_server: FeedServer, nominatim: FakeNominatim) -> None:
    served_group(engine, feed_server, calendar(FORGE))
    report = asyncio.run(refresh(engine, settings.replace(geocoder_url=nominatim.url, geocoder_user_agent=AGENT),
                                 due_only=False))
    assert report.count("stored") == 1
    assert nominatim.sent == []


def test_a_failing_geocoder_never_fails_the_refresh(engine: Engine, geocoding: Settings, feed_server: FeedServer,
                                                   nominatim: FakeNominatim, caplog: pytest.LogCaptureFixture) -> None:
    served_group(engine, feed_server, calendar(FORGE))
    with caplog.at_level(logging.ERROR, logger="calendar_hub.ingest.refresh"):
        report = asyncio.run(refresh(engine, geocoding.replace(geocoder_user_agent=""), due_only=False))
    assert report.count("stored") == 1
    assert "the geocoder failed" in caplog.text and "USER_AGENT" in caplog.text
    with Session(engine) as session:
        assert list(session.scalars(sa.select(col(PlaceLookup.query)))) == []
    assert nominatim.sent == []

