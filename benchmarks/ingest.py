"""Ingest speed: the hub's whole ingest of many feeds against the bare parse of the same files.

    python -m benchmarks.ingest [--feeds 200] [--records 20000] [--corpus producers|google-outlook]
                                [--events 100] [--database URL] [--http] [--profile]

The corpus (`--corpus`):
- `producers` (the default): every kind of producer the hub reads, templated from real exports
  (`benchmarks.producers`): Google, Office 365 / Exchange, Outlook desktop, Apple, The Events Calendar,
  Meetup, lanyrd, Mobilizon, Gancio, Nextcloud, floating-time and UTC-only exporters, sloppy hand-made
  files (bare LF, no VERSION, lower case), RSS 2.0 and RSS 1.0 with the event module, Atom with xCal,
  and a WordPress RSS whose items carry their dates only in their text (the hub reads their event
  pages, served beside the feeds, with `--http`); `--feeds` feeds holding `--records` VEVENTs and items;
- `google-outlook`: the earlier corpus of Google- and Outlook-shaped ICS only
  (`corpus.write_mixed_corpus`, `--feeds` x `--events` VEVENTs, 300 x 100 unless given), so that
  earlier figures can be reproduced.

Then, each once:
1. the bare parse: icalendar's `Calendar.from_ical` of every ICS body and feedparser's `parse` of every
   XML one, one after another on one core (bytes in memory; no expansion, no storage);
2. the hub's parser alone on one core (`parse_in_worker`: parse, expand, normalise, sanitise, hash),
   with what pickling its results across the process pool costs;
3. the first ingest: `refresh` of every feed (fetch, hash, parse on every core, store), from files or,
   with `--http`, over HTTP from a server on 127.0.0.1 in its own process (ETag, 304);
4. an unchanged refresh: the same bytes (same content hash, or 304 over HTTP);
5. a stamps-only refresh: every body served again as Google and Office 365 serve it an hour later, its
   DTSTAMPs (RSS: lastBuildDate; Atom: updated; RSS 1.0: dc:date) set to the current time.

Ratios to the bare parse are printed (targets: whole ingest at most 1.0, stamps-only refresh at most
0.1), with the load average of the machine when each figure was taken, and where the first ingest's time
went: CPU of the refreshing process and of the parse workers, and the refresh's steps timed where it calls
them (`benchmarks.sections`).  `--profile` adds cProfile's top functions of the event loop and of the
database writer (which the profiler itself slows).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import pickle
import re
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

import feedparser
import icalendar
import sqlalchemy as sa
from sqlmodel import Session

from benchmarks.corpus import write_mixed_corpus
from benchmarks.producers import restamp, write_producer_corpus
from benchmarks.scale import PeakMemory, wait_for
from benchmarks.sections import Sections, TreeCpu
from calendar_hub import clock, store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.ingest.worker import parse_in_worker
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from calendar_hub.states import Outcome
from calendar_hub.store import engine as db
from calendar_hub.store.models import Event

PORT = 8797
_RECORD = re.compile(rb"^begin:vevent\r?$|<item[\s>]|<entry[\s>]", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Corpus:
    """The written feeds: (path, kind) each, the event pages beside them, and a line saying what they are."""

    feeds: list[tuple[Path, str]]
    producers: list[str]                 # each feed's producer, in the same order
    pages: int
    records: int
    words: str


def load() -> str:
    """The machine's load averages (1, 5 and 15 minutes), for each figure: the machine is shared."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f}"


def write(folder: Path, args: argparse.Namespace) -> Corpus:
    today = clock.today(UTC)
    if args.corpus == "google-outlook":
        paths = write_mixed_corpus(folder, feeds=args.feeds or 300, events=args.events,
                                   start=today + timedelta(days=1))
        count = sum(p.read_bytes().count(b"BEGIN:VEVENT") for p in paths)
        return Corpus([(p, "ical") for p in paths], ["google" if i % 4 != 3 else "outlook" for i in range(len(paths))],
                      0, count, "Google- and Outlook-shaped ICS")
    written = write_producer_corpus(folder, feeds=args.feeds or 200, records=args.records, today=today,
                                    site=f"http://127.0.0.1:{PORT}")
    producers = sorted({f.producer.name for f in written})
    return Corpus([(f.path, f.producer.kind) for f in written], [f.producer.name for f in written],
                  sum(len(f.pages) for f in written),
                  sum(f.records for f in written), f"{len(producers)} producers: {', '.join(producers)}")


