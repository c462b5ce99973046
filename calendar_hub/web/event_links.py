"""Links that add one event to a calendar app: Google Calendar's and Outlook.com's "new event" forms, filled in,
and OpenStreetMap's directions to where it is.

Neither form is a standard: these are the query parameters each service documents for links from other sites.
Timed events go as UTC instants ("Z"), so no zone has to be guessed; all-day events as dates, the end exclusive
(the day after the last, as RFC 5545 3.6.1 has it).
"""

from __future__ import annotations

from urllib.parse import urlencode

from calendar_hub.catalogue.listing import Listing
from calendar_hub.publish.api import as_utc, days

GOOGLE = "https://calendar.google.com/calendar/render"
OUTLOOK = "https://outlook.live.com/calendar/0/deeplink/compose"
DIRECTIONS = "https://www.openstreetmap.org/directions"
DETAILS_LENGTH = 1000  # the form is a link: a long description would make it too long for some browsers


def details(listing: Listing, page_url: str) -> str:
    """The description a calendar app is given: the organisers' text (shortened) and the event's page."""
    text = listing.description_text.strip()
    if len(text) > DETAILS_LENGTH:
        text = text[:DETAILS_LENGTH].rstrip() + "…"
    return "\n\n".join(part for part in (text, page_url) if part)


def google_add(listing: Listing, page_url: str) -> str:
    """Google Calendar's form for a new event (action=TEMPLATE), filled in with this one."""
    if listing.all_day:
        first, after = days(listing)
        dates = f"{first:%Y%m%d}/{after:%Y%m%d}"
    else:
        start, end = as_utc(listing.start), as_utc(max(listing.end, listing.start))
        dates = f"{start:%Y%m%dT%H%M%SZ}/{end:%Y%m%dT%H%M%SZ}"
    query = {"action": "TEMPLATE", "text": listing.title, "dates": dates, "details": details(listing, page_url)}
    if listing.location:
        query["location"] = listing.location
    return f"{GOOGLE}?{urlencode(query)}"


def outlook_add(listing: Listing, page_url: str) -> str:
    """Outlook.com's form for a new event (deeplink/compose), filled in with this one."""
    if listing.all_day:
        first, after = days(listing)
        start, end = first.isoformat(), after.isoformat()
    else:
        start = as_utc(listing.start).strftime("%Y-%m-%dT%H:%M:%SZ")
        end = as_utc(max(listing.end, listing.start)).strftime("%Y-%m-%dT%H:%M:%SZ")
    query = {"path": "/calendar/action/compose", "rru": "addevent", "subject": listing.title,
             "startdt": start, "enddt": end, "allday": "true" if listing.all_day else "false",
             "body": details(listing, page_url)}
    if listing.location:
        query["location"] = listing.location
    return f"{OUTLOOK}?{urlencode(query)}"


def directions(listing: Listing) -> str:
    """OpenStreetMap's directions to the event: to its coordinates when the feed gave them, else to its
    location line (which OpenStreetMap looks up); "" when there is nowhere to go (online, or no place)."""
    if listing.lat is not None and listing.lon is not None and listing.place_precision == "exact":
        return f"{DIRECTIONS}?{urlencode({'to': f'{listing.lat:.5f},{listing.lon:.5f}'})}"
    if listing.location and listing.place_precision != "none":
        return f"{DIRECTIONS}?{urlencode({'to': listing.location})}"
    return ""
