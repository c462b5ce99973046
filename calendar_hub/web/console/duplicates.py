"""Duplicates in the console: suspected pairs side by side to merge or keep apart, merged events to split, undo."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import clock
from calendar_hub.console import duplicates
from calendar_hub.errors import Conflict, InputError
from calendar_hub.web.common import back, current_catalogue, open_session, render
from calendar_hub.web.console.auth import STAFF, checked_form, require
from calendar_hub.web.console.work import remember_suspects

SHOWN = 100
DONE = {
    "merge": "Merged: \u201c{a}\u201d and \u201c{b}\u201d are one event now, crediting every group "
             "(under the UID of the one seen first; the other UID has left the calendars).",
    "apart": "Kept apart: \u201c{a}\u201d and \u201c{b}\u201d stay two events.",
    "undo": "Undone: the hub judges \u201c{a}\u201d and \u201c{b}\u201d by itself again.",
}


async def duplicates_page(request: Request) -> Response:
    """GET /admin/duplicates?week=: suspected pairs, events made of several feeds' entries, decisions made."""
    user = require(request, *STAFF)
    catalogue = await current_catalogue(request)
    week = request.query_params.get("week") or None
    if week is not None and catalogue.week(week) is None:
        week = None
    shown = catalogue.find(week=week) if week else catalogue.find(after=clock.now())

    def read() -> duplicates.Review:
        with open_session(request) as session:
            return duplicates.review(shown, session=session, zone=catalogue.zone)

    found = await run_in_threadpool(read)
    if week is None:
        remember_suspects(catalogue, len(found.suspects))  # the upcoming ones: the navigation's count
    return render(request, "admin/duplicates.html", user, suspects=found.suspects[:SHOWN],
                  more_suspects=max(len(found.suspects) - SHOWN, 0), merged=found.merged[:SHOWN],
                  more_merged=max(len(found.merged) - SHOWN, 0), decisions=found.decisions,
                  weeks=catalogue.weeks, week=week, zone=catalogue.zone, done=request.query_params.get("done", ""))


async def decide(request: Request) -> Response:
    """POST /admin/duplicates/merge, /apart and /undo: uid_a and uid_b (and the titles, for the record)."""
    user = require(request, *STAFF)
    action = request.path_params["action"]
    if action not in DONE:
        raise HTTPException(404, "There is no such action.")
    form = await checked_form(request)
    uid_a, uid_b, title_a, title_b = (str(form.get(n, ""))[:1000] for n in ("uid_a", "uid_b", "title_a", "title_b"))

    def run() -> str:
        with open_session(request) as session:
            if action == "undo":
                if not duplicates.undo(uid_a, uid_b, session=session, actor=user.email):
                    return "There was no decision on those two."
            else:
                try:
                    duplicates.decide(uid_a, uid_b, action, session=session, actor=user.email,
                                      title_a=title_a, title_b=title_b)
                except (InputError, Conflict) as e:
                    return str(e)
        return DONE[action].format(a=_short(title_a), b=_short(title_b))

    return back("/admin/duplicates", await run_in_threadpool(run))


def _short(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= 80 else title[:79] + "\u2026"
