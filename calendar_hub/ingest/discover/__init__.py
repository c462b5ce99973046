"""Feed discovery: from whatever address a group pastes (its website, events page, a webcal:// link, a Google
Calendar or Outlook link, a Mobilizon group, a Gancio site, a WordPress events page) to the calendar feed behind it.

    known_shapes(url)            the feed addresses an address's shape alone implies (pure)
    links_in_page(html, base)    the calendars and feeds a web page links to (pure)
    classify(body, content_type) what a fetched body is: ical, rss, jsonfeed, html or other (pure)
    discover(client, url, ...)   all of it, each candidate verified by fetching; never raises

Modules: model (the results), classify, shapes (addresses by producer), page (reading HTML),
search (fetching and the plain-words explanation when nothing is found).
"""

from __future__ import annotations

from calendar_hub.ingest.discover.model import Discovery, FoundFeed
from calendar_hub.ingest.discover.page import links_in_page
from calendar_hub.ingest.discover.search import MAX_FETCHES, discover
from calendar_hub.ingest.discover.shapes import known_shapes
from calendar_hub.ingest.sources.kinds import classify

__all__ = ["MAX_FETCHES", "Discovery", "FoundFeed", "classify", "discover", "known_shapes", "links_in_page"]
