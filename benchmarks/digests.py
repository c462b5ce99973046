"""The e-mail digests at scale: building the digests of 10,000 followers over a catalogue of 100,000 events.

    python -m benchmarks.digests [--followers 10000] [--events 100000]

Target: every digest built (matched, rendered in both parts, queued in the outbox) in under 60 s, on SQLite.
Followers are 70 % a place with a radius (5 to 50 km), 15 % a group, 15 % a week; a fifth write in Welsh.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import secrets
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from calendar_hub import clock, store
from calendar_hub.catalogue import Catalogue, WeekInfo
from calendar_hub.catalogue.listing import GroupRef
from calendar_hub.mail import digest
from calendar_hub.settings import Settings
from calendar_hub.store import Follower
from calendar_hub.store.engine import make_engine, upgrade
from tests.factories import make_listing

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 6, 4, 9, 0, tzinfo=UTC)       # a Thursday, after the digest hour
WEEK = WeekInfo(slug="summer-week", name="Summer Week", start=date(2026, 6, 6), end=date(2026, 6, 14), tags=(),
                description="", groups=())


def catalogue(events: int, rng: random.Random) -> Catalogue:
    """`events` listings over a year from a month before NOW, placed across Great Britain, 200 groups."""
    groups = [GroupRef(slug=f"group-{n}", name=f"Group {n}") for n in range(200)]
    listings = []
    for n in range(events):
        start = NOW - timedelta(days=30) + timedelta(minutes=rng.randrange(365 * 24 * 60))
        placed = n % 6 != 0
        listings.append(make_listing(
            uid=f"event-{n:06d}@hub.example.org", title=f"Event {n}: repair café and talk", start=start,
            end=start + timedelta(hours=2), location=f"Hall {n % 500}, Town {n % 300}",
            lat=rng.uniform(50.5, 56.5) if placed else None, lon=rng.uniform(-4.5, 1.0) if placed else None,
            place_precision="exact" if placed else "none", groups=(groups[n % 200],),
            weeks=(WEEK.slug,) if WEEK.start <= start.date() <= WEEK.end else ()))
    return Catalogue(version=1, built_at=NOW, zone=LONDON, listings=listings, groups=[], weeks=[WEEK])


def followers(count: int, rng: random.Random) -> list[Follower]:
    made = []
    for n in range(count):
        kind = n % 20
        place = kind < 14
        made.append(Follower(
            email=f"reader{n}@example.org", token=secrets.token_urlsafe(24), language="cy" if n % 5 == 0 else "en",
            near=f"Town {n % 300}" if place else "", lat=rng.uniform(50.5, 56.5) if place else None,
            lon=rng.uniform(-4.5, 1.0) if place else None, km=rng.choice((5.0, 10.0, 25.0, 50.0)) if place else None,
            group_slug=f"group-{n % 200}" if 14 <= kind < 17 else "", week_slug=WEEK.slug if kind >= 17 else "",
            created_at=NOW - timedelta(days=15), confirmed_at=NOW - timedelta(days=14)))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(18)
    built = catalogue(args.events, rng)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'hub.db'}")
        upgrade(engine)
        with Session(engine) as session:
            for follower in followers(args.followers, rng):
                session.add(follower)
            session.commit()
        settings = dataclasses.replace(Settings(), base_url="https://hub.example.org", digest_weekday=3,
                                       digest_hour=8, alert_days=3)
        with clock.travel_to(NOW), Session(engine) as session:
            started, cpu = time.perf_counter(), time.process_time()
            report = digest.build_due(built, settings, now=clock.now(), session=session)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        with Session(engine) as session:
            counts = store.outbox_counts(session=session)
        engine.dispose()
    print(f"{args.followers:,} followers over {args.events:,} events: {seconds:.1f} s, {cpu:.1f} s of CPU "
          f"({args.followers / seconds:,.0f} followers/s); {report.digests:,} digests, {report.alerts:,} week alerts, "
          f"{report.nothing_new:,} with nothing new; outbox {counts}")


if __name__ == "__main__":
    main()
