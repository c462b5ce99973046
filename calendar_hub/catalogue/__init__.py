"""The catalogue: an in-memory snapshot of everything published, rebuilt once per change.

`build_catalogue` reads the stored occurrences, merges duplicates across feeds, places them,
matches them to weeks and returns a `Catalogue` of `Listing`s.  Every output (ICS, JSON, pages)
is made from it, and each built body is cached on it, so a request costs a dictionary lookup
until the next change; a new version of the data gets a new catalogue and an empty cache.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from calendar_hub import store
from calendar_hub.catalogue.listing import GroupInfo, Listing
from calendar_hub.catalogue.making import home_place, make_listing, newest, place_of
from calendar_hub.catalogue.merge import Decisions, candidate, clusters
from calendar_hub.catalogue.outputs import OUTPUTS_KEPT, Output, Outputs
from calendar_hub.catalogue.scope import untouched
from calendar_hub.catalogue.search import SearchIndex, query_words
from calendar_hub.catalogue.update import Basis
from calendar_hub.catalogue.weeks import WeekRule, local_midnight
from calendar_hub.ingest.geocode import geocoded
from calendar_hub.places import Place, km_between
from calendar_hub.site import SiteSpec
from calendar_hub.store import Session

__all__ = [
    "Catalogue", "GroupInfo", "Near", "OUTPUTS_KEPT", "Output", "WeekInfo",
    "assemble", "build_catalogue", "home_place", "make_listing", "newest", "place_of", "week_info", "week_rule",
    "counts", "days", "hub", "listing", "making", "merge", "outputs", "scope", "search", "update", "weeks",
]

@dataclass(frozen=True, slots=True)
class Near:
    """A "near me" filter: listings placed within `km` of a point."""

    lat: float
    lon: float
    km: float

    def holds(self, item: Listing) -> bool:
        if item.lat is None or item.lon is None:
            return False
        # A cheap box first: a degree of latitude is 111 km, of longitude at least 55 km in the UK.
        if abs(item.lat - self.lat) * 111.0 > self.km or abs(item.lon - self.lon) * 55.0 > self.km * 1.2 + 10:
            return False
        return km_between(self.lat, self.lon, item.lat, item.lon) <= self.km


@dataclass(frozen=True, slots=True)
class WeekInfo:
    """A week of action as the public pages show it (`end` is the last day, inclusive)."""

    slug: str
    name: str
    start: date
    end: date
    tags: tuple[str, ...]
    description: str
    groups: tuple[str, ...]
    featured: tuple[str, ...] = ()     # published UIDs shown first, in the organisers' order
    included: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()


class Catalogue:
    """The published events of one data version, with lookups and a cache of built outputs."""

    def __init__(self, *, version: int, built_at: datetime, zone: ZoneInfo, listings: Sequence[Listing],
                 groups: Sequence[GroupInfo], weeks: Sequence[WeekInfo], hidden: frozenset[str] = frozenset(),
                 site: SiteSpec | None = None) -> None:
        self.version = version
        self.site = site or SiteSpec()   # the hub's identity, as the registry last gave it
        self.built_at = built_at
        self.zone = zone
        self.listings = sorted(listings, key=lambda item: (item.start, item.uid))
        # Pages ask for one week's or one group's listings on every request: index them once.
        self._by_week: dict[str, list[Listing]] = defaultdict(list)
        self._by_group: dict[str, list[Listing]] = defaultdict(list)
        for item in self.listings:
            for slug in item.weeks:
                self._by_week[slug].append(item)
            for ref in item.groups:
                self._by_group[ref.slug].append(item)
        self.groups = list(groups)
        self.weeks = list(weeks)
        # An event's page answers under every UID it was published under, merged copies' included.
        self._by_uid = {uid: item for item in self.listings for uid in (*item.aliases, item.uid)}
        self._by_series: dict[str, list[Listing]] = defaultdict(list)
        for item in self.listings:
            if item.series:
                self._by_series[item.series].append(item)
        self._groups = {g.slug: g for g in self.groups}
        self._weeks = {w.slug: w for w in self.weeks}
        self.outputs = Outputs()
        self.hidden = hidden   # the published UIDs and the series keys organisers hid
        self._index: SearchIndex | None = None
        self._index_lock = threading.Lock()
        self.basis: Basis | None = None   # what it was built from, for `updated` (handed on, so one catalogue's)
        self.changed: list[Listing] = []  # after `updated`: the listings taken out and put in

    @property
    def index_built(self) -> bool:
        """Whether `index` is built already (asking for it is then cheap)."""
        return self._index is not None

    @property
    def index(self) -> SearchIndex:
        """The words and tags of every listing (`search.SearchIndex`), built by the first search that needs it."""
        if self._index is None:
            with self._index_lock:
                if self._index is None:
                    self._index = SearchIndex(self.listings)
        return self._index

    def group(self, slug: str) -> GroupInfo | None:
        return self._groups.get(slug)

    def week(self, slug: str) -> WeekInfo | None:
        return self._weeks.get(slug)

    def by_uid(self, uid: str) -> Listing | None:
        """The listing published as `uid`, or the one a copy published as `uid` was merged into."""
        return self._by_uid.get(uid)

    def series_of(self, listing: Listing) -> list[Listing]:
        """Every occurrence of the source event `listing` is one of, in time order (itself included)."""
        return list(self._by_series.get(listing.series, [listing])) if listing.series else [listing]

    def regions(self) -> list[str]:
        """The regions that have listings, sorted."""
        return sorted({item.region for item in self.listings if item.region})

    def find(self, *, week: str | None = None, group: str | None = None, region: str | None = None,
             start: date | None = None, end: date | None = None, after: datetime | None = None,
             near: Near | None = None, limit: int | None = None, tag: str | None = None,
             text: str | None = None) -> list[Listing]:
        """Listings matching every filter given, in time order.

        `start`/`end` are days in the hub's zone (inclusive): a listing is kept when it overlaps them.
        `after` keeps listings that have not ended by that instant; `near` keeps those placed within
        its radius; `limit` stops after that many; `tag` keeps those carrying it and `text` those holding
        every word of it (`search`).
        """
        items: Sequence[Listing] = self.listings
        words = query_words(text) if text else ()
        if tag is not None or words:
            items = self.index.select(words, tag)
            if week is not None:
                items = [item for item in items if week in item.weeks]
        elif week is not None:
            items = self._by_week.get(week, [])
        if group is not None:
            items = self._by_group.get(group, []) if items is self.listings else [
                item for item in items if any(g.slug == group for g in item.groups)]
        if end is not None:
            boundary = local_midnight(end + timedelta(days=1), self.zone)
            items = items[:bisect.bisect_left(items, boundary, key=lambda item: item.start)]
        floor = after
        if start is not None:
            day = local_midnight(start, self.zone)
            floor = day if floor is None else max(floor, day)
        region_folded = region.casefold() if region else None
        kept = (
            item for item in items
            if (floor is None or item.end > floor or (item.end == item.start and item.start >= floor))
            and (region_folded is None or item.region.casefold() == region_folded)
            and (near is None or near.holds(item))
        )
        return list(itertools.islice(kept, limit))

    def succeed(self, previous: Catalogue, *, stale_seconds: float) -> None:
        """Take over from `previous` (the version before), whose outputs may be served while ours are built.

        Not when an organiser hid or showed an event since, nor when the hub's identity changed: that must show at
        once, in every output.
        """
        same = self.hidden == previous.hidden and self.site == previous.site
        self.outputs = Outputs(previous.outputs, stale_seconds=stale_seconds if same else 0.0)

    def updated(self, feeds: Collection[int], fresh: Sequence[Any], *, version: int, built_at: datetime,
                stale_seconds: float) -> Catalogue:
        """A new catalogue of `version`: this one with the events of `feeds` replaced by `fresh` (their rows as
        stored now, `update`).  This one is left as it was for those still reading it, but gives its `basis` to the
        new one (and so can be updated no more).  Outputs that hold none of the listings changed are carried over, and
        so is the search index, when it was built, updated for the listings changed (`SearchIndex.updated`).
        """
        basis, self.basis = self.basis, None   # were the update to fail half-way, nobody uses the basis again
        if basis is None:
            raise ValueError("this catalogue was updated already, or built without a basis")
        removed, added = basis.update(feeds, fresh)
        new = copy.copy(self)
        added.sort(key=_order)
        new.version, new.built_at = version, built_at
        new.listings = _merged(self.listings, removed, added)
        new._by_week = _reindexed(self._by_week, removed, added, lambda item: item.weeks)
        new._by_group = _reindexed(self._by_group, removed, added, lambda item: [g.slug for g in item.groups])
        new._by_series = _reindexed(self._by_series, removed, added, lambda item: [item.series] if item.series else [])
        by_uid = dict(self._by_uid)
        for item in removed:
            for uid in (*item.aliases, item.uid):
                if by_uid.get(uid) is item:
                    del by_uid[uid]
        by_uid.update((uid, item) for item in added for uid in (*item.aliases, item.uid))
        new._by_uid = by_uid
        # The search index is carried over (the words of the listings changed only), or left for the first search.
        index = self._index
        new._index = index.updated(new.listings, removed, added) if index is not None else None
        new._index_lock = threading.Lock()
        changed = [*removed, *added]
        new.outputs = Outputs(self.outputs, stale_seconds=stale_seconds,
                              keeps=lambda key: untouched(key, changed, self.zone))
        new.basis, new.changed = basis, changed
        return new

    def cached(self, key: tuple[Any, ...]) -> Output | None:
        """The output already built for `key`, if any (cheap: no lock, no build)."""
        return self.outputs.cached(key)

    def stale(self, key: tuple[Any, ...]) -> Output | None:
        """An earlier version's output for `key`, recent enough to serve while it is rebuilt (see `outputs`)."""
        return self.outputs.stale(key)

    def output(self, key: tuple[Any, ...], build: Callable[[], tuple[bytes, str]]) -> Output:
        """The cached output for `key`, built by `build() -> (body, media type)` the first time (by one thread)."""
        return self.outputs.get(key, build)

    def rebuild_later(self, key: tuple[Any, ...], build: Callable[[], tuple[bytes, str]]) -> None:
        """Build the output for `key` in the background (after serving a stale one)."""
        self.outputs.rebuild_later(key, build)


