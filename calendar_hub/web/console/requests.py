"""Groups asking to join, in the organisers' console at /admin/requests: what the hub found, approve or reject.

The requests come from the public form at /join (`web.public.join`); organisers and admins decide.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub.console import calendars, joining
from calendar_hub.errors import Conflict, InputError
from calendar_hub.web.common import back, open_session, render
from calendar_hub.web.console.auth import STAFF, checked_form, require


async def requests_page(request: Request) -> Response:
    """GET /admin/requests: groups waiting to join, with what the hub found at their address."""
    user = require(request, *STAFF)

    def read() -> tuple[list[Any], list[Any], dict[str, list[calendars.Owner]]]:
        with open_session(request) as session:
            waiting = joining.pending(session=session)
            owners = calendars.owners_of([r.feed_url for r in waiting], session=session)
            return waiting, joining.recent_decisions(session=session), owners

    waiting, decided, owners = await run_in_threadpool(read)
    return render(request, "admin/requests.html", user, waiting=waiting, decided=decided, owners=owners,
                  done=request.query_params.get("done", ""))


async def decide(request: Request) -> Response:
    """POST /admin/requests/{id}/approve or /reject (with a note)."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    request_id, action = int(request.path_params["request_id"]), request.path_params["action"]
    if action not in ("approve", "reject"):
        raise HTTPException(404, "There is no such action.")

    def run() -> str:
        with open_session(request) as session:
            try:
                if action == "approve":
                    slug = joining.approve(request_id, session=session, actor=user.email)
                    return f"Approved: the group {slug} was made; its calendar is read on the next refresh."
                joining.reject(request_id, str(form.get("note", "")), session=session, actor=user.email)
                return "Rejected."
            except (InputError, Conflict) as e:
                return str(e)

    return back("/admin/requests", await run_in_threadpool(run))
