"""The catalogue: an in-memory snapshot of everything published, rebuilt once per change.

`build_catalogue` reads the stored occurrences, merges duplicates across feeds, places them,
matches them to weeks and returns a `Catalogue` of `Listing`s.  Every output (ICS, JSON, pages)
is made from it, and each built body is cached on it, so a request costs a dictionary lookup
until the next change; a new version of the data gets a new catalogue and an empty cache.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from calendar_hub import store
from calendar_hub.catalogue.listing import GroupRef, Listing
from calendar_hub.catalogue.merge import candidate, clusters
from calendar_hub.catalogue.outputs import OUTPUTS_KEPT, Output, Outputs
from calendar_hub.catalogue.search import SearchIndex, query_words
from calendar_hub.catalogue.weeks import WeekRule, local_midnight, selectors, weeks_of
from calendar_hub.ingest.geocode import geocoded, lookup_key
from calendar_hub.places import Place, km_between, online, resolver
from calendar_hub.site import SiteSpec
from calendar_hub.store import Session

__all__ = [
    "Catalogue", "GroupInfo", "Near", "OUTPUTS_KEPT", "Output", "WeekInfo",
    "build_catalogue", "home_place", "make_listing", "newest", "place_of", "week_info", "week_rule",
    "counts", "days", "hub", "listing", "merge", "outputs", "search", "weeks",
]

@dataclass(frozen=True, slots=True)
class GroupInfo:
    """A member group as the public pages show it; `place` is its home, when the hub can place it.

    `region` is the registry's own region for the group, which overrides the region of its events' places.
    """

    slug: str
    name: str
    website: str
    home: str
    region: str
    lat: float | None
    lon: float | None
    place: Place | None = None
    contact: str = ""
    services: tuple[str, ...] = ()     # slugs of calendar_hub.services, in the registry's order
    description: str = ""
    areas: tuple[str, ...] = ()

    @property
    def ref(self) -> GroupRef:
        return GroupRef(slug=self.slug, name=self.name, website=self.website)

    @property
    def home_region(self) -> str:
        """The region the group is listed under: the registry's, else that of its home."""
        return self.region or (self.place.region if self.place else "")


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
    rules = [week_rule(w, zone) for w in weeks]
    rows = store.occurrence_rows(session=session, since=now - timedelta(days=keep_days))
    looked_up = geocoded(session)
    # Series keys hold a \x1f, which no published UID does: one set serves both (and `succeed` compares both).
    hidden = store.hidden_uids(session=session) | store.hidden_series_keys(session=session)
    decided = store.merge_decisions(session=session)  # organisers' word on suspected duplicates comes first
    names = {group_id: (info.name,) for group_id, info in by_id.items()}
    candidates = [candidate(i, row, names.get(row.group_id, ())) for i, row in enumerate(rows)]
    listings = [make_listing([rows[i] for i in members], by_id, rules, looked_up)
                for members in clusters(candidates, decided)]
    if hidden:  # hidden by an organiser: out of every output (a merged event by the UID it is published under)
        listings = [item for item in listings if item.uid not in hidden and item.series not in hidden]
    return Catalogue(version=version, built_at=now, zone=zone, listings=listings, groups=groups, weeks=weeks,
                     hidden=hidden, site=store.stored_site(session=session))


def week_info(week: Any) -> WeekInfo:
    """A stored week (a `models.Week`) as the pages show it."""
    return WeekInfo(slug=week.slug, name=week.name, start=week.start_date, end=week.end_date, tags=tuple(week.tags),
                    description=week.description, groups=tuple(week.groups), featured=tuple(week.featured),
                    included=tuple(week.included), excluded=tuple(week.excluded))


def week_rule(week: WeekInfo, zone: ZoneInfo) -> WeekRule:
    """What matching needs of a week, the events included and excluded by hand with it."""
    return WeekRule.of(week.slug, week.start, week.end, week.tags, week.groups, zone,
                       included=week.included, excluded=week.excluded)