def _order(item: Listing) -> tuple[datetime, str]:
    return item.start, item.uid


def _merged(items: list[Listing], gone: Sequence[Listing], added: Sequence[Listing]) -> list[Listing]:
    """`items` (in `_order`) without `gone`, with `added` (in `_order`) put in place, each after the equal ones
    already there."""
    kept = _without(items, gone) if gone else list(items)
    if not added:
        return kept
    merged: list[Listing] = []
    at = 0
    for item in added:
        cut = bisect.bisect_right(kept, _order(item), lo=at, key=_order)
        merged.extend(kept[at:cut])
        merged.append(item)
        at = cut
    merged.extend(kept[at:])
    return merged


def _without(items: list[Listing], gone: Sequence[Listing]) -> list[Listing]:
    """`items` (in `_order`) without `gone` (listings among them): each found by bisection and the rest copied in
    slices; a pass in Python over a million listings took a large part of an update."""
    at: list[int] = []
    for item in gone:
        place = bisect.bisect_left(items, _order(item), key=_order)
        while place < len(items) and items[place] is not item and _order(items[place]) == _order(item):
            place += 1
        if place == len(items) or items[place] is not item:
            ids = {id(item) for item in gone}   # not where its order puts it: look at every listing
            return [item for item in items if id(item) not in ids]
        at.append(place)
    kept: list[Listing] = []
    start = 0
    for place in sorted(set(at)):
        kept.extend(items[start:place])
        start = place + 1
    kept.extend(items[start:])
    return kept


