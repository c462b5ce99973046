"""The public "Send us one event" form at /submit (organisers approve at /admin/submissions).

For groups without a calendar of their own.  The form carries a CSRF token and a honeypot field (filled
in, the event is thanked for and dropped); senders are rate-limited by address and contact.  Nothing the
form holds is fetched, and all of it reaches pages escaped.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import clock
from calendar_hub.console import submissions
from calendar_hub.store.models import SubmittedEvent, Week
from calendar_hub.web.common import open_session, render
from calendar_hub.web.console.auth import checked_form
from calendar_hub.web.present import when
from calendar_hub.web.public import brand

log = logging.getLogger(__name__)
HONEYPOT = "subject"   # hidden from people; robots fill in every field
RETRY_AFTER = 3600     # seconds: the address limit counts the last hour


async def submit(request: Request) -> Response:
    """GET /submit: the form; POST: check it, keep the event for an organiser, thank the sender (400, 429)."""
    await brand.loaded(request)  # the page shows the hub's identity
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
            return _thanks(request, made.title, made.contact, when(made, request.app.state.hub.settings.zone))
    response = render(request, "submit.html", None, values=values, problems=problems, problem=problem,
                      weeks=weeks, status_code=status)
    if status == 429:
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def _open_weeks(request: Request) -> list[Week]:
    zone = request.app.state.hub.settings.zone
    with open_session(request) as session:
        return submissions.open_weeks(session=session, today=clock.now().astimezone(zone).date())


def _keep(request: Request, values: dict[str, str], weeks: list[Week]) -> SubmittedEvent:
    """Check the form and keep the event (in a worker thread); raises FormProblems or TooMany."""
    checked = submissions.check_form(values, weeks=weeks, zone=request.app.state.hub.settings.zone, now=clock.now())
    address = request.client.host if request.client else "unknown"
    with open_session(request) as session:
        return submissions.submit(checked, address=address, session=session)


def _thanks(request: Request, title: str, contact: str, when_words: str) -> Response:
    return render(request, "submit_thanks.html", None, title=title, contact=contact, when=when_words)
