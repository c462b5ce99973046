"""Event pages: `/events/{uid}`, everything about one published event, and `/events/{uid}.ics` to add it.

The UID is the one the calendars publish (percent-encoded in links: "@" as "%40", though "@" itself works too).
A copy merged into another event answers with a permanent redirect to that event's page; a well-formed UID the
hub no longer publishes (gone from its feed, hidden by an organiser, or long past) answers 410 Gone; any other
address 404.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from calendar_hub import clock, language
from calendar_hub.catalogue import Catalogue
from calendar_hub.catalogue.listing import Listing
from calendar_hub.catalogue.scope import Scope
from calendar_hub.identity import UID_DOMAIN
from calendar_hub.publish import ics
from calendar_hub.publish.api import event_url
from calendar_hub.web.common import cached_output, current_catalogue
from calendar_hub.web.event_links import directions, google_add, outlook_add
from calendar_hub.web.present import is_online, when
from calendar_hub.web.public.outputs import ICS_TYPE
from calendar_hub.web.responses import send

WELL_FORMED = re.compile(rf"[0-9a-f]{{32}}@{re.escape(UID_DOMAIN)}")  # identity.published_uid's shape
OTHER_DATES = 50   # a weekly series over the hub's window: enough to show it, not a calendar of its own
SUMMARY_LENGTH = 200


async def event_page(request: Request) -> Response:
    """GET /events/{uid}: the event's page (its time, place, groups, description and "add to calendar")."""
    catalogue = await current_catalogue(request)
    uid = request.path_params["uid"]
    listing = catalogue.by_uid(uid)
    if listing is None:
        return await _gone(request, catalogue, uid)
    if listing.uid != uid:
        return RedirectResponse(language.link(event_url("", listing.uid)), status_code=301)
    base = request.app.state.hub.settings.base_url.rstrip("/")
    templates = request.app.state.templates

    def build() -> tuple[bytes, str]:
        values = {"request": request, "settings": request.app.state.hub.settings, "base_url": base,
                  "zone": catalogue.zone, **event_context(catalogue, listing, base)}
        return templates.get_template("event.html").render(values).encode(), "text/html; charset=utf-8"

    # "Other dates" and "has ended" move with the clock: the page is rebuilt at least hourly.
    key = ("event", language.current(), listing.uid, clock.now().strftime("%Y%m%d%H"))
    return send(request, await cached_output(catalogue, key, build), max_age=60)


async def event_ics(request: Request) -> Response:
    """GET /events/{uid}.ics: the one event as a calendar file, its VEVENT as in every calendar it is in."""
    catalogue = await current_catalogue(request)
    uid = request.path_params["uid"]
    listing = catalogue.by_uid(uid)
    if listing is None:
        status = 410 if WELL_FORMED.fullmatch(uid) else 404
        return PlainTextResponse("This event is not listed (any more)." if status == 410 else "There is no such event.",
                                 status_code=status)
    if listing.uid != uid:
        return RedirectResponse(event_url("", listing.uid) + ".ics", status_code=301)
    base = request.app.state.hub.settings.base_url.rstrip("/")

    def build() -> tuple[bytes, str]:
        return ics.build_event(listing, base_url=base, now=catalogue.built_at), ICS_TYPE

    output = await cached_output(catalogue, ("event-ics", listing.uid, Scope(uid=listing.uid)), build)
    return send(request, output, filename="event.ics")


def event_context(catalogue: Catalogue, listing: Listing, base: str) -> dict[str, Any]:
    """What event.html shows of `listing`, worked out from the catalogue (in a worker thread: see `event_page`)."""
    page_url = base + language.link(event_url("", listing.uid))  # this language's page
    now = clock.now()
    others = [item for item in catalogue.series_of(listing) if item.uid != listing.uid]
    upcoming = [item for item in others if item.end > now or item.start >= now]
    groups = [(ref, catalogue.group(ref.slug)) for ref in listing.groups]
    summary = " · ".join(filter(None, [when(listing, catalogue.zone), listing.location,
                                       listing.description_text.strip()[:SUMMARY_LENGTH]]))
    return {
        "listing": listing, "page_url": page_url, "ics_path": event_url("", listing.uid) + ".ics",
        "ended": listing.end < now and listing.start < now, "online": is_online(listing),
        "placed": listing.lat is not None and listing.lon is not None,
        "other_dates": upcoming[:OTHER_DATES], "more_dates": max(len(upcoming) - OTHER_DATES, 0),
        "past_dates": len(others) - len(upcoming), "groups": groups,
        "weeks": [week for slug in listing.weeks if (week := catalogue.week(slug)) is not None],
        "google_url": google_add(listing, page_url), "outlook_url": outlook_add(listing, page_url),
        "directions_url": directions(listing), "summary": summary,
        "join_url": listing.location.strip() if is_online(listing) and
        listing.location.strip().startswith(("https://", "http://")) else "",
    }


async def _gone(request: Request, catalogue: Catalogue, uid: str) -> Response:
    """410 for a well-formed UID the hub does not publish (now), 404 for anything else."""
    if not WELL_FORMED.fullmatch(uid):
        raise HTTPException(404, language.gettext("There is no such event."))
    template = request.app.state.templates.get_template("event_gone.html")
    values = {"request": request, "settings": request.app.state.hub.settings, "zone": catalogue.zone,
              "weeks": catalogue.weeks}
    body = await run_in_threadpool(template.render, values)
    return Response(body, status_code=410, media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300"})


ROUTES = [
    Route("/{uid}.ics", event_ics, name="event_ics"),
    Route("/{uid}", event_page, name="event"),
]
