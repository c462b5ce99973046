"""Public pages: home, weeks of action, groups, maps (also for other sites' iframes), health.

Server-rendered; no JavaScript but the map.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from calendar_hub import clock, store
from calendar_hub.catalogue import Catalogue, Near
from calendar_hub.catalogue.counts import tally
from calendar_hub.catalogue.listing import Listing
from calendar_hub.web.common import cached_output, current_catalogue
from calendar_hub.web.present import by_region_and_town
from calendar_hub.web.public.subscribe import Subscription, subscription
from calendar_hub.web.query import DEFAULT_KM, Filters, UnknownPlace, read_filters, unknown_names
from calendar_hub.web.responses import send

UPCOMING_ON_HOME = 30
KM_CHOICES = (5.0, 10.0, 25.0, 50.0)  # the radii a near-me search box offers


PAGE_PARAMETERS = ("week", "group", "region", "start", "end", "near", "km", "page")  # all that any page reads


def _page_key(request: Request) -> tuple[Any, ...]:
    """Pages are built once per data version, address, filters and hour ("upcoming" moves with the clock).

    Tracking tags (`?utm_source=…`) make no difference to a page, so they make no copy of it either; other
    unknown names do, as a page that takes filters names them.
    """
    params = request.query_params
    filters = tuple((name, params[name]) for name in PAGE_PARAMETERS if name in params)
    return ("page", request.url.path, filters, unknown_names(params, also=PAGE_PARAMETERS),
            clock.now().strftime("%Y%m%d%H"))


def _cached(request: Request, catalogue: Catalogue) -> Response | None:
    """The page already built for this request, sent with its ETag; None when it must be built."""
    output = catalogue.cached(_page_key(request))
    return send(request, output, max_age=60) if output is not None else None


async def _render(request: Request, template: str, catalogue: Catalogue, *, status_code: int = 200,
                  context: Callable[[], dict[str, Any]] | None = None, **fixed: Any) -> Response:
    """Render a page in a worker thread; a successful one is kept with the catalogue's other outputs.

    `context()` works out what the page shows from the catalogue, in that thread too: nothing that grows with
    the number of events runs on the event loop, where it would hold up every other request.
    """
    hub = request.app.state.hub
    base = hub.settings.base_url.rstrip("/")
    canonical = base + fixed.pop("canonical_path", request.url.path)
    values = {"request": request, "catalogue": catalogue, "zone": catalogue.zone,
              "base_url": base, "canonical_url": canonical, "settings": hub.settings, **fixed}

    def build() -> tuple[bytes, str]:
        html = request.app.state.templates.get_template(template).render(
            {**values, **(context() if context is not None else {})})
        return html.encode(), "text/html; charset=utf-8"

    if status_code != 200:  # a page that explains a problem is not worth keeping
        body, media_type = await run_in_threadpool(build)
        return Response(body, status_code=status_code, media_type=media_type)
    return send(request, await cached_output(catalogue, _page_key(request), build), max_age=60)


async def home(request: Request) -> Response:
    """GET /: the weeks of action to come and the next events, 30 to a page (`?page=2` for the next 30)."""
    catalogue = await current_catalogue(request)
    if (hit := _cached(request, catalogue)) is not None:
        return hit
    page = _page_number(request)
    found, problem = _read(request, catalogue)
    filters = Filters(near=found.near, km=found.km, origin=found.origin)  # the home page searches by place only
    near = Near(filters.origin.lat, filters.origin.lon, filters.km or DEFAULT_KM) if filters.origin else None

    def context() -> dict[str, Any]:
        now = clock.now()
        today = now.astimezone(catalogue.zone).date()
        weeks = [w for w in catalogue.weeks if w.end >= today]
        shown = UPCOMING_ON_HOME * page
        upcoming = catalogue.find(after=now, near=near, limit=shown + 1)
        return {"weeks": weeks, "upcoming": upcoming[shown - UPCOMING_ON_HOME:shown], "more": len(upcoming) > shown,
                "counts": {w.slug: tally(catalogue.find(week=w.slug)) for w in weeks},
                "week_subscriptions": {w.slug: _subscription(request, catalogue, Filters(week=w.slug))
                                       for w in weeks}}

    search = _search(request, filters, problem)
    paged = search.pop("canonical_path")
    canonical = paged if page == 1 else f"{paged}{'&' if '?' in paged else '?'}page={page}"
    return await _render(request, "index.html", catalogue, status_code=400 if problem else 200, context=context,
                         page=page, paged=paged, canonical_path=canonical,
                         subscription=_subscription(request, catalogue, filters), **search)


def _page_number(request: Request) -> int:
    """The `page` of a paged listing: a whole number from 1 (the first page when absent)."""
    raw = request.query_params.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 10_000:
        raise HTTPException(400, "page must be a whole number from 1, such as 2.")
    return int(raw)


async def week_page(request: Request) -> Response:
    """GET /weeks/{week}: local listings grouped by region and town, a near-me search box and subscribe links."""
    catalogue = await current_catalogue(request)
    if (hit := _cached(request, catalogue)) is not None:
        return hit
    filters, problem = _read(request, catalogue, week=request.path_params["week"])
    week = catalogue.week(request.path_params["week"])
    assert week is not None

    def context() -> dict[str, Any]:
        listings = filters.apply(catalogue)
        by_uid = {item.uid: item for item in listings}
        return {"listings": listings, "featured": [by_uid[uid] for uid in week.featured if uid in by_uid],
                "regions": by_region_and_town(listings), "tally": tally(listings)}

    return await _render(request, "week.html", catalogue, status_code=400 if problem else 200, context=context,
                         week=week, subscription=_subscription(request, catalogue, filters),
                         map_url=_with_query(f"/weeks/{week.slug}/map", filters), **_search(request, filters, problem))


async def map_page(request: Request) -> Response:
    """GET /map and /weeks/{week}/map: placed events as clustered markers beside a list of the same events.

    The filter form reloads the page, so the list, the markers (from the GeoJSON API) and the summary
    always share one set of filters.
    """
    catalogue = await current_catalogue(request)
    if (hit := _cached(request, catalogue)) is not None:
        return hit
    slug = request.path_params.get("week")
    filters, problem = _read(request, catalogue, **({"week": slug} if slug else {}))
    week = catalogue.week(slug) if slug else None
    # Upcoming events unless the filters give dates: a map of what has been is asked for with "From".
    from_today = not (filters.start or filters.end)
    shown = dataclasses.replace(filters, start=clock.today(catalogue.zone)) if from_today else filters
    earliest = week.start if week else min((item.start.astimezone(catalogue.zone).date()
                                            for item in catalogue.listings[:1]), default=None)
    earlier_url = _with_query(request.url.path, dataclasses.replace(filters, start=earliest),
                              keep_week=not slug) if earliest else ""
    return await _render(request, "map.html", catalogue, status_code=400 if problem else 200, week=week,
                         weeks=catalogue.weeks, from_today=from_today, earlier_url=earlier_url,
                         subscription=_subscription(request, catalogue, filters),
                         context=lambda: {"regions": catalogue.regions(),
                                          **_map_listings(request, catalogue, shown)},
                         **_search(request, filters, problem))


async def embed_map(request: Request) -> Response:
    """GET /embed/weeks/{week}/map: a week's map and a compact list for other sites' iframes.

    The page has no site header or footer and opens its links in a new tab; the app lets any site frame it.
    """
    catalogue = await current_catalogue(request)
    if (hit := _cached(request, catalogue)) is not None:
        return hit
    filters, problem = _read(request, catalogue, week=request.path_params["week"])
    week = catalogue.week(request.path_params["week"])
    assert week is not None
    return await _render(request, "embed_map.html", catalogue, status_code=400 if problem else 200, week=week,
                         full_url=_with_query(f"/weeks/{week.slug}", filters),
                         context=lambda: _map_listings(request, catalogue, filters, new_tab=True),
                         **_search(request, filters, problem))


def _subscription(request: Request, catalogue: Catalogue, filters: Filters) -> Subscription:
    """The page's Subscribe box: the calendar of exactly its filters."""
    return subscription(catalogue, filters, base_url=request.app.state.hub.settings.base_url)