def bare_parse_seconds(bodies: list[tuple[bytes, str]], each: list[float]) -> tuple[float, float, int]:
    """(seconds for the ICS, seconds for the XML, bodies the parser refused) of the bare parse, one core;
    `each` is given every body's CPU seconds."""
    seconds = {"ical": 0.0, "rss": 0.0}
    refused = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # icalendar's guesses about vendors' zone names
        for body, kind in bodies:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                if kind == "ical":
                    icalendar.Calendar.from_ical(body)
                else:
                    feedparser.parse(body)
            except Exception:  # noqa: BLE001  (a real file icalendar refuses still took its time)
                refused += 1
            each.append(time.process_time() - cpu)
            seconds[kind] += time.perf_counter() - started
    return seconds["ical"], seconds["rss"], refused


def hub_parse(bodies: list[tuple[bytes, str]], settings: Settings,
              each: list[tuple[float, int]]) -> tuple[float, float, int, int]:
    """(seconds, seconds to pickle and unpickle the results, their bytes, occurrences) of the hub's parser;
    `each` is given every body's (CPU seconds, occurrences)."""
    now = clock.now()
    window = (settings.timezone, now - timedelta(days=settings.window_past_days),
              now + timedelta(days=settings.window_future_days))
    parsed = pickled = 0.0
    size = occurrences = 0
    for body, kind in bodies:
        started, cpu = time.perf_counter(), time.process_time()
        result = parse_in_worker(body, kind, "https://bench.example/", *window)
        seconds = time.process_time() - cpu
        parsed += time.perf_counter() - started
        started = time.perf_counter()
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(data)
        pickled += time.perf_counter() - started
        size += len(data)
        found = 0 if isinstance(result, str) else len(result[0].events)
        each.append((seconds, found))
        occurrences += found
    return parsed, pickled, size, occurrences


def by_producer(corpus: Corpus, bodies: list[tuple[bytes, str]], bare: list[float],
                hub: list[tuple[float, int]]) -> str:
    """A line per producer: feeds, records, occurrences the hub found, bare and hub CPU seconds, their ratio."""
    rows: dict[str, list[float]] = {}
    records = [len(_RECORD.findall(body)) for body, _kind in bodies]
    for name, count, seconds, (own, found) in zip(corpus.producers, records, bare, hub, strict=True):
        row = rows.setdefault(name, [0.0, 0.0, 0.0, 0.0, 0.0])
        row[0] += 1
        row[1] += count
        row[2] += found
        row[3] += seconds
        row[4] += own
    lines = [f"  {'producer':<24} {'feeds':>5} {'records':>7} {'occurrences':>11} {'bare CPU':>8} {'hub CPU':>8} "
             f"{'hub/bare':>8}"]
    for name, row in sorted(rows.items(), key=lambda pair: -pair[1][4]):
        lines.append(f"  {name:<24} {row[0]:5.0f} {row[1]:7.0f} {row[2]:11.0f} {row[3]:8.2f} {row[4]:8.2f} "
                     f"{row[4] / row[3] if row[3] else 0:8.2f}")
    return "\n".join(lines)


