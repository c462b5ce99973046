"""Merging duplicates (`catalogue.merge.clusters`) at a national day of action: thousands of alike titles at one start.

    python -m benchmarks.merge [--events 10000]

Target: every case below merged in under 1 s at 10,000 events (the catalogue build runs it on every change).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from benchmarks.console import best_of
from calendar_hub.catalogue.merge import Candidate, clusters
from calendar_hub.identity import published_uid

NOON = datetime(2026, 6, 20, 11, 0, tzinfo=UTC)


def event(key: int, feed: int, title: str, *, start: datetime = NOON, location: str = "",
          lat: float | None = None, lon: float | None = None) -> Candidate:
    return Candidate(key=key, feed_id=feed, source_uid=f"e{key}@feed{feed}", start=start, title=title,
                     location=location, lat=lat, lon=lon, uid=published_uid(f"e{key}@feed{feed}", ""))


def cases(n: int) -> dict[str, list[Candidate]]:
    """Each case: `n` occurrences from n / 10 feeds, with a few co-hosts' copies that should merge."""
    feeds = max(1, n // 10)
    copies = [event(n + k, feeds + k, f"Local Action {k * 7}", location=f"Town hall {k * 7}") for k in range(10)]
    return {
        "alike titles at one start (\"Local action N #CT4R\")":
            [event(k, k % feeds, f"Local action {k} #CT4R", location=f"Town hall {k}") for k in range(n)] + copies,
        "one title at one start, no place (online)":
            [event(k, k % feeds, "Local action #CT4R") for k in range(n)],
        "one title at one start, each at its own place":
            [event(k, k % feeds, "Local action #CT4R", lat=50.0 + (k % 100) * 0.05, lon=-5.0 + (k // 100) * 0.05)
             for k in range(n)],
        "varied titles over a year":
            [event(k, k % feeds, f"{('Walk', 'Quiz', 'Class', 'Vigil', 'Supper')[k % 5]} in town {k % 97}",
                   start=NOON + timedelta(hours=7 * k % (24 * 365)), location=f"Hall {k % 13}") for k in range(n)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    for name, candidates in cases(args.events).items():
        seconds, found = best_of(3, lambda candidates=candidates: clusters(candidates))
        assert isinstance(found, list)
        merged = sum(1 for group in found if len(group) > 1)
        print(f"merge, {name}: {seconds * 1000:.0f} ms for {len(candidates):,} occurrences, "
              f"{len(found):,} events ({merged:,} merged)")


if __name__ == "__main__":
    main()
