"""Who is signed in to the organisers' console, what they may do, and CSRF protection for every form.

Sessions live in a signed cookie (Starlette's SessionMiddleware, keyed by `CALENDAR_HUB_SECRET_KEY`):
HttpOnly, SameSite=Lax, and Secure whenever the hub is served over https.  The cookie holds only the
account id, the account's session generation when it signed in, and the CSRF token; the account is read
from the database on every request that carries one, so a deactivated account loses access at once, and
a cookie whose generation is no longer the account's is refused: signing out and a new password move the
generation on, which ends every session of that account, copies of the cookie included.  That read runs
in a worker thread before the handler (`SignedSessions`), so `require` and `signed_in` never wait on the
database on the event loop.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from calendar_hub.console import accounts
from calendar_hub.settings import Settings
from calendar_hub.store import Engine, Session
from calendar_hub.store.models import User
from calendar_hub.web.console.work import Waiting, waiting

log = logging.getLogger(__name__)
SESSION_COOKIE = "hub_session"
SESSION_SECONDS = 12 * 3600
GENERATION = "generation"
CSRF_FIELD = "csrf_token"
STAFF = ("admin", "organiser")


class SignInRequired(Exception):
    """No one is signed in: a page sends them to the sign-in form, an action is refused."""


@dataclass(frozen=True, slots=True)
class Signed:
    """The signed-in account, as the console uses it."""

    id: int
    email: str
    role: str
    group_id: int | None

    @property
    def staff(self) -> bool:
        """Admins and organisers: everything but (for organisers) accounts."""
        return self.role in STAFF

    def may_edit_group(self, group_id: int | None) -> bool:
        return self.staff or (self.role == "editor" and group_id is not None and group_id == self.group_id)


def with_secret(settings: Settings) -> Settings:
    """The settings with a secret key: without one, a key made up for this process (sessions die with it)."""
    if settings.secret_key:
        return settings
    log.warning("CALENDAR_HUB_SECRET_KEY is not set: console sessions last only as long as this process")
    return settings.replace(secret_key=secrets.token_urlsafe(32))


def session_middleware(settings: Settings) -> Middleware:
    """The session cookie middleware, keyed by `settings.secret_key` (see `with_secret`), reading who is signed in."""
    assert settings.secret_key, "call with_secret first"
    return Middleware(SignedSessions, secret_key=settings.secret_key, session_cookie=SESSION_COOKIE,
                      max_age=SESSION_SECONDS, same_site="lax", https_only=settings.base_url.startswith("https://"))


class SignedSessions:
    """Starlette's SessionMiddleware (given `options`), then the signed-in account read into the request's state.

    The account is read in a worker thread, from the engine of the app serving the request
    (`app.state.hub.engine`), before the handler runs: handlers then find it with `signed_in`.
    """

    def __init__(self, app: ASGIApp, /, **options: Any) -> None:
        self.app = SessionMiddleware(_read_signed(app), **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _read_signed(app: ASGIApp) -> ASGIApp:
    """`app`, after putting the account the session names (or None) in the request's state as "signed"."""

    async def reading(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            cookie = scope.get("session", {})
            user_id, generation = cookie.get("user_id"), cookie.get(GENERATION)
            found = None
            if isinstance(user_id, int) and isinstance(generation, int):
                found = await run_in_threadpool(account_of, scope["app"].state.hub.engine, user_id, generation)
            state = scope.setdefault("state", {})
            state["signed"] = found
            if found is not None and scope.get("method") in ("GET", "HEAD") and _in_console(scope):
                # The navigation's counts of waiting work, in the same worker-thread step as the account.
                state["waiting"] = await run_in_threadpool(
                    lambda: waiting(scope["app"].state.hub, staff=found.staff, group_id=found.group_id))
        await app(scope, receive, send)

    return reading


def _in_console(scope: Scope) -> bool:
    return str(scope.get("root_path", "")).endswith("/admin") or str(scope.get("path", "")).startswith("/admin")


def account_of(engine: Engine, user_id: int, generation: int) -> Signed | None:
    """The account `user_id` when it is active and its sessions are still of `generation`, else None.

    Blocks: run it in a worker thread.
    """
    with Session(engine) as session:
        user = accounts.user_by_id(user_id, session=session)
        if user is not None and user.id is not None and user.session_generation == generation:
            return Signed(user.id, user.email, user.role, user.group_id)
    return None


def signed_in(request: Request) -> Signed | None:
    """The account signed in on this request, if it still exists and is active (read by `SignedSessions`)."""
    found: Signed | None = request.state._state.get("signed")
    return found


def waiting_of(request: Request) -> Waiting | None:
    """The counts of waiting work read with the account (console pages got by GET only)."""
    found: Waiting | None = request.state._state.get("waiting")
    return found


def require(request: Request, *roles: str) -> Signed:
    """The signed-in account, when it has one of `roles` (any role when none are named).

    Raises SignInRequired when no one is signed in, HTTP 403 when the role does not allow it.
    """
    user = signed_in(request)
    if user is None:
        raise SignInRequired
    if roles and user.role not in roles:
        raise HTTPException(403, "Your account may not do this.")
    return user


def sign_in(request: Request, user: User) -> None:
    """Start a fresh session for `user` (a new CSRF token too, so one seen before signing in is useless)."""
    request.session.clear()
    request.session["user_id"] = user.id
    request.session[GENERATION] = user.session_generation
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)


async def sign_out(request: Request) -> None:
    """End this account's sessions server-side (so a copy of this cookie is refused too), then clear the cookie."""
    user = signed_in(request)
    if user is not None:
        def end() -> None:
            with Session(request.app.state.hub.engine) as session:
                accounts.end_sessions(user.id, session=session)

        await run_in_threadpool(end)
    request.session.clear()


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


def csrf_field(request: Request) -> Markup:
    """The hidden input every console form carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, csrf_token(request))


async def checked_form(request: Request) -> FormData:
    """The posted form, after checking its CSRF token against the session's; raises HTTP 403 when it does not match."""
    form = await request.form(max_files=0, max_fields=100)
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(CSRF_FIELD)
    if not isinstance(sent, str) or not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "This form has expired or did not come from this site. Go back, reload and try again.")
    return form


def to_sign_in(request: Request) -> RedirectResponse:
    """Where a visitor without a session is sent: the sign-in form, coming back here afterwards."""
    back = request.url.path if request.method == "GET" else "/admin"
    return RedirectResponse(f"/admin/login?next={back}", status_code=303)