def _read(request: Request, catalogue: Catalogue, **fixed: str) -> tuple[Filters, str]:
    """The request's filters, and the sentence for people when `near` names no known place ("" otherwise).

    With an unknown place a page still shows what the other filters select, the sentence beside its search box.
    Other bad values raise HTTPException as `read_filters` does.
    """
    try:
        return read_filters(request.query_params, catalogue, **fixed), ""
    except UnknownPlace as e:
        return e.filters, str(e.detail)


def _search(request: Request, filters: Filters, problem: str) -> dict[str, Any]:
    """What a near-me search box shows: the text as typed (kept when unknown, to correct it), radius and choices."""
    typed_km = request.query_params.get("km", "")
    km = filters.km or next((choice for choice in KM_CHOICES if f"{choice:g}" == typed_km), DEFAULT_KM)
    return {"filters": filters, "problem": problem, "near": filters.near or request.query_params.get("near", ""),
            "km": km, "km_choices": sorted({*KM_CHOICES, km}),
            "canonical_path": _with_query(request.url.path, filters, keep_week="week" not in request.path_params)}


def _map_listings(request: Request, catalogue: Catalogue, filters: Filters, *,
                  new_tab: bool = False) -> dict[str, Any]:
    """The filtered listings split as a map page shows them, their list items as HTML, and the GeoJSON URL.

    `placed` are exactly the GeoJSON's features (those with coordinates), in the same order, so the list
    beside the map matches its markers one for one.  The items are rendered here, in one string, because
    a map can list 10,000 events (the page itself is then kept, see `_render`).
    """
    listings = filters.apply(catalogue)
    placed = [item for item in listings if item.lat is not None and item.lon is not None]
    unplaced = [item for item in listings if item.lat is None or item.lon is None]
    macro = request.app.state.templates.get_template("_event.html").module.map_item

    def rendered(items: list[Listing], first: int) -> Markup:
        return Markup("".join(str(macro(item, catalogue.zone, index, new_tab=new_tab, origin=filters.origin))
                              for index, item in enumerate(items, start=first)))

    return {"listings": listings, "placed": placed, "unplaced": unplaced, "tally": tally(listings),
            "placed_html": rendered(placed, 1), "unplaced_html": rendered(unplaced, len(placed) + 1),
            "data_url": _with_query("/api/events.geojson", filters, keep_week=True)}


