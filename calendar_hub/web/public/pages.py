"""Public pages: home, maps (also for other sites' iframes), health; weeks are in `weeks`, groups in `directory`.

Server-rendered; no JavaScript but the map.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from babel.dates import format_date
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from calendar_hub import clock, language, store
from calendar_hub.catalogue import Near
from calendar_hub.catalogue.counts import taking_part, tally
from calendar_hub.web.common import current_catalogue
from calendar_hub.web.public.render import (
    cached,
    map_listings,
    page_number,
    read,
    render,
    search_box,
    subscription_for,
    with_query,
)
from calendar_hub.web.query import DEFAULT_KM, Filters

UPCOMING_ON_HOME = 30


def day_range(start: date, end: date) -> str:
    """A week's days in the current language: "5–13 December 2026", "28 November – 6 December 2026"."""
    locale = language.babel_locale()
    last = format_date(end, format="d MMMM y", locale=locale)
    if start == end:
        return last
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{last}"
    first = format_date(start, format="d MMMM" if start.year == end.year else "d MMMM y", locale=locale)
    return f"{first} – {last}"


async def home(request: Request) -> Response:
    """GET /: the coming week of action first (its dates and figures), then the others, then the next events, 30 to
    a page (`?page=2` for the next 30)."""
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    page = page_number(request)
    found, problem = read(request, catalogue)
    filters = Filters(near=found.near, km=found.km, origin=found.origin)  # the home page searches by place only
    near = Near(filters.origin.lat, filters.origin.lon, filters.km or DEFAULT_KM) if filters.origin else None

    def context() -> dict[str, Any]:
        now = clock.now()
        today = now.astimezone(catalogue.zone).date()
        weeks = [w for w in catalogue.weeks if w.end >= today]
        shown = UPCOMING_ON_HOME * page
        upcoming = catalogue.find(after=now, near=near, limit=shown + 1)
        lead = weeks[0] if weeks else None
        every = catalogue.find(week=lead.slug) if lead else []
        active, named = taking_part(every, lead.groups) if lead else (frozenset(), ())
        return {"weeks": weeks, "upcoming": upcoming[shown - UPCOMING_ON_HOME:shown], "more": len(upcoming) > shown,
                "lead": lead, "lead_tally": tally(every), "lead_groups": len(active) + len(named),  # as the week page
                "lead_started": lead is not None and lead.start <= today,
                "dates": {w.slug: day_range(w.start, w.end) for w in weeks},
                "counts": {w.slug: tally(catalogue.find(week=w.slug)) for w in weeks},
                "week_subscriptions": {w.slug: subscription_for(request, catalogue, Filters(week=w.slug))
                                       for w in weeks}}

    search = search_box(request, filters, problem)
    paged = search.pop("canonical_path")
    canonical = paged if page == 1 else f"{paged}{'&' if '?' in paged else '?'}page={page}"
    return await render(request, "index.html", catalogue, status_code=400 if problem else 200, context=context,
                        page=page, paged=paged, canonical_path=canonical,
                        subscription=subscription_for(request, catalogue, filters), **search)



async def map_page(request: Request) -> Response:
    """GET /map and /weeks/{week}/map: placed events as clustered markers beside a list of the same events.

    The filter form reloads the page, so the list, the markers (from the GeoJSON API) and the summary
    always share one set of filters.
    """
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    slug = request.path_params.get("week")
    filters, problem = read(request, catalogue, **({"week": slug} if slug else {}))
    week = catalogue.week(slug) if slug else None
    # Upcoming events unless the filters give dates: a map of what has been is asked for with "From".
    from_today = not (filters.start or filters.end)
    shown = dataclasses.replace(filters, start=clock.today(catalogue.zone)) if from_today else filters
    earliest = week.start if week else min((item.start.astimezone(catalogue.zone).date()
                                            for item in catalogue.listings[:1]), default=None)
    earlier_url = with_query(language.link(request.url.path), dataclasses.replace(filters, start=earliest),
                              keep_week=not slug) if earliest else ""
    page = page_number(request)
    return await render(request, "map.html", catalogue, status_code=400 if problem else 200, week=week,
                        weeks=catalogue.weeks, from_today=from_today, earlier_url=earlier_url,
                        subscription=subscription_for(request, catalogue, filters),
                        context=lambda: {"regions": catalogue.regions(),
                                          **map_listings(request, catalogue, shown, page=page)},
                        **paged_search_box(request, filters, problem, page))


async def embed_map(request: Request) -> Response:
    """GET /embed/weeks/{week}/map: a week's map and a compact list for other sites' iframes.

    The page has no site header or footer and opens its links in a new tab; the app lets any site frame it.
    """
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    filters, problem = read(request, catalogue, week=request.path_params["week"])
    week = catalogue.week(request.path_params["week"])
    assert week is not None
    page = page_number(request)
    return await render(request, "embed_map.html", catalogue, status_code=400 if problem else 200, week=week,
                        full_url=with_query(language.link(f"/weeks/{week.slug}"), filters),
                        context=lambda: map_listings(request, catalogue, filters, page=page, new_tab=True),
                        **paged_search_box(request, filters, problem, page))


def paged_search_box(request: Request, filters: Filters, problem: str, page: int) -> dict[str, Any]:
    """A map page's search box, and the address of its list's pages (`paged`, the canonical one without `page`)."""
    search = search_box(request, filters, problem)
    paged = search["canonical_path"]
    if page > 1:
        search["canonical_path"] = f"{paged}{'&' if '?' in paged else '?'}page={page}"
    return {**search, "paged": paged}



async def about_page(request: Request) -> Response:
    """GET /about: what the hub is, where its data comes from, and credits."""
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    return await render(request, "about.html", catalogue)


async def subscribe_page(request: Request) -> Response:
    """GET /subscribe: how to subscribe in Apple Calendar, Google Calendar, Outlook and Thunderbird."""
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    return await render(request, "subscribe.html", catalogue,
                        subscription=subscription_for(request, catalogue, Filters()))


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
