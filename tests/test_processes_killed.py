"""Two refresh and two web processes sharing PostgreSQL lose nothing when one of each is killed with SIGKILL
mid-way: every feed ends stored once, no lease is left behind, no feed is shown as failing, and every web process
(the survivor, and one started afterwards) serves each event once.  Then a tenth of the feeds change and a refresh
is killed again: feeds it had not reached keep their last good copy, the changed events appear once, with the same
UIDs, and only they get a higher SEQUENCE.

The processes are the real commands (`calendar-hub refresh`, `calendar-hub serve`), as deploy/README.md runs them;
the feeds are Google-shaped and stamped with the time of each request, some from a slow server so that the kills
land while fetches are in flight.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import icalendar
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from calendar_hub import clock, store
from calendar_hub.ingest.refresh import CLAIM_BATCH
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.store.models import Event, Feed
from tests.feedserver import FeedServer

pytestmark = [
    pytest.mark.skipif(not os.environ.get("CALENDAR_HUB_TEST_DATABASE_URL"),
                       reason="several processes sharing one database: PostgreSQL only"),
    pytest.mark.parametrize("database_url", ["postgresql"], indirect=True),
]

# More than two claims' worth, so that the first refresh to start cannot take every feed before the second claims.
FEEDS = CLAIM_BATCH * 2 + 40
EVENTS = 4              # single events per feed
SLOW = 1.0              # seconds one feed in ten waits before answering
CHANGED = range(0, FEEDS, 10)   # the tenth of the feeds whose first event is edited in the second part
WAIT = 60.0             # the longest any step may take before the test fails
NEW_ROOM = " (new room)"
ROOT = Path(__file__).resolve().parents[1]   # the checkout whose package the processes run


def feed_body(number: int, *, changed: bool = False) -> bytes:
    """A Google Calendar feed of EVENTS single events, all ahead; `changed` edits the first one's title."""
    today = datetime.combine(clock.now().date(), datetime.min.time(), tzinfo=clock.now().tzinfo)
    lines = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:Group {number}", "X-WR-TIMEZONE:Europe/London"]
    for e in range(EVENTS):
        start = today + timedelta(days=2 + (number * 7 + e * 37) % 300, hours=9 + e)
        lines += ["BEGIN:VEVENT", f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
                  f"DTEND:{start + timedelta(hours=2):%Y%m%dT%H%M%SZ}",
                  "DTSTAMP:20261101T090000Z",   # replaced by the time of each request (FeedServer's `stamped`)
                  f"UID:{number:04d}-{e}-a1b2c3@google.com", "CREATED:20261001T090000Z",
                  "LAST-MODIFIED:20261020T090000Z", f"SUMMARY:{title(number, e, changed=changed)}",
                  f"LOCATION:Hall {e}\\, High Street", "SEQUENCE:0", "STATUS:CONFIRMED", "TRANSP:OPAQUE",
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def title(number: int, event: int, *, changed: bool = False) -> str:
    return f"Group {number} meeting {event}" + (NEW_ROOM if changed and event == 0 else "")


def titles(changed: set[int]) -> Counter[str]:
    """Every event's title, once each, with the feeds in `changed` edited."""
    return Counter(title(n, e, changed=n in changed) for n in range(FEEDS) for e in range(EVENTS))


def serve_feeds(feed_server: FeedServer, *, changed: set[int]) -> None:
    for number in range(FEEDS):
        feed_server.serve(f"/group-{number:04d}.ics", feed_body(number, changed=number in changed),
                          stamped=True, etag=False, delay=SLOW if number % 10 == 5 else 0.0)


def wait_for(what: str, condition: Callable[[], bool], *, seconds: float = WAIT) -> None:
    """Poll `condition` until it holds; fail the test saying `what` did not happen within `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {seconds:.0f} s"
        time.sleep(0.05)


class Processes:
    """The hub's commands run as processes of their own; every one still running is killed at the end."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.env = {**os.environ, "CALENDAR_HUB_DATABASE_URL": database_url, "CALENDAR_HUB_SERVE_REFRESH": "false",
                    "CALENDAR_HUB_SECRET_KEY": secrets.token_urlsafe(32), "CALENDAR_HUB_BASE_URL": "http://127.0.0.1",
                    "CALENDAR_HUB_PARSE_WORKERS": "1", "CALENDAR_HUB_FETCH_CONCURRENCY": "8",
                    "CALENDAR_HUB_CHANGE_CHECK_SECONDS": "0.2", "CALENDAR_HUB_STALE_SECONDS": "0"}
        self.folder = folder
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.web: dict[str, subprocess.Popen[bytes]] = {}   # each web process by its address

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = self.folder / f"process-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "calendar_hub", *args], env=self.env, cwd=ROOT,
                                       stdout=out, stderr=subprocess.STDOUT)
        self.started.append((process, log))
        return process

    def serve(self) -> str:
        """Start a web process on a free loopback port; its address (`answering` waits for it)."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        self.web[base] = self.start("serve", "--port", str(port))
        return base

    def answering(self, base: str) -> str:
        """`base` once its web process answers."""
        process = self.web[base]

        def answers() -> bool:
            assert process.poll() is None, f"the web process ended: {self.output(process)}"
            try:
                return httpx.get(base + "/healthz", timeout=10).status_code == 200
            except httpx.TransportError:
                return False

        wait_for("the web process to answer", answers)
        return base

    def refresh(self, *args: str) -> None:
        """Run `calendar-hub refresh` to its end; it must succeed."""
        process = self.start("refresh", *args)
        self.finish(process)

    def finish(self, process: subprocess.Popen[bytes]) -> None:
        try:
            code = process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"a refresh did not end within {WAIT:.0f} s: {self.output(process)}")
        assert code == 0, self.output(process)

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)   # reaped: a zombie would still look like a running refresh to the others

    def output(self, process: subprocess.Popen[bytes]) -> str:
        log = next(path for p, path in self.started if p is process)
        return log.read_text(errors="replace")[-3000:]

    def stop_all(self) -> None:
        for process, _log in self.started:
            if process.poll() is None:
                self.kill(process)


@pytest.fixture
def processes(database_url: str, tmp_path: Path) -> Iterator[Processes]:
    running = Processes(database_url, tmp_path)
    try:
        yield running
    finally:
        running.stop_all()


# ---------------------------------------------------------------- reading the database and the web processes

def events_per_feed(engine: Engine) -> dict[int, list[str]]:
    """Each feed's number (from its URL) -> the titles of its stored events."""
    with Session(engine) as session:
        rows = session.exec(select(Feed.url, Event.title).join(Event, col(Event.feed_id) == Feed.id)).all()
    found: dict[int, list[str]] = {}
    for url, event_title in rows:
        found.setdefault(int(url.rsplit("-", 1)[1].removesuffix(".ics")), []).append(event_title)
    return found