def _with_query(path: str, filters: Filters, *, keep_week: bool = False) -> str:
    """`path` with the filters as its query string; the week is left out unless asked for (it is in most paths)."""
    query = (filters if keep_week else dataclasses.replace(filters, week=None)).query()
    return f"{path}?{query}" if query else path


async def groups_page(request: Request) -> Response:
    """GET /groups: every member group, by region."""
    catalogue = await current_catalogue(request)
    if (hit := _cached(request, catalogue)) is not None:
        return hit

    def context() -> dict[str, Any]:
        counts: dict[str, int] = {}
        for item in catalogue.find(after=clock.now()):
            for group in item.groups:
                counts[group.slug] = counts.get(group.slug, 0) + 1
        return {"counts": counts}

    return await _render(request, "groups.html", catalogue, context=context)


async def group_page(request: Request) -> Response:
    """GET /groups/{group}: a group's upcoming events and its subscribe link."""
    catalogue = await current_catalogue(request)
    if (hit := _cached(request, catalogue)) is not None:
        return hit
    group = catalogue.group(request.path_params["group"])
    if group is None:
        raise HTTPException(404, "There is no such group.")
    return await _render(request, "group.html", catalogue, group=group,
                         context=lambda: {"listings": catalogue.find(group=group.slug, after=clock.now())},
                         subscription=_subscription(request, catalogue, Filters(group=group.slug)))


async def about_page(request: Request) -> Response:
    """GET /about: what the hub is, where its data comes from, and credits."""
    catalogue = await current_catalogue(request)
    if (hit := _cached(request, catalogue)) is not None:
        return hit
    return await _render(request, "about.html", catalogue)


async def subscribe_page(request: Request) -> Response:
    """GET /subscribe: how to subscribe in Apple Calendar, Google Calendar, Outlook and Thunderbird."""
    catalogue = await current_catalogue(request)
    if (hit := _cached(request, catalogue)) is not None:
        return hit
    return await _render(request, "subscribe.html", catalogue,
                         subscription=_subscription(request, catalogue, Filters()))


async def healthz(request: Request) -> Response:
    """GET /healthz: 200 when the database answers, with the data version and counts."""
    hub = request.app.state.hub

    try:
        await run_in_threadpool(store.ping, hub.engine)
    except Exception as e:  # noqa: BLE001  (any database failure makes the hub unhealthy)
        return JSONResponse({"status": "error", "database": type(e).__name__}, status_code=503)
    catalogue = await current_catalogue(request)
    return JSONResponse({"status": "ok", "version": catalogue.version, "events": len(catalogue.listings),
                         "groups": len(catalogue.groups), "weeks": len(catalogue.weeks)})
