"""The organisers' console at scale: suspected duplicates and the week planner's preview over 10,000 events.

    python -m benchmarks.console [--events 10000]

Targets: suspected pairs found in under 2 s even when every overlapping pair is alike (the worst case), and
when all 10,000 start at one instant with alike titles ("Local action N #CT4R"); a week planner preview,
made as an organiser types, in under 0.5 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from calendar_hub.catalogue import Catalogue, WeekInfo
from calendar_hub.catalogue.merge import Decisions
from calendar_hub.console.duplicates import Entry, Source, suspected
from calendar_hub.console.planning import preview
from tests.factories import many_listings

LONDON = ZoneInfo("Europe/London")


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    """The fastest of `runs` timings (the least disturbed by the machine), with the last result."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    listings = many_listings(args.events)

    # titles alike but for two letters (titles whose numbers differ are two events, never suspected)
    alike = [Entry(dataclasses.replace(item, title=f"Event {chr(97 + i % 26)}{chr(97 + i // 26 % 26)}: repair café, "
                                                   "talk; walk"), (Source(item.uid, i % 7, "", ""),))
             for i, item in enumerate(listings)]
    varied = [Entry(dataclasses.replace(e.listing, title=f"{('Walk', 'Quiz', 'Class', 'Vigil', 'Supper')[i % 5]} "
                                                         f"number {i * 7919 % 100_003}"), e.sources)
              for i, e in enumerate(alike)]
    # a national day of action: every event at one start, "Local action N #CT4R", unplaced, one feed each
    one_start = listings[0].start
    national = [Entry(dataclasses.replace(e.listing, title=f"Local action {i} #CT4R", start=one_start,
                                          end=one_start + (e.listing.end - e.listing.start), location="", lat=None,
                                          lon=None, place_precision="none"), (Source(e.listing.uid, i, "", ""),))
                for i, e in enumerate(alike)]
    for name, entries in (("alike titles (worst case)", alike), ("varied titles", varied),
                          ("alike titles at one start", national)):
        seconds, pairs = best_of(3, lambda entries=entries: suspected(entries, zone=LONDON, decisions=Decisions()))
        assert isinstance(pairs, list)
        print(f"suspected pairs, {name}: {seconds * 1000:.0f} ms for {len(entries):,} events, {len(pairs):,} pairs")

    catalogue = Catalogue(version=1, built_at=datetime(2026, 1, 1, tzinfo=UTC), zone=LONDON, listings=listings,
                          groups=[], weeks=[WeekInfo(slug="w", name="W", start=date(2026, 6, 6), end=date(2026, 6, 14),
                                                     tags=(), description="", groups=())])
    for days, end in (("9 days", date(2026, 6, 14)), ("a month", date(2026, 7, 5))):
        draft = WeekInfo(slug="w", name="W", start=date(2026, 6, 6), end=end, tags=("walk",), description="",
                         groups=())
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            shown = preview(catalogue, draft)
            timings.append(time.perf_counter() - started)
        print(f"week planner preview over {days}: {min(timings) * 1000:.1f} ms "
              f"(median {statistics.median(timings) * 1000:.1f}), {shown.taken_count + shown.left_count:,} events")


if __name__ == "__main__":
    main()
