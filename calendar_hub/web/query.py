"""Reading the filters that every listing endpoint accepts: week, group, region, tag, start, end, near and km, and q
(words to search for, `catalogue.search`; "English classes in Leeds" reads as q=English classes, near=Leeds)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

from calendar_hub.catalogue import Catalogue, Near
from calendar_hub.catalogue.listing import Listing
from calendar_hub.catalogue.scope import Scope
from calendar_hub.catalogue.search import MAX_QUERY, place_phrase
from calendar_hub.catalogue.weeks import normalise_tag
from calendar_hub.language import gettext
from calendar_hub.places import Place, resolver

DEFAULT_KM = 10.0
MAX_KM = 1000.0
FILTER_NAMES = ("week", "group", "region", "tag", "q", "start", "end", "near", "km")
# Parameters that links from elsewhere add (campaign tags, click ids): never a filter, never worth a word.
TRACKING_PREFIXES = ("utm_", "fbclid", "gclid", "mc_", "_ga")


@dataclass(frozen=True, slots=True)
class Filters:
    """The filters of one request, checked against the catalogue."""

    week: str | None = None
    group: str | None = None
    region: str | None = None
    start: date | None = None
    end: date | None = None
    near: str | None = None         # as typed: "M14 5TG", "Cardiff"
    km: float | None = None
    origin: Place | None = None     # where `near` was found
    # Names in the query string that are no filter (a typo: "regoin"), left out; a page says so, outputs ignore them.
    unknown: tuple[str, ...] | None = ()
    tag: str | None = None          # normalised: "ct4r"
    q: str | None = None            # words to search for, the place phrase taken out when it named `near`
    near_from_q: bool = False       # `near` came from the words ("... in Leeds"), not from a near box

    def key(self) -> tuple[object, ...]:
        """A cache key part: two requests with the same filters share one built output."""
        where = (round(self.origin.lat, 5), round(self.origin.lon, 5), self.km) if self.origin else None
        return (self.week, self.group, self.region and self.region.casefold(),
                self.start and self.start.isoformat(), self.end and self.end.isoformat(), where, self.tag, self.q)

    def scope(self) -> Scope:
        """What an output of these filters can hold, for its cache key: a change to listings outside it keeps the
        output (`catalogue.scope`)."""
        near = (self.origin.lat, self.origin.lon, self.km or DEFAULT_KM) if self.origin else None
        return Scope(week=self.week, group=self.group, region=self.region and self.region.casefold(),
                     start=self.start, end=self.end, near=near, words=(self.tag, self.q))

    def query(self) -> str:
        """The filters as a query string ("week=x&start=2026-12-05"), for links to other outputs."""
        values = {"week": self.week, "group": self.group, "region": self.region, "tag": self.tag, "q": self.q,
                  "start": self.start and self.start.isoformat(), "end": self.end and self.end.isoformat(),
                  "near": self.near, "km": (f"{self.km:g}" if self.near and self.km else None)}
        return urlencode({name: value for name, value in values.items() if value})

    def apply(self, catalogue: Catalogue) -> list[Listing]:
        near = Near(self.origin.lat, self.origin.lon, self.km or DEFAULT_KM) if self.origin else None
        return catalogue.find(week=self.week, group=self.group, region=self.region, start=self.start,
                              end=self.end, near=near, tag=self.tag, text=self.q)


class UnknownPlace(HTTPException):
    """A `near` that names no place the hub knows; `filters` are the request's other filters."""

    def __init__(self, near: str, filters: Filters) -> None:
        super().__init__(400, gettext("The hub does not know a place called “%(near)s”. Try a postcode (M14 5TG), "
                                      "the first half of one (SE6) or a town (Cardiff).") % {"near": near})
        self.filters = filters


def read_filters(params: QueryParams, catalogue: Catalogue, **fixed: str) -> Filters:
    """Filters from the query string (and from the path, in `fixed`); raises HTTP 400/404 on bad values.

    Any other name in the query (tracking tags aside) is kept in `Filters.unknown`, for a page to name it.
    """
    week = fixed.get("week") or params.get("week") or None
    group = fixed.get("group") or params.get("group") or None
    if week is not None and catalogue.week(week) is None:
        raise HTTPException(404, gettext("There is no week of action called “%(week)s”.") % {"week": week})
    if group is not None and catalogue.group(group) is None:
        raise HTTPException(404, gettext("There is no group called “%(group)s”.") % {"group": group})
    start, end = _day(params, "start"), _day(params, "end")
    if start and end and end < start:
        raise HTTPException(400, gettext("The end date is before the start date."))
    tag = normalise_tag(fixed.get("tag") or params.get("tag") or "")[:100] or None
    if tag is not None and not catalogue.index.has_tag(tag):
        raise HTTPException(404, gettext("No event carries the tag %(tag)s.") % {"tag": f"#{tag}"})
    region = (params.get("region") or "").strip()[:100] or None
    q = " ".join((params.get("q") or "")[:MAX_QUERY].split()) or None
    filters = Filters(week=week, group=group, region=region, start=start, end=end,
                      unknown=unknown_names(params), tag=tag, q=q)
    near = " ".join((params.get("near") or "").split())[:100]
    if not near:
        return _near_in_words(filters)
    km = _km(params.get("km"))
    origin = find_place(near)
    if origin is None:
        raise UnknownPlace(near, filters)
    return replace(filters, near=near, km=km, origin=origin)


def _near_in_words(filters: Filters) -> Filters:
    """"English classes in Leeds" as q=English classes near Leeds, when the gazetteer knows the place."""
    split = place_phrase(filters.q) if filters.q else None
    origin = find_place(split[1]) if split else None
    if split is None or origin is None:
        return filters
    return replace(filters, q=split[0] or None, near=split[1], km=DEFAULT_KM, origin=origin, near_from_q=True)


def unknown_names(params: QueryParams, *, also: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The query's parameter names that are neither a filter nor in `also` (tracking tags aside), sorted, at most 5."""
    names = {name[:40] for name in params if name not in FILTER_NAMES and name not in also
             and not name.lower().startswith(TRACKING_PREFIXES)}
    return tuple(sorted(names))[:5]


def find_place(text: str) -> Place | None:
    """The place a visitor typed: a postcode, an outward code, a town, or "lat,lon"."""
    parts = text.replace(";", ",").split(",")
    if len(parts) == 2:
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            pass
        else:
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return resolver().locate(lat, lon, placed_by="coordinates", label=text)
    return resolver().resolve(text)


def _km(raw: str | None) -> float:
    if not raw:
        return DEFAULT_KM
    try:
        km = float(raw)
    except ValueError as e:
        raise HTTPException(400, gettext("km must be a number of kilometres, such as 10.")) from e
    if not math.isfinite(km) or km <= 0:
        raise HTTPException(400, gettext("km must be a number of kilometres above 0, such as 10."))
    return min(km, MAX_KM)


def _day(params: QueryParams, name: str) -> date | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError as e:
        raise HTTPException(400, gettext("%(name)s must be a date written as YYYY-MM-DD.") % {"name": name}) from e
