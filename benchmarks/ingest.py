"""Ingest speed: the hub's whole ingest of many feeds against icalendar's bare parse of the same files.

    python -m benchmarks.ingest [--feeds 300] [--events 100] [--database URL] [--http]

Writes a deterministic corpus of Google- and Outlook-shaped feeds (`corpus.write_mixed_corpus`:
time zones, weekly series with EXDATE and moved instances, all-day events, unique descriptions), then:

1. icalendar's bare parse: `Calendar.from_ical` of every file, one after another on one core
   (the bytes already in memory; no expansion, no storage);
2. the hub's first ingest: read, hash, parse, expand, normalise and store every feed (`refresh`,
   parsing on every core), from files, or over HTTP on 127.0.0.1 with `--http`;
3. the hub's refresh when nothing changed: the same content hash (files) or 304 (HTTP).

Reports events per second, the ratio of the hub's whole ingest to the bare parse (target: at most 1),
how much cheaper the unchanged refresh is (target: at least 50x), and peak memory of the process tree.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path

import icalendar
import sqlalchemy as sa
from sqlmodel import Session

from benchmarks.corpus import write_mixed_corpus
from benchmarks.scale import PeakMemory, serve_folder, wait_for
from calendar_hub import clock, store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.ingest.sources import parse_body
from calendar_hub.occurrence import ParseContext
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from calendar_hub.store import engine as db
from calendar_hub.store.models import Event


def bare_parse_seconds(bodies: list[bytes]) -> float:
    """Seconds icalendar takes to parse every body, one after another in this process."""
    started = time.perf_counter()
    for body in bodies:
        icalendar.Calendar.from_ical(body)
    return time.perf_counter() - started


def hub_parse_seconds(bodies: list[bytes], settings: Settings) -> float:
    """Seconds the hub's own parser takes (parse, expand, normalise, sanitise) for every body, on one core."""
    now = clock.now()
    context = ParseContext(url="https://bench.example/", zone=settings.zone,
                           window_start=now - timedelta(days=settings.window_past_days),
                           window_end=now + timedelta(days=settings.window_future_days))
    started = time.perf_counter()
    for body in bodies:
        parse_body(body, kind="ical", context=context)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--events", type=int, default=100, help="VEVENTs per feed")
    parser.add_argument("--database", default="", help="database URL (default: a new SQLite file)")
    parser.add_argument("--http", action="store_true", help="fetch over HTTP on 127.0.0.1 instead of from files")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hub-ingest-"))
    server: multiprocessing.Process | None = None
    try:
        paths = write_mixed_corpus(work / "feeds", feeds=args.feeds, events=args.events,
                                   start=clock.today(UTC) + timedelta(days=1))
        bodies = [p.read_bytes() for p in paths]
        components = sum(body.count(b"BEGIN:VEVENT") for body in bodies)
        print(f"corpus: {len(paths)} feeds, {components} VEVENTs, {sum(map(len, bodies)) / 1e6:.1f} MB")

        bare = min(bare_parse_seconds(bodies) for _ in range(2))
        print(f"icalendar bare parse, one core: {bare:.2f} s ({components / bare:.0f} VEVENTs/s)")
        own = hub_parse_seconds(bodies, Settings())
        print(f"hub parser alone, one core: {own:.2f} s ({own / bare:.2f}x the bare parse; it also expands "
              "recurrences, sanitises and normalises)")
        del bodies

        if args.http:
            port = 8797
            server = multiprocessing.Process(target=serve_folder, args=(str(work / "feeds"), port), daemon=True)
            server.start()
            wait_for(f"http://127.0.0.1:{port}/{paths[0].name}")
            urls = [f"http://127.0.0.1:{port}/{p.name}" for p in paths]
        else:
            urls = [p.as_uri() for p in paths]

        url = args.database or f"sqlite:///{work / 'hub.db'}"
        settings = Settings(database_url=url, base_url="http://127.0.0.1", serve_refresh=False)
        engine = db.make_engine(url)
        db.upgrade(engine)
        registry = Registry(groups=tuple(
            GroupSpec(slug=f"group-{i:04d}", name=f"Group {i}", feeds=(FeedSpec(url=u, kind="ical", private=True),))
            for i, u in enumerate(urls)), weeks=())
        with Session(engine) as session:
            store.apply_registry(registry, session=session)

        with PeakMemory() as memory:
            first = asyncio.run(refresh(engine, settings, due_only=False))
        with Session(engine) as session:
            stored = session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one()
        failed = len(first.outcomes) - first.count("stored")
        print(f"hub first ingest (fetch, parse, expand, normalise, store; every core): {first.seconds:.2f} s, "
              f"{stored} occurrences stored ({components / first.seconds:.0f} VEVENTs/s, "
              f"{stored / first.seconds:.0f} occurrences/s); {failed} feeds not stored; {memory}")
        print(f"  ratio to icalendar's bare parse: {first.seconds / bare:.2f} (target: at most 1)")

        with PeakMemory() as memory:
            again = asyncio.run(refresh(engine, settings, due_only=False))
        print(f"hub unchanged refresh: {again.seconds:.3f} s ({again.count('unchanged')} same hash, "
              f"{again.count('not_modified')} answered 304); {memory}")
        print(f"  {first.seconds / again.seconds:.0f}x cheaper than the first ingest (target: at least 50x)")
        engine.dispose()
    finally:
        if server is not None:
            server.terminate()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
