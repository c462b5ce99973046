"""Moderation in the console: find published events, hide one with a reason, bring hidden ones back."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import clock
from calendar_hub.catalogue.listing import Listing
from calendar_hub.console import moderation
from calendar_hub.errors import Conflict, InputError
from calendar_hub.store.models import HiddenEvent
from calendar_hub.web.common import back, current_catalogue, open_session, render
from calendar_hub.web.console.auth import STAFF, checked_form, require

SHOWN = 200


async def events(request: Request) -> Response:
    """GET /admin/events?week=&q=: published events (upcoming, or a week's), each with a form to hide it."""
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
    return render(request, "admin/events.html", user, listings=found[:SHOWN], more=max(len(found) - SHOWN, 0),
                  weeks=catalogue.weeks, week=week, q=query, zone=catalogue.zone,
                  done=request.query_params.get("done", ""))


def _haystack(item: Listing) -> str:
    return " ".join((item.title, item.location, item.town, *(g.name for g in item.groups))).casefold()


async def hide(request: Request) -> Response:
    """POST /admin/events/hide: uid, title and reason."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    uid, title, reason = (str(form.get(name, "")) for name in ("uid", "title", "reason"))

    def run() -> str:
        with open_session(request) as session:
            try:
                moderation.hide(uid[:100], title=title, reason=reason, session=session, actor=user.email)
            except (InputError, Conflict) as e:
                return str(e)
        return f"Hidden: \u201c{title}\u201d has left every calendar, list and map."

    return back("/admin/events", await run_in_threadpool(run))


async def hidden(request: Request) -> Response:
    """GET /admin/hidden: every hidden event with who hid it and why, to bring back."""
    user = require(request, *STAFF)

    def read() -> list[HiddenEvent]:
        with open_session(request) as session:
            return moderation.hidden_events(session=session)

    return render(request, "admin/hidden.html", user, hidden=await run_in_threadpool(read),
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
