"""The hub at scale: 1,000 member feeds of 100 events over real HTTP on 127.0.0.1.

    python -m benchmarks.scale [--feeds 1000] [--events 100] [--seconds 10]
    python -m benchmarks.scale --feeds 10000 --processes 2      (benchmarks.national: PostgreSQL, several processes)

Reports: first refresh, unchanged refresh (every feed answers 304), peak memory of the refresh
(the process and its parse workers together), catalogue build, GeoJSON of 10,000 events, and a
week's ICS served by `calendar-hub serve` under load (wrk when installed, else a Python client).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import shutil
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
from calendar_hub import clock, store
from calendar_hub.catalogue import build_catalogue
from calendar_hub.ingest.refresh import refresh
from calendar_hub.publish import api
from calendar_hub.settings import Settings
from calendar_hub.store import engine as db


def serve_folder(folder: str, port: int) -> None:
    """The corpus over HTTP with ETag and 304 (Starlette's StaticFiles under uvicorn), in its own process."""
    import uvicorn
    from starlette.staticfiles import StaticFiles

    uvicorn.run(StaticFiles(directory=folder), host="127.0.0.1", port=port, log_level="warning",
                access_log=False)


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process and all its descendants, in MB, from /proc.

    RSS counts pages shared between the parse workers once per process; PSS shares them out,
    so its sum is what the tree really costs the machine.
    """
    rss = pss = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending.extend(int(c) for c in children.read().split())
        except OSError:
            continue
    return rss / 1024, pss / 1024


class PeakMemory:
    """Samples the memory of this process tree every 50 ms and keeps the peaks (RSS and PSS)."""

    def __init__(self) -> None:
        self.rss = self.pss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            rss, pss = tree_memory_mb(os.getpid())
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)

    def __str__(self) -> str:
        return f"peak memory {self.pss:.0f} MB PSS ({self.rss:.0f} MB summed RSS)"

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def wait_for(url: str) -> httpx.Response:
    """GET `url` once it answers (a server just started); gives up after 20 s."""
    for _ in range(200):
        try:
            return httpx.get(url, timeout=30)
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def load_week_ics(url: str, seconds: float) -> str:
    """Requests per second for `url`: wrk when installed, else a Python client (which shares the CPU)."""
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-t2", "-c32", f"-d{int(seconds)}s", url], capture_output=True,
                             text=True, check=True).stdout
        line = next(line for line in out.splitlines() if line.startswith("Requests/sec"))
        return f"{float(line.split()[1]):.0f} req/s (wrk, 32 connections)"

    async def hammer() -> int:
        done = 0
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=32)) as client:
            async def worker() -> None:
                nonlocal done
                while time.monotonic() < deadline:
                    response = await client.get(url)
                    assert response.status_code == 200
                    done += 1
            await asyncio.gather(*(worker() for _ in range(32)))
        return done

    return f"{asyncio.run(hammer()) / seconds:.0f} req/s (Python client on the same cores; wrk is faster)"


def main() -> int:
    if any(arg == "--processes" or arg.startswith("--processes=") for arg in sys.argv[1:]):
        from benchmarks import national  # several refresh and web processes on PostgreSQL

        return national.main()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the serving load test")
    parser.add_argument("--database", default="", help="database URL (default: a new SQLite file)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    week_start = clock.today(UTC) + timedelta(days=14)
    started = time.perf_counter()
    paths = write_corpus(work / "feeds", feeds=args.feeds, events=args.events, week_start=week_start)
    print(f"corpus: {len(paths)} feeds x {args.events} events, "
          f"{sum(p.stat().st_size for p in paths) / 1e6:.1f} MB, written in {time.perf_counter() - started:.1f} s")

    port = 8798
    server = multiprocessing.Process(target=serve_folder, args=(str(work / "feeds"), port), daemon=True)
    server.start()
    wait_for(f"http://127.0.0.1:{port}/{paths[0].name}")

    url = args.database or f"sqlite:///{work / 'hub.db'}"
    settings = Settings(database_url=url, base_url="http://127.0.0.1", serve_refresh=False)
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as session:
        store.apply_registry(served_registry(paths, port, week_start), session=session)

    with PeakMemory() as memory:
        first = asyncio.run(refresh(engine, settings, due_only=False))
    stored = first.count("stored")
    events = sum(o.found for _j, o in first.outcomes)
    print(f"first refresh: {first.seconds:.1f} s for {stored} feeds, {events} events "
          f"({events / first.seconds:.0f} events/s); {memory}")

    with PeakMemory() as memory:
        again = asyncio.run(refresh(engine, settings, due_only=False))
    print(f"unchanged refresh: {again.seconds:.2f} s, {again.count('not_modified')} answered 304, "
          f"{again.count('unchanged')} same hash; {memory} "
          f"({first.seconds / again.seconds:.0f}x faster than the first)")

    with Session(engine) as session:
        t = time.perf_counter()
        catalogue = build_catalogue(session=session, zone=settings.zone, now=clock.now(), keep_days=30)
        print(f"catalogue build: {time.perf_counter() - t:.2f} s for {len(catalogue.listings)} listings, "
              f"{len(catalogue.find(week='bench-week'))} in the week")
    sample = catalogue.listings[:10_000]
    timings = []
    for _ in range(5):
        t = time.perf_counter()
        body = api.geojson(sample, base_url=settings.base_url)
        timings.append(time.perf_counter() - t)
    print(f"GeoJSON of {len(json.loads(body)['features'])} events: best {min(timings) * 1000:.0f} ms, "
          f"{len(body) / 1e6:.1f} MB")
    engine.dispose()

    env = {**os.environ, "CALENDAR_HUB_DATABASE_URL": url, "CALENDAR_HUB_SERVE_REFRESH": "false",
           "CALENDAR_HUB_SECRET_KEY": secrets.token_urlsafe(32)}
    web = subprocess.Popen([sys.executable, "-m", "calendar_hub", "serve", "--port", "8799"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        week = wait_for("http://127.0.0.1:8799/weeks/bench-week.ics")
        print(f"week ICS: {len(week.content) / 1e3:.0f} kB; "
              f"{load_week_ics('http://127.0.0.1:8799/weeks/bench-week.ics', args.seconds)}")
    finally:
        web.terminate()
        web.wait()
        server.terminate()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
