"""Where an event happens: its location (Place, PostalAddress, text, VirtualLocation) and coordinates."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from calendar_hub.ingest.sanitize import clean_url
from calendar_hub.ingest.sources import plausible_point
from calendar_hub.ingest.sources.eventpage.schema import one_line, schema_get, schema_types, text_of

_ONLINE_WORDS = frozenset({"online", "online event", "virtual", "zoom"})


@dataclass(slots=True)
class Place:
    """Where an event happens, field by field so two descriptions of one event can be merged."""

    name: str = ""
    street: str = ""
    locality: str = ""
    postcode: str = ""
    text: str = ""                 # a location given as plain text
    lat: float | None = None
    lon: float | None = None
    online: bool = False           # a VirtualLocation, or an online attendance mode

    def line(self) -> str:
        """"Name, street, locality, postcode" on one line, each part once; "Online" for a place on the web."""
        kept: list[str] = []
        address: list[str] = []
        for value, in_address in ((self.name, False), (self.street, True), (self.locality, True),
                                  (self.postcode, True), (self.text, True)):
            for part in re.split(r"\s*[\n,]\s*", value[:1000])[:10]:
                part = " ".join(part.split())[:200]  # no place needs more, and _said stays cheap
                # A town or postcode already in the street ("12 Example Lane London SW9 8QZ") is said once;
                # the town in a venue's name ("Hilltown Library") is not its address.
                if not part or clean_url(part) or part.casefold() in {k.casefold() for k in kept} \
                        or any(_said(part, earlier) for earlier in address):
                    continue
                kept.append(part)
                if in_address:
                    address.append(part)
        if not kept and self.online:
            return "Online"
        joined = ", ".join(kept)
        return "Online" if joined.casefold() in _ONLINE_WORDS else joined


def _said(part: str, earlier: str) -> bool:
    """Whether a place's part is already in an earlier part as whole words ("London" in "1 High St London E1")."""
    return re.search(rf"(?<!\w){re.escape(part)}(?!\w)", earlier, re.IGNORECASE) is not None


def place_of(node: dict[str, Any]) -> Place:
    """The event's location (Place, PostalAddress, text, VirtualLocation) and coordinates."""
    place = Place()
    locations = schema_get(node, "location")
    for location in (locations if isinstance(locations, list) else [locations])[:10]:
        if isinstance(location, str):
            if clean_url(location.strip()):
                place.online = True  # a bare URL is where to join online
            elif not place.text and not place.name:
                place.text = one_line(", ".join(text_of(location).splitlines()))
        elif isinstance(location, dict):
            _read_location(location, place)
    mode = re.split(r"[/#:]", text_of(schema_get(node, "eventAttendanceMode")).strip())[-1]
    if mode == "OnlineEventAttendanceMode":
        # Online only: a Place given as well is the organiser's office or a placeholder.
        return Place(online=True)
    if place.lat is None:
        place.lat, place.lon = _point(schema_get(node, "geo"))
    return place


def _read_location(location: dict[str, Any], place: Place) -> None:
    """Fill `place` from one location object, unless a physical place was already read."""
    types = schema_types(location)
    if "VirtualLocation" in types:
        place.online = True
        return
    if place.name or place.street or place.text:
        return  # the first physical place is the event's
    address = schema_get(location, "address")
    address = address[0] if isinstance(address, list) and address else address
    if "PostalAddress" in types or (not types and schema_get(location, "streetAddress") is not None):
        address = location
    else:
        name = one_line(text_of(schema_get(location, "name")))
        # Microdata reads a name written as a link (Gancio's <a itemprop="name">) as the link's href.
        place.name = "" if clean_url(name) else name
    if isinstance(address, dict):
        place.street = one_line(text_of(schema_get(address, "streetAddress")))
        place.locality = one_line(text_of(schema_get(address, "addressLocality")))
        place.postcode = one_line(text_of(schema_get(address, "postalCode")))
    elif isinstance(address, str):
        place.street = one_line(", ".join(text_of(address).splitlines()))  # a postal address's lines
    geo = schema_get(location, "geo")
    if geo is None and schema_get(location, "latitude") is not None:
        geo = {"latitude": schema_get(location, "latitude"), "longitude": schema_get(location, "longitude")}
    place.lat, place.lon = _point(geo)


def _point(geo: Any) -> tuple[float | None, float | None]:
    """(lat, lon) from GeoCoordinates (numbers or strings) or "lat;lon" text; None if absent or implausible."""
    geo = geo[0] if isinstance(geo, list) and geo else geo
    if isinstance(geo, dict):
        raw_lat, raw_lon = text_of(schema_get(geo, "latitude")), text_of(schema_get(geo, "longitude"))
    elif isinstance(geo, str) and re.fullmatch(r"\s*-?[\d.]+\s*[;,]\s*-?[\d.]+\s*", geo):
        raw_lat, raw_lon = re.split(r"[;,]", geo)
    else:
        return None, None
    try:
        lat, lon = float(raw_lat), float(raw_lon)
    except ValueError:
        return None, None
    if math.isfinite(lat) and math.isfinite(lon) and plausible_point(lat, lon):
        return lat, lon
    return None, None
