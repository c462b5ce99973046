"""Public pages: home, weeks of action, groups, maps, health.  Server-rendered, no JavaScript but the map."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from calendar_hub.catalogue import Catalogue
from calendar_hub.models import utcnow
from calendar_hub.web.feeds import _catalogue
from calendar_hub.web.present import by_region_and_town, google_subscribe, webcal
from calendar_hub.web.query import read_filters

UPCOMING_ON_HOME = 30


def _render(request: Request, template: str, catalogue: Catalogue, **context: Any) -> Response:
    hub = request.app.state.hub
    base = hub.settings.base_url.rstrip("/")
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, template, {"catalogue": catalogue, "zone": catalogue.zone, "base_url": base,
                            "settings": hub.settings, **context})


async def home(request: Request) -> Response:
    """GET /: the weeks of action to come and the next events."""
    catalogue = await _catalogue(request)
    now = utcnow()
    today = now.astimezone(catalogue.zone).date()
    weeks = [w for w in catalogue.weeks if w.end >= today]
    upcoming = catalogue.find(after=now, limit=UPCOMING_ON_HOME)
    counts = {w.slug: len(catalogue.find(week=w.slug)) for w in weeks}
    return _render(request, "index.html", catalogue, weeks=weeks, counts=counts, upcoming=upcoming)


async def week_page(request: Request) -> Response:
    """GET /weeks/{week}: local listings grouped by region and town, with subscribe links."""
    catalogue = await _catalogue(request)
    filters = read_filters(request.query_params, catalogue, week=request.path_params["week"])
    week = catalogue.week(filters.week or "")
    assert week is not None
    listings = filters.apply(catalogue)
    base = request.app.state.hub.settings.base_url.rstrip("/")
    ics_url = f"{base}/weeks/{week.slug}.ics"
    return _render(request, "week.html", catalogue, week=week, listings=listings,
                   regions=by_region_and_town(listings), ics_url=ics_url, webcal_url=webcal(ics_url),
                   google_url=google_subscribe(ics_url), filters=filters)


async def map_page(request: Request) -> Response:
    """GET /map and /weeks/{week}/map: a Leaflet map of placed events, with the same filters as the API."""
    catalogue = await _catalogue(request)
    slug = request.path_params.get("week")
    filters = read_filters(request.query_params, catalogue, **({"week": slug} if slug else {}))
    week = catalogue.week(slug) if slug else None
    query = filters.query()
    data_url = "/api/events.geojson" + (f"?{query}" if query else "")
    listings = filters.apply(catalogue)
    return _render(request, "map.html", catalogue, week=week, data_url=data_url, listings=listings,
                   placed=sum(1 for item in listings if item.lat is not None))


async def groups_page(request: Request) -> Response:
    """GET /groups: every member group, by region."""
    catalogue = await _catalogue(request)
    now = utcnow()
    counts: dict[str, int] = {}
    for item in catalogue.find(after=now):
        for group in item.groups:
            counts[group.slug] = counts.get(group.slug, 0) + 1
    return _render(request, "groups.html", catalogue, counts=counts)


async def group_page(request: Request) -> Response:
    """GET /groups/{group}: a group's upcoming events and its subscribe link."""
    catalogue = await _catalogue(request)
    group = catalogue.group(request.path_params["group"])
    if group is None:
        raise HTTPException(404, "There is no such group.")
    listings = catalogue.find(group=group.slug, after=utcnow())
    base = request.app.state.hub.settings.base_url.rstrip("/")
    ics_url = f"{base}/groups/{group.slug}.ics"
    return _render(request, "group.html", catalogue, group=group, listings=listings, ics_url=ics_url,
                   webcal_url=webcal(ics_url), google_url=google_subscribe(ics_url))


async def about_page(request: Request) -> Response:
    """GET /about: what the hub is, where its data comes from, and credits."""
    catalogue = await _catalogue(request)
    return _render(request, "about.html", catalogue)


async def healthz(request: Request) -> Response:
    """GET /healthz: 200 when the database answers, with the data version and counts."""
    hub = request.app.state.hub

    def check() -> int:
        with hub.engine.connect() as connection:
            return int(connection.execute(text("SELECT 1")).scalar_one())

    try:
        await run_in_threadpool(check)
    except Exception as e:  # noqa: BLE001  (any database failure makes the hub unhealthy)
        return JSONResponse({"status": "error", "database": type(e).__name__}, status_code=503)
    catalogue = await _catalogue(request)
    return JSONResponse({"status": "ok", "version": catalogue.version, "events": len(catalogue.listings),
                         "groups": len(catalogue.groups), "weeks": len(catalogue.weeks)})
