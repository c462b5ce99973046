"""No event is lost to a fault: a refresh process killed mid-way, a slow server, a lease left behind; and a killed
refresh leaves no process of its own behind."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from calendar_hub import clock, store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.store.models import Event, Feed
from tests.feedserver import FeedServer
from tests.hubdata import moved_hub, served


@pytest.fixture
def refreshed(tmp_path: Path, engine: Engine, settings: Settings, feed_server: FeedServer) -> int:
    """The test registry served over HTTP and refreshed once; the number of events stored."""
    with Session(engine) as session:
        store.apply_registry(served(moved_hub(tmp_path), feed_server), session=session)
    asyncio.run(refresh(engine, settings, due_only=False))
    return event_count(engine)


def event_count(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Event)).one())


def test_a_refresh_killed_mid_way_loses_nothing_and_its_feeds_come_back(
        refreshed: int, engine: Engine, settings: Settings, database_url: str, feed_server: FeedServer) -> None:
    before = refreshed
    assert before > 10

    # One server hangs; a changed feed elsewhere; then the refresh process dies with SIGKILL.
    slow = feed_server.routes["/manchester_google.ics"]
    feed_server.serve("/manchester_google.ics", slow.body + b"\r\n", delay=60)
    env = {**os.environ, "CALENDAR_HUB_DATABASE_URL": database_url, "CALENDAR_HUB_PARSE_WORKERS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "calendar_hub", "refresh"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hits = feed_server.hits("/manchester_google.ics")
    deadline = time.monotonic() + 30
    while feed_server.hits("/manchester_google.ics") == hits:
        assert time.monotonic() < deadline, "the refresh never reached the slow feed"
        assert process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    assert event_count(engine) == before
    with Session(engine) as session:
        leased = session.exec(select(Feed).where(col(Feed.lease_owner) != "")).all()
        leased_ids = [f.id for f in leased]
        held = {f.id: (f.lease_owner, f.lease_until) for f in leased}
        assert feed_server.url("/manchester_google.ics") in [f.url for f in leased]
        # Until the leases expire no other process takes those feeds; afterwards one does.
        assert store.claim_feeds(session=session, owner="other", now=clock.now(), lease_for=timedelta(minutes=1),
                                 due_only=False, feed_ids=leased_ids) == []  # type: ignore[arg-type]
        later = clock.now() + timedelta(hours=1)
        taken = store.claim_feeds(session=session, owner="other", now=later, lease_for=timedelta(minutes=1),
                                  due_only=False, feed_ids=leased_ids)  # type: ignore[arg-type]
        assert sorted(job.id for job in taken) == sorted(leased_ids)
        session.rollback()
        store.release_leases(session=session, owner="other")
        for feed in session.exec(select(Feed).where(col(Feed.id).in_(leased_ids))).all():
            feed.lease_owner, feed.lease_until = held[feed.id]
        session.commit()

    # The next refresh on this machine sees that the process holding those leases is gone, and takes them at once.
    feed_server.serve("/manchester_google.ics", slow.body)
    report = asyncio.run(refresh(engine, settings, due_only=False))
    assert sorted(job.id for job, _outcome in report.outcomes if job.id in leased_ids) == sorted(leased_ids)
    assert event_count(engine) == before
    with Session(engine) as session:
        assert session.exec(select(Feed).where(col(Feed.lease_owner) != "")).all() == []


def test_leases_are_taken_over_at_once_only_from_a_refresh_known_to_be_gone(
        refreshed: int, engine: Engine, settings: Settings) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        holders = {"ended": f"{socket.gethostname()}:{int(ended.stdout)}:0a1b2c3d",
                   "alive": f"{socket.gethostname()}:{alive.pid}:0a1b2c3d",
                   "elsewhere": "another-machine:12345:0a1b2c3d"}
        with Session(engine) as session:
            feeds = session.exec(select(Feed).order_by(col(Feed.id))).all()[:3]
            ids = [f.id for f in feeds]
            owners = dict(zip(ids, holders.values(), strict=True))
            for feed in feeds:
                feed.lease_owner, feed.lease_until = owners[feed.id], clock.now() + timedelta(hours=1)
            session.commit()
        report = asyncio.run(refresh(engine, settings, due_only=False, feed_ids=list(owners)))
        assert [job.id for job, _outcome in report.outcomes] == [ids[0]]
        with Session(engine) as session:
            left = {f.id: f.lease_owner for f in session.exec(select(Feed).where(col(Feed.lease_owner) != "")).all()}
        assert left == {ids[1]: holders["alive"], ids[2]: holders["elsewhere"]}
    finally:
        alive.kill()
        alive.wait()


def processes() -> dict[int, tuple[int, str]]:
    """Every live process on this machine: its parent and its start time (Linux /proc; zombies left out)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2:].split()   # after "pid (name) ": state, ppid, ..., starttime is 20th
        if fields[0] != "Z":
            found[int(entry.name)] = (int(fields[1]), fields[19])
    return found


