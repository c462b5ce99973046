"""Hiding every date of a recurring event at once: asked first, saying what subscribers will see, then undoable.

One date is hidden by `moderation.hide`; a whole series goes through here.  Its form (the events list's "Hide the
whole series") posts once and gets a page saying what leaves where (`confirm.confirmation`); saying yes hides
the series by the catalogue's key of it, so the dates later refreshes add stay hidden, and the page after offers
the undo, as the hidden events page does ("Show the series again").
"""

from __future__ import annotations

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub.catalogue.listing import Listing
from calendar_hub.console import moderation
from calendar_hub.errors import InputError
from calendar_hub.store import HiddenSeries
from calendar_hub.web.common import back, current_catalogue, open_session
from calendar_hub.web.console.auth import STAFF, checked_form, require
from calendar_hub.web.console.confirm import confirmation, confirmed, finished
from calendar_hub.web.present import long_day

__all__ = ["consequences", "hide_series", "show_series"]


async def hide_series(request: Request) -> Response:
    """POST /admin/events/hide-series: uid (any date of the series) and reason; first a page saying what will
    happen, then, with confirm=yes, every date hidden, with a button that shows the series again."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    uid = str(form.get("uid", ""))[:100]
    catalogue = await current_catalogue(request)
    listing = catalogue.by_uid(uid)
    if listing is None or not listing.series:
        return back("/admin/events", "That event is no longer published: nothing was hidden.")
    try:
        reason = moderation.checked_reason(str(form.get("reason", "")))
    except InputError as e:
        return back("/admin/events", str(e))
    dates = catalogue.series_of(listing)
    title = listing.title
    if not confirmed(form):
        return confirmation(request, user, heading=f"Hide every date of \u201c{title}\u201d?",
                            consequences=consequences(listing, dates, reason, catalogue.zone),
                            action="/admin/events/hide-series", button="Yes, hide the whole series",
                            back_to="/admin/events?" + urlencode({"q": title}), fields={"uid": uid, "reason": reason})

    def run() -> HiddenSeries:
        with open_session(request) as session:
            return moderation.hide_series(listing.series, title=title, dates=len(dates), reason=reason,
                                          session=session, actor=user.email)

    hidden = await run_in_threadpool(run)
    return finished(request, user, heading=f"\u201c{title}\u201d is hidden",
                    message=f"Hidden: every date of \u201c{title}\u201d ({_dates(len(dates))}) has left every calendar "
                            "and page, and dates added to it later stay hidden.",
                    undo_action="/admin/events/show-series", undo_fields={"id": str(hidden.id)},
                    undo_button="Undo: show the series again", back_to="/admin/events", back_label="Back to the events")


def consequences(listing: Listing, dates: list[Listing], reason: str, zone: ZoneInfo) -> list[str]:
    """What hiding the series of `listing` does, for the page that asks first: every date, where it goes, the undo."""
    first, last = (long_day(item.start.astimezone(zone).date()) for item in (dates[0], dates[-1]))
    span = f"on {first}" if len(dates) == 1 else f"from {first} to {last}"
    groups = ", ".join(ref.name for ref in listing.groups) or "its group"
    return [
        f"Every date of \u201c{listing.title}\u201d leaves every calendar and page: {_dates(len(dates))}, {span}.",
        f"Calendar apps subscribed to the hub, to a week or to {groups} stop showing them at their next update, "
        "and each date's own page says it is no longer listed.",
        "Dates its calendar adds to this series later stay hidden too.",
        f"Other organisers see why on the hidden events page: \u201c{reason}\u201d. Nothing is deleted: "
        "\u201cShow the series again\u201d there brings every date back.",
    ]


async def show_series(request: Request) -> Response:
    """POST /admin/events/show-series: id (of the hiding); every date of the series is back in the outputs."""
    user = require(request, *STAFF)
    form = await checked_form(request)
    wanted = str(form.get("id", ""))
    hidden_id = int(wanted) if wanted.isdigit() and len(wanted) < 12 else 0

    def run() -> str | None:
        with open_session(request) as session:
            shown = moderation.show_series(hidden_id, session=session, actor=user.email)
            return shown.title if shown is not None else None

    title = await run_in_threadpool(run)
    if title is None:
        return back("/admin/hidden", "That series was not hidden.")
    return back("/admin/hidden", f"Every date of \u201c{title}\u201d is back in every calendar and page.")


def _dates(count: int) -> str:
    return "1 date" if count == 1 else f"{count:,} dates"