def lease_owners(engine: Engine) -> Counter[int]:
    """How many feeds each refresh process (by its pid) holds leased."""
    with Session(engine) as session:
        owners = session.exec(select(Feed.lease_owner).where(col(Feed.lease_owner) != "")).all()
    return Counter(int(owner.split(":")[1]) for owner in owners)


def edited_stored(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Event)
                                .where(col(Event.title).endswith(NEW_ROOM))).one())


def published(base: str) -> list[tuple[str, str, int]]:
    """Every event of the web process's whole-hub calendar: (UID, SUMMARY, SEQUENCE)."""
    response = httpx.get(base + "/calendar.ics", timeout=30)
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    return [(str(e["UID"]), str(e["SUMMARY"]), int(e.get("SEQUENCE", 0))) for e in calendar.walk("VEVENT")]


def serves(base: str, expected: Counter[str]) -> Callable[[], bool]:
    return lambda: Counter(summary for _u, summary, _s in published(base)) == expected


def assert_all_stored_once(engine: Engine, changed: set[int]) -> None:
    """Every feed's events stored, once each (as the server serves them); no lease left; no feed failing."""
    stored = events_per_feed(engine)
    for number in range(FEEDS):
        assert sorted(stored.get(number, [])) == sorted(
            title(number, e, changed=number in changed) for e in range(EVENTS)), f"feed {number}"
    assert lease_owners(engine) == Counter()
    with Session(engine) as session:
        health = store.feed_health(session=session)
    assert len(health) == FEEDS
    for item in health:
        feed = item.feed
        assert (feed.consecutive_failures, feed.error, item.events_stored) == (0, "", EVENTS), feed.url
        assert feed.last_success_at is not None and feed.lease_until is None


