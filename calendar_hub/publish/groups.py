"""The group directory: the catalogue's groups chosen by region, service and distance, and as JSON and GeoJSON.

`directory` picks the entries; the pages, `/groups.geojson` and `/api/groups.json` all show what it picks, so the
list and the map always agree. A group is placed at its home (`GroupInfo.place`: its registry coordinates, else
its home named); one the hub cannot place is listed, never on the map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from calendar_hub import services
from calendar_hub.catalogue import Catalogue, GroupInfo
from calendar_hub.places import Place, km_between
from calendar_hub.publish.api import dumps, group_url

__all__ = ["Entry", "directory", "entry_to_dict", "groups_geojson", "groups_json", "regions", "upcoming_counts"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One group of the directory: its upcoming events and, for a near-me search, how far its home is."""

    group: GroupInfo
    upcoming: int
    km: float | None = None

    @property
    def placed(self) -> bool:
        return self.group.place is not None


def upcoming_counts(catalogue: Catalogue, now: datetime) -> dict[str, int]:
    """How many events each group has that have not ended by `now`, by group slug."""
    counts: dict[str, int] = {}
    for item in catalogue.find(after=now):
        for group in item.groups:
            counts[group.slug] = counts.get(group.slug, 0) + 1
    return counts


def directory(catalogue: Catalogue, *, now: datetime, region: str | None = None, service: str | None = None,
              origin: Place | None = None, km: float | None = None) -> list[Entry]:
    """The groups matching every filter given: in the region (as listed, case aside), offering the service, with a
    home within `km` of `origin`. By name; by distance, nearest first, with `origin`."""
    counts = upcoming_counts(catalogue, now)
    folded = region.casefold() if region else None
    entries = []
    for group in sorted(catalogue.groups, key=lambda g: (g.name.casefold(), g.slug)):
        if folded is not None and group.home_region.casefold() != folded:
            continue
        if service is not None and service not in group.services:
            continue
        distance = None
        if origin is not None:
            if group.place is None:
                continue
            distance = km_between(origin.lat, origin.lon, group.place.lat, group.place.lon)
            if km is not None and distance > km:
                continue
        entries.append(Entry(group=group, upcoming=counts.get(group.slug, 0), km=distance))
    if origin is not None:
        entries.sort(key=lambda e: e.km or 0.0)   # stable: groups as far away stay by name
    return entries


def regions(catalogue: Catalogue) -> list[str]:
    """The regions groups are listed under, sorted."""
    return sorted({g.home_region for g in catalogue.groups if g.home_region})


def entry_to_dict(entry: Entry, *, base_url: str) -> dict[str, object]:
    """The public shape of one group: who, where, what it does, its events to come and its page on the hub.

    Service labels are given in every language the site speaks (`labels`), `label` in English; `km` only
    with a near-me search.
    """
    group = entry.group
    place = group.place
    shape: dict[str, object] = {
        "slug": group.slug,
        "name": group.name,
        "url": group_url(base_url, group.slug),
        "calendar": f"{base_url.rstrip('/')}/groups/{group.slug}.ics",
        "website": group.website,
        "contact": group.contact,
        "home": group.home,
        "region": group.home_region,
        "services": [{"slug": slug, "label": services.SERVICES[slug], "labels": services.labels(slug)}
                     for slug in group.services if services.known(slug)],
        "description": group.description,
        "areas": list(group.areas),
        "upcoming": entry.upcoming,
        "lat": round(place.lat, 6) if place else None,
        "lon": round(place.lon, 6) if place else None,
    }
    if entry.km is not None:
        shape["km"] = round(entry.km, 1)
    return shape


def groups_json(entries: Sequence[Entry], *, base_url: str) -> bytes:
    """{"groups": [...], "count": n} in the directory's order."""
    groups = [entry_to_dict(e, base_url=base_url) for e in entries]
    return dumps({"groups": groups, "count": len(groups)})


def groups_geojson(entries: Sequence[Entry], *, base_url: str) -> bytes:
    """An RFC 7946 FeatureCollection: one Point per placed group, at its home, in the directory's order."""
    features = []
    for entry in entries:
        properties = entry_to_dict(entry, base_url=base_url)
        lat, lon = properties.pop("lat"), properties.pop("lon")
        if lat is None or lon is None:
            continue
        features.append({"type": "Feature", "id": entry.group.slug,
                         "geometry": {"type": "Point", "coordinates": [lon, lat]},  # RFC 7946 3.1.1: lon first
                         "properties": properties})
    return dumps({"type": "FeatureCollection", "features": features})
