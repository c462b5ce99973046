"""Who else is out there: the group directory (/groups), each group's page, and the directory as GeoJSON and JSON.

The page, its map (markers from /groups.geojson) and /api/groups.json read the same filters (`region`, `service`,
`near`, `km`) and show what `publish.groups.directory` picks for them, so the map and the list always agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import clock, language, services
from calendar_hub.catalogue import Catalogue
from calendar_hub.publish import groups as published
from calendar_hub.web.common import cached_output, current_catalogue
from calendar_hub.web.present import km_text
from calendar_hub.web.public.render import cached, read, render, search_box, subscription_for
from calendar_hub.web.query import Filters, read_filters
from calendar_hub.web.responses import send

__all__ = ["DirectoryFilters", "group_page", "groups_geojson", "groups_json", "groups_page",
           "read_directory"]


@dataclasses.dataclass(frozen=True, slots=True)
class DirectoryFilters:
    """What the directory is filtered by: a region, a service (a slug of `calendar_hub.services`) and near-me."""

    region: str | None = None
    service: str | None = None
    near: str | None = None
    km: float | None = None
    filters: Filters = Filters()   # the place reading all pages share: `near` found as `filters.origin`

    def query(self) -> str:
        """The filters as a query string, for the page's links and its map's data."""
        values = {"region": self.region, "service": self.service, "near": self.near,
                  "km": f"{self.km:g}" if self.near and self.km else None}
        return urlencode({name: value for name, value in values.items() if value})

    def key(self) -> tuple[object, ...]:
        """A cache key part: two requests with the same filters share one built output."""
        return (self.service, *self.filters.key())

    def select(self, catalogue: Catalogue, now: datetime) -> list[published.Entry]:
        """The directory's groups for these filters."""
        origin = self.filters.origin
        return published.directory(catalogue, now=now, region=self.region, service=self.service, origin=origin,
                                   km=self.km if origin else None)


def read_directory(request: Request, catalogue: Catalogue, *, strict: bool = False) -> tuple[DirectoryFilters, str]:
    """The request's directory filters, and the sentence for people when `near` names no known place.

    A page still lists the groups the other filters choose beside that sentence; with `strict` (the data outputs)
    an unknown place is a 400 as for every other output. An unknown service is a 400 either way.
    """
    if strict:
        filters, problem = read_filters(request.query_params, catalogue), ""
    else:
        filters, problem = read(request, catalogue)
    service = (request.query_params.get("service") or "").strip() or None
    if service is not None and not services.known(service):
        raise HTTPException(400, language.gettext("There is no service called “%(service)s”.")
                            % {"service": service[:80]})
    # `service` is this page's own filter, not a word the hub did not understand.
    filters = dataclasses.replace(filters, unknown=tuple(n for n in filters.unknown or () if n != "service"))
    return DirectoryFilters(region=filters.region, service=service, near=filters.near, km=filters.km,
                            filters=filters), problem


def _path_with(path: str, chosen: DirectoryFilters) -> str:
    query = chosen.query()
    return f"{path}?{query}" if query else path


async def groups_page(request: Request) -> Response:
    """GET /groups: the directory: a map of the groups' homes beside the list of them, filtered by region, service
    and distance (a GET form: it works without JavaScript, where the list is the whole directory)."""
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    chosen, problem = read_directory(request, catalogue)

    def context() -> dict[str, Any]:
        entries = chosen.select(catalogue, clock.now())
        return {"entries": entries, "placed": [e for e in entries if e.placed],
                "unplaced": [e for e in entries if not e.placed],
                "distances": {e.group.slug: km_text(e.km) for e in entries if e.km is not None}}

    box = search_box(request, chosen.filters, problem)
    box["canonical_path"] = _path_with(request.url.path, chosen)
    return await render(request, "groups.html", catalogue, status_code=400 if problem else 200, context=context,
                        chosen=chosen, regions=published.regions(catalogue), services=services.SERVICES,
                        service_label=services.label, data_url=_path_with("/groups.geojson", chosen),
                        json_url=_path_with("/api/groups.json", chosen), **box)


async def group_page(request: Request) -> Response:
    """GET /groups/{group}: what the group does, where, how to reach it, its home on a map, its upcoming events and
    its calendar to subscribe to."""
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    group = catalogue.group(request.path_params["group"])
    if group is None:
        raise HTTPException(404, language.gettext("There is no such group."))
    return await render(request, "group.html", catalogue, group=group, service_label=services.label,
                        context=lambda: {"listings": catalogue.find(group=group.slug, after=clock.now())},
                        subscription=subscription_for(request, catalogue, Filters(group=group.slug)))


async def _groups_output(request: Request, name: str, build_bytes: Callable[..., bytes], media_type: str) -> Response:
    """A data output of the directory (`name`, made by `build_bytes(entries, base_url=...)`), same filters as /groups.

    Upcoming counts move with the clock: each is rebuilt at least hourly, not only on changes.
    """
    catalogue = await current_catalogue(request)
    chosen, _ = read_directory(request, catalogue, strict=True)
    base = str(request.app.state.hub.settings.base_url).rstrip("/")

    def build() -> tuple[bytes, str]:
        return build_bytes(chosen.select(catalogue, clock.now()), base_url=base), media_type

    hour = clock.now().strftime("%Y%m%d%H")
    return send(request, await cached_output(catalogue, (name, base, hour, *chosen.key()), build), max_age=60)


async def groups_geojson(request: Request) -> Response:
    """GET /groups.geojson: the directory's placed groups as RFC 7946 Points at their homes, same filters as /groups."""
    return await _groups_output(request, "groups.geojson", published.groups_geojson, "application/geo+json")


async def groups_json(request: Request) -> Response:
    """GET /api/groups.json: the directory for partners, every group with what it does, same filters as /groups."""
    return await _groups_output(request, "groups.json", published.groups_json, "application/json")
