"""What the publishers read: the events as the public sees them, after merging and week matching.

A `Listing` is one published event: duplicates from several feeds merged into one,
credited to every group that publishes it, placed, and tagged with the weeks it belongs to.
Publishers (ICS, JSON, GeoJSON, Atom, pages) take sequences of these and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from calendar_hub.places import Place


@dataclass(frozen=True, slots=True)
class GroupRef:
    """A group as credited on an event."""

    slug: str
    name: str
    website: str = ""


@dataclass(frozen=True, slots=True)
class Listing:
    """One published event occurrence.

    `uid` is stable across refreshes; `sequence` grows whenever the published content changes.
    `start`/`end` are aware UTC; all-day events also carry `start_date`/`end_date` (end exclusive).
    `placed_by` says how it was placed ("coordinates", "postcode", "town", "geocoder", "group" or
    "" when it is not on the map) and `place_note` says so in words; `place_precision` is "exact"
    (the feed gave coordinates), "area" (a postcode or town), "approximate" (the group's home, or a
    wide or ambiguous name) or "none".  `nation`, `region` (ITL1) and `town` come from the place.
    `aliases` are the published UIDs of the copies merged into it (its page answers under them too);
    `series` names the source event it is an occurrence of (the same for every occurrence of a series).
    """

    uid: str
    sequence: int
    title: str
    start: datetime
    end: datetime
    all_day: bool
    start_date: date | None
    end_date: date | None
    status: str
    description_html: str
    description_text: str
    location: str
    url: str
    categories: tuple[str, ...]
    lat: float | None
    lon: float | None
    place_precision: str
    region: str
    town: str
    groups: tuple[GroupRef, ...]
    weeks: tuple[str, ...]
    created: datetime
    updated: datetime
    nation: str = ""
    placed_by: str = ""
    place_note: str = ""
    aliases: tuple[str, ...] = ()
    series: str = ""

    @property
    def cancelled(self) -> bool:
        """Whether the organisers called it off (RFC 5545 3.8.1.11 STATUS:CANCELLED)."""
        return self.status == "CANCELLED"


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