def assert_each_event_once(base: str) -> dict[str, str]:
    """The web process serves every event once, each under a UID of its own; their title -> UID."""
    events = published(base)
    uids = Counter(uid for uid, _t, _s in events)
    assert [uid for uid, n in uids.items() if n > 1] == []
    assert len(events) == FEEDS * EVENTS
    return {summary: uid for uid, summary, _s in events}


# ---------------------------------------------------------------- the test

def test_killing_one_refresh_and_one_web_process_loses_nothing(
        engine: Engine, feed_server: FeedServer, processes: Processes) -> None:
    serve_feeds(feed_server, changed=set())
    with Session(engine) as session:
        store.apply_registry(Registry(groups=tuple(
            GroupSpec(slug=f"group-{n:04d}", name=f"Group {n}",
                      feeds=(FeedSpec(url=feed_server.url(f"/group-{n:04d}.ics"), kind="ical", private=True),))
            for n in range(FEEDS)), weeks=()), session=session)

    webs = [processes.serve(), processes.serve()]
    refreshes = [processes.start("refresh"), processes.start("refresh")]
    for base in webs:
        processes.answering(base)

    # Both refresh processes claim a share; once some feeds are stored, kill the one with the most still leased.
    seen: set[int] = set()

    def mid_way() -> bool:
        owners = lease_owners(engine)
        seen.update(owners)
        stored = len(events_per_feed(engine))
        return stored >= FEEDS // 8 and len(seen) == 2 and max(owners.values(), default=0) > CLAIM_BATCH // 4

    wait_for("both refresh processes holding feeds, some stored", mid_way)
    owners = lease_owners(engine)
    victim = max(refreshes, key=lambda p: owners.get(p.pid, 0))
    survivor = next(p for p in refreshes if p is not victim)
    processes.kill(victim)
    processes.kill(processes.web[webs[0]])
    stored_at_kill = events_per_feed(engine)
    assert 0 < len(stored_at_kill) < FEEDS, "the kill did not land mid-way"
    # A feed is stored whole or not at all: none half-written by the process killed while writing.
    assert {len(found) for found in stored_at_kill.values()} == {EVENTS}

    restarted = processes.serve()   # a web process started again, while the feeds are still being stored
    processes.finish(survivor)
    # The next refresh of due feeds takes over the dead process's leases at once (it is known to be gone).
    processes.refresh("--due")
    assert_all_stored_once(engine, changed=set())

    expected = titles(set())
    wait_for("the surviving web process serving every event", serves(webs[1], expected))
    uids = assert_each_event_once(webs[1])
    processes.answering(restarted)
    wait_for("a web process started afterwards serving every event", serves(restarted, expected))
    assert assert_each_event_once(restarted) == uids

    # A tenth of the feeds change; a refresh of every feed is killed once some, not all, of them are stored.
    changed = set(CHANGED)
    serve_feeds(feed_server, changed=changed)
    refreshing = processes.start("refresh")
    wait_for("a few edited feeds stored", lambda: edited_stored(engine) >= 3)
    processes.kill(refreshing)
    stored_at_kill = events_per_feed(engine)
    edited_at_kill = {n for n, found in stored_at_kill.items() if title(n, 0, changed=True) in found}
    assert 0 < len(edited_at_kill) < len(changed), "the kill did not land mid-way"
    for number in range(FEEDS):   # the feeds not reached keep their last good copy, whole
        assert sorted(stored_at_kill[number]) == sorted(
            title(number, e, changed=number in edited_at_kill) for e in range(EVENTS)), f"feed {number}"
    wait_for("the web process serving what was stored when the refresh died",
             serves(webs[1], titles(edited_at_kill)))

    processes.refresh()
    assert_all_stored_once(engine, changed=changed)
    expected = titles(changed)
    for base in (webs[1], restarted):
        wait_for(f"{base} serving the edited events", serves(base, expected))
        now_uids = assert_each_event_once(base)
        # UIDs stable: each event keeps the UID it had, the edited ones too.
        assert {t.removesuffix(NEW_ROOM): uid for t, uid in now_uids.items()} == uids
        sequences = {summary: sequence for _u, summary, sequence in published(base)}
        bumped = {summary for summary, sequence in sequences.items() if sequence > 0}
        assert bumped == {title(n, 0, changed=True) for n in changed}
        assert {sequences[summary] for summary in bumped} == {1}
