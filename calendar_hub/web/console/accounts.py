"""Accounts in the organisers' console at /admin/accounts (admins only), and the one-time password links.

A new account, or a reset, shows the admin a one-time link to pass on (mail may not be set up); the
link is shown once, in the answer to the form, never put in a redirect's address.  The person opens it
at /admin/password/{token}, sets a password and is signed in.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from calendar_hub.console import account_admin, accounts, groups
from calendar_hub.errors import InputError
from calendar_hub.store.models import User
from calendar_hub.web.common import back, open_session, render
from calendar_hub.web.console.auth import checked_form, require, sign_in

__all__ = ["account_action", "accounts_page", "add_account", "password_page"]

ACTIONS = ("role", "deactivate", "reactivate", "reset")


def _link(request: Request, token: str) -> str:
    """The one-time link's absolute address, from the configured base URL (never from the request's Host)."""
    base: str = request.app.state.hub.settings.base_url
    return base.rstrip("/") + f"/admin/password/{token}"


async def _page(request: Request, user: Any, *, status_code: int = 200, **context: Any) -> Response:
    def read() -> tuple[list[User], list[str]]:
        with open_session(request) as session:
            return (account_admin.all_accounts(session=session),
                    [g.slug for g in groups.all_groups(session=session)])

    people, slugs = await run_in_threadpool(read)
    return render(request, "admin/accounts.html", user, status_code=status_code, people=people, slugs=slugs,
                  roles=accounts.ROLES, has_password=account_admin.has_password,
                  done=context.pop("done", request.query_params.get("done", "")), **context)


async def accounts_page(request: Request) -> Response:
    """GET /admin/accounts: every account, with its role, state and the forms to change them."""
    user = require(request, "admin")
    return await _page(request, user)


async def add_account(request: Request) -> Response:
    """POST /admin/accounts/new: a new account; the answer shows its one-time link."""
    user = require(request, "admin")
    form = await checked_form(request)
    email, role = str(form.get("email", ""))[:320], str(form.get("role", ""))
    group = str(form.get("group", "")).strip() or None

    def run() -> str:
        with open_session(request) as session:
            _made, token = account_admin.add_account(email, role=role, group=group, session=session,
                                                     actor=user.email)
            return token

    try:
        token = await run_in_threadpool(run)
    except InputError as e:
        return await _page(request, user, status_code=400, problem=str(e), email=email)
    return await _page(request, user, done=f"Added {accounts.normalise_email(email)}.",
                       one_time_link=_link(request, token), link_for=accounts.normalise_email(email))


async def account_action(request: Request) -> Response:
    """POST /admin/accounts/{user_id}/role, /deactivate, /reactivate or /reset."""
    user = require(request, "admin")
    form = await checked_form(request)
    user_id, action = int(request.path_params["user_id"]), request.path_params["action"]
    if action not in ACTIONS:
        raise HTTPException(404, "There is no such action.")
    role, group = str(form.get("role", "")), str(form.get("group", "")).strip() or None

    def run() -> tuple[str, str]:
        with open_session(request) as session:
            if action == "reset":
                changed, token = account_admin.new_link(user_id, session=session, actor=user.email)
                return f"A new one-time link for {changed.email}.", token
            if action == "role":
                changed = account_admin.change_role(user_id, role, group, session=session, actor=user.email)
                return f"{changed.email} is now {changed.role}.", ""
            changed = account_admin.set_active(user_id, action == "reactivate", session=session, actor=user.email)
            return f"{changed.email} is {'active again' if changed.active else 'deactivated'}.", ""

    try:
        message, token = await run_in_threadpool(run)
    except InputError as e:
        return await _page(request, user, status_code=400, problem=str(e))
    if token:
        return await _page(request, user, done=message, one_time_link=_link(request, token),
                           link_for=message.removeprefix("A new one-time link for ").removesuffix("."))
    return back("/admin/accounts", message)


async def password_page(request: Request) -> Response:
    """GET/POST /admin/password/{token}: set a password through a one-time link, then be signed in."""
    token = str(request.path_params["token"])[:200]
    if request.method == "GET":
        def find() -> str | None:
            with open_session(request) as session:
                found = account_admin.link_account(token, session=session)
                return found.email if found is not None else None

        email = await run_in_threadpool(find)
        if email is None:
            return render(request, "admin/password.html", None, status_code=410, email="", problem=_GONE)
        return render(request, "admin/password.html", None, email=email, problem="")
    form = await checked_form(request)
    password, again = str(form.get("password", ""))[:1000], str(form.get("again", ""))[:1000]

    def use() -> User:
        with open_session(request) as session:
            return account_admin.use_link(token, password, session=session)

    if password != again:
        return await _retry(request, token, "The two passwords are not the same.")
    try:
        signed = await run_in_threadpool(use)
    except InputError as e:
        return await _retry(request, token, str(e))
    sign_in(request, signed)
    return RedirectResponse("/admin", status_code=303)


_GONE = "This link has been used, has expired or was never made: ask an admin for a new one."


async def _retry(request: Request, token: str, problem: str) -> Response:
    def find() -> str | None:
        with open_session(request) as session:
            found = account_admin.link_account(token, session=session)
            return found.email if found is not None else None

    email = await run_in_threadpool(find)
    return render(request, "admin/password.html", None, status_code=400 if email else 410, email=email or "",
                  problem=problem if email else _GONE)
