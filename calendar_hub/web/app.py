"""The app factory: `create_app(settings)` builds the whole web app; nothing is wired at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import xstatic.pkg.leaflet
import xstatic.pkg.leaflet_markercluster
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp

from calendar_hub import language
from calendar_hub.catalogue.counts import in_words
from calendar_hub.catalogue.hub import Hub
from calendar_hub.ingest import observe
from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web.console import accounts as console_accounts
from calendar_hub.web.console import (
    coverage,
    dashboard,
    duplicates,
    moderation,
    preview,
    requests,
    series,
    submissions,
    weeks,
)
from calendar_hub.web.console import groups as console_groups
from calendar_hub.web.console.auth import SignInRequired, csrf_field, session_middleware, to_sign_in, with_secret
from calendar_hub.web.cors import Cors
from calendar_hub.web.headers import SecurityHeaders
from calendar_hub.web.languages import DATA_SUFFIXES, LanguageMiddleware, choose, switch_url
from calendar_hub.web.metrics import HubMetrics, RequestMetrics, metrics
from calendar_hub.web.present import (
    day_range,
    distance,
    json_ld,
    long_day,
    machine_time,
    place_name,
    place_note,
    webcal,
    when,
)
from calendar_hub.web.public import brand, browse, directory, events, follow, join, outputs, pages, site, submit
from calendar_hub.web.public import search as search_pages
from calendar_hub.web.public import weeks as week_pages
from calendar_hub.web.responses import explained

log = logging.getLogger(__name__)
# A thread that computes (a catalogue update, an output rebuilt in the background) keeps the interpreter until the
# event loop has waited this long for it, at every socket call the loop makes: 5 ms by default, which under load
# made a request wait for tens of such turns (p99 over 500 ms while the catalogue followed a refresh).
SWITCH_SECONDS = 0.0005
BACKGROUND_PAUSE = 60.0


def tune_interpreter() -> None:
    """Set this process up to serve: the event loop gets the interpreter back within `SWITCH_SECONDS` of asking."""
    sys.setswitchinterval(SWITCH_SECONDS)


def create_app(settings: Settings, *, hub: Hub | None = None) -> Starlette:
    """The web app for `settings`; with `settings.serve_refresh` it also refreshes due feeds in the background."""
    hub = hub or Hub(settings)
    settings = with_secret(settings)
    watch = HubMetrics(hub.engine)
    hub.on_built = watch.catalogue_built
    templates = Jinja2Templates(directory=str(settings.templates_dir))
    # Text in templates is written {% trans %}…{% endtrans %} or {{ _("…") }}, in the current language (see
    # calendar_hub/language.py); links to pages go through link("/path"), which gives the current language's.
    templates.env.add_extension("jinja2.ext.i18n")
    templates.env.install_gettext_callables(language.gettext, language.ngettext, newstyle=True)  # type: ignore[attr-defined]
    templates.env.globals.update(link=language.link, current_language=language.current,
                                 languages=language.LANGUAGES, switch_url=switch_url, site=brand.SiteView(hub))
    templates.env.globals.update(when=when, machine_time=machine_time, json_ld=json_ld, csrf_field=csrf_field,
                                 base_url=settings.base_url.rstrip("/"),
                                 distance=distance, count_words=in_words,
                                 day_range=day_range, long_day=long_day, place_name=place_name, place_note=place_note,
                                 hreflang=site.hreflang,
                                 every_event_webcal=webcal(settings.base_url.rstrip("/") + "/calendar.ics"))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        with observe.watching(watch):   # the task keeps the watcher: its refreshes' fetches and parses are counted
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
        Route("/calendar.ics", outputs.calendar, name="calendar"),
        Route("/calendar", browse.month_page, name="calendar_month"),
        Route("/calendar/{day}", browse.day_page, name="calendar_day"),
        Route("/search", search_pages.search_page, name="search"),
        Route("/tags", search_pages.tags_page, name="tags"),
        Route("/tags/{tag:path}.ics", outputs.calendar, name="tag_ics"),
        Route("/tags/{tag:path}", search_pages.tag_page, name="tag"),
        Route("/feed.atom", outputs.atom_feed, name="atom"),
        Route("/api/events.json", outputs.events_json, name="events_json"),
        Route("/api/events.geojson", outputs.events_geojson, name="events_geojson"),
        Route("/api/map.json", outputs.map_points, name="map_points"),
        Route("/map", pages.map_page, name="map"),
        Route("/weeks/{week}.ics", outputs.calendar, name="week_ics"),
        Route("/weeks/{week}/map", pages.map_page, name="week_map"),
        *(Route(path, handler, name=name) for path, handler, name in week_pages.ROUTES_BEFORE_PAGE),
        Route("/weeks/{week}", week_pages.week_page, name="week"),
        Route("/embed/weeks/{week}/map", pages.embed_map, name="embed_week_map"),
        Route("/groups", directory.groups_page, name="groups"),
        Route("/groups.geojson", directory.groups_geojson, name="groups_geojson"),
        Route("/api/groups.json", directory.groups_json, name="groups_json"),
        Route("/groups/{group}.ics", outputs.calendar, name="group_ics"),
        Route("/groups/{group}", directory.group_page, name="group"),
        Route("/about", pages.about_page, name="about"),
        Mount("/events", routes=events.ROUTES, name="events"),
        Route("/subscribe", pages.subscribe_page, name="subscribe"),
        Route("/healthz", pages.healthz, name="healthz"),
        Route("/metrics", metrics, name="metrics"),
        Route("/language/{code}", choose, name="language"),
        Route("/favicon.ico", site.favicon, name="favicon"),
        Route("/robots.txt", site.robots, name="robots"),
        Route("/sitemap.xml", site.sitemap, name="sitemap"),
        Mount("/admin", app=_console(settings, hub, templates), name="admin"),
        Mount("/join", app=_with_sessions(settings, hub, templates, [
            Route("/", join.join, methods=["GET", "POST"], name="join")]), name="join"),
        Mount("/submit", app=_with_sessions(settings, hub, templates, [
            Route("/", submit.submit, methods=["GET", "POST"], name="submit")]), name="submit"),
        Route("/static/site.css", brand.site_css, name="site_css"),
        Route("/static/site/{name}", brand.site_image, name="site_image"),
        Mount("/follow", app=_with_sessions(settings, hub, templates, follow.ROUTES, secret=True), name="follow"),
        Mount("/static/hub", StaticFiles(directory=str(settings.static_dir)), name="static"),
        Mount("/static/leaflet", StaticFiles(directory=xstatic.pkg.leaflet.BASE_DIR), name="leaflet"),
        Mount("/static/markercluster", StaticFiles(directory=xstatic.pkg.leaflet_markercluster.BASE_DIR),
              name="markercluster"),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if _wants_html(request):
            await brand.loaded(request)
            message = explained(exc.status_code, exc.detail)
            return templates.TemplateResponse(request, "error.html", {"status": exc.status_code, "message": message},
                                              status_code=exc.status_code)
        return PlainTextResponse(exc.detail, status_code=exc.status_code)

    app = _HubApp(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: not_found})
    app.state.settings = settings
    app.state.hub = hub
    app.state.templates = templates
    app.state.metrics = watch
    return app


def _console(settings: Settings, hub: Hub, templates: Jinja2Templates) -> Starlette:
    """The organisers' console, mounted at /admin: pages for signed-in accounts only."""
    routes = [
        Route("/", dashboard.dashboard, name="dashboard"),
        Route("/login", dashboard.login, methods=["GET", "POST"], name="login"),
        Route("/logout", dashboard.logout, methods=["POST"], name="logout"),
        Route("/groups", console_groups.groups, methods=["GET", "POST"], name="groups"),
        Route("/groups/{slug}", dashboard.group_page, methods=["GET", "POST"], name="group"),
        Route("/groups/{slug}/feeds/preview", preview.group_feed, methods=["POST"], name="preview_feed"),
        Route("/groups/{slug}/feeds", dashboard.add_feed, methods=["POST"], name="add_feed"),
        Route("/groups/{slug}/{action:str}", dashboard.group_action, methods=["POST"], name="group_action"),
        Route("/feeds/{feed_id:int}/{action:str}", dashboard.feed_action, methods=["POST"], name="feed_action"),
        Route("/audit", dashboard.audit_log, name="audit"),
        Route("/accounts", console_accounts.accounts_page, name="accounts"),
        Route("/accounts/new", console_accounts.add_account, methods=["POST"], name="add_account"),
        Route("/accounts/{user_id:int}/{action:str}", console_accounts.account_action, methods=["POST"],
              name="account_action"),
        Route("/password/{token:str}", console_accounts.password_page, methods=["GET", "POST"], name="password"),
        Route("/events", moderation.events, name="events"),
        Route("/events/hide", moderation.hide, methods=["POST"], name="hide"),
        Route("/events/unhide", moderation.unhide, methods=["POST"], name="unhide"),
        Route("/events/hide-series", series.hide_series, methods=["POST"], name="hide_series"),
        Route("/events/show-series", series.show_series, methods=["POST"], name="show_series"),
        Route("/hidden", moderation.hidden, name="hidden"),
        Route("/duplicates", duplicates.duplicates_page, name="duplicates"),
        Route("/duplicates/{action:str}", duplicates.decide, methods=["POST"], name="duplicates_decide"),
        Route("/requests", requests.requests_page, name="requests"),
        Route("/requests/{request_id:int}/preview", preview.join_request, methods=["POST"],
              name="preview_request"),
        Route("/requests/{request_id:int}/{action:str}", requests.decide, methods=["POST"], name="decide"),
        Route("/submissions", submissions.submissions_page, name="submissions"),
        Route("/submissions/{submission_id:int}/{action:str}", submissions.decide, methods=["POST"],
              name="decide_submission"),
        Route("/weeks", coverage.weeks, name="weeks"),
        Route("/weeks/new", weeks.new_week, methods=["GET", "POST"], name="new_week"),
        Route("/weeks/preview", weeks.live_preview, methods=["POST"], name="week_preview"),
        Route("/weeks/{slug}/edit", weeks.edit_week, methods=["GET", "POST"], name="edit_week"),
        Route("/weeks/{slug}/events", weeks.choose, methods=["POST"], name="week_choose"),
        Route("/weeks/{slug}/{action:str}", weeks.archive, methods=["POST"], name="week_archive"),
        Route("/weeks/{slug}/coverage", coverage.coverage_page, name="coverage"),
        Route("/weeks/{slug}/export.csv", coverage.export_csv, name="export_csv"),
        Route("/weeks/{slug}/export.json", coverage.export_json, name="export_json"),
    ]

    async def sign_in_first(request: Request, exc: Exception) -> Response:
        if request.method in ("GET", "HEAD"):
            return to_sign_in(request)
        return PlainTextResponse("Sign in first.", status_code=403)

    return _with_sessions(settings, hub, templates, routes, exception_handlers={SignInRequired: sign_in_first})


