"""The published feeds: ICS calendars, the Atom feed and the JSON / GeoJSON API.

Each endpoint reads its filters, takes the current catalogue and sends a cached output; the
body is built once per data version and filter set (`Catalogue.output`).
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import clock
from calendar_hub.catalogue import Catalogue
from calendar_hub.catalogue.hub import Hub
from calendar_hub.publish import api, atom, ics
from calendar_hub.registry import slug_for
from calendar_hub.web.common import cached_output, current_catalogue
from calendar_hub.web.public.subscribe import calendar_name
from calendar_hub.web.query import Filters, read_filters
from calendar_hub.web.responses import send

ICS_TYPE = "text/calendar; charset=utf-8"
PAGE_SIZE = 1000


def _hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def _base(request: Request) -> str:
    return str(_hub(request).settings.base_url).rstrip("/")


def _self_url(base: str, path: str, filters: Filters, **in_path: str) -> str:
    """The output's own address, from the base URL and the checked filters only.

    Never from the request's Host or its raw query: the body is cached under the filters' key and sent to
    everyone, so an unknown parameter or a hostile Host must not reach it.
    """
    blank: dict[str, Any] = dict.fromkeys(in_path)
    query = dataclasses.replace(filters, **blank).query()
    return base + path + (f"?{query}" if query else "")


def _title(catalogue: Catalogue, filters: Filters) -> tuple[str, str]:
    """The output's name, saying its filters (the Subscribe box that links it says the same), and description."""
    name = calendar_name(catalogue, filters)
    if filters.week:
        week = catalogue.week(filters.week)
        assert week is not None
        return name, week.description or f"Local actions for {week.name}"
    if filters.group:
        group = catalogue.group(filters.group)
        assert group is not None
        return name, f"Events of {group.name}, via {catalogue.site.name}"
    if filters.tag:
        return name, f"Events tagged #{filters.tag}, via {catalogue.site.name}"
    return name, f"Events published by member groups, gathered by {catalogue.site.name}"


async def calendar(request: Request) -> Response:
    """GET /calendar.ics, /weeks/{slug}.ics, /groups/{slug}.ics, /tags/{tag}.ics: an RFC 5545 calendar to subscribe
    to (a tag's: the upcoming events carrying it)."""
    catalogue = await current_catalogue(request)
    filters = read_filters(request.query_params, catalogue, **request.path_params)
    base = _base(request)
    self_url = _self_url(base, request.url.path, filters, **request.path_params)
    name, description = _title(catalogue, filters)
    upcoming = not (filters.week or filters.start)

    def build() -> tuple[bytes, str]:
        items = filters.apply(catalogue)
        if upcoming:  # "all upcoming events": those that have not ended (as of the build)
            now = clock.now()
            items = [item for item in items if item.end > now or item.start >= now]
        return ics.build_calendar(items, name=name, description=description, self_url=self_url,
                                  base_url=base, now=catalogue.built_at), ICS_TYPE

    # "Upcoming" moves with the clock: such a calendar is rebuilt at least hourly, not only on changes.
    hour = clock.now().strftime("%Y%m%d%H") if upcoming else ""
    output = await cached_output(catalogue, ("ics", self_url, hour, *filters.key(), filters.scope()), build)
    slug = filters.week or filters.group or (filters.tag and slug_for(filters.tag)) or "calendar"
    return send(request, output, filename=f"{slug}.ics")


async def atom_feed(request: Request) -> Response:
    """GET /feed.atom: upcoming events for feed readers."""
    catalogue = await current_catalogue(request)
    filters = read_filters(request.query_params, catalogue)
    base = _base(request)
    self_url = _self_url(base, "/feed.atom", filters)

    def build() -> tuple[bytes, str]:
        now = clock.now()
        items = [item for item in filters.apply(catalogue) if item.end > now or item.start >= now][:500]
        title, _ = _title(catalogue, filters)
        return atom.build_atom(items, title=title, self_url=self_url, base_url=base,
                               now=catalogue.built_at), "application/atom+xml; charset=utf-8"

    output = await cached_output(catalogue, ("atom", self_url, clock.now().strftime("%Y%m%d%H"), *filters.key(),
                                             filters.scope()), build)
    return send(request, output)


async def events_json(request: Request) -> Response:
    """GET /api/events.json: pages of at most 1,000 events with a `next` link while more remain."""
    catalogue = await current_catalogue(request)
    filters = read_filters(request.query_params, catalogue)
    try:
        offset = max(int(request.query_params.get("offset", "0")), 0)
    except ValueError as e:
        raise HTTPException(400, "offset must be a whole number.") from e
    base = _base(request)

    def build() -> tuple[bytes, str]:
        items = filters.apply(catalogue)
        page = items[offset:offset + PAGE_SIZE]
        next_url = None
        if offset + PAGE_SIZE < len(items):
            # From the checked filters, not the raw query: the page is cached under the filters' key.
            query = "&".join(filter(None, [filters.query(), urlencode({"offset": offset + PAGE_SIZE})]))
            next_url = f"{base}/api/events.json?{query}"
        return api.events_page(page, base_url=base, next_url=next_url), "application/json"

    output = await cached_output(catalogue, ("json", filters.query(), offset, PAGE_SIZE, *filters.key(),
                                             filters.scope()), build)
    return send(request, output, max_age=60)


async def events_geojson(request: Request) -> Response:
    """GET /api/events.geojson: one RFC 7946 Feature per placed event."""
    catalogue = await current_catalogue(request)
    filters = read_filters(request.query_params, catalogue)
    base = _base(request)

    def build() -> tuple[bytes, str]:
        return api.geojson(filters.apply(catalogue), base_url=base), "application/geo+json"

    output = await cached_output(catalogue, ("geojson", *filters.key(), filters.scope()), build)
    return send(request, output, max_age=60)


async def map_points(request: Request) -> Response:
    """GET /api/map.json: the map page's compact data (`api.map_points`); for other uses, /api/events.geojson."""
    catalogue = await current_catalogue(request)
    filters = read_filters(request.query_params, catalogue)

    def build() -> tuple[bytes, str]:
        return api.map_points(filters.apply(catalogue)), "application/json"

    output = await cached_output(catalogue, ("map-points", *filters.key()), build)
    return send(request, output, max_age=60)
