"""Coverage of the weeks of action in the organisers' console: /admin/weeks, a week's coverage page and its exports.

Organisers and admins only.  The charts are SVG drawn here, with every label escaped and every
number written beside its bar, and the same figures in a table, so they read without JavaScript,
with a screen reader and without telling colours apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr
from urllib.parse import quote

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import clock
from calendar_hub.catalogue import Catalogue, WeekInfo
from calendar_hub.catalogue.counts import tally
from calendar_hub.console import coverage, planning
from calendar_hub.store.models import Week
from calendar_hub.web.common import current_catalogue, open_session, render
from calendar_hub.web.console.auth import STAFF, require

EMAIL = re.compile(r"[^@\s<>\"'()]+@[^@\s<>\"'()]+\.[^@\s<>\"'()]+")
# Chart geometry in SVG user units; the chart scales to the page.  Each label sits above its bar, so a long
# one ("Yorkshire and The Humber") needs no room beside the bars and the text stays legible on a phone.
BAR_WIDTH, NUMBER_WIDTH, ROW, TOP = 300, 50, 40, 4


@dataclass(frozen=True, slots=True)
class Chart:
    """One bar chart: its id (for the page's anchors), title, what the labels are, and (label, count) bars."""

    id: str
    title: str
    heading: str
    bars: tuple[tuple[str, int], ...]
    note: str = ""

    @property
    def svg(self) -> Markup:
        return bar_chart(self.id, self.title, self.bars)


def bar_chart(chart_id: str, title: str, bars: tuple[tuple[str, int], ...]) -> Markup:
    """A horizontal bar chart as inline SVG: each label above its bar, the number written at the bar's end.

    `role="img"` with an aria-label, <title> and a <desc> giving every figure in words; every label is escaped.
    A zero has no bar, only its number.
    """
    most = max((count for _label, count in bars), default=0) or 1
    words = "; ".join(f"{label}: {count}" for label, count in bars)
    parts = [Markup('<svg class="chart" id="{id}" role="img" aria-label="{title}" viewBox="0 0 {w} {h}" '
                    'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
                    '<title>{title}</title><desc>{words}</desc>').format(
        id=chart_id, title=title, w=BAR_WIDTH + NUMBER_WIDTH, h=TOP * 2 + ROW * len(bars), words=words)]
    for n, (label, count) in enumerate(bars):
        y = TOP + n * ROW
        length = round(BAR_WIDTH * count / most, 1)
        bar = Markup('<rect class="bar" x="0" y="{y}" width="{length:g}" height="14" rx="2"></rect>').format(
            y=y + 20, length=length) if count else Markup("")
        parts.append(Markup(
            '<g class="{kind}"><text class="label" x="0" y="{label_y}">{label}</text>{bar}'
            '<text class="number" x="{number_x:g}" y="{number_y}">{count}</text></g>').format(
            kind="row" if count else "row none", label=label, bar=bar, count=count,
            label_y=y + 14, number_x=length + 6 if count else 0, number_y=y + 32))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def contact_link(contact: str) -> str:
    """A link for a group's contact: mailto: for an e-mail address ("Name <a@b.org>" too), the address of a
    web page, or "" when it is neither (a phone number, say)."""
    if contact.startswith(("https://", "http://")):
        return contact
    address = parseaddr(contact)[1]
    return "mailto:" + quote(address, safe="@+") if EMAIL.fullmatch(address) else ""


def _day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _week(catalogue: Catalogue, request: Request) -> WeekInfo:
    week = catalogue.week(request.path_params["slug"])
    if week is None:
        raise HTTPException(404, "There is no such week of action.")
    return week


async def weeks(request: Request) -> Response:
    """GET /admin/weeks: every week of action (archived ones last) with its number of actions, to edit or cover."""
    user = require(request, *STAFF)
    catalogue = await current_catalogue(request)

    def read() -> list[Week]:
        with open_session(request) as session:
            return planning.all_weeks(session=session)

    weeks = await run_in_threadpool(read)
    counts = {week.slug: tally(catalogue.find(week=week.slug)).local for week in catalogue.weeks}
    today = clock.now().astimezone(catalogue.zone).date()
    return render(request, "admin/weeks.html", user, weeks=weeks, counts=counts, today=today,
                  done=request.query_params.get("done", ""))


async def coverage_page(request: Request) -> Response:
    """GET /admin/weeks/{slug}/coverage: the week's charts, gaps, groups to nudge and export links."""
    user = require(request, *STAFF)
    catalogue = await current_catalogue(request)
    report = coverage.week_coverage(catalogue, _week(catalogue, request))
    charts = [
        Chart("by-nation", "Actions by nation", "Nation", report.nations),
        Chart("by-region", "Actions by region", "Region", report.regions),
        Chart("by-day", "Actions by day", "Day", tuple((_day_label(day), count) for day, count in report.days),
              note="An event that runs over several days counts on each of them."),
    ]
    nudges = [(group, contact_link(group.contact)) for group in report.quiet_groups]
    return render(request, "admin/coverage.html", user, report=report, week=report.week, charts=charts,
                  nudges=nudges)


async def export_csv(request: Request) -> Response:
    """GET /admin/weeks/{slug}/export.csv: one row per listing, for a spreadsheet."""
    require(request, *STAFF)
    catalogue = await current_catalogue(request)
    week = _week(catalogue, request)
    body = coverage.csv_export(catalogue.find(week=week.slug), catalogue.zone)
    return _download(body, "text/csv; charset=utf-8; header=present", f"{week.slug}.csv")


async def export_json(request: Request) -> Response:
    """GET /admin/weeks/{slug}/export.json: the week and its listings in the public API's shape."""
    require(request, *STAFF)
    catalogue = await current_catalogue(request)
    week = _week(catalogue, request)
    base = request.app.state.hub.settings.base_url.rstrip("/")
    body = coverage.json_export(week, catalogue.find(week=week.slug), base_url=base)
    return _download(body, "application/json", f"{week.slug}.json")


def _download(body: bytes, media_type: str, filename: str) -> Response:
    """A file to save (RFC 6266), never cached: it is for signed-in organisers only."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "-", filename)
    return Response(body, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{safe}"', "Cache-Control": "no-store"})
