"""What every public page shares: building it in a worker thread, keeping it, its filters and its near-me box.

Each page handler (pages, and the modules beside it) reads its filters with `read`, answers from `cached`
when the page is already built for this data version, and otherwise calls `render`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import clock, language
from calendar_hub.catalogue import Catalogue
from calendar_hub.catalogue.counts import tally
from calendar_hub.catalogue.listing import Listing
from calendar_hub.web.common import cached_output
from calendar_hub.web.public.subscribe import Subscription, subscription
from calendar_hub.web.query import DEFAULT_KM, Filters, UnknownPlace, read_filters, unknown_names
from calendar_hub.web.responses import send

__all__ = ["KM_CHOICES", "MAP_PAGE", "PAGE_PARAMETERS", "cached", "map_listings", "page_key", "page_number", "read",
           "render", "search_box", "subscription_for", "with_query"]

KM_CHOICES = (5.0, 10.0, 25.0, 50.0)  # the radii a near-me search box offers
MAP_PAGE = 100  # list items a map page shows at once (every event is a marker)


PAGE_PARAMETERS = ("week", "group", "region", "service", "tag", "q", "start", "end", "near", "km", "month",
                   "page")  # all any page reads


def page_key(request: Request) -> tuple[Any, ...]:
    """Pages are built once per data version, address, filters and hour ("upcoming" moves with the clock).

    Tracking tags (`?utm_source=…`) make no difference to a page, so they make no copy of it either; other
    unknown names do, as a page that takes filters names them.
    """
    params = request.query_params
    filters = tuple((name, params[name]) for name in PAGE_PARAMETERS if name in params)
    return ("page", language.current(), request.url.path, filters, unknown_names(params, also=PAGE_PARAMETERS),
            clock.now().strftime("%Y%m%d%H"))


def cached(request: Request, catalogue: Catalogue) -> Response | None:
    """The page already built for this request, sent with its ETag; None when it must be built."""
    output = catalogue.cached(page_key(request))
    return send(request, output, max_age=60) if output is not None else None


async def render(request: Request, template: str, catalogue: Catalogue, *, status_code: int = 200,
                  context: Callable[[], dict[str, Any]] | None = None, **fixed: Any) -> Response:
    """Render a page in a worker thread; a successful one is kept with the catalogue's other outputs.

    `context()` works out what the page shows from the catalogue, in that thread too: nothing that grows with
    the number of events runs on the event loop, where it would hold up every other request.
    """
    hub = request.app.state.hub
    base = hub.settings.base_url.rstrip("/")
    page_path = fixed.pop("canonical_path", request.url.path)  # the filters it shows, not the address as typed
    canonical = base + language.link(page_path)
    values = {"request": request, "catalogue": catalogue, "zone": catalogue.zone,
              "base_url": base, "canonical_url": canonical, "page_path": page_path, "settings": hub.settings, **fixed}

    def build() -> tuple[bytes, str]:
        html = request.app.state.templates.get_template(template).render(
            {**values, **(context() if context is not None else {})})
        return html.encode(), "text/html; charset=utf-8"

    if status_code != 200:  # a page that explains a problem is not worth keeping
        body, media_type = await run_in_threadpool(build)
        return Response(body, status_code=status_code, media_type=media_type)
    return send(request, await cached_output(catalogue, page_key(request), build), max_age=60)



def page_number(request: Request) -> int:
    """The `page` of a paged listing: a whole number from 1 (the first page when absent)."""
    raw = request.query_params.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 10_000:
        raise HTTPException(400, language.gettext("page must be a whole number from 1, such as 2."))
    return int(raw)



def subscription_for(request: Request, catalogue: Catalogue, filters: Filters) -> Subscription:
    """The page's Subscribe box: the calendar of exactly its filters."""
    return subscription(catalogue, filters, base_url=request.app.state.hub.settings.base_url)


def read(request: Request, catalogue: Catalogue, **fixed: str) -> tuple[Filters, str]:
    """The request's filters, and the sentence for people when `near` names no known place ("" otherwise).

    With an unknown place a page still shows what the other filters select, the sentence beside its search box.
    Other bad values raise HTTPException as `read_filters` does.
    """
    try:
        return read_filters(request.query_params, catalogue, **fixed), ""
    except UnknownPlace as e:
        return e.filters, str(e.detail)


def search_box(request: Request, filters: Filters, problem: str) -> dict[str, Any]:
    """What a near-me search box shows: the text as typed (kept when unknown, to correct it), radius and choices."""
    typed_km = request.query_params.get("km", "")
    km = filters.km or next((choice for choice in KM_CHOICES if f"{choice:g}" == typed_km), DEFAULT_KM)
    return {"filters": filters, "problem": problem, "near": filters.near or request.query_params.get("near", ""),
            "km": km, "km_choices": sorted({*KM_CHOICES, km}),
            "canonical_path": with_query(request.url.path, filters, keep_week="week" not in request.path_params)}


def map_listings(request: Request, catalogue: Catalogue, filters: Filters, *, page: int = 1,
                  new_tab: bool = False) -> dict[str, Any]:
    """The filtered listings split as a map page shows them, one page of their list items as HTML, and the data URLs.

    `placed` are exactly the GeoJSON's features (those with coordinates), in the same order, so the list
    beside the map matches its markers one for one; the list shows `MAP_PAGE` of them at a time (page `page`),
    numbered as in the whole list (`event-{n}`), and the events off the map the same page of theirs.  A map can
    hold 10,000 events: a browser takes seconds to lay out that many list items, and the markers need none.
    """
    listings = filters.apply(catalogue)
    placed = [item for item in listings if item.lat is not None and item.lon is not None]
    unplaced = [item for item in listings if item.lat is None or item.lon is None]
    macro = request.app.state.templates.get_template("_event.html").module.map_item
    first = (page - 1) * MAP_PAGE

    def rendered(items: list[Listing], number: int) -> Markup:
        return Markup("".join(str(macro(item, catalogue.zone, index, new_tab=new_tab, origin=filters.origin))
                              for index, item in enumerate(items[first:first + MAP_PAGE], start=number + first)))

    return {"listings": listings, "placed": placed, "unplaced": unplaced, "tally": tally(listings),
            "placed_html": rendered(placed, 1), "unplaced_html": rendered(unplaced, len(placed) + 1),
            "list_page": page, "list_first": first + 1,
            "list_more": first + MAP_PAGE < max(len(placed), len(unplaced)),
            "placed_shown": len(placed[first:first + MAP_PAGE]),
            "unplaced_shown": len(unplaced[first:first + MAP_PAGE]),
            "data_url": with_query("/api/events.geojson", filters, keep_week=True),
            "points_url": with_query("/api/map.json", filters, keep_week=True)}


def with_query(path: str, filters: Filters, *, keep_week: bool = False) -> str:
    """`path` with the filters as its query string; the week is left out unless asked for (it is in most paths)."""
    query = (filters if keep_week else dataclasses.replace(filters, week=None)).query()
    return f"{path}?{query}" if query else path


