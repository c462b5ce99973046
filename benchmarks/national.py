"""A national hub: 10,000 feeds on PostgreSQL, shared by two refresh processes and served by two web processes.

    python -m benchmarks.national [--feeds 10000] [--events 100] [--processes 2] [--cycles 2] [--seconds 10]
                                  [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]
    python -m benchmarks.scale --feeds 10000 --processes 2       (the same)

The feeds are generated (`corpus.write_corpus`, Google-shaped, and a quarter `corpus.write_mixed_corpus`,
Outlook-shaped) and served on 127.0.0.1 by a process that sets DTSTAMP to the time of each request, as Google
Calendar and Office 365 do, so no body is ever byte-for-byte the one before; in each cycle after the first, a tenth
of the feeds also change one event's title.  Each run gets a schema of its own in the database named, dropped at
the end.

Reports: the first refresh by `--processes` refresh processes at once; each later cycle; the memory of each web
process once it serves; how long a one-feed change takes to show in every output of every web process; the
week's ICS under load (wrk when installed).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

from benchmarks.corpus import served_registry, write_corpus, write_mixed_corpus
from benchmarks.scale import load_week_ics, tree_memory_mb
from calendar_hub import clock, store
from calendar_hub.store import engine as db

STAMP = b"DTSTAMP:20261101T090000Z"
CHANGING = 10          # one feed in this many changes one event's title in each cycle


def serve_generated(folder: str, port: int, control: str) -> None:
    """The corpus over HTTP, each answer with DTSTAMP set to now; `control` (a file) holds the cycle and the marked
    feed: in cycle c, feeds with number % CHANGING == c % CHANGING retitle their first event; the marked feed
    puts the marker before every title."""
    import uvicorn

    bodies: dict[str, bytes] = {}

    async def app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        if scope["type"] != "http":
            return
        name = scope["path"].lstrip("/")
        body = bodies.get(name)
        if body is None:
            path = Path(folder) / name
            if "/" in name or not path.is_file():
                await send({"type": "http.response.start", "status": 404, "headers": []})  # type: ignore[operator]
                await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]
                return
            body = bodies[name] = path.read_bytes()
        cycle, _, marked = Path(control).read_text().partition(" ")
        number = int(name.split("-")[1].split(".")[0])
        if int(cycle) and number % CHANGING == int(cycle) % CHANGING:
            body = body.replace(b"SUMMARY:", f"SUMMARY:Cycle {cycle}: ".encode(), 1)
        if marked.strip() and name == marked.split(":")[0]:
            body = body.replace(b"SUMMARY:", f"SUMMARY:{marked.split(':')[1]} ".encode())
        body = body.replace(STAMP, datetime.now(UTC).strftime("DTSTAMP:%Y%m%dT%H%M%SZ").encode())
        await send({"type": "http.response.start", "status": 200,  # type: ignore[operator]
                    "headers": [(b"content-type", b"text/calendar"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})  # type: ignore[operator]

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def write_feeds(folder: Path, feeds: int, events: int, week_start: datetime) -> list[Path]:
    """Google-shaped feeds, every fourth one replaced by an Outlook-shaped one (both stamp DTSTAMP)."""
    paths = write_corpus(folder, feeds=feeds, events=events, week_start=week_start.date())
    outlook = write_mixed_corpus(folder / "outlook", feeds=feeds // 4 * 4, events=events,
                                 start=week_start.date() - timedelta(days=20))
    for number in range(3, feeds, 4):
        source = outlook[number]
        body = source.read_bytes().replace(b"SUMMARY:", b"SUMMARY:#CT4R ", 3)  # a few in the week's tag
        paths[number].write_bytes(body)
    return paths


def refresh_all(env: dict[str, str], processes: int) -> tuple[float, list[int]]:
    """Run `processes` `calendar-hub refresh` at once; their wall time and exit codes."""
    started = time.perf_counter()
    # Their logs (a line per feed) go to files: a pipe read only at the end fills, and stops the process writing.
    logs = [tempfile.TemporaryFile() for _ in range(processes)]
    running = [subprocess.Popen([sys.executable, "-m", "calendar_hub", "refresh"], env=env,
                                stdout=subprocess.DEVNULL, stderr=log) for log in logs]
    codes = [p.wait() for p in running]
    for p, log in zip(running, logs, strict=True):
        if p.returncode:
            log.seek(0)
            print(log.read().decode()[-2000:], file=sys.stderr)
        log.close()
    return time.perf_counter() - started, codes


def wait_until(url: str, seconds: float, holds: str = "") -> float:
    """Seconds until GET `url` answers 200 (with `holds` in its body when given); gives up after `seconds`."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        try:
            response = httpx.get(url, timeout=60)
            if response.status_code == 200 and holds in response.text:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer{' with ' + holds if holds else ''} within {seconds:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--processes", type=int, default=2, help="refresh processes, and web processes")
    parser.add_argument("--cycles", type=int, default=2, help="refreshes after the first")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the serving load test")
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hub-national-"))
    week_start = datetime.combine(clock.today(UTC) + timedelta(days=14), datetime.min.time(), tzinfo=UTC)
    started = time.perf_counter()
    paths = write_feeds(work / "feeds", args.feeds, args.events, week_start)
    print(f"corpus: {len(paths)} feeds x {args.events} events, "
          f"{sum(p.stat().st_size for p in paths) / 1e6:.0f} MB, written in {time.perf_counter() - started:.0f} s")
    control = work / "control"
    control.write_text("0 ")
    port = 8796
    server = multiprocessing.Process(target=serve_generated, args=(str(work / "feeds"), port, str(control)),
                                     daemon=True)
    server.start()
    wait_until(f"http://127.0.0.1:{port}/{paths[0].name}", 20)

    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = db.make_engine(args.database)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = make_url(db.normalise_url(args.database)).update_query_dict(
        {"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as session:
        store.apply_registry(served_registry(paths, port, week_start.date()), session=session)
    engine.dispose()
    env = {**os.environ, "CALENDAR_HUB_DATABASE_URL": url, "CALENDAR_HUB_SERVE_REFRESH": "false",
           "CALENDAR_HUB_SECRET_KEY": secrets.token_urlsafe(32), "CALENDAR_HUB_BASE_URL": "http://127.0.0.1"}
    webs: list[subprocess.Popen[bytes]] = []
    try:
        took, codes = refresh_all(env, args.processes)
        print(f"first refresh: {took:.0f} s by {args.processes} processes (exit {codes}), "
              f"{args.feeds * args.events / took:.0f} events/s")
        ports = [8800 + i for i in range(args.processes)]
        webs = [subprocess.Popen([sys.executable, "-m", "calendar_hub", "serve", "--port", str(p)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]
        for p, web in zip(ports, webs, strict=True):
            ready = wait_until(f"http://127.0.0.1:{p}/weeks/bench-week.ics", 3600)
            rss, pss = tree_memory_mb(web.pid)
            print(f"web process on :{p}: first week ICS after {ready:.0f} s; {rss:.0f} MB RSS ({pss:.0f} MB PSS)")
        for cycle in range(1, args.cycles + 1):
            control.write_text(f"{cycle} ")
            took, codes = refresh_all(env, args.processes)
            sizes = [tree_memory_mb(web.pid)[0] for web in webs]
            print(f"cycle {cycle} (stamps everywhere, a tenth of feeds changed): {took:.0f} s (exit {codes}); "
                  f"web processes {', '.join(f'{r:.0f}' for r in sizes)} MB RSS")

        for p in ports:   # a live hub has been searched: its index is then carried over each change
            began = time.perf_counter()
            wait_until(f"http://127.0.0.1:{p}/search?q=walk", 3600)
            print(f"web process on :{p}: first search (the index built) {time.perf_counter() - began:.1f} s")
        marker = "Marked" + uuid.uuid4().hex[:8]
        control.write_text(f"{args.cycles} {paths[0].name}:{marker}")
        engine = db.make_engine(url)
        with Session(engine) as session:
            feed_id = next(item.feed.id for item in store.feed_health(session=session)
                           if item.feed.url.endswith("/" + paths[0].name))
        engine.dispose()
        subprocess.run([sys.executable, "-c", "import asyncio, os; from calendar_hub.settings import Settings; "
                        "from calendar_hub.store.engine import make_engine; from calendar_hub.ingest.refresh import "
                        "refresh; s = Settings.from_env(os.environ); "
                        f"asyncio.run(refresh(make_engine(s.database_url), s, due_only=False, feed_ids=[{feed_id}]))"],
                       env=env, check=True)
        stored = time.perf_counter()
        outputs = ["/groups/group-0000.ics", "/api/events.json?group=group-0000",
                   "/api/events.geojson?group=group-0000", "/groups/group-0000", f"/search?q={marker}"]
        slowest = 0.0
        for p in ports:
            for path in outputs:
                wait_until(f"http://127.0.0.1:{p}{path}", 600, holds=marker)
                slowest = max(slowest, time.perf_counter() - stored)
        print(f"one feed's change in every output of every web process: {slowest:.1f} s after it was stored")
        print(f"week ICS: {load_week_ics(f'http://127.0.0.1:{ports[0]}/weeks/bench-week.ics', args.seconds)}")
    finally:
        for web in webs:
            web.terminate()
            web.wait()
        server.terminate()
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
