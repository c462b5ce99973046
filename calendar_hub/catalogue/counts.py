"""What the hub counts as a "local action", in one place: the week pages, the map's summary and the console's
coverage page and exports all count with `tally`, so their figures agree.

A listing is exactly one of: "cancelled" (called off: never counted as action), "online" (its location line
says it happens on the web and the feed gave no coordinates: counted apart), or a "local action" (everything
else, placed or not).  The regions of a tally are the named regions of its local actions: "Region not given"
is not a region.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from calendar_hub.catalogue.listing import Listing
from calendar_hub.places import online

Kind = Literal["local action", "online", "cancelled"]
LOCAL: Kind = "local action"
ONLINE: Kind = "online"
CANCELLED: Kind = "cancelled"


def is_online(listing: Listing) -> bool:
    """Whether an event happens online: the places' test on its location line, unless the feed placed it."""
    return listing.lat is None and bool(listing.location) and online(listing.location)


def kind(listing: Listing) -> Kind:
    """How a listing is counted: "cancelled" first, then "online", else "local action"."""
    if listing.cancelled:
        return CANCELLED
    return ONLINE if is_online(listing) else LOCAL


@dataclass(frozen=True, slots=True)
class Tally:
    """The counts of a set of listings: local actions, online events, cancelled ones, and the regions."""

    local: int = 0
    online: int = 0
    cancelled: int = 0
    regions: int = 0

    @property
    def counted(self) -> int:
        """Local actions and online events together: what happens, cancelled events left out."""
        return self.local + self.online


def tally(listings: Iterable[Listing]) -> Tally:
    """The `Tally` of `listings` (regions compared without case: "north west" is "North West")."""
    local = online_count = cancelled = 0
    regions: set[str] = set()
    for item in listings:
        counted_as = kind(item)
        if counted_as == LOCAL:
            local += 1
            if item.region:
                regions.add(item.region.casefold())
        elif counted_as == ONLINE:
            online_count += 1
        else:
            cancelled += 1
    return Tally(local=local, online=online_count, cancelled=cancelled, regions=len(regions))