def descendants(pid: int) -> dict[int, str]:
    """The processes under `pid` (children, theirs, and so on), each with its start time."""
    table = processes()
    under: dict[int, str] = {}
    parents = {pid}
    while True:
        more = {child: start for child, (parent, start) in table.items() if parent in parents and child not in under}
        if not more:
            return under
        under.update(more)
        parents = set(more)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from Linux /proc")
def test_a_refresh_killed_with_sigkill_leaves_no_process_behind(
        refreshed: int, engine: Engine, database_url: str, feed_server: FeedServer) -> None:
    # Changed bodies, so that they are parsed (in workers), and one server that holds its answer.
    for path in ("/manchester_google.ics", "/cardiff_events.rss"):
        route = feed_server.routes[path]
        feed_server.serve(path, route.body + b"\r\n", content_type=route.content_type)
    slow = feed_server.routes["/liverpool_outlook.ics"]
    feed_server.serve("/liverpool_outlook.ics", slow.body + b"\r\n", delay=60)
    env = {**os.environ, "CALENDAR_HUB_DATABASE_URL": database_url, "CALENDAR_HUB_PARSE_WORKERS": "2"}
    process = subprocess.Popen([sys.executable, "-m", "calendar_hub", "refresh"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Wait for a parse worker: a grandchild (the forkserver is a child, the workers are its children).
        deadline = time.monotonic() + 60
        while True:
            under = descendants(process.pid)
            table = processes()
            if any(table.get(pid, (0, ""))[0] != process.pid for pid in under):
                break
            assert time.monotonic() < deadline, "the refresh never started a parse worker"
            assert process.poll() is None
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    deadline = time.monotonic() + 20
    while True:
        table = processes()
        left = sorted(pid for pid, start in under.items() if pid in table and table[pid][1] == start)
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    commands = {pid: Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120] for pid in left}
    assert left == [], f"left behind: {commands}"


def test_a_server_slower_than_the_time_limit_fails_the_feed_and_keeps_its_events(
        refreshed: int, engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    before = refreshed
    slow = feed_server.routes["/liverpool_outlook.ics"]
    feed_server.serve("/liverpool_outlook.ics", slow.body + b"\r\n", delay=30)
    quick = settings.replace(fetch_total_timeout=1.0, fetch_read_timeout=0.5)
    started = time.monotonic()
    report = asyncio.run(refresh(engine, quick, due_only=False))
    assert time.monotonic() - started < 10
    outcome = next(o for job, o in report.outcomes if job.url.endswith("/liverpool_outlook.ics"))
    assert outcome.kind == "failed"
    assert "did not answer in time" in outcome.error or "longer than" in outcome.error
    assert event_count(engine) == before


def test_a_body_over_the_size_limit_is_refused_and_keeps_the_events(
        refreshed: int, engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    before = refreshed
    big = feed_server.routes["/cardiff_events.rss"].body.replace(b"</channel>", b" " * 4000 + b"</channel>")
    feed_server.serve("/cardiff_events.rss", big, content_type="application/rss+xml")
    report = asyncio.run(refresh(engine, settings.replace(fetch_max_bytes=3000), due_only=False))
    outcome = next(o for job, o in report.outcomes if job.url.endswith("/cardiff_events.rss"))
    assert outcome.kind == "failed" and "larger than the limit" in outcome.error
    assert event_count(engine) == before


def test_a_database_restart_loses_nothing_and_both_web_and_refresh_recover(
        refreshed: int, engine: Engine, settings: Settings, database_url: str, feed_server: FeedServer) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a server restart is a PostgreSQL matter")
    from starlette.testclient import TestClient

    from calendar_hub.web.app import create_app

    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json()["events"] > 10
        # What clients see of a restart: every server connection of this database dropped at once.
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        assert client.get("/healthz").status_code == 200
        body = feed_server.routes["/liverpool_outlook.ics"].body
        feed_server.serve("/liverpool_outlook.ics", body.replace(b"St George's Plateau", b"Exchange Flags"))
        report = asyncio.run(refresh(engine, settings, due_only=False))
        assert report.count("stored") == 1 and report.count("not_modified") == 2
        assert "Exchange Flags" in client.get("/calendar.ics").text
    assert event_count(engine) == refreshed
