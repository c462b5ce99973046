"""Sent-in events in the organisers' console at /admin/submissions: every field shown, approve or reject.

The events come from the public form at /submit (`web.public.submit`); organisers and admins decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import store
from calendar_hub.catalogue.weeks import normalise_tag
from calendar_hub.console import submissions
from calendar_hub.errors import Conflict, InputError
from calendar_hub.store.models import Group, SubmittedEvent, Week
from calendar_hub.web.common import back, open_session, render
from calendar_hub.web.console.auth import STAFF, checked_form, require
from calendar_hub.web.present import when


@dataclass(frozen=True, slots=True)
class Waiting:
    """A pending event as organisers see it: when, in words, and the group it most likely belongs to."""

    item: SubmittedEvent
    when: str
    suggested: int | None
    weeks: str          # the weeks of action its categories put it in, by name


async def submissions_page(request: Request) -> Response:
    """GET /admin/submissions: events waiting for approval, every field shown; decisions of the last 30 days."""
    user = require(request, *STAFF)
    zone = request.app.state.hub.settings.zone

    def read() -> tuple[list[Waiting], list[SubmittedEvent], list[Group]]:
        with open_session(request) as session:
            groups = store.active_groups(session=session)
            weeks = store.active_weeks(session=session)
            waiting = [Waiting(item, when(item, zone), _suggested(item, groups), _weeks_named(item, weeks, zone))
                       for item in submissions.pending(session=session)]
            return waiting, submissions.recent_decisions(session=session), groups

    waiting, decided, groups = await run_in_threadpool(read)
    return render(request, "admin/submissions.html", user, waiting=waiting, decided=decided, groups=groups,
                  slugs={g.id: g.slug for g in groups}, done=request.query_params.get("done", ""))


async def decide(request: Request) -> Response:
    """POST /admin/submissions/{id}/approve (crediting `group`: an id, or "new") or /reject (with a `note`)."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    submission_id, action = int(request.path_params["submission_id"]), request.path_params["action"]
    if action not in ("approve", "reject"):
        raise HTTPException(404, "There is no such action.")
    chosen = str(form.get("group", "new"))
    zone = request.app.state.hub.settings.zone

    def run() -> str:
        with open_session(request) as session:
            try:
                if action == "reject":
                    submissions.reject(submission_id, str(form.get("note", "")), session=session, actor=user.email)
                    return "Rejected: the sender's event is kept here with your reason."
                if chosen != "new" and not (chosen.isascii() and chosen.isdigit()):
                    return "Choose a group to credit, or make a new one."
                made = submissions.approve(submission_id, group_id=None if chosen == "new" else int(chosen),
                                           session=session, actor=user.email, zone=zone)
                return f"Approved: “{made.title}” is published now."
            except (InputError, Conflict) as e:
                return str(e)

    return back("/admin/submissions", await run_in_threadpool(run))


def _suggested(item: SubmittedEvent, groups: list[Group]) -> int | None:
    found = submissions.matching_group(item.group_name, groups)
    return found.id if found is not None else None


def _weeks_named(item: SubmittedEvent, weeks: list[Week], zone: ZoneInfo) -> str:
    """The weeks the sender chose, by name (by tag and days: weeks may share a tag); a tag no week takes, as such."""
    found = submissions.chosen_weeks(item, weeks, zone=zone)
    taken = {normalise_tag(week.tags[0]) for week in found}
    return ", ".join([week.name for week in found]
                     + [f"tagged {tag}" for tag in item.categories if normalise_tag(tag) not in taken])