def serve(folder: str, port: int) -> None:
    """The corpus over HTTP with ETag and 304 (Starlette's StaticFiles), a missing page a plain 404."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    app = Starlette(routes=[Mount("/", StaticFiles(directory=folder))])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=("producers", "google-outlook"), default="producers")
    parser.add_argument("--feeds", type=int, default=0, help="feeds (default 200; 300 for google-outlook)")
    parser.add_argument("--records", type=int, default=20_000, help="VEVENTs and items in all (producers)")
    parser.add_argument("--events", type=int, default=100, help="VEVENTs per feed (google-outlook)")
    parser.add_argument("--database", default="", help="database URL (default: a new SQLite file)")
    parser.add_argument("--http", action="store_true", help="fetch over HTTP on 127.0.0.1 instead of from files")
    parser.add_argument("--profile", action="store_true", help="profile the first ingest with cProfile too")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hub-ingest-"))
    server: multiprocessing.Process | None = None
    try:
        corpus = write(work / "feeds", args)
        bodies = [(path.read_bytes(), kind) for path, kind in corpus.feeds]
        xml = sum(1 for _b, kind in bodies if kind == "rss")
        print(f"corpus: {len(bodies)} feeds ({xml} RSS/Atom), {corpus.records} records, "
              f"{sum(len(b) for b, _k in bodies) / 1e6:.1f} MB, {corpus.pages} event pages; {corpus.words}")

        print(f"[{load()}]")
        bare_each: list[float] = []
        cpu_started = time.process_time()
        ics, rss, refused = bare_parse_seconds(bodies, bare_each)
        bare, bare_cpu = ics + rss, time.process_time() - cpu_started
        print(f"bare parse, one core: {bare:.2f} s, {bare_cpu:.2f} s CPU (icalendar {ics:.2f} s, feedparser "
              f"{rss:.2f} s; {refused} files refused)  [{load()}]")
        settings = Settings()
        hub_each: list[tuple[float, int]] = []
        cpu_started = time.process_time()
        own, pickling, size, occurrences = hub_parse(bodies, settings, hub_each)
        own_cpu = time.process_time() - cpu_started
        print(f"hub parser alone, one core: {own:.2f} s, {own_cpu:.2f} s CPU with the pickling, {occurrences} "
              f"occurrences ({own / bare:.2f}x the bare parse; CPU {own_cpu / bare_cpu:.2f}x); pickling its "
              f"results to and from a worker: {pickling:.2f} s for {size / 1e6:.1f} MB  [{load()}]")
        print(by_producer(corpus, bodies, bare_each, hub_each))
        del bodies

        if args.http:
            server = multiprocessing.Process(target=serve, args=(str(work / "feeds"), PORT), daemon=True)
            server.start()
            wait_for(f"http://127.0.0.1:{PORT}/{corpus.feeds[0][0].name}")
            urls = [(f"http://127.0.0.1:{PORT}/{path.name}", kind) for path, kind in corpus.feeds]
        else:
            urls = [(path.as_uri(), kind) for path, kind in corpus.feeds]

        url = args.database or f"sqlite:///{work / 'hub.db'}"
        # Over HTTP the event pages of the text-only feed are on 127.0.0.1 too; from files they are not read.
        settings = Settings(database_url=url, base_url="http://127.0.0.1", serve_refresh=False,
                            fetch_private_addresses=args.http, follow_links=30 if args.http else 0)
        engine = db.make_engine(url)
        db.upgrade(engine)
        registry = Registry(groups=tuple(
            GroupSpec(slug=f"group-{i:04d}", name=f"Group {i}",
                      feeds=(FeedSpec(url=u, kind=kind, private=True),))
            for i, (u, kind) in enumerate(urls)), weeks=())
        with Session(engine) as session:
            store.apply_registry(registry, session=session)

        excluded = (server.pid,) if server is not None and server.pid else ()
        with PeakMemory() as memory, TreeCpu(excluded) as cpu, Sections(profile=args.profile) as sections:
            first = asyncio.run(refresh(engine, settings, due_only=False))
        with Session(engine) as session:
            stored = session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one()
        failed = len(first.outcomes) - first.count(Outcome.STORED)
        print(f"first ingest (fetch, parse, expand, normalise, store; every core): {first.seconds:.2f} s, "
              f"{stored} occurrences stored; {failed} feeds not stored; {memory}  [{load()}]")
        print(f"  ratio to the bare parse: {first.seconds / bare:.2f} (target: at most 1.0); CPU of every "
              f"process to the bare parse's CPU: {cpu.total / bare_cpu:.2f}")
        print(f"  {cpu}")
        print(sections)
        if args.profile:
            print(sections.profiles())

        with PeakMemory() as memory:
            again = asyncio.run(refresh(engine, settings, due_only=False))
        print(f"unchanged refresh: {again.seconds:.3f} s ({again.count(Outcome.UNCHANGED)} same hash, "
              f"{again.count(Outcome.NOT_MODIFIED)} answered 304); {memory}  [{load()}]")
        print(f"  ratio to the bare parse: {again.seconds / bare:.3f}; "
              f"{first.seconds / again.seconds:.0f}x cheaper than the first ingest")

        when = clock.now()
        for path, _kind in corpus.feeds:
            path.write_bytes(restamp(path.read_bytes(), when))
        with PeakMemory() as memory, TreeCpu(excluded) as cpu:
            stamped = asyncio.run(refresh(engine, settings, due_only=False))
        print(f"stamps-only refresh (every DTSTAMP / build date now): {stamped.seconds:.2f} s "
              f"({stamped.count(Outcome.STORED)} stored, {stamped.count(Outcome.UNCHANGED)} same hash, "
              f"{stamped.count(Outcome.NOT_MODIFIED)} answered 304; {stamped.events_changed} events changed); "
              f"{memory}  [{load()}]")
        print(f"  ratio to the bare parse: {stamped.seconds / bare:.2f} (target: at most 0.1); CPU of every "
              f"process to the bare parse's CPU: {cpu.total / bare_cpu:.2f}")
        print(f"  {cpu}")
        engine.dispose()
    finally:
        if server is not None:
            server.terminate()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
