"""The console's preview of a calendar before it is added: for a group's pasted address, and for a join request.

Both pages fetch only through the SSRF-guarded client and store nothing; adding is a separate POST
(`admin.add_feed`, or approving the request), which checks the chosen address again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub.catalogue import home_place
from calendar_hub.console import calendars, joining, preview
from calendar_hub.errors import Conflict, InputError
from calendar_hub.ingest.discover import FoundFeed
from calendar_hub.ingest.fetch import make_client
from calendar_hub.places import Place
from calendar_hub.store.models import Group, JoinRequest
from calendar_hub.web.common import group_for, open_session, render
from calendar_hub.web.console.auth import STAFF, checked_form, require

SCHEMES = ("http", "https", "webcal", "webcals")


async def group_feed(request: Request) -> Response:
    """POST /admin/groups/{slug}/feeds/preview: the calendars behind a pasted address and their next events."""
    user = require(request)
    form = await checked_form(request)
    address = " ".join(str(form.get("url", "")).split())[:2000]

    def read() -> tuple[Group, Place | None]:
        with open_session(request) as session:
            group = group_for(user, request.path_params["slug"], session)
            return group, home_place(group.home, group.lat, group.lon)

    group, home = await run_in_threadpool(read)
    if urlsplit(address).scheme.lower() not in SCHEMES:
        return render(request, "admin/preview.html", user, status_code=400, group=group, join_request=None,
                      address=address, found=None, problem="Paste a full web address, starting with https://.")
    settings = request.app.state.hub.settings
    async with make_client(settings, guarded=True) as client:
        found = await preview.preview(client, address, settings=settings, home=home)
    return await _page(request, user, found, group=group, address=address)


async def join_request(request: Request) -> Response:
    """POST /admin/requests/{request_id}/preview: the events of the calendar a waiting group asked to add."""
    user = require(request, *STAFF)
    await checked_form(request)
    request_id = int(request.path_params["request_id"])

    def read() -> JoinRequest | str:
        with open_session(request) as session:
            try:
                return joining.pending_request(request_id, session=session)
            except (InputError, Conflict) as e:
                return str(e)

    asked = await run_in_threadpool(read)
    if isinstance(asked, str):
        return render(request, "admin/preview.html", user, status_code=404, group=None, join_request=None,
                      found=None, address="", problem=asked)
    settings = request.app.state.hub.settings
    feed = FoundFeed(url=asked.feed_url, kind=asked.feed_kind, title="", how=asked.found_how)
    async with make_client(settings, guarded=True) as client:
        found = await preview.preview_feeds(client, [feed], requested=asked.address, settings=settings,
                                            home=home_place(asked.home, None, None))
    return await _page(request, user, found, join_request=asked, address=asked.address)


async def _page(request: Request, user: Any, found: preview.Preview, **context: Any) -> Response:
    """The preview page, warning of a calendar another group has; HTTP 400 when none was found or could be read."""
    problem = found.problem
    group = context.get("group")

    def read() -> dict[str, list[calendars.Owner]]:
        with open_session(request) as session:
            return calendars.owners_of([item.feed.url for item in found.feeds], session=session,
                                       except_group=group.slug if group is not None else None)

    owners = await run_in_threadpool(read)
    return render(request, "admin/preview.html", user, status_code=400 if problem else 200, found=found,
                  problem=problem, owners=owners, **{"group": None, "join_request": None, **context})
