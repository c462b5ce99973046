"""Moderation in the console: find published events, hide one with a reason, bring hidden ones back."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import clock
from calendar_hub.catalogue.listing import Listing
from calendar_hub.console import moderation
from calendar_hub.errors import Conflict, InputError
from calendar_hub.store import HiddenSeries
from calendar_hub.store.models import HiddenEvent
from calendar_hub.web.common import back, current_catalogue, open_session, render
from calendar_hub.web.console.auth import STAFF, checked_form, require
from calendar_hub.web.present import long_day

PER_PAGE = 50


async def events(request: Request) -> Response:
    """GET /admin/events?week=&q=&page=: published events (upcoming, or a week's), 50 a page, each with a form to
    hide it; `q` keeps those whose title, place or group holds it."""
    user = require(request, *STAFF)
    catalogue = await current_catalogue(request)
    week = request.query_params.get("week") or None
    if week is not None and catalogue.week(week) is None:
        week = None
    query = " ".join(request.query_params.get("q", "").split())[:200]
    found: list[Listing] = catalogue.find(week=week) if week else catalogue.find(after=clock.now())
    if query:
        folded = query.casefold()
        found = [item for item in found if folded in _haystack(item)]
    pages = max(1, -(-len(found) // PER_PAGE))
    page = min(max(_number(request.query_params.get("page", "")), 1), pages)
    shown = found[(page - 1) * PER_PAGE:page * PER_PAGE]
    series = {item.uid: len(catalogue.series_of(item)) for item in shown}
    return render(request, "admin/events.html", user, listings=shown, total=len(found), page=page, pages=pages,
                  first=(page - 1) * PER_PAGE + 1, series=series, weeks=catalogue.weeks, week=week, q=query,
                  zone=catalogue.zone, done=request.query_params.get("done", ""))


def _number(text: str) -> int:
    return int(text) if text.isdigit() and len(text) < 7 else 1


def _haystack(item: Listing) -> str:
    return " ".join((item.title, item.location, item.town, *(g.name for g in item.groups))).casefold()


async def hide(request: Request) -> Response:
    """POST /admin/events/hide: uid, title and reason."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    uid, title, reason = (str(form.get(name, "")) for name in ("uid", "title", "reason"))
    catalogue = await current_catalogue(request)
    listing = catalogue.by_uid(uid[:100])

    def run() -> str:
        with open_session(request) as session:
            try:
                moderation.hide(uid[:100], title=title, reason=reason, session=session, actor=user.email)
            except (InputError, Conflict) as e:
                return str(e)
        return hidden_words(listing, title, catalogue.series_of(listing) if listing else [], catalogue.zone)

    return back("/admin/events", await run_in_threadpool(run))


def hidden_words(listing: Listing | None, title: str, series: list[Listing], zone: ZoneInfo) -> str:
    """What hiding `listing` did, in the organisers' words: one date of a series says the others stay."""
    if listing is not None and len(series) > 1:
        day = long_day(listing.start.astimezone(zone).date())
        return (f"Hidden: this date ({day}) of \u201c{title}\u201d is hidden from every calendar, list and map; "
                f"the other {len(series) - 1} dates of the series stay.")
    return f"Hidden: \u201c{title}\u201d is hidden from every calendar, list and map."


async def hidden(request: Request) -> Response:
    """GET /admin/hidden: every hidden series and event with who hid it and why, to bring back."""
    user = require(request, *STAFF)

    def read() -> tuple[list[HiddenEvent], list[HiddenSeries]]:
        with open_session(request) as session:
            return moderation.hidden_events(session=session), moderation.hidden_series(session=session)

    one_by_one, whole = await run_in_threadpool(read)
    return render(request, "admin/hidden.html", user, hidden=one_by_one, series=whole,
                  done=request.query_params.get("done", ""))


async def unhide(request: Request) -> Response:
    """POST /admin/events/unhide: uid."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    uid = str(form.get("uid", ""))[:100]

    def run() -> Any:
        with open_session(request) as session:
            return moderation.unhide(uid, session=session, actor=user.email)

    shown = await run_in_threadpool(run)
    return back("/admin/hidden", "It is back in the outputs." if shown else "It was not hidden.")