def _reindexed(index: dict[str, list[Listing]], removed: Sequence[Listing], added: Sequence[Listing],
               keys: Callable[[Listing], Iterable[str]]) -> dict[str, list[Listing]]:
    """A copy of `index` (lists in `_order`) with the lists of the keys that changed made again; the others shared."""
    if not removed and not added:
        return index
    new: dict[str, list[Listing]] = defaultdict(list, index)
    touched: dict[str, list[Listing]] = defaultdict(list)
    gone: dict[str, list[Listing]] = defaultdict(list)
    for item in added:
        for key in keys(item):
            touched[key].append(item)
    for item in removed:
        for key in keys(item):
            touched.setdefault(key, [])
            gone[key].append(item)
    for key, fresh in touched.items():
        new[key] = _merged(index.get(key, []), gone.get(key, ()), fresh)
        if not new[key]:
            del new[key]
    return new


def build_catalogue(*, session: Session, zone: ZoneInfo, now: datetime, keep_days: int) -> Catalogue:
    """Read the store and build the catalogue of everything that ends after `now - keep_days`."""
    version = store.current_version(session=session)
    group_rows = store.active_groups(session=session)
    groups = [GroupInfo(slug=g.slug, name=g.name, website=g.website, home=g.home, region=g.region,
                        lat=g.lat, lon=g.lon, place=home_place(g.home, g.lat, g.lon), contact=g.contact,
                        services=tuple(g.services), description=g.description, areas=tuple(g.areas))
              for g in group_rows]
    by_id = {g.id: info for g, info in zip(group_rows, groups, strict=True)}
    weeks = [week_info(w) for w in store.active_weeks(session=session)]
    since = now - timedelta(days=keep_days)
    rows = store.occurrence_rows(session=session, since=since)
    return assemble(rows, version=version, built_at=now, since=since, zone=zone, groups=by_id, weeks=weeks,
                    looked_up=geocoded(session),
                    # Series keys hold a \x1f, which no published UID does: one set serves both.
                    hidden=store.hidden_uids(session=session) | store.hidden_series_keys(session=session),
                    decided=store.merge_decisions(session=session),  # organisers' word on duplicates comes first
                    site=store.stored_site(session=session))


