"""The console's list of groups and its one form that adds a group with its calendar, previewing the events first.

Without JavaScript: the form posts with `do=preview`, and the same page comes back with what was typed kept, the
short name suggested, and what the hub would read at the calendar's address (fetched through the SSRF-guarded
client, storing nothing), warning when another group already has that calendar; `do=add` stores the group and
the calendar chosen from the preview together (`console.add_group_with_calendar`), then shows the new group's
page, where the calendar says "Refreshing now" until its first events are read.  A group with no calendar
address is added alone.  An address that was not previewed as it stands is previewed first, never added unseen.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub.catalogue import home_place
from calendar_hub.console import calendars, joining, pickers, preview
from calendar_hub.console import groups as console
from calendar_hub.errors import FeedError
from calendar_hub.ingest.discover import FoundFeed
from calendar_hub.ingest.fetch import Limits, make_client
from calendar_hub.services import SERVICES
from calendar_hub.store.models import Group
from calendar_hub.web.common import back, open_session, render
from calendar_hub.web.console.auth import STAFF, Signed, checked_form, require
from calendar_hub.web.console.preview import SCHEMES

__all__ = ["groups"]

TEXT = ("slug", "region", *console.GROUP_FIELDS, "address", "calendar", "previewed")  # the form's text boxes


async def groups(request: Request) -> Response:
    """GET /admin/groups: every group, and the form to add one with its calendar; POST previews (do=preview) or
    adds (do=add, the default)."""
    user = require(request, *STAFF)
    if request.method == "GET":
        return await _page(request, user, {})
    form = await checked_form(request)
    values: dict[str, Any] = {name: " ".join(str(form.get(name, "")).split())[:2000] for name in TEXT}
    values["services"] = [str(v) for v in form.getlist("services")]
    if form.get("do") == "preview":
        return await _preview(request, user, values)
    values["slug"] = pickers.suggested_slug(values["slug"], values["name"])  # left empty: made from the name

    def check() -> str:
        with open_session(request) as session:
            try:
                console.check_new_group(values, session=session)
            except console.ConsoleError as e:
                return str(e)
            return ""

    problem = await run_in_threadpool(check)
    if problem:
        return await _page(request, user, values, problem=problem)
    address, chosen = values["address"], values["calendar"]
    if not address:
        return await _add(request, user, values, None)
    if not chosen or values["previewed"] != address:
        return await _preview(request, user, values, note="Nothing is saved yet: here is what the calendar brings. "
                                                          "Press “Add group and calendar” to add both.")
    # The chosen address comes back from the browser: it is fetched again through the guarded client, and the kind
    # stored is what its body is now (as adding a calendar to an existing group does).
    settings = request.app.state.hub.settings
    try:
        async with make_client(settings, guarded=True) as client:
            feed = await preview.check_feed(client, chosen, limits=Limits.from_settings(settings))
    except FeedError as e:
        return await _page(request, user, values, problem=f"Nothing was added: the calendar could not be read ({e}).")
    return await _add(request, user, values, feed)


async def _add(request: Request, user: Signed, values: dict[str, Any], feed: FoundFeed | None) -> Response:
    """Store the group, with the calendar `feed` when there is one, in one transaction; on to its page."""

    def add() -> Group:
        with open_session(request) as session:
            if feed is None:
                return console.add_group(values, session=session, actor=user.email)
            return console.add_group_with_calendar(values, feed.url, feed.kind, session=session, actor=user.email)

    try:
        group = await run_in_threadpool(add)
    except console.ConsoleError as e:
        return await _page(request, user, values, problem=str(e))
    if feed is None:
        return back(f"/admin/groups/{group.slug}", f"{group.name} was added.")
    return back(f"/admin/groups/{group.slug}", f"{group.name} was added with its calendar, which is being read now: "
                                               "its events usually appear within a minute.")


async def _preview(request: Request, user: Signed, values: dict[str, Any], note: str = "") -> Response:
    """The form again, with the short name suggested and the events at the address given (or why there are none)."""
    address = values["address"]
    if not values["slug"] and values["name"]:

        def suggest() -> str:
            with open_session(request) as session:
                return joining.free_slug(values["name"], session=session)

        values["slug"] = await run_in_threadpool(suggest)
    if not address:
        return await _page(request, user, values, problem="Paste the calendar's address to preview its events.")
    if urlsplit(address).scheme.lower() not in SCHEMES:
        return await _page(request, user, values, problem="Paste a full web address, starting with https://.")
    settings = request.app.state.hub.settings
    async with make_client(settings, guarded=True) as client:
        found = await preview.preview(client, address, settings=settings, home=home_place(values["home"], None, None))
    choices = [item.feed.url for item in found.choices]
    values["previewed"] = address
    if values["calendar"] not in choices:
        values["calendar"] = choices[0] if choices else ""
    return await _page(request, user, values, found=found, problem=found.problem, note=note)


async def _page(request: Request, user: Signed, values: dict[str, Any], *, found: preview.Preview | None = None,
                problem: str = "", note: str = "") -> Response:
    """The groups page: every group, then the form with `values` kept and, after a preview, what it found."""
    urls = [item.feed.url for item in found.feeds] if found is not None else []

    def read() -> tuple[list[Group], dict[str, list[calendars.Owner]]]:
        with open_session(request) as session:
            return console.all_groups(session=session), calendars.owners_of(urls, session=session)

    every, owners = await run_in_threadpool(read)
    regions = sorted({g.region for g in every if g.region}, key=str.casefold)
    return render(request, "admin/groups.html", user, groups=every, problem=problem, services=SERVICES,
                  values=values, found=found, owners=owners, note=note, regions=regions,
                  status_code=400 if problem else 200)