def make_listing(rows: Sequence[Any], groups: dict[int | None, GroupInfo], rules: Sequence[WeekRule],
                 looked_up: Mapping[str, Place] | None = None) -> Listing:
    """One listing from the stored occurrences of one event (one row, or several merged).

    The row seen first (then the lowest id) is the primary: its UID is kept, so the published
    UID does not change when a co-host starts publishing the same event.  Copies of one calendar
    entry (one published UID) in several feeds count as the newest of them (`newest`); the groups
    of every copy are credited.  Blank fields are filled from the others; it is cancelled only
    when every publisher says so.
    """
    seen = sorted(rows, key=lambda r: (r.created_at, r.id)) if len(rows) > 1 else rows
    ordered = newest(seen) if len(rows) > 1 else seen
    primary = ordered[0]
    credited: list[GroupInfo] = []
    for row in seen:
        info = groups.get(row.group_id)
        if info is not None and info not in credited:
            credited.append(info)

    def first(name: str) -> Any:
        if len(ordered) == 1:
            return getattr(primary, name)
        return next((getattr(r, name) for r in ordered if getattr(r, name)), getattr(primary, name))

    place = place_of(ordered, credited, looked_up or {})
    categories: list[str] = []
    for row in ordered:
        categories.extend(c for c in row.categories if c not in categories)
    status = "CANCELLED" if all(r.status == "CANCELLED" for r in ordered) else \
        ("TENTATIVE" if primary.status == "TENTATIVE" else "CONFIRMED")
    lead = credited[0] if credited else None
    tags = selectors(primary.title, first("description_text"), categories)
    return Listing(
        uid=primary.uid, sequence=max(r.sequence for r in seen), title=primary.title,
        start=primary.start_at, end=primary.end_at, all_day=primary.all_day, start_date=primary.start_date,
        end_date=primary.end_date, status=status, description_html=first("description_html"),
        description_text=first("description_text"), location=first("location"), url=first("url"),
        categories=tuple(categories), lat=place.lat if place else None, lon=place.lon if place else None,
        place_precision=place.precision if place else "none", placed_by=place.placed_by if place else "",
        place_note=place.note() if place else "", nation=place.nation if place else "",
        region=(lead.region if lead and lead.region else "") or (place.region if place else ""),
        town=place.town if place else "",
        groups=tuple(g.ref for g in credited),
        weeks=weeks_of(primary.start_at, primary.end_at, tags, [g.slug for g in credited], rules, uid=primary.uid),
        created=min(r.created_at for r in seen), updated=max(r.updated_at for r in seen),
        aliases=tuple(sorted({r.uid for r in seen} - {primary.uid})),
        series=f"{primary.feed_id}\x1f{primary.source_uid}",
    )


def newest(rows: Sequence[Any]) -> list[Any]:
    """`rows` (in the order seen) with the copies under one published UID replaced by the newest of them, in the
    place of the copy seen first: the highest source SEQUENCE, then DTSTAMP, then LAST-MODIFIED (RFC 5546 2.1.5),
    then the one seen first."""
    copies: dict[str, list[Any]] = {}
    for row in rows:
        copies.setdefault(row.uid, []).append(row)
    if len(copies) == len(rows):
        return list(rows)
    return [max(same, key=_revision) if len(same) > 1 else same[0] for same in copies.values()]


def _revision(row: Any) -> tuple[Any, ...]:
    """How new a copy is: its SEQUENCE, DTSTAMP and LAST-MODIFIED as its feed wrote them (unknown ones oldest)."""
    stamp, modified = getattr(row, "source_stamp", None), getattr(row, "source_modified", None)
    return (row.source_sequence, stamp is not None, stamp or 0, modified is not None, modified or 0)


def place_of(rows: Sequence[Any], groups: Sequence[GroupInfo], looked_up: Mapping[str, Place] | None = None,
             ) -> Place | None:
    """Where a listing goes on the map: the feed's coordinates, else its location line read offline, else
    what the online geocoder found for that line (`looked_up`, by `lookup_key`), else its group's home.

    An online event stays off the map; one whose line names no known place goes to the home of
    the first credited group that has one, marked approximate.
    """
    placed = next((r for r in rows if r.lat is not None and r.lon is not None), None)
    if placed is not None:
        return _located(round(placed.lat, 5), round(placed.lon, 5))
    home = next((g.place for g in groups if g.place is not None), None)
    for row in rows:
        if row.location:
            found = _resolved(row.location, home)
            if found is not None:
                return found
    for row in rows:
        if row.location and looked_up:
            found = looked_up.get(lookup_key(row.location))
            if found is not None:
                return found
    if any(row.location and online(row.location) for row in rows):
        return None
    return home


@functools.lru_cache(maxsize=65_536)
def _resolved(location: str, home: Place | None) -> Place | None:
    """Location lines repeat across a series' occurrences and across rebuilds: each is read once."""
    return resolver().resolve(location, hint=home)


def _located(lat: float, lon: float) -> Place:
    """Coordinates from a feed, with the nation, region and town of the kilometre square they fall in."""
    area = _area_of(round(lat, 2), round(lon, 2))
    return Place(lat, lon, area.placed_by, area.radius_km, area.label, area.nation, area.region, area.town)


@functools.lru_cache(maxsize=65_536)
def _area_of(lat: float, lon: float) -> Place:
    return resolver().locate(lat, lon)


def home_place(home: str, lat: float | None, lon: float | None) -> Place | None:
    """A group's home as a place for its events of last resort: its registry coordinates, else its home named."""
    if lat is not None and lon is not None:
        return dataclasses.replace(resolver().locate(lat, lon, placed_by="group", label=home), radius_km=5.0)
    found = resolver().resolve(home) if home else None
    if found is None:
        return None
    return dataclasses.replace(found, placed_by="group", label=home, radius_km=max(found.radius_km, 5.0))
