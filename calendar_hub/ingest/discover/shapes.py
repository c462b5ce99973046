"""Feed addresses from an address's shape alone (`known_shapes`) and from what a page reveals (`platform_shapes`).

Producers checked (their own code or documentation):
  webcal://           a URL scheme for calendars that is served over HTTP(S); real links almost always mean https
  Google Calendar     embed?src=ID (newer embed codes write ID in base64), ?cid=BASE64(ID), render?cid=webcal://...,
                      and the feed itself: /calendar/ical/ID/public/basic.ics
  Outlook             published calendars: /owa/calendar/.../calendar.html (or index.html, reachcalendar.html)
                      beside .../calendar.ics; "subscribe" links: rru=addsubscription&url=..., /addfromweb?url=...
  Mobilizon           lib/web/router.ex: GET /@:name/feed/:format with format "ics" or "atom"
  Gancio              server/routes.js: GET /feed/:format and /feed/:format/(tag|place|collection)/:name,
                      export.js: format "rss" or "ics", filters ?tags=&places=; widget: <gancio-events baseurl=...>
  The Events Calendar its knowledgebase: "Export .ics file" /events/list/?ical=1 and "iCalendar"
                      webcal://site/?post_type=tribe_events&ical=1&eventDisplay=list; <link> to /events/?ical=1
  Events Manager      em-ical.php: any request ending in events.ics serves every event
"""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

from calendar_hub.ingest.discover.model import GUESS, PLATFORM, Candidate, PageClues

MAX_ADDRESS = 4000
GOOGLE_ICS = "https://calendar.google.com/calendar/ical/{}/public/basic.ics"
GOOGLE_HOW = "the public ICS export of the Google Calendar"
OUTLOOK_HOW = "the ICS version of the published Outlook calendar"
BUTTON_HOW = 'the calendar that a "subscribe" button points to'
_GOOGLE_HOSTS = {"calendar.google.com", "www.google.com", "google.com"}
_GOOGLE_ICAL = re.compile(r"/calendar/ical/([^/]+)/(public|private-[^/]+)/(?:basic|full)\.ics$")
# Google's own read-only calendars (holidays, birthdays, week numbers) often sit beside a group's
# calendar in one embed; they are not the group's events, so they count only when alone.
_GOOGLE_VIRTUAL = "@group.v.calendar.google.com"
_OUTLOOK_HOSTS = {"outlook.live.com", "outlook.office.com", "outlook.office365.com", "calendar.live.com"}
_OUTLOOK_PAGE = re.compile(r"/owa/calendar/.+/(calendar|reachcalendar|index)\.html?$", re.IGNORECASE)
_HANDLE = re.compile(r"@?([a-z0-9_][\w.-]*)@((?:[a-z0-9-]+\.)+[a-z]{2,})", re.IGNORECASE)
_MOBILIZON_PATH = re.compile(r"/@([\w.-]+?)(?:@((?:[\w-]+\.)+[\w-]+))?(?:/.*)?$")
_GANCIO_PAGE = re.compile(r"/(tag|place|collection)/([^/]+)/?$")


def known_shapes(url: str, *, webcal_scheme: str = "https") -> list[tuple[str, str]]:
    """(candidate feed address, how) pairs that the address's shape alone implies; [] when it implies none."""
    return [(candidate.url, candidate.how) for candidate in url_shapes(url, webcal_scheme=webcal_scheme)[0]]


