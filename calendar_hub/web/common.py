"""What several handlers share: console and form pages, database sessions, redirects, the catalogue and its outputs.

The session and the group lookup are blocking database work: call them only inside a function run in a
worker thread (`run_in_threadpool`), never on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from calendar_hub.catalogue import Catalogue, Output
from calendar_hub.catalogue.hub import Hub
from calendar_hub.console import groups as console
from calendar_hub.language import gettext
from calendar_hub.store import Session
from calendar_hub.store.models import Group
from calendar_hub.web.console.auth import Signed, waiting_of

__all__ = ["back", "cached_output", "current_catalogue", "group_for", "open_session", "render"]


def render(request: Request, template: str, user: Signed | None, *, status_code: int = 200,
           **context: Any) -> Response:
    """A console or form page from `template`, for `user` (None when no one is signed in), never cached."""
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, template, {"user": user, "settings": request.app.state.hub.settings,
                   "waiting": waiting_of(request) if user is not None else None, **context},
        status_code=status_code, headers={"Cache-Control": "no-store"})


def open_session(request: Request) -> Session:
    """A new database session on the hub's engine (blocking work: use it in a worker thread)."""
    return Session(request.app.state.hub.engine)


def back(path: str, message: str = "") -> RedirectResponse:
    """After a change, back to a page (POST, redirect, GET), with a one-line message."""
    return RedirectResponse(path + (f"?done={quote(message)}" if message else ""), status_code=303)


def group_for(user: Signed, slug: str, session: Session) -> Group:
    """The group `slug`, when the account may see it; raises HTTP 404 or 403 otherwise."""
    group = console.group_by_slug(slug, session=session)
    if group is None:
        raise HTTPException(404, gettext("There is no such group."))
    if not user.may_edit_group(group.id):
        raise HTTPException(403, gettext("Your account may change only its own group."))
    return group


async def current_catalogue(request: Request) -> Catalogue:
    """The current catalogue; only a version check or a rebuild leaves the event loop.

    A request that searches or names a tag gets it with its search index built (in a worker thread, the first
    time), so that checking the tag or the words on the event loop costs a lookup.
    """
    hub: Hub = request.app.state.hub
    catalogue: Catalogue | None = hub.fresh()
    if catalogue is None:
        catalogue = await run_in_threadpool(hub.catalogue)
    if not catalogue.index_built and _searches(request):
        await run_in_threadpool(lambda: catalogue.index)
    return catalogue


def _searches(request: Request) -> bool:
    params = request.query_params
    return bool(params.get("q") or params.get("tag")) or request.url.path.startswith("/tags/")


async def cached_output(catalogue: Catalogue, key: tuple[Any, ...], build: Callable[[], tuple[bytes, str]]) -> Output:
    """The cached output for `key`, built in a worker thread the first time.

    Just after a change, an earlier version's output is sent while the new one is built in the background.
    """
    cached = catalogue.cached(key)
    if cached is not None:
        return cached
    stale = catalogue.stale(key)
    if stale is not None:
        catalogue.rebuild_later(key, build)
        return stale
    return await run_in_threadpool(catalogue.output, key, build)
