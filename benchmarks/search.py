"""Search over a national catalogue: building the word index of 100,000 events, queries against it, then the index
updated for one feed's change (as `Catalogue.updated` does) and the same queries against that.

    python -m benchmarks.search [--events 100000] [--runs 7] [--updates 5]

Target: the index built in under 10 s (once, on the first search), updated for one feed's change in well under a
second (no request waits for a rebuild), and a search (every word matched, the upcoming filtered and ranked, as
/search does) in under 100 ms median, on the index built whole or updated.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from calendar_hub.catalogue import Catalogue
from calendar_hub.catalogue.listing import GroupRef, Listing
from calendar_hub.catalogue.search import SearchIndex, query_words

WHAT = ("English classes", "Conversation club", "Repair café", "Welcome walk", "Solidarity vigil", "Film night",
        "Community supper", "Advice drop-in", "Knitting circle", "Football for all", "Dosbarth Cymraeg",
        "Women's group", "Homework club", "Legal clinic", "Food bank", "Choir practice", "Coffee morning")
TOWNS = ("Leeds", "Manchester", "Cardiff", "Bristol", "Glasgow", "Belfast", "Norwich", "Plymouth", "Swansea",
         "Sheffield", "Coventry", "Newcastle", "Brighton", "Derby", "Abertawe", "Wrexham", "Stockport")
WORDS = ("bring", "friends", "free", "tea", "children", "welcome", "everyone", "room", "upstairs", "accessible",
         "volunteers", "languages", "translation", "booking", "needed", "lunch", "provided", "bus", "stop",
         "parking", "garden", "games", "music", "stories", "history", "migrants", "refugees", "families",
         "#ct4r", "#refugeeweek", "café", "Ysgol", "neuadd", "croeso", "gwirfoddolwyr", "advice", "housing")
QUERIES = ("English classes", "repair café", "welcome walk leeds", "croeso", "homework club cardiff", "c",
           "vigil #ct4r", "nothing-matches-this")
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


def listings(n: int) -> list[Listing]:
    """`n` events over a year in 17 towns, from 500 groups, with descriptions of 30 to 90 words (seeded)."""
    rng = random.Random(16)
    groups = [GroupRef(slug=f"group-{g}", name=f"{TOWNS[g % len(TOWNS)]} {WHAT[g % len(WHAT)].split()[0]} "
                                              f"Group {g}") for g in range(500)]
    made = []
    for i in range(n):
        town = TOWNS[i % len(TOWNS)]
        start = NOW + timedelta(minutes=53 * i % (365 * 24 * 60))
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 90)))
        made.append(Listing(
            uid=f"e{i}@bench", sequence=0, title=f"{rng.choice(WHAT)} {rng.choice(('', 'for adults', 'in town'))}",
            start=start, end=start + timedelta(hours=2), all_day=False, start_date=None, end_date=None,
            status="CONFIRMED", description_html=f"<p>{words}</p>", description_text=words,
            location=f"Hall {i % 300}, {town}", url="", categories=(rng.choice(("ESOL", "Social", "Advice")),),
            lat=None, lon=None, place_precision="none", region="", town=town, groups=(rng.choice(groups),),
            weeks=(), created=NOW, updated=NOW))
    return made


def one_feed_changed(items: Sequence[Listing], group: str) -> tuple[list[Listing], list[Listing], list[Listing]]:
    """(the listings after, those taken out, those put in) when every event of `group`'s feed moves an hour on and
    gains a word in its title and its description: the catalogue's order changes around each of them."""
    removed = [item for item in items if item.groups[0].slug == group]
    added = [replace(item, title=f"{item.title} rescheduled", description_text=f"{item.description_text} moved",
                     start=item.start + timedelta(hours=1), end=item.end + timedelta(hours=1)) for item in removed]
    gone = {id(item) for item in removed}
    after = sorted([*(item for item in items if id(item) not in gone), *added], key=lambda item: (item.start, item.uid))
    return after, removed, added


def searches(find: Callable[[str], list[Listing]], index: SearchIndex, runs: int) -> None:
    """Each query `runs` times through `find` (then the upcoming kept and ranked, as /search does), with its median."""
    medians = []
    for query in QUERIES:
        times, found = [], 0
        for _ in range(runs):
            started = time.perf_counter()
            matched = [item for item in find(query) if item.end > NOW]
            found = len(index.ranked(query_words(query), matched))
            times.append(time.perf_counter() - started)
        medians.append(statistics.median(times))
        print(f"search {query!r}: {medians[-1] * 1000:.1f} ms median of {runs}, {found:,} found")
    print(f"median over the {len(QUERIES)} queries: {statistics.median(medians) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--updates", type=int, default=5)
    args = parser.parse_args()
    catalogue = Catalogue(version=1, built_at=NOW, zone=ZoneInfo("Europe/London"), listings=listings(args.events),
                          groups=[], weeks=[])
    started = time.perf_counter()
    index = catalogue.index
    print(f"index of {args.events:,} events built in {time.perf_counter() - started:.2f} s")
    searches(lambda query: catalogue.find(text=query), index, args.runs)

    after, removed, added = one_feed_changed(catalogue.listings, "group-7")
    updates, firsts = [], []
    for _ in range(args.updates):   # each from the index built whole, which an update leaves as it was
        started = time.perf_counter()
        updated = index.updated(after, removed, added)
        updates.append(time.perf_counter() - started)
        started = time.perf_counter()
        updated.select(query_words("English classes"))   # the first search maps slots to positions
        firsts.append(time.perf_counter() - started)
    print(f"index updated for one feed's change ({len(removed)} events out, {len(added)} in): "
          f"{statistics.median(updates) * 1000:.1f} ms median of {args.updates}; the first search after it "
          f"{statistics.median(firsts) * 1000:.1f} ms")
    assert [item.uid for item in updated.select(query_words("rescheduled"))] == [item.uid for item in added]
    assert updated.select(query_words("croeso")) == SearchIndex(after).select(query_words("croeso"))
    print("searches of the updated index:")
    searches(lambda query: updated.select(query_words(query)), updated, args.runs)


if __name__ == "__main__":
    main()
