"""The catalogue brought up to date after one feed's change, against building it whole, at 100,000 stored events.

    python -m benchmarks.catalogue                    # 100,000 events (1,000 feeds x 100)
    python -m benchmarks.catalogue --million          # also 1,000,000 (10,000 feeds x 100): storing takes a while
    python -m benchmarks.catalogue --only-million     # 1,000,000 alone

Events are stored through the store (`claim_feeds` + `record_outcomes`, as a refresh does) in SQLite: starts on
half-hour slots over a year, one in twenty a copy of another feed's event (merged), titles alike within a slot.
Then the first catalogue is built whole (`Hub.catalogue()`), and each run changes every one of one feed's 100
events (retitled, a few moved, removed, added), stores it and times `Hub.catalogue()` again: the change log names
that feed, and the catalogue is updated for it (`Catalogue.updated`).  The median of the runs is given.  Up to
200,000 events the catalogue is then built whole again and compared with the updated one (the same listings).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import resource
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from calendar_hub import clock, store
from calendar_hub.catalogue.hub import Hub
from calendar_hub.occurrence import EventIn
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from calendar_hub.store import FeedOutcome
from calendar_hub.store.engine import make_engine, upgrade
from calendar_hub.store.outcomes import Outcome

PER_FEED = 100
WHAT = ("English class", "Conversation club", "Repair café", "Welcome walk", "Solidarity vigil", "Film night",
        "Community supper", "Advice drop-in", "Knitting circle", "Football for all", "Choir practice")
SLOTS = 365 * 48   # half-hour starts over a year


def events_of(feed: int, rng: random.Random, start: datetime, version: int = 0) -> list[EventIn]:
    """The feed's 100 events; every twentieth is a copy of the feed before's event of that number (a co-host)."""
    made = []
    for n in range(PER_FEED):
        copy = n % 20 == 0 and feed > 0
        owner = feed - 1 if copy else feed
        slot = (owner * 7919 + n * 104729) % SLOTS
        moved = version and n % 17 == 0
        at = start + timedelta(minutes=30 * (slot + (1 if moved else 0)))
        title = f"{WHAT[(owner + n) % len(WHAT)]} {n % 7}" + (f" (updated {version})" if version and not copy else "")
        made.append(EventIn(source_uid=f"f{owner}-e{n}" if not (version and n == 99) else f"f{owner}-new{version}",
                            recurrence_id="", title=title, start=at, end=at + timedelta(hours=2),
                            location=f"Hall {owner % 300}, Town {owner % 97}", description_text="Bring a friend.",
                            description_html="<p>Bring a friend.</p>"))
    return made


def store_feeds(engine: object, outcomes: dict[int, list[EventIn]], at: datetime) -> None:
    with Session(engine) as session:  # type: ignore[arg-type]
        jobs = store.claim_feeds(session=session, owner="bench", now=at, lease_for=timedelta(minutes=10),
                                 due_only=False, feed_ids=sorted(outcomes))
        store.record_outcomes([FeedOutcome(feed_id=job.id, kind=Outcome.STORED, at=at,
                                           events=outcomes[job.id], content_hash=f"{job.id}-{at}")
                               for job in jobs], session=session, owner="bench", refresh_interval=timedelta(hours=1))


def run(events: int, runs: int, *, check: bool, profile: bool = False) -> tuple[float, float | None, list[float]]:
    feeds = events // PER_FEED
    rng = random.Random(20)
    now = clock.now()
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'hub.db'}"
        engine = make_engine(url)
        upgrade(engine)
        registry = Registry(groups=tuple(GroupSpec(slug=f"group-{i:05d}", name=f"Group {i}", feeds=(
            FeedSpec(url=f"http://127.0.0.1:9/{i}.ics", kind="ical", private=True),)) for i in range(feeds)), weeks=())
        with Session(engine) as session:
            store.apply_registry(registry, session=session)
        ids = sorted(job.id for job in _jobs(engine, now))
        stored = time.perf_counter()
        for batch in range(0, feeds, 500):
            store_feeds(engine, {ids[i]: events_of(i, rng, start) for i in range(batch, min(feeds, batch + 500))},
                        now)
        print(f"  stored {events:,} events in {time.perf_counter() - stored:.1f} s", flush=True)
        hub = Hub(Settings(database_url=url, change_check_seconds=0.0, stale_seconds=0.0), engine=engine)
        began = time.perf_counter()
        first = hub.catalogue()
        full = time.perf_counter() - began
        print(f"  {len(first.listings):,} listings after merging", flush=True)
        updates = []
        for n in range(runs):
            index = rng.randrange(1, feeds)
            store_feeds(engine, {ids[index]: events_of(index, rng, start, version=n + 1)}, now + timedelta(minutes=n))
            profiler = cProfile.Profile() if profile else None
            began = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            updated = hub.catalogue()
            updates.append(time.perf_counter() - began)
            if profiler is not None:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
            assert updated.version > first.version and updated.changed, "not updated"
            first = updated
        again = None
        if check:
            rebuilt = time.perf_counter()
            with Session(engine) as session:
                store.bump_version(session=session)   # anything else changed: built whole (synchronously here)
                session.commit()
            whole = hub.catalogue()
            again = time.perf_counter() - rebuilt
            assert whole.listings == first.listings, "an update differs from the full build"
        hub.close()
    return full, again, updates


def _jobs(engine: object, now: datetime) -> list[store.FeedJob]:
    with Session(engine) as session:  # type: ignore[arg-type]
        jobs = store.claim_feeds(session=session, owner="list", now=now, lease_for=timedelta(seconds=1),
                                 due_only=False)
        store.release_leases(session=session, owner="list")
        return jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--million", action="store_true", help="also at 1,000,000 events")
    parser.add_argument("--only-million", action="store_true", help="at 1,000,000 events alone")
    parser.add_argument("--profile", action="store_true", help="cProfile each update, where its time goes")
    args = parser.parse_args()
    sizes = [] if args.only_million else [args.events]
    sizes += [1_000_000] if args.million or args.only_million else []
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for events in sizes:
        # The full build again after the updates, compared with their result, costs minutes at a million.
        full, again, updates = run(events, args.runs, check=events <= 200_000, profile=args.profile)
        whole = f"full build after the updates (same listings) {again:.2f} s, " if again is not None else ""
        print(f"{events:>9,} events: first full build {full:.2f} s, {whole}"
              f"update for one feed's 100 events median {statistics.median(updates) * 1000:.0f} ms "
              f"(runs: {', '.join(f'{u * 1000:.0f}' for u in updates)} ms)", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; peak memory "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB RSS")


if __name__ == "__main__":
    main()
