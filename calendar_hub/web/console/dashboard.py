"""The organisers' console at /admin: sign in, feed health, a group and its feeds, the audit log.

Every page needs a signed-in account (`auth.require`) and every form a CSRF token
(`auth.checked_form`).  Editors see and change only their own group; organisers and admins everything.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from calendar_hub import store
from calendar_hub.console import accounts, held, preview
from calendar_hub.console import groups as console
from calendar_hub.errors import FeedError
from calendar_hub.ingest.fetch import Limits, make_client
from calendar_hub.services import SERVICES
from calendar_hub.store.models import Feed, Group
from calendar_hub.web.common import back, current_catalogue, group_for, open_session, render
from calendar_hub.web.console.auth import STAFF, checked_form, require, sign_in, sign_out
from calendar_hub.web.console.confirm import confirmation, confirmed, finished
from calendar_hub.web.console.work import Waiting, suspects_of


async def login(request: Request) -> Response:
    """GET/POST /admin/login: the sign-in form; past too many failures for an account and address, tries wait."""
    target = request.query_params.get("next", "/admin")
    if not target.startswith("/admin") or target.startswith("//"):
        target = "/admin"  # never an open redirect
    if request.method == "GET":
        return render(request, "admin/login.html", None, next=target, problem="")
    form = await checked_form(request)
    email, password = str(form.get("email", ""))[:320], str(form.get("password", ""))[:1000]
    address = request.client.host if request.client else "unknown"

    def check() -> accounts.SignInAttempt:
        with open_session(request) as session:
            return accounts.attempt_sign_in(email, password, address=address, session=session)

    attempt = await run_in_threadpool(check)
    if attempt.user is None:
        problem = "That e-mail address and password do not match an account." if attempt.checked else ""
        if attempt.wait:
            problem += f" There have been too many tries: wait {_minutes(attempt.wait)} and try again."
        elif attempt.last_before_wait:
            problem += (f" One more wrong password and signing in from here waits "
                        f"{_minutes(accounts.FIRST_WAIT)}.")
        return render(request, "admin/login.html", None, status_code=400, next=target, email=email,
                      problem=problem.strip())
    sign_in(request, attempt.user)
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    """POST /admin/logout."""
    await checked_form(request)
    await sign_out(request)
    return RedirectResponse("/", status_code=303)


def _minutes(wait: timedelta) -> str:
    """A wait in whole minutes, rounded up ("a minute", "4 minutes", "an hour")."""
    minutes = -(-wait // timedelta(minutes=1))
    return "a minute" if minutes <= 1 else "an hour" if minutes == 60 else f"{minutes} minutes"


async def dashboard(request: Request) -> Response:
    """GET /admin: the work waiting (join requests, sent events, suspected duplicates, failing feeds), then feed
    health, broken feeds first (an editor sees their own group's feeds and nothing else waiting)."""
    user = require(request)
    catalogue = await current_catalogue(request) if user.staff else None

    def read() -> tuple[list[store.FeedHealth], Any, Waiting]:
        with open_session(request) as session:
            rows = store.feed_health(session=session)
            if not user.staff:
                rows = [row for row in rows if user.may_edit_group(row.feed.group_id)]
            # Followers by e-mail, as counts per week and place only: the console never shows an address.
            followers = store.follower_counts(session=session) if user.staff else None
            work = store.waiting_work(session=session, staff=user.staff, group_id=user.group_id)
            suspects = len(suspects_of(catalogue, session)) if catalogue is not None else None
            return (sorted(rows, key=_broken_first), followers,
                    Waiting(work.join_requests, work.submissions, work.failing_feeds, suspects))

    rows, followers, waiting = await run_in_threadpool(read)
    return render(request, "admin/dashboard.html", user, feeds=rows, done=request.query_params.get("done", ""),
                  held={row.feed.id: held.note(row.held) for row in rows if row.held is not None},
                  followers=followers, waiting=waiting)


def _broken_first(row: store.FeedHealth) -> tuple[Any, ...]:
    feed = row.feed
    broken = bool(feed.error) or feed.consecutive_failures > 0
    return (not feed.active, not broken, row.held is None, -feed.consecutive_failures, not feed.notice,
            row.group_slug, feed.url)


async def group_page(request: Request) -> Response:
    """GET /admin/groups/{slug}: the group's details and feeds; POST saves the details."""
    user = require(request)
    slug = request.path_params["slug"]

    def read() -> tuple[Group, list[Feed], dict[int, str]]:
        with open_session(request) as session:
            group = group_for(user, slug, session)
            assert group.id is not None
            return group, console.feeds_of(group.id, session=session), held.notes(session=session)

    # The group is looked up (404, 403) before the form is read, and no session stays open while it is.
    group, feeds, held_notes = await run_in_threadpool(read)
    problem = ""
    if request.method == "POST":
        form = await checked_form(request)
        values: dict[str, Any] = {n: str(form.get(n, "")) for n in console.GROUP_FIELDS}
        values["services"] = [str(v) for v in form.getlist("services")]  # the boxes ticked; none when none is

        def edit() -> bool:
            with open_session(request) as session:
                return console.edit_group(group_for(user, slug, session), values, session=session, actor=user.email)

        try:
            changed = await run_in_threadpool(edit)
        except console.ConsoleError as e:
            problem = str(e)  # refused before anything changed: the group read above is still as stored
        else:
            return back(f"/admin/groups/{slug}", "Saved." if changed else "Nothing had changed.")
    return render(request, "admin/group.html", user, group=group, feeds=feeds, held=held_notes, problem=problem,
                  services=SERVICES,
                  done=request.query_params.get("done", ""), status_code=400 if problem else 200)


async def group_action(request: Request) -> Response:
    """POST /admin/groups/{slug}/pause (first a page saying what will happen; then, with confirm=yes, paused, with
    a button to resume) and /resume (at once) (organisers and admins)."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    action = request.path_params["action"]
    if action not in ("pause", "resume"):
        raise HTTPException(404, "There is no such action.")
    active = action == "resume"

    def read() -> tuple[Group, int]:
        with open_session(request) as session:
            group = group_for(user, request.path_params["slug"], session)
            return group, store.followers_of(session=session, group_slug=group.slug)

    group, following = await run_in_threadpool(read)
    slug = group.slug
    if not active and group.active and not confirmed(form):
        catalogue = await current_catalogue(request)
        events = len(catalogue.find(group=slug))
        return confirmation(request, user, heading=f"Pause {group.name}?", consequences=[
            f"Its {events:,} {'event leaves' if events == 1 else 'events leave'} every calendar, list and map: "
            "calendar apps subscribed to the hub, its weeks or this group stop showing them at their next update, "
            "and the group's public page answers “not found”.",
            f"{following:,} {'person follows' if following == 1 else 'people follow'} the group by e-mail and will "
            "get nothing about it while it is paused.",
            "Its calendars are no longer read. Nothing is deleted: resuming brings every event back.",
        ], action=f"/admin/groups/{slug}/pause", button="Yes, pause the group", back_to=f"/admin/groups/{slug}")

    def run() -> None:
        with open_session(request) as session:
            console.set_group_active(group_for(user, slug, session), active, session=session, actor=user.email)

    await run_in_threadpool(run)
    if active:
        return back(f"/admin/groups/{slug}", "Resumed.")
    return finished(request, user, heading=f"{group.name} is paused",
                    message="Paused: its events have left every calendar, list and map.",
                    undo_action=f"/admin/groups/{slug}/resume", undo_button="Undo: resume the group",
                    back_to=f"/admin/groups/{slug}", back_label="Back to the group")


async def add_feed(request: Request) -> Response:
    """POST /admin/groups/{slug}/feeds: add the calendar chosen on the preview page, once checked again."""
    user = require(request)
    form = await checked_form(request)
    url = " ".join(str(form.get("url", "")).split())[:2000]
    slug = request.path_params["slug"]

    def read() -> Group:
        with open_session(request) as session:
            return group_for(user, slug, session)

    group = await run_in_threadpool(read)
    # The address comes back from the browser, so it is not trusted: it is fetched once more through
    # the SSRF-guarded client and must itself be a calendar or feed (a web page is for the preview to
    # look behind), and the kind stored is what its body is now, not what the form says.  Accepting any
    # http(s) address and leaving the rest to the guarded refresh would be as safe from SSRF, but would
    # store an address nobody has seen work, whose failure shows only after the next refresh.
    settings = request.app.state.hub.settings
    try:
        async with make_client(settings, guarded=True) as client:
            feed = await preview.check_feed(client, url, limits=Limits.from_settings(settings))
    except FeedError as e:
        return back(f"/admin/groups/{slug}", f"No calendar was added: {e}")

    def add() -> None:
        with open_session(request) as session:
            console.add_feed(group, feed.url, feed.kind, session=session, actor=user.email)

    try:
        await run_in_threadpool(add)
    except console.ConsoleError as e:
        return back(f"/admin/groups/{slug}", str(e))
    return back(f"/admin/groups/{slug}", f"Added {feed.url}. It is read on the next refresh.")


async def feed_action(request: Request) -> Response:
    """POST /admin/feeds/{id}/pause, /resume, /refresh, /fetch-again (a feed marked gone) and /accept (store the
    change held for it now)."""
    user = require(request)
    await checked_form(request)
    action = request.path_params["action"]
    if action not in ("pause", "resume", "refresh", "fetch-again", "accept"):
        raise HTTPException(404, "There is no such action.")

    def run() -> tuple[str, str]:
        with open_session(request) as session:
            found = console.feed_with_group(int(request.path_params["feed_id"]), session=session)
            if found is None:
                raise HTTPException(404, "There is no such feed.")
            feed, group = found
            slug = group.slug
            if not user.may_edit_group(group.id):
                raise HTTPException(403, "Your account may change only its own group's feeds.")
            if action == "refresh":
                console.refresh_soon(feed, session=session, actor=user.email, group=group)
                return slug, "It will be fetched within a minute."
            if action == "accept":
                if held.accept(feed, session=session, actor=user.email, group=group):
                    return slug, "Accepted: the calendar's new events are stored and published."
                return slug, "Nothing was waiting for this calendar: it is as its last fetch found it."
            if action == "fetch-again":
                console.fetch_again(feed, session=session, actor=user.email, group=group)
                return slug, "No longer marked gone: it will be fetched within a minute."
            console.set_feed_active(feed, action == "resume", session=session, actor=user.email, group=group)
            return slug, "Resumed." if action == "resume" else "Paused: its events have left the outputs (kept)."

    slug, message = await run_in_threadpool(run)
    return back(f"/admin/groups/{slug}", message)


async def audit_log(request: Request) -> Response:
    """GET /admin/audit: the newest changes first (organisers and admins)."""
    user = require(request, *STAFF)

    def read() -> list[Any]:
        with open_session(request) as session:
            return accounts.audit_entries(session=session)

    return render(request, "admin/audit.html", user, entries=await run_in_threadpool(read))