class _HubApp(Starlette):
    """The hub's app: its security headers go on every response, the 500 that Starlette's outermost layer
    sends after an unexpected error included; the published outputs may be read from any origin. Requests are
    counted by route once the language prefix is off their path."""

    def build_middleware_stack(self) -> ASGIApp:
        counted = RequestMetrics(super().build_middleware_stack(), metrics=self.state.metrics, routes=self.routes)
        return SecurityHeaders(Cors(LanguageMiddleware(counted)), settings=self.state.settings)


def _with_sessions(settings: Settings, hub: Hub, templates: Jinja2Templates, routes: list[Route],
                   exception_handlers: dict[Any, Any] | None = None, *, secret: bool = False) -> Starlette:
    """A part of the hub with forms, so with sessions (signed cookies, for sign-in and CSRF tokens).

    Only the console, /join and /submit have them: the public pages and outputs set no cookie and stay cacheable.
    """

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return templates.TemplateResponse(request, "error.html", {"status": exc.status_code,
                                                                  "message": explained(exc.status_code, exc.detail)},
                                          status_code=exc.status_code)

    part = Starlette(routes=routes, middleware=[session_middleware(settings)],
                     exception_handlers={HTTPException: refused, **(exception_handlers or {})})
    part.state.hub = hub
    part.state.templates = templates
    if secret:  # it signs links too (following by e-mail)
        part.state.secret = settings.secret_key
    return part


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith(("/api/", "/static/")) or Path(path).suffix in DATA_SUFFIXES)


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
