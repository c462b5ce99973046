"""The public "Add your group's calendar" form at /join, and the organisers' side at /admin/requests.

The address a group pastes arrives through the web: discovery fetches it only through the SSRF-guarded
client, and a request is kept only when a calendar was found behind it.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import joining
from calendar_hub.discover import discover
from calendar_hub.errors import ConfigError
from calendar_hub.fetch import Limits, make_client
from calendar_hub.web.admin import _back, _render, _session
from calendar_hub.web.auth import STAFF, checked_form, require


async def join(request: Request) -> Response:
    """GET /join: the form; POST: check the fields, find the calendar, store the request, thank the group."""
    values: dict[str, str] = {}
    problem = ""
    if request.method == "POST":
        form = await checked_form(request)
        typed = {name: str(form.get(name, "")) for name in ("name", "home", "contact", "address")}
        values = typed
        try:
            values = joining.check_form(typed["name"], typed["home"], typed["contact"], typed["address"])
            found = await _find(request, values["address"])
            if not found.feeds:
                why = found.message.rstrip()
                why += "" if why.endswith((".", "!", "?")) else "."
                raise ConfigError(f"We could not find a calendar there: {why} "
                                  "Check the address, or paste the address of the calendar itself.")
            feed = found.feeds[0]

            def store() -> Any:
                with _session(request) as session:
                    return joining.submit(values, feed_url=feed.url, feed_kind=feed.kind, found_how=feed.how,
                                          session=session)

            made = await run_in_threadpool(store)
        except ConfigError as e:
            problem = str(e)
        else:
            return _render(request, "join_thanks.html", None, request_made=made)
    return _render(request, "join.html", None, values=values, problem=problem, status_code=400 if problem else 200)


async def _find(request: Request, address: str) -> Any:
    settings = request.app.state.hub.settings
    async with make_client(settings, guarded=True) as client:
        return await discover(client, address, limits=Limits.from_settings(settings))


async def requests_page(request: Request) -> Response:
    """GET /admin/requests: groups waiting to join, with what the hub found at their address."""
    user = require(request, *STAFF)

    def read() -> tuple[list[Any], list[Any]]:
        with _session(request) as session:
            return joining.pending(session=session), joining.recent_decisions(session=session)

    waiting, decided = await run_in_threadpool(read)
    return _render(request, "admin/requests.html", user, waiting=waiting, decided=decided,
                   done=request.query_params.get("done", ""))


async def decide(request: Request) -> Response:
    """POST /admin/requests/{id}/approve or /reject (with a note)."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    request_id, action = int(request.path_params["request_id"]), request.path_params["action"]

    def run() -> str:
        with _session(request) as session:
            try:
                if action == "approve":
                    slug = joining.approve(request_id, session=session, actor=user.email)
                    return f"Approved: the group {slug} was made; its calendar is read on the next refresh."
                joining.reject(request_id, str(form.get("note", "")), session=session, actor=user.email)
                return "Rejected."
            except ConfigError as e:
                return str(e)

    return _back("/admin/requests", await run_in_threadpool(run))
