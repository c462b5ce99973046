"""Following the hub by e-mail: /follow (the form), /follow/confirm/{token}, /follow/manage/{token} and
/follow/unsubscribe/{token} (RFC 8058 one-click POST).

The form is protected as /submit is: a CSRF token in the session, a honeypot (filled in, the sign-up is thanked
for and dropped) and rate limits counted in the database.  The short form on the public pages (`_follow.html`)
cannot carry a token, as those pages are cached for everyone: it posts here, and this page asks once more with
the token, the choices filled in.  The links in the messages carry the follower's token; the one-click POST
comes from mail programs, without a cookie, so the token alone authorises it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from calendar_hub import clock, language
from calendar_hub.catalogue import Catalogue
from calendar_hub.errors import TooMany
from calendar_hub.mail import signup
from calendar_hub.store import Follower
from calendar_hub.web.common import current_catalogue, open_session, render
from calendar_hub.web.console.auth import checked_form
from calendar_hub.web.query import find_place

__all__ = ["FIELDS", "HONEYPOT", "ROUTES", "confirm_page", "follow_page", "manage_page", "unsubscribe_page"]

log = logging.getLogger(__name__)
HONEYPOT = "subject"
FIELDS = ("email", "near", "km", "group", "week")
RETRY_AFTER = 3600


async def follow_page(request: Request) -> Response:
    """GET /follow: the form (filled in from the query); POST: check it and send the confirmation (400, 429)."""
    catalogue = await current_catalogue(request)
    values = {name: str(request.query_params.get(name, "")) for name in FIELDS}
    problems: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        form = await request.form(max_files=0, max_fields=20)
        values = {name: str(form.get(name, ""))[:400] for name in FIELDS}
        if str(form.get(HONEYPOT, "")).strip():
            log.info("a /follow form with its honeypot filled in was dropped")
            return _page(request, catalogue, "follow_thanks.html", email=values["email"])
        if "start" in form:    # from a page's short form: no token yet, ask again with one
            return _page(request, catalogue, "follow.html", values=values, problems={})
        await checked_form(request)
        try:
            email, choice = signup.check(values, catalogue, find_place=find_place)
            await run_in_threadpool(_sign_up, request, email, choice)
        except signup.FollowProblems as e:
            problems, status = e.problems, 400
        except TooMany as e:
            problems, status = {"email": str(e)}, 429
        else:
            return _page(request, catalogue, "follow_thanks.html", email=email)
    response = _page(request, catalogue, "follow.html", values=values, problems=problems, status_code=status)
    if status == 429:
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


async def confirm_page(request: Request) -> Response:
    """GET /follow/confirm/{token}: confirm the sign-up the link names; 404 when it is unknown or expired."""
    catalogue = await current_catalogue(request)

    def confirm() -> Follower | None:
        with open_session(request) as session:
            return signup.confirm(request.path_params["token"], secret=request.app.state.secret, now=clock.now(),
                                  session=session)

    follower = await run_in_threadpool(confirm)
    if follower is None:
        raise HTTPException(404, language.gettext(
            "This confirmation link has expired or is not one of ours. Please sign up again."))
    return _page(request, catalogue, "follow_confirmed.html", follower=follower)


async def manage_page(request: Request) -> Response:
    """GET /follow/manage/{token}: what the follower follows; POST: change it, download the data, or stop."""
    catalogue = await current_catalogue(request)
    token = request.path_params["token"]
    follower = await run_in_threadpool(_follower, request, token)
    if follower is None:
        raise HTTPException(404, language.gettext("We no longer send anything to this address."))
    problems: dict[str, str] = {}
    status, done = 200, ""
    values = _values_of(follower)
    if request.method == "POST":
        form = await checked_form(request)
        action = str(form.get("action", "change"))
        if action == "export":
            body = json.dumps(signup.export(follower), indent=2, ensure_ascii=False)
            return Response(body, media_type="application/json", headers={
                "Content-Disposition": 'attachment; filename="following.json"', "Cache-Control": "no-store"})
        if action == "delete":
            await run_in_threadpool(_leave, request, token)
            return _page(request, catalogue, "follow_left.html")
        values = {**values, **{name: str(form.get(name, ""))[:400] for name in FIELDS if name != "email"}}
        try:
            _email, choice = signup.check(values, catalogue, find_place=find_place, with_email=False)
        except signup.FollowProblems as e:
            problems, status = e.problems, 400
        else:
            follower = await run_in_threadpool(_change, request, token, choice) or follower
            values, done = _values_of(follower), language.gettext("Saved: from now on you hear of what you chose.")
    return _page(request, catalogue, "follow_manage.html", follower=follower, values=values, problems=problems,
                 done=done, status_code=status)


async def unsubscribe_page(request: Request) -> Response:
    """GET /follow/unsubscribe/{token}: a button to stop; POST (RFC 8058 one-click, or that button): stop at once."""
    catalogue = await current_catalogue(request)
    token = request.path_params["token"]
    if request.method == "POST":
        await run_in_threadpool(_leave, request, token)
        return _page(request, catalogue, "follow_left.html")
    follower = await run_in_threadpool(_follower, request, token)
    if follower is None:
        return _page(request, catalogue, "follow_left.html")
    return _page(request, catalogue, "follow_unsubscribe.html", token=token)


ROUTES = [
    Route("/", follow_page, methods=["GET", "POST"], name="follow"),
    Route("/confirm/{token}", confirm_page, name="follow_confirm"),
    Route("/manage/{token}", manage_page, methods=["GET", "POST"], name="follow_manage"),
    Route("/unsubscribe/{token}", unsubscribe_page, methods=["GET", "POST"], name="follow_unsubscribe"),
]


def _page(request: Request, catalogue: Catalogue, template: str, *, status_code: int = 200,
          **context: Any) -> Response:
    response = render(request, template, None, catalogue=catalogue, km_choices=signup.KM_CHOICES,
                      status_code=status_code, **context)
    response.headers["Referrer-Policy"] = "no-referrer"   # the token in the address stays here
    return response


def _sign_up(request: Request, email: str, choice: signup.Choice) -> None:
    address = request.client.host if request.client else "unknown"
    with open_session(request) as session:
        signup.sign_up(email, choice, code=language.current(), address=address,
                       settings=request.app.state.hub.settings, secret=request.app.state.secret, now=clock.now(),
                       session=session)


def _follower(request: Request, token: str) -> Follower | None:
    with open_session(request) as session:
        return signup.confirmed(token, session=session)


def _change(request: Request, token: str, choice: signup.Choice) -> Follower | None:
    with open_session(request) as session:
        return signup.change(token, choice, session=session)


def _leave(request: Request, token: str) -> None:
    with open_session(request) as session:
        signup.leave(token, session=session)


def _values_of(follower: Follower) -> dict[str, str]:
    return {"email": follower.email, "near": follower.near, "km": f"{follower.km:g}" if follower.km else "",
            "group": follower.group_slug, "week": follower.week_slug}
