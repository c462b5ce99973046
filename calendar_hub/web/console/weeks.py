"""Planning weeks of action at /admin/weeks: make and edit a week with a live preview, include or exclude events.

Organisers and admins only.  The form works without JavaScript (its "Preview" button shows the preview
for the week as typed, without saving); with JavaScript, static/week-planner.js asks
/admin/weeks/preview for the same preview as the organiser types.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import clock, store
from calendar_hub.catalogue import Catalogue, week_info
from calendar_hub.console import pickers, planning
from calendar_hub.store.models import Week
from calendar_hub.web.common import back, current_catalogue, open_session, render
from calendar_hub.web.console.auth import STAFF, Signed, checked_form, require
from calendar_hub.web.console.confirm import confirmation, confirmed, finished


async def new_week(request: Request) -> Response:
    """GET/POST /admin/weeks/new: the empty form; posted, a preview or a new week."""
    user = require(request, *STAFF)
    if request.method == "GET":
        return await _form(request, user, None, {"tags": "", "groups": []})
    form = await checked_form(request)
    return await _posted(request, user, None, form)


async def edit_week(request: Request) -> Response:
    """GET/POST /admin/weeks/{slug}/edit: the week's form and preview, with the choices made by hand."""
    user = require(request, *STAFF)
    week = await run_in_threadpool(_week, request)
    if request.method == "GET":
        return await _form(request, user, week, _typed_from(week))
    form = await checked_form(request)
    return await _posted(request, user, week, form)


async def live_preview(request: Request) -> Response:
    """POST /admin/weeks/preview[?week=slug]: the preview alone, for the week as typed so far (no saving)."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    slug = request.query_params.get("week")
    week = await run_in_threadpool(_week, request, slug) if slug else None
    catalogue = await current_catalogue(request)
    context = await run_in_threadpool(_preview_context, request, catalogue, week, form)
    return render(request, "admin/_week_preview.html", user, week=week, **context)


async def choose(request: Request) -> Response:
    """POST /admin/weeks/{slug}/events: include, exclude, feature, unfeature or clear one event (form: uid, choice)."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    slug = request.path_params["slug"]

    def run() -> str:
        with open_session(request) as session:
            week = planning.week_by_slug(slug, session=session)
            if week is None:
                raise HTTPException(404, "No such week.")
            try:
                planning.choose(week, str(form.get("uid", "")), str(form.get("choice", "")), session=session,
                                actor=user.email, title=str(form.get("title", "")))
            except planning.PlanningError as e:
                return str(e)
            return _CHOSEN.get(str(form.get("choice")), "Saved.")

    message = await run_in_threadpool(run)
    return back(f"/admin/weeks/{slug}/edit", message)