def url_shapes(url: str, *, webcal_scheme: str = "https") -> tuple[list[Candidate], bool]:
    """Candidate feeds from the address alone, and whether they replace fetching the address itself."""
    text = url.strip()
    if len(text) > MAX_ADDRESS:
        return [], False
    handle = _HANDLE.fullmatch(text)
    if handle:   # @group@instance, the way Mobilizon names a group across the fediverse
        return mobilizon_shapes(f"https://{handle.group(2)}/@{handle.group(1)}", linked=True), True
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return [], False
    scheme = parts.scheme.lower()
    if scheme in ("webcal", "webcals"):
        if not host:
            return [], False
        target = urlunsplit((webcal_scheme, parts.netloc, parts.path or "/", parts.query, ""))
        inner, conclusive = url_shapes(target)   # webcal://calendar.google.com/... is still Google's
        if inner and conclusive:
            return inner, True
        return [Candidate(target, "ical", f"the webcal:// link, fetched over {webcal_scheme.upper()}")], True
    if scheme == "feed":   # feed://host/path and feed:https://host/path, an old browser convention
        rest = text[len("feed:"):]
        target = rest if rest.lower().startswith(("http://", "https://")) else "https:" + rest
        try:
            if not urlsplit(target).hostname:
                return [], False
        except ValueError:
            return [], False
        return [Candidate(target, "rss", "the feed:// link, fetched over HTTPS")], True
    if scheme not in ("http", "https") or not host:
        return [], False
    query = parse_qs(parts.query)
    if host in _GOOGLE_HOSTS and parts.path.startswith("/calendar"):
        shapes = _google(parts.path, query, webcal_scheme)
        return shapes, bool(shapes)
    if host in _OUTLOOK_HOSTS or "/owa/calendar/" in parts.path.lower():
        shapes = _outlook(parts.scheme, parts.netloc, parts.path, parts.query, query, webcal_scheme)
        return shapes, bool(shapes)
    group = _MOBILIZON_PATH.match(parts.path)
    if group and "mobilizon" in host:   # a guess: on other hosts the page must show it is Mobilizon
        home = f"https://{group.group(2)}" if group.group(2) else f"{scheme}://{parts.netloc}"
        return mobilizon_shapes(f"{home}/@{group.group(1)}", linked=False), False
    return [], False


def mobilizon_shapes(group_url: str, *, linked: bool) -> list[Candidate]:
    """The calendar and Atom feeds Mobilizon publishes for the group at `group_url` (https://instance/@name)."""
    base = group_url.rstrip("/")
    return [Candidate(base + "/feed/ics", "ical", "the calendar feed of this Mobilizon group",
                      rank=PLATFORM, linked=linked),
            Candidate(base + "/feed/atom", "rss", "the Atom feed of this Mobilizon group",
                      rank=PLATFORM, linked=linked)]


def platform_shapes(clues: PageClues) -> list[Candidate]:
    """The feeds that the software a page was recognised as (Mobilizon, Gancio, WordPress plugins) publishes."""
    found: list[Candidate] = []
    if clues.mobilizon_group:
        found += mobilizon_shapes(clues.mobilizon_group, linked=False)
    for base in clues.gancio:
        found += _gancio(base, clues)
    home = clues.wordpress_home.rstrip("/")
    if home and clues.events_calendar:
        found.append(Candidate(home + "/?post_type=tribe_events&ical=1&eventDisplay=list", "ical",
                               "The Events Calendar's subscription feed for this WordPress site",
                               rank=PLATFORM, linked=False))
        page = urlsplit(clues.page_url)
        if page.path.strip("/"):
            found.append(Candidate(urlunsplit((page.scheme, page.netloc, page.path, "ical=1", "")), "ical",
                                   "The Events Calendar's iCal export of this page", rank=PLATFORM, linked=False))
    if home and clues.events_manager:
        found.append(Candidate(home + "/events.ics", "ical", "the Events Manager calendar feed for this WordPress site",
                               rank=PLATFORM, linked=False))
    if home:
        found.append(Candidate(home + "/feed/", "rss", "this WordPress site's news feed", rank=GUESS, linked=False))
    return found


