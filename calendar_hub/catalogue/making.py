"""Making a listing from the stored occurrences of one event: the primary copy, the groups credited, its place.

Kept apart from the catalogue itself (`calendar_hub.catalogue`, which re-exports these names): a full build and an
update for changed feeds (`update`) make listings with the same function.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from calendar_hub.catalogue.listing import GroupInfo, Listing
from calendar_hub.catalogue.weeks import WeekRule, selectors, weeks_of
from calendar_hub.ingest.geocode import lookup_key
from calendar_hub.places import Place, online, resolver

__all__ = ["home_place", "make_listing", "newest", "place_of"]


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
