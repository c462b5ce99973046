"""Places: where events happen, read offline from their location lines, for the map, regions and "near me".

`resolver()` gives the process-wide `Resolver` over the shipped data (read on first use).
"""

from __future__ import annotations

import functools

from calendar_hub.places.data import km_between, place_data
from calendar_hub.places.names import local_name
from calendar_hub.places.resolve import Place, Resolver, online, translated_note

__all__ = ["Place", "Resolver", "km_between", "local_name", "online", "resolver", "translated_note"]


@functools.cache
def resolver() -> Resolver:
    """The resolver over the shipped place data, built once per process."""
    return Resolver(place_data())
