"""Updating the catalogue for the feeds that changed gives exactly the catalogue a full build gives (hypothesis, over
random sequences of feed changes: events added, removed, retitled, moved, copied across feeds, recurring), and its
search index, carried over the update, finds what the index of a full build finds.

    HYPOTHESIS_PROFILE=long python -m pytest tests/test_catalogue_update.py   # many more examples
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendar_hub.catalogue import Catalogue, GroupInfo, WeekInfo, assemble
from calendar_hub.catalogue.merge import Decisions, pair
from calendar_hub.catalogue.scope import Scope, untouched
from calendar_hub.catalogue.search import query_words
from calendar_hub.identity import published_uid
from calendar_hub.site import SiteSpec

_QUIET = (HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much)
PROFILES = {"ci": settings(derandomize=True, max_examples=150, deadline=None, database=None,
                           suppress_health_check=_QUIET, print_blob=True),
            "long": settings(max_examples=3_000, deadline=None, database=None, suppress_health_check=_QUIET,
                             print_blob=True)}
PROFILE = PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "ci")]

LONDON = ZoneInfo("Europe/London")
SIX_PM = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
BUILT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TITLES = ["Postcard & poster workshop", "Postcard and Poster Workshop #CT4R", "WAST: postcard and poster workshop",
          "Local action 1 #CT4R", "Local action 2 #CT4R", "Local Action 1", "Refugee week social", "Choir",
          "Côr Cymraeg #ŴYL"]
PLACES = ["", "Friends Meeting House, Manchester", "Friends Meeting House", "Online", "Toxteth Town Hall",
          "Café Ŵyl, Abertawe"]
COORDS = [None, (53.478, -2.246), (53.4781, -2.2461)]
FEEDS = {1: 1, 2: 2, 3: 2, 4: 3}   # feed -> group: feeds 2 and 3 are one group's
GROUPS = {gid: GroupInfo(slug=slug, name=name, website="", home="", region="", lat=None, lon=None)
          for gid, slug, name in [(1, "riverside", "Riverside Greens"), (2, "wast", "WAST"), (3, "choir", "Choir")]}
WEEKS = [WeekInfo(slug="ct4r-week", name="CT4R week", start=date(2026, 12, 5), end=date(2026, 12, 13),
                  tags=("ct4r",), description="", groups=())]


@dataclass(frozen=True)
class Row:
    """A stored occurrence as `store.occurrence_rows` gives it (the columns the catalogue reads)."""

    id: int
    feed_id: int
    group_id: int
    source_uid: str
    recurrence_id: str
    uid: str
    title: str
    start_at: datetime
    end_at: datetime
    location: str
    lat: float | None
    lon: float | None
    created_at: datetime
    updated_at: datetime
    categories: tuple[str, ...] = ()
    description_html: str = ""
    description_text: str = ""
    url: str = ""
    status: str = "CONFIRMED"
    all_day: bool = False
    start_date: date | None = None
    end_date: date | None = None
    source_sequence: int = 0
    source_stamp: datetime | None = None
    source_modified: datetime | None = None
    sequence: int = 0


Spec = tuple[str, str, str, int, str, int, bool]   # source UID, RECURRENCE-ID, title, hour, place, coords, cancelled

specs = st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", "e"]), st.sampled_from(["", "", "2026-12-14"]),
                           st.sampled_from(TITLES), st.integers(0, 2), st.sampled_from(PLACES),
                           st.integers(0, len(COORDS) - 1), st.booleans()),
                 max_size=6, unique_by=lambda s: (s[0], s[1]))


@dataclass
class Store:
    """Feeds' stored occurrences as `record_outcomes` keeps them: one row per (feed, source UID, RECURRENCE-ID),
    its id and first-seen time kept while the feed lists it, its SEQUENCE bumped when it changes."""

    rows: dict[tuple[int, str, str], Row] = field(default_factory=dict)
    next_id: int = 1
    step: int = 0

    def store(self, feed: int, listed: list[Spec]) -> None:
        self.step += 1
        now = BUILT + timedelta(minutes=self.step)
        keep = set()
        for source_uid, rid, title, hour, place, coords, cancelled in listed:
            key = (feed, source_uid, rid)
            keep.add(key)
            start = SIX_PM + timedelta(hours=hour, days=7 if rid else 0)
            lat, lon = COORDS[coords] or (None, None)
            values = {"title": title, "start_at": start, "end_at": start + timedelta(hours=2), "location": place,
                      "lat": lat, "lon": lon, "status": "CANCELLED" if cancelled else "CONFIRMED",
                      "categories": ("ct4r",) if "#CT4R" in title else ()}
            old = self.rows.get(key)
            if old is None:
                self.rows[key] = Row(id=self.next_id, feed_id=feed, group_id=FEEDS[feed], source_uid=source_uid,
                                     recurrence_id=rid, uid=published_uid(source_uid, rid), created_at=now,
                                     updated_at=now, **values)  # type: ignore[arg-type]
                self.next_id += 1
            elif any(getattr(old, name) != value for name, value in values.items()):
                self.rows[key] = replace(old, updated_at=now, sequence=old.sequence + 1, **values)  # type: ignore[arg-type]
        for key in [key for key in self.rows if key[0] == feed and key not in keep]:
            del self.rows[key]

    def of(self, feeds: set[int] | None = None) -> list[Row]:
        return sorted((r for r in self.rows.values() if feeds is None or r.feed_id in feeds),
                      key=lambda r: (r.start_at, r.id))


def built(store: Store, version: int, decided: Decisions, hidden: frozenset[str]) -> Catalogue:
    return assemble(store.of(), version=version, built_at=BUILT, since=BUILT - timedelta(days=1), zone=LONDON,
                    groups=GROUPS, weeks=WEEKS, looked_up={}, hidden=hidden, decided=decided, site=SiteSpec())


def assert_same(updated: Catalogue, full: Catalogue, uids: set[str]) -> None:
    assert updated.listings == full.listings   # field by field, and in order
    for week in WEEKS:
        assert updated.find(week=week.slug) == full.find(week=week.slug)
    for group in GROUPS.values():
        assert updated.find(group=group.slug) == full.find(group=group.slug)
    for item in full.listings:
        assert updated.series_of(item) == full.series_of(item)
    for uid in uids:
        assert updated.by_uid(uid) == full.by_uid(uid), uid
    assert updated.regions() == full.regions()


# Words, word beginnings, plurals, one-letter words (whole only), group names, places, Welsh and accents either way.
QUERIES = ["postcard", "post", "poster workshop", "workshops", "Local action 1", "1", "loc", "choir", "cho",
           "riverside greens", "wast", "wast postcard", "friends meeting house manchester", "online", "cor", "Côr",
           "cymraeg", "CAFE", "café wyl", "ŵyl", "abertawe", "nothing"]
TAGS = ["ct4r", "#CT4R", "wyl", "esol"]


def answers(catalogue: Catalogue) -> dict[Any, Any]:
    """What searches of `catalogue` find: every query, alone, ranked and with each tag; its tags."""
    index = catalogue.index
    found: dict[Any, Any] = {"every": index.select(), "tags": {t: list(p) for t, p in index.tags().items()},
                             "has": [index.has_tag(tag) for tag in TAGS]}
    for text in QUERIES:
        found[text] = catalogue.find(text=text)
        found["ranked", text] = index.ranked(query_words(text), found[text])
        for tag in TAGS:
            found[text, tag] = catalogue.find(text=text, tag=tag)
    for tag in TAGS:
        found[tag] = catalogue.find(tag=tag)
    return found


@st.composite
def decisions(draw: st.DrawFn) -> Decisions:
    uids = sorted({published_uid(s, r) for s in "abcde" for r in ("", "2026-12-14")})
    chosen = draw(st.lists(st.tuples(st.sampled_from(["merge", "apart"]), st.sampled_from(uids),
                                     st.sampled_from(uids)), max_size=3))
    merge = frozenset(pair(a, b) for kind, a, b in chosen if kind == "merge" and a != b)
    apart = frozenset(pair(a, b) for kind, a, b in chosen if kind == "apart" and a != b) - merge
    return Decisions(merge=merge, apart=apart)


@PROFILE
@given(st.data())
def test_updates_for_the_feeds_that_changed_give_the_catalogue_a_full_build_gives(data: st.DataObject) -> None:
    store = Store()
    for feed in FEEDS:
        store.store(feed, data.draw(specs))
    decided = data.draw(decisions())
    hidden = frozenset(data.draw(st.lists(st.sampled_from([published_uid("a", ""), published_uid("c", "")]),
                                          max_size=1)))
    uids = {published_uid(s, r) for s in "abcde" for r in ("", "2026-12-14")}
    catalogue = built(store, 1, decided, hidden)
    changes = data.draw(st.lists(st.tuples(st.sets(st.sampled_from(sorted(FEEDS)), min_size=1, max_size=2),
                                           st.lists(specs, min_size=2, max_size=2)), min_size=1, max_size=5))
    for version, (feeds, listed) in enumerate(changes, start=2):
        for feed, specs_of in zip(sorted(feeds), listed, strict=False):
            store.store(feed, specs_of)
        before = catalogue
        searched = data.draw(st.booleans())   # whether this step searches (building the index, if still lazy)
        found_before = answers(before) if searched else None
        carried = before.index_built
        catalogue = catalogue.updated(feeds, store.of(feeds), version=version, built_at=BUILT, stale_seconds=0.0)
        assert before.basis is None and catalogue.basis is not None
        full = built(store, version, decided, hidden)
        assert_same(catalogue, full, uids)
        assert catalogue.index_built == carried   # carried over, not built again; left lazy when it was
        if searched:
            assert answers(catalogue) == answers(full)
            assert answers(before) == found_before   # the old index answers as it did: the update copied on write
        # Listings that did not change are the very objects the catalogue before held.
        kept = {id(item) for item in before.listings}
        assert all(id(item) in kept or item in catalogue.changed for item in catalogue.listings)


def test_an_unchanged_feed_keeps_every_listing_and_output() -> None:
    store = Store()
    store.store(1, [("a", "", "Choir", 0, "", 0, False), ("b", "", "Local action 1 #CT4R", 1, "", 0, False)])
    store.store(4, [("c", "", "Refugee week social", 2, "Online", 0, False)])
    catalogue = built(store, 1, Decisions(), frozenset())
    week_ics = ("ics", "u", "", Scope(week="ct4r-week"))
    choir = ("event-ics", "x", Scope(uid=published_uid("a", "")))
    catalogue.output(week_ics, lambda: (b"week", "text/calendar"))
    catalogue.output(choir, lambda: (b"choir", "text/calendar"))
    catalogue.output(("page", "/"), lambda: (b"home", "text/html"))
    store.store(4, [("c", "", "Refugee week social", 2, "Online", 0, False)])   # the same again
    same = catalogue.updated({4}, store.of({4}), version=2, built_at=BUILT, stale_seconds=0.0)
    assert same.changed == [] and all(a is b for a, b in zip(same.listings, catalogue.listings, strict=True))
    assert same.cached(week_ics) is not None and same.cached(choir) is not None
    assert same.cached(("page", "/")) is None    # a key naming no scope is made again after any change
    store.store(1, [("a", "", "Choir", 0, "", 0, True), ("b", "", "Local action 1 #CT4R", 1, "", 0, False)])
    later = same.updated({1}, store.of({1}), version=3, built_at=BUILT, stale_seconds=0.0)
    assert [item.uid for item in later.changed] == [published_uid("a", "")] * 2   # the old and the new Choir
    assert later.cached(week_ics) is not None      # Choir is not in the week: its ICS holds nothing that changed
    assert later.cached(choir) is None
    assert untouched(week_ics, later.changed, LONDON) and not untouched(choir, later.changed, LONDON)
