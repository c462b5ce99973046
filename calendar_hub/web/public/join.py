"""The public "Add your group's calendar" form at /join (organisers decide at /admin/requests).

The address a group pastes arrives through the web: discovery fetches it only through the SSRF-guarded
client, and a request is kept only when a calendar was found behind it.  One client address may use
the form `joining.TRIES_PER_CLIENT` times an hour, counted before anything is fetched (429 beyond).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub.console import joining
from calendar_hub.errors import Conflict, InputError
from calendar_hub.ingest.discover import discover
from calendar_hub.ingest.fetch import Limits, make_client
from calendar_hub.language import gettext
from calendar_hub.web.common import open_session, render
from calendar_hub.web.console.auth import checked_form
from calendar_hub.web.public import brand


async def join(request: Request) -> Response:
    """GET /join: the form; POST: check the fields, find the calendar, store the request, thank the group."""
    await brand.loaded(request)  # the page shows the hub's identity
    values: dict[str, str] = {}
    problem = ""
    if request.method == "POST":
        form = await checked_form(request)
        typed = {name: str(form.get(name, "")) for name in ("name", "home", "contact", "address")}
        values = typed
        try:
            values = joining.check_form(typed["name"], typed["home"], typed["contact"], typed["address"])
            if not await run_in_threadpool(_within_limit, request):
                return _too_often(request, values)
            found = await _find(request, values["address"])
            if not found.feeds:
                why = found.message.rstrip()
                why += "" if why.endswith((".", "!", "?")) else "."
                raise InputError(gettext("We could not find a calendar there: %(why)s Check the address, or paste the "
                                         "address of the calendar itself.") % {"why": why})
            feed = found.feeds[0]

            def store() -> Any:
                with open_session(request) as session:
                    return joining.submit(values, feed_url=feed.url, feed_kind=feed.kind, found_how=feed.how,
                                          session=session)

            made = await run_in_threadpool(store)
        except (InputError, Conflict) as e:
            problem = str(e)
        else:
            return render(request, "join_thanks.html", None, request_made=made)
    return render(request, "join.html", None, values=values, problem=problem, status_code=400 if problem else 200)


def _too_often(request: Request, values: dict[str, str]) -> Response:
    """HTTP 429: the form again, with what was typed, saying to wait (RFC 9110 10.2.3: Retry-After)."""
    busy = render(request, "join.html", None, values=values, status_code=429,
                  problem=gettext("This form has been used many times from your connection in the last hour. "
                                  "Please try again in an hour, or write to the organisers."))
    busy.headers["Retry-After"] = str(int(joining.TRIES_WINDOW.total_seconds()))
    return busy


def _within_limit(request: Request) -> bool:
    """Count this use of the form against the client's address (before anything is fetched for it).

    The address is the connection's: behind a reverse proxy, run uvicorn with --proxy-headers and
    --forwarded-allow-ips, or every visitor shares the proxy's address and its limit.
    """
    client = request.client.host if request.client else "unknown"
    with open_session(request) as session:
        return joining.within_join_limit(client, session=session)


async def _find(request: Request, address: str) -> Any:
    settings = request.app.state.hub.settings
    async with make_client(settings, guarded=True) as client:
        return await discover(client, address, limits=Limits.from_settings(settings))
