"""Pages while feeds refresh: how long `GET /` takes on `calendar-hub serve` while its background refresh
stores changes from every feed, against the same server with no refresh running.

    python -m benchmarks.serving [--feeds 300] [--events 100] [--seconds 30] [--clients 8]

Every feed answers each fetch with one event retitled (no ETag), so each refresh parses, stores and
changes the catalogue, as a hub whose members edit their calendars all day.  One client asks for `/`
over and over and records each time; `--clients` others ask at once for the pages and outputs people
use (the map, a week, the calendar, the API), which are rebuilt after every change.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, timedelta
from pathlib import Path

import httpx
from sqlmodel import Session

from benchmarks.corpus import served_registry, write_corpus
from benchmarks.scale import wait_for
from calendar_hub import clock, store
from calendar_hub.store import engine as db

OTHER_PATHS = ["/map", "/weeks/bench-week", "/weeks/bench-week.ics", "/calendar.ics", "/api/events.json",
               "/groups", "/feed.atom"]


def serve_changing(folder: str, port: int) -> None:
    """The corpus over HTTP, each answer with its first event retitled by a counter (never 304)."""
    import uvicorn

    bodies = {f"/{p.name}": p.read_bytes() for p in Path(folder).iterdir()}
    editions = dict.fromkeys(bodies, 0)

    async def app(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        if scope["type"] != "http":
            return
        path = scope["path"]
        body = bodies.get(path)
        if body is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})  # type: ignore[operator]
            await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]
            return
        editions[path] += 1
        body = body.replace(b"SUMMARY:", f"SUMMARY:Edition {editions[path]} ".encode(), 1)
        await send({"type": "http.response.start", "status": 200,  # type: ignore[operator]
                    "headers": [(b"content-type", b"text/calendar"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})  # type: ignore[operator]

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def measure(base: str, seconds: float, clients: int) -> tuple[list[float], int]:
    """Times of `GET /` asked one after another for `seconds`, with `clients` others asking meanwhile;
    and how many of the others' requests were answered."""
    stop = time.monotonic() + seconds
    others = 0
    lock = threading.Lock()

    def other(index: int) -> None:
        nonlocal others
        with httpx.Client(base_url=base, timeout=300) as client:
            n = index
            while time.monotonic() < stop:
                client.get(OTHER_PATHS[n % len(OTHER_PATHS)]).raise_for_status()
                n += 1
                with lock:
                    others += 1

    threads = [threading.Thread(target=other, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    times = []
    with httpx.Client(base_url=base, timeout=300) as client:
        while time.monotonic() < stop:
            t = time.perf_counter()
            client.get("/").raise_for_status()
            times.append(time.perf_counter() - t)
    for thread in threads:
        thread.join()
    return times, others


def describe(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (f"{len(times)} requests, median {statistics.median(times) * 1000:.0f} ms, "
            f"99th percentile {p99 * 1000:.0f} ms, slowest {ordered[-1] * 1000:.0f} ms")


def run_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "calendar_hub", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def refresh_until(env: dict[str, str], stop: threading.Event) -> None:
    """`calendar-hub refresh` of every feed, again and again until `stop` is set."""
    while not stop.is_set():
        subprocess.run([sys.executable, "-m", "calendar_hub", "refresh"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each measurement")
    parser.add_argument("--clients", type=int, default=8, help="clients asking for other pages meanwhile")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    week_start = clock.today(UTC) + timedelta(days=14)
    paths = write_corpus(work / "feeds", feeds=args.feeds, events=args.events, week_start=week_start)
    feed_port, web_port = 8796, 8797
    feeds = multiprocessing.Process(target=serve_changing, args=(str(work / "feeds"), feed_port), daemon=True)
    feeds.start()
    wait_for(f"http://127.0.0.1:{feed_port}/{paths[0].name}")

    url = f"sqlite:///{work / 'hub.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as session:
        store.apply_registry(served_registry(paths, feed_port, week_start), session=session)
    engine.dispose()
    env = {**os.environ, "CALENDAR_HUB_DATABASE_URL": url, "CALENDAR_HUB_SECRET_KEY": secrets.token_urlsafe(32),
           "CALENDAR_HUB_BASE_URL": f"http://127.0.0.1:{web_port}"}
    subprocess.run([sys.executable, "-m", "calendar_hub", "refresh"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"{args.feeds} feeds x {args.events} events stored; {args.clients} other clients; "
          f"{args.seconds:.0f} s each")

    base = f"http://127.0.0.1:{web_port}"
    try:
        for label, refreshing, beside in (("no refresh running", "false", False),
                                          ("while serve refreshes every feed", "true", False),
                                          ("while a separate refresh process runs", "false", True)):
            web = run_server({**env, "CALENDAR_HUB_SERVE_REFRESH": refreshing, "CALENDAR_HUB_REFRESH_INTERVAL": "1"},
                             web_port)
            stop = threading.Event()
            refresher = threading.Thread(target=refresh_until, args=(env, stop), daemon=True)
            try:
                wait_for(base + "/")
                if beside:
                    refresher.start()
                times, others = measure(base, args.seconds, args.clients)
                print(f"GET / {label}: {describe(times)}; {others} other requests answered")
            finally:
                stop.set()
                if beside:
                    refresher.join()
                web.terminate()
                web.wait()
    finally:
        feeds.terminate()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
