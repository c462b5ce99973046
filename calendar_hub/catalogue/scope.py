"""What a built output can hold: the listings a change must touch before the output has to be built again.

An output's cache key carries its `Scope` (web/public makes it from the request's filters), so the cache can tell,
when a feed's events change, which outputs still hold what they held: a week's ICS is built again only when one of
the listings that changed is, or was, in that week.  A scope answers conservatively: `may_hold` is True for every
listing the output could hold (words and tags are not read: an output filtered by them counts as holding
everything its other filters let through).  A key without a scope is made again after every change.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from calendar_hub.catalogue.listing import Listing
from calendar_hub.catalogue.weeks import local_midnight
from calendar_hub.places import km_between

__all__ = ["Scope", "scopes_of", "untouched"]


@dataclass(frozen=True, slots=True)
class Scope:
    """The filters of an output as far as they select listings; None (or empty) means "any"."""

    week: str | None = None
    group: str | None = None
    region: str | None = None              # folded
    start: date | None = None              # days in the hub's zone, inclusive
    end: date | None = None
    near: tuple[float, float, float] | None = None   # lat, lon, km
    words: Hashable = None                 # tag and text: part of the key, not read by `may_hold`
    uid: str | None = None                 # one event's output: the listing published (or merged) under it

    def may_hold(self, item: Listing, zone: ZoneInfo) -> bool:
        """Whether an output of this scope could hold `item` (never False for one it holds)."""
        if self.uid is not None and self.uid != item.uid and self.uid not in item.aliases:
            return False
        if self.week is not None and self.week not in item.weeks:
            return False
        if self.group is not None and all(g.slug != self.group for g in item.groups):
            return False
        if self.region is not None and item.region.casefold() != self.region:
            return False
        if self.end is not None and item.start >= local_midnight(self.end + timedelta(days=1), zone):
            return False
        if self.start is not None and not _after(item, local_midnight(self.start, zone)):
            return False
        if self.near is not None:
            lat, lon, km = self.near
            # A margin over `Near.holds`: the key rounds the point to 5 decimals (a metre).
            if item.lat is None or item.lon is None or km_between(lat, lon, item.lat, item.lon) > km + 0.01:
                return False
        return True


def _after(item: Listing, floor: datetime) -> bool:
    return item.end > floor or (item.end == item.start and item.start >= floor)


def scopes_of(key: tuple[object, ...]) -> list[Scope]:
    """The scopes a cache key names (none: the key depends on anything)."""
    return [part for part in key if isinstance(part, Scope)]


def untouched(key: tuple[object, ...], changed: Iterable[Listing], zone: ZoneInfo) -> bool:
    """Whether the output under `key` holds none of the `changed` listings, as they were or are."""
    scopes = scopes_of(key)
    return bool(scopes) and not any(scope.may_hold(item, zone) for scope in scopes for item in changed)