def _google(path: str, query: dict[str, list[str]], webcal_scheme: str) -> list[Candidate]:
    ical = _GOOGLE_ICAL.match(path)
    if ical:
        how = GOOGLE_HOW if ical.group(2) == "public" else "the secret ICS address of a Google Calendar"
        return [Candidate(urlunsplit(("https", "calendar.google.com", path, "", "")), "ical", how)]
    found: list[Candidate] = []
    virtual: list[Candidate] = []
    for value in query.get("src", []) + query.get("cid", []):
        if value.lower().startswith(("webcal:", "webcals:", "http:", "https:")):
            # "Add to Google Calendar" buttons pass the feed to subscribe to: render?cid=webcal://...
            found += _button(value, webcal_scheme)
            continue
        calendar_id = _google_id(value)
        if calendar_id:
            shape = Candidate(GOOGLE_ICS.format(quote(calendar_id, safe="")), "ical", GOOGLE_HOW)
            (virtual if calendar_id.endswith(_GOOGLE_VIRTUAL) else found).append(shape)
    return found or virtual


def _google_id(value: str) -> str:
    """A Google Calendar ID from an embed's src or a link's cid: written out, or base64 without padding."""
    value = value.strip()
    if "@" in value:
        return value
    try:
        decoded = base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_") + "=" * (-len(value) % 4))
        text = decoded.decode("utf-8")
    except ValueError:   # binascii.Error and UnicodeDecodeError are both ValueErrors
        return ""
    return text if "@" in text and text.isprintable() and " " not in text else ""


def _outlook(scheme: str, netloc: str, path: str, raw_query: str, query: dict[str, list[str]],
             webcal_scheme: str) -> list[Candidate]:
    target = (query.get("url") or [""])[0]
    if target and ("addsubscription" in raw_query.lower() or path.lower().endswith("/addfromweb")):
        return _button(target, webcal_scheme)
    page = _OUTLOOK_PAGE.search(path)
    if page:   # a published calendar's web view sits beside its ICS: .../calendar.html -> .../calendar.ics
        name = "reachcalendar.ics" if page.group(1).lower() == "reachcalendar" else "calendar.ics"
        return [Candidate(urlunsplit((scheme, netloc, path[: page.start(1)] + name, "", "")), "ical", OUTLOOK_HOW)]
    if "/owa/calendar/" in path.lower() and path.lower().endswith(".ics"):
        return [Candidate(urlunsplit((scheme, netloc, path, raw_query, "")), "ical", OUTLOOK_HOW)]
    return []


def _button(target: str, webcal_scheme: str) -> list[Candidate]:
    inner, _conclusive = url_shapes(target, webcal_scheme=webcal_scheme)
    if inner:
        return [replace(candidate, how=BUTTON_HOW) for candidate in inner]
    if urlsplit(target).scheme.lower() in ("http", "https"):
        return [Candidate(target, "ical", BUTTON_HOW)]
    return []


def _gancio(base: str, clues: PageClues) -> list[Candidate]:
    split = urlsplit(base)
    origin = f"{split.scheme}://{split.netloc}"
    page = urlsplit(clues.page_url)
    found: list[Candidate] = []
    if clues.gancio_site and f"{page.scheme}://{page.netloc}" == origin:
        named = _GANCIO_PAGE.match(page.path)
        if named:
            kind, name = named.groups()
            found += [Candidate(f"{origin}/feed/ics/{kind}/{name}", "ical", f"the calendar feed of this Gancio {kind}",
                                rank=PLATFORM, linked=False),
                      Candidate(f"{origin}/feed/rss/{kind}/{name}", "rss", f"the RSS feed of this Gancio {kind}",
                                rank=PLATFORM, linked=False)]
    suffix = "?" + split.query if split.query else ""
    whose = "of this Gancio site" if clues.gancio_site else "of the Gancio site whose events the page shows"
    found += [Candidate(f"{origin}/feed/ics{suffix}", "ical", f"the calendar feed {whose}",
                        rank=PLATFORM, linked=False),
              Candidate(f"{origin}/feed/rss{suffix}", "rss", f"the RSS feed {whose}", rank=PLATFORM, linked=False)]
    return found
