"""The public "Send us one event" form at /submit, and the organisers' side at /admin/submissions.

For groups without a calendar of their own.  The form carries a CSRF token and a honeypot field (filled
in, the event is thanked for and dropped); senders are rate-limited by address and contact.  Nothing the
form holds is fetched, and all of it reaches pages escaped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import clock, store
from calendar_hub.console import submissions
from calendar_hub.errors import ConfigError
from calendar_hub.store.models import Group, SubmittedEvent, Week
from calendar_hub.web.console.auth import STAFF, checked_form, require
from calendar_hub.web.console.dashboard import _back, _render, _session
from calendar_hub.web.present import when

log = logging.getLogger(__name__)
HONEYPOT = "subject"   # hidden from people; robots fill in every field
RETRY_AFTER = 3600     # seconds: the address limit counts the last hour


async def submit(request: Request) -> Response:
    """GET /submit: the form; POST: check it, keep the event for an organiser, thank the sender (400, 429)."""
    weeks = await run_in_threadpool(_open_weeks, request)
    values: dict[str, str] = {}
    problems: dict[str, str] = {}
    problem, status = "", 200
    if request.method == "POST":
        form = await checked_form(request)
        values = {name: str(form.get(name, "")) for name in submissions.FIELDS}
        if str(form.get(HONEYPOT, "")).strip():  # a robot: thanked like anyone, and forgotten
            log.info("a /submit form with its honeypot filled in was dropped")
            return _thanks(request, values["title"], values["contact"], "")
        try:
            made = await run_in_threadpool(_keep, request, values, weeks)
        except submissions.FormProblems as e:
            problems, problem, status = e.problems, str(e), 400
        except submissions.TooMany as e:
            problem, status = str(e), 429
        else:
            return _thanks(request, made.title, made.contact, describe(made, request.app.state.hub.settings.zone))
    response = _render(request, "submit.html", None, values=values, problems=problems, problem=problem,
                       weeks=weeks, status_code=status)
    if status == 429:
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def _open_weeks(request: Request) -> list[Week]:
    zone = request.app.state.hub.settings.zone
    with _session(request) as session:
        return submissions.open_weeks(session=session, today=clock.now().astimezone(zone).date())


def _keep(request: Request, values: dict[str, str], weeks: list[Week]) -> SubmittedEvent:
    """Check the form and keep the event (in a worker thread); raises FormProblems or TooMany."""
    checked = submissions.check_form(values, weeks=weeks, zone=request.app.state.hub.settings.zone, now=clock.now())
    address = request.client.host if request.client else "unknown"
    with _session(request) as session:
        return submissions.submit(checked, address=address, session=session)


def _thanks(request: Request, title: str, contact: str, when_words: str) -> Response:
    return _render(request, "submit_thanks.html", None, title=title, contact=contact, when=when_words)


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
        with _session(request) as session:
            groups = store.active_groups(session=session)
            names = {week.tags[0].casefold(): week.name for week in store.active_weeks(session=session) if week.tags}
            waiting = [Waiting(item, describe(item, zone), _suggested(item, groups),
                               ", ".join(names.get(tag.casefold(), f"tagged {tag}") for tag in item.categories))
                       for item in submissions.pending(session=session)]
            return waiting, submissions.recent_decisions(session=session), groups

    waiting, decided, groups = await run_in_threadpool(read)
    return _render(request, "admin/submissions.html", user, waiting=waiting, decided=decided, groups=groups,
                   slugs={g.id: g.slug for g in groups}, done=request.query_params.get("done", ""))


async def decide(request: Request) -> Response:
    """POST /admin/submissions/{id}/approve (crediting `group`: an id, or "new") or /reject (with a `note`)."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    submission_id, action = int(request.path_params["submission_id"]), request.path_params["action"]
    if action not in ("approve", "reject"):
        raise HTTPException(404, "There is no such action.")
    chosen = str(form.get("group", "new"))

    def run() -> str:
        with _session(request) as session:
            try:
                if action == "reject":
                    submissions.reject(submission_id, str(form.get("note", "")), session=session, actor=user.email)
                    return "Rejected: the sender's event is kept here with your reason."
                if chosen != "new" and not (chosen.isascii() and chosen.isdigit()):
                    return "Choose a group to credit, or make a new one."
                made = submissions.approve(submission_id, group_id=None if chosen == "new" else int(chosen),
                                           session=session, actor=user.email)
                return f"Approved: “{made.title}” is published now."
            except ConfigError as e:
                return str(e)

    return _back("/admin/submissions", await run_in_threadpool(run))


def _suggested(item: SubmittedEvent, groups: list[Group]) -> int | None:
    found = submissions.matching_group(item.group_name, groups)
    return found.id if found is not None else None


def describe(item: SubmittedEvent, zone: ZoneInfo) -> str:
    """When a submitted event happens, in the words the public pages use ("Sat 5 Dec 2026, 10:00–12:00")."""
    return when(item, zone)
