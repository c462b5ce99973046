"""The app factory: `create_app(settings)` builds the whole web app; nothing is wired at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from calendar_hub.hub import Hub
from calendar_hub.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web import feeds, pages
from calendar_hub.web.present import json_ld, machine_time, when

log = logging.getLogger(__name__)
BACKGROUND_PAUSE = 60.0


def create_app(settings: Settings, *, hub: Hub | None = None) -> Starlette:
    """The web app for `settings`; with `settings.serve_refresh` it also refreshes due feeds in the background."""
    hub = hub or Hub(settings)
    templates = Jinja2Templates(directory=str(settings.templates_dir))
    templates.env.globals.update(when=when, machine_time=machine_time, json_ld=json_ld)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(_refresh_forever(hub)) if settings.serve_refresh else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            hub.close()

    routes = [
        Route("/", pages.home, name="home"),
        Route("/calendar.ics", feeds.calendar, name="calendar"),
        Route("/feed.atom", feeds.atom_feed, name="atom"),
        Route("/api/events.json", feeds.events_json, name="events_json"),
        Route("/api/events.geojson", feeds.events_geojson, name="events_geojson"),
        Route("/map", pages.map_page, name="map"),
        Route("/weeks/{week}.ics", feeds.calendar, name="week_ics"),
        Route("/weeks/{week}/map", pages.map_page, name="week_map"),
        Route("/weeks/{week}", pages.week_page, name="week"),
        Route("/groups", pages.groups_page, name="groups"),
        Route("/groups/{group}.ics", feeds.calendar, name="group_ics"),
        Route("/groups/{group}", pages.group_page, name="group"),
        Route("/about", pages.about_page, name="about"),
        Route("/healthz", pages.healthz, name="healthz"),
        Mount("/static/hub", StaticFiles(directory=str(settings.static_dir)), name="static"),
        Mount("/static/leaflet", StaticFiles(directory=xstatic.pkg.leaflet.BASE_DIR), name="leaflet"),
        Mount("/static/markercluster", StaticFiles(directory=xstatic.pkg.leaflet_markercluster.BASE_DIR),
              name="markercluster"),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if _wants_html(request):
            return templates.TemplateResponse(request, "error.html", {"status": exc.status_code,
                                                                      "message": exc.detail},
                                              status_code=exc.status_code)
        return PlainTextResponse(exc.detail, status_code=exc.status_code)

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: not_found})
    app.state.hub = hub
    app.state.templates = templates
    return app


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith(("/api/", "/static/")) or Path(path).suffix in (".ics", ".atom", ".json"))


async def _refresh_forever(hub: Hub) -> None:
    """Refresh due feeds, then pause; a failure is logged and the loop goes on."""
    while True:
        try:
            report = await refresh(hub.engine, hub.settings)
            if report.outcomes:
                log.info("background refresh: %d feeds in %.1f s", len(report.outcomes), report.seconds)
        except Exception:  # noqa: BLE001  (the server must keep serving whatever a refresh does)
            log.exception("background refresh failed")
        await asyncio.sleep(BACKGROUND_PAUSE)