async def archive(request: Request) -> Response:
    """POST /admin/weeks/{slug}/archive (first a page saying what will happen; then, with confirm=yes, archived,
    with a button to bring it back) or /restore (at once: nothing is taken from anyone)."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    slug, action = request.path_params["slug"], request.path_params["action"]
    if action not in ("archive", "restore"):
        raise HTTPException(404, "No such action.")
    week = await run_in_threadpool(_week, request)
    edit = f"/admin/weeks/{slug}/edit"
    if action == "archive" and week.active and not confirmed(form):
        catalogue = await current_catalogue(request)
        events = len(catalogue.find(week=slug))

        def count() -> int:
            with open_session(request) as session:
                return store.followers_of(session=session, week_slug=slug)

        following = await run_in_threadpool(count)
        return confirmation(request, user, heading=f"Archive “{week.name}”?", consequences=[
            f"Its public page and its calendar will answer “not found”: the {events:,} "
            f"{'event' if events == 1 else 'events'} in it leave the week's page, and calendar apps subscribed "
            "to the week get nothing more from it.",
            f"{following:,} {'person follows' if following == 1 else 'people follow'} it by e-mail and will get "
            "no alert or digest for it while it is archived.",
            "Nothing is deleted: the week and its choices are kept, and it can be brought back at any time.",
        ], action=f"/admin/weeks/{slug}/archive", button="Yes, archive the week", back_to=edit)

    def run() -> None:
        with open_session(request) as session:
            saved = planning.week_by_slug(slug, session=session)
            if saved is None:
                raise HTTPException(404, "No such week.")
            planning.set_week_active(saved, action == "restore", session=session, actor=user.email)

    await run_in_threadpool(run)
    if action == "restore":
        return back(edit, "Brought back: its page and calendar show it again.")
    return finished(request, user, heading=f"“{week.name}” is archived",
                    message="Archived: the week's page and calendar are gone until it is brought back.",
                    undo_action=f"/admin/weeks/{slug}/restore", undo_button="Undo: bring the week back",
                    back_to=edit, back_label="Back to the week")


_CHOSEN = {"include": "Taken into the week by hand.", "exclude": "Left out of the week by hand.",
           "feature": "Featured at the top of the week's page.", "unfeature": "No longer featured.",
           "clear": "Left to the week's tags and days again."}


async def _posted(request: Request, user: Signed, week: Week | None, form: FormData) -> Response:
    """A posted week form: "preview" shows the preview of what was typed; otherwise it is saved."""
    typed = await run_in_threadpool(_chosen, request, _typed(form))
    if form.get("preview") is not None:
        return await _form(request, user, week, typed)

    def save() -> str:
        with open_session(request) as session:
            known = [g.slug for g in store.active_groups(session=session)]
            if week is None:
                draft = planning.read_form(typed, known_groups=known)
                planning.add_week(draft, session=session, actor=user.email)
                return draft.slug
            saved = planning.week_by_slug(week.slug, session=session)
            assert saved is not None
            draft = planning.read_form(typed, known_groups=known + [g for g in saved.groups if g not in known],
                                       slug=week.slug)
            planning.edit_week(saved, draft, session=session, actor=user.email)
            return draft.slug

    try:
        slug = await run_in_threadpool(save)
    except planning.PlanningError as e:
        return await _form(request, user, week, typed, problem=str(e))
    return back(f"/admin/weeks/{slug}/edit", "Saved. The week's page and calendar show it now.")


async def _form(request: Request, user: Signed, week: Week | None, typed: dict[str, Any], *,
                problem: str = "") -> Response:
    catalogue = await current_catalogue(request)
    context = await run_in_threadpool(_preview_context, request, catalogue, week, typed)
    draft_problem = context.pop("draft_problem")
    problem = problem or draft_problem
    return render(request, "admin/week_form.html", user, week=week, typed=typed, problem=problem,
                  done=request.query_params.get("done", ""), status_code=400 if problem else 200, **context)


def _preview_context(request: Request, catalogue: Catalogue, week: Week | None,
                     typed: dict[str, Any] | FormData) -> dict[str, Any]:
    """The preview of the week as typed (or the reason it cannot be previewed yet), and the groups to tick."""
    with open_session(request) as session:
        groups = store.active_groups(session=session)
    values = _typed(typed) if isinstance(typed, FormData) else typed
    values = {**values, "groups": pickers.with_regions(values["groups"], values.get("regions", []), groups),
              "regions": []}
    active = {g.slug for g in groups}
    paused = [slug for slug in (week.groups if week else []) if slug not in active]  # kept until unticked
    known = [g.slug for g in groups] + paused
    saved = week_info(week) if week else None
    preview, problem = None, ""
    try:
        # The short name does not change what a week takes: it is checked when saving, not here.
        draft = planning.read_form(values, known_groups=known, slug=week.slug if week else "draft")
    except planning.PlanningError as e:
        problem = str(e) if any(values.get(k) for k in ("name", "start", "end")) else ""
    else:
        preview = planning.preview(catalogue, draft, saved)
    return {"preview": preview, "draft_problem": problem, "regions": pickers.by_region(groups), "paused_groups": paused,
            "chosen": values["groups"],
            "zone": catalogue.zone,
            "today": clock.now().astimezone(catalogue.zone).date()}


def _typed(form: FormData | dict[str, Any]) -> dict[str, Any]:
    if isinstance(form, dict):
        return form
    return {"slug": str(form.get("slug", "")), "name": str(form.get("name", "")),
            "start": str(form.get("start", "")), "end": str(form.get("end", "")), "tags": str(form.get("tags", "")),
            "description": str(form.get("description", "")),
            "groups": [str(g) for g in form.getlist("groups")],
            "regions": [str(r) for r in form.getlist("all_in_region")]}


def _chosen(request: Request, typed: dict[str, Any]) -> dict[str, Any]:
    """`typed` with every group of each region ticked whole ("select all in ...", which works without JavaScript)."""
    with open_session(request) as session:
        groups = store.active_groups(session=session)
    return {**typed, "groups": pickers.with_regions(typed["groups"], typed.get("regions", []), groups), "regions": []}


def _typed_from(week: Week) -> dict[str, Any]:
    return {"slug": week.slug, "name": week.name, "start": week.start_date.isoformat(),
            "end": week.end_date.isoformat(), "tags": ", ".join(week.tags), "description": week.description,
            "groups": list(week.groups)}


def _week(request: Request, slug: str | None = None) -> Week:
    with open_session(request) as session:
        week = planning.week_by_slug(slug or request.path_params["slug"], session=session)
    if week is None:
        raise HTTPException(404, "No such week.")
    return week