def assemble(rows: Sequence[Any], *, version: int, built_at: datetime, since: datetime, zone: ZoneInfo,
             groups: Mapping[int | None, GroupInfo], weeks: Sequence[WeekInfo], looked_up: Mapping[str, Place],
             hidden: frozenset[str], decided: Decisions, site: SiteSpec) -> Catalogue:
    """The catalogue of the stored occurrences `rows` (`store.occurrence_rows` of the window from `since`) of the
    active `groups` (by id, in the registry's order): merged, placed, matched to `weeks`.  No SQL: what it needs
    of the store is read by `build_catalogue`; the catalogue keeps what `Catalogue.updated` needs (`basis`)."""
    by_id = dict(groups)
    rules = [week_rule(w, zone) for w in weeks]
    names = {group_id: (info.name,) for group_id, info in by_id.items()}
    candidates = [candidate(row.id, row, names.get(row.group_id, ())) for row in rows]

    def make(members: Sequence[Any]) -> Listing | None:
        item = make_listing(members, by_id, rules, looked_up)
        # hidden by an organiser: out of every output (a merged event by the UID it is published under)
        if hidden and (item.uid in hidden or item.series in hidden):
            return None
        return item

    by_row = {row.id: row for row in rows}
    made = [(tuple(members), make([by_row[i] for i in members])) for members in clusters(candidates, decided)]
    listings = [item for _members, item in made if item is not None]
    built = Catalogue(version=version, built_at=built_at, zone=zone, listings=listings, groups=list(by_id.values()),
                      weeks=weeks, hidden=hidden, site=site)
    built.basis = Basis(rows, made, make=make, names=names, decided=decided, since=since, built=time.monotonic())
    return built


def week_info(week: Any) -> WeekInfo:
    """A stored week (a `models.Week`) as the pages show it."""
    return WeekInfo(slug=week.slug, name=week.name, start=week.start_date, end=week.end_date, tags=tuple(week.tags),
                    description=week.description, groups=tuple(week.groups), featured=tuple(week.featured),
                    included=tuple(week.included), excluded=tuple(week.excluded))


def week_rule(week: WeekInfo, zone: ZoneInfo) -> WeekRule:
    """What matching needs of a week, the events included and excluded by hand with it."""
    return WeekRule.of(week.slug, week.start, week.end, week.tags, week.groups, zone,
                       included=week.included, excluded=week.excluded)
