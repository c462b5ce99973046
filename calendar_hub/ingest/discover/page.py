"""Reading a web page for feeds: `links_in_page(html, base_url)`, and `scan`, which also notes the software behind it.

Pages are untrusted and often broken: only the first megabyte is read, with the standard library's
forgiving HTMLParser, and only http(s) addresses come out.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from calendar_hub.ingest.discover.classify import plain
from calendar_hub.ingest.discover.model import IN_PAGE, LINKED, Candidate, FoundFeed, PageClues, best_first
from calendar_hub.ingest.discover.shapes import BUTTON_HOW, url_shapes

MAX_HTML = 1_000_000
MAX_LINKS = 50
MAX_TAGS = 20_000
# <link rel="alternate" type=...>: the feed autodiscovery convention (RSS Advisory Board's RSS
# Autodiscovery; the same rule serves Atom, ICS and JSON Feed 1.1's application/feed+json).
_ALTERNATE = {"text/calendar": ("ical", "a calendar"), "application/rss+xml": ("rss", "an RSS feed"),
              "application/atom+xml": ("rss", "an Atom feed"), "application/rdf+xml": ("rss", "an RSS feed"),
              "application/feed+json": ("jsonfeed", "a JSON Feed"), "application/json": ("jsonfeed", "a JSON Feed")}
_CALENDAR_WORDS = re.compile(r"\b(?:ical|icalendar|webcal|ics)\b", re.IGNORECASE)
_SUBSCRIBE_WORDS = re.compile(r"\b(?:subscribe|add|sync|export|download)\b.{0,40}\bcalendar\b", re.IGNORECASE)
_FEED_WORDS = re.compile(r"\b(?:rss|atom)\b", re.IGNORECASE)
_FEED_PATH = re.compile(r"(?:/feed|/rss|/atom|\.rss|\.atom|\.xml)/?$", re.IGNORECASE)
_EVENTS_WORDS = re.compile(r"^(?:events?|what'?s on|calendar|diary|upcoming events|our events)$", re.IGNORECASE)
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_WP_ASSET = re.compile(r"""((?:https?://[^\s"'<>()/]+)?(?:/[^\s"'<>()]*?)?)/wp-(?:content|includes)/""",
                       re.IGNORECASE)
_MOBILIZON_NOSCRIPT = re.compile(r"<noscript>.{0,600}?\bmobilizon\b", re.IGNORECASE | re.DOTALL)
_MOBILIZON_GROUP = re.compile(r"^(https?://[^/?#]+/@[\w.-]+)")
_SERVICE_HOSTS = {"calendar.google.com", "www.google.com", "google.com", "outlook.live.com", "outlook.office.com",
                  "outlook.office365.com", "calendar.live.com"}


@dataclass(frozen=True, slots=True)
class Page:
    """A scanned web page: its title, the feeds it links to (best first), and what it shows about itself."""

    title: str
    candidates: list[Candidate]
    clues: PageClues
    events_page: str = ""   # a link on the same site labelled "Events", "What's on", ... for a suggestion


def links_in_page(html: bytes, base_url: str) -> list[FoundFeed]:
    """The calendars and feeds a page links to, best first, unverified; never raises."""
    return [candidate.found() for candidate in scan(html, base_url).candidates]


def scan(html: bytes, base_url: str, *, webcal_scheme: str = "https") -> Page:
    """Read a page's title, feed links and software clues; never raises."""
    text = _decode(html[:MAX_HTML])
    tags = _Tags()
    try:
        tags.feed(text)
        tags.close()
    except (AssertionError, ValueError):
        pass  # HTMLParser gives up on a few malformed declarations; keep what was read before
    declared = _resolve(base_url, tags.base)   # <base href> changes what relative links mean (HTML 4.3.1)
    base = declared if _web(declared) else base_url
    found: list[Candidate] = []
    for attrs in tags.links:
        found += _alternate(attrs, base, webcal_scheme)
    events_page = ""
    for href, label in tags.anchors:
        url = _resolve(base, href)
        found += _anchor(url, label, webcal_scheme)
        if not events_page and _EVENTS_WORDS.match(label) and _same_site(url, base_url) and url != base_url:
            events_page = url
    for src in tags.iframes:
        shapes, conclusive = url_shapes(_resolve(base, src), webcal_scheme=webcal_scheme)
        if conclusive:
            found += [replace(shape, how=shape.how + " embedded in the page", rank=IN_PAGE) for shape in shapes]
    return Page(title=plain(tags.title()), candidates=best_first(found, MAX_LINKS),
                clues=_clues(tags, text, base_url, base), events_page=events_page)


class _Tags(HTMLParser):
    """Collects the few things discovery needs from a page, whatever state its HTML is in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base = ""
        self.links: list[dict[str, str]] = []
        self.anchors: list[tuple[str, str]] = []
        self.iframes: list[str] = []
        self.meta: dict[str, str] = {}
        self.scripts: list[str] = []
        self.gancio: list[dict[str, str]] = []
        self._title: list[str] = []
        self._in_title = False
        self._title_done = False   # the first <title> is the page's; an SVG's <title> comes later
        self._anchor: tuple[str, list[str], str] | None = None
        self._seen = 0

    def title(self) -> str:
        return "".join(self._title)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._seen += 1
        if self._seen > MAX_TAGS:
            return
        values = {name.lower(): (value or "").strip() for name, value in attrs}
        if tag == "title" and not self._title_done:
            self._in_title = True
        elif tag == "base" and not self.base:
            self.base = values.get("href", "")
        elif tag == "link":
            self.links.append(values)
        elif tag == "a":
            self._end_anchor()
            self._anchor = (values.get("href", ""), [], values.get("title", "") or values.get("aria-label", ""))
        elif tag == "iframe":
            self.iframes.append(values.get("src", ""))
        elif tag == "meta":
            name = (values.get("name") or values.get("property") or "").lower()
            if name and name not in self.meta:
                self.meta[name] = values.get("content", "")
        elif tag == "script" and values.get("src"):
            self.scripts.append(values["src"])
        elif tag in ("gancio-events", "gancio-event"):
            self.gancio.append(values)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title = False
            self._title_done = True
        elif tag == "a":
            self._end_anchor()

    def handle_data(self, data: str) -> None:
        if self._in_title and len(self._title) < 50:
            self._title.append(data)
        if self._anchor is not None and len(self._anchor[1]) < 20:
            self._anchor[1].append(data)

    def close(self) -> None:
        super().close()
        self._end_anchor()

    def _end_anchor(self) -> None:
        if self._anchor is not None:
            href, texts, fallback = self._anchor
            self.anchors.append((href, plain("".join(texts), 80) or plain(fallback, 80)))
            self._anchor = None


def _alternate(attrs: dict[str, str], base: str, webcal_scheme: str) -> list[Candidate]:
    mime = attrs.get("type", "").split(";")[0].strip().lower()
    if "alternate" not in attrs.get("rel", "").lower().split() or mime not in _ALTERNATE:
        return []
    url = _resolve(base, attrs.get("href", ""))
    title = plain(attrs.get("title", ""))
    if "/comments/feed" in url.lower() or title.lower().endswith("comments feed"):
        return []   # WordPress links a feed of comments from every page: never events
    if mime == "application/json" and ("/wp-json/" in url or "oembed" in url.lower() or "feed" not in url.lower()):
        return []   # WordPress's REST API and oEmbed also announce themselves as alternate JSON
    kind, words = _ALTERNATE[mime]
    shapes, conclusive = url_shapes(url, webcal_scheme=webcal_scheme)   # href="webcal://..." happens
    urls = [shape.url for shape in shapes] if conclusive else [url]
    return [Candidate(u, kind, f"linked from the page as {words}", title, LINKED) for u in urls if _web(u)]


def _anchor(url: str, label: str, webcal_scheme: str) -> list[Candidate]:
    shapes, conclusive = url_shapes(url, webcal_scheme=webcal_scheme)
    if conclusive:
        if url.lower().startswith("webcal"):
            how = f"a webcal:// subscription link on the page, fetched over {webcal_scheme.upper()}"
            return [replace(shape, how=how, title=label, rank=IN_PAGE) for shape in shapes]
        return [replace(shape, how=shape.how if shape.how == BUTTON_HOW else shape.how + " linked from the page",
                        title=label, rank=IN_PAGE) for shape in shapes]
    if not _web(url):
        return []
    parts = urlsplit(url)
    if (parts.hostname or "").lower() in _SERVICE_HOSTS:
        return []   # Google's and Outlook's "add this one event" links (action=TEMPLATE) are not feeds
    path = parts.path.lower()
    query = parse_qs(parts.query, keep_blank_values=True)
    if path.endswith((".ics", ".ical", ".vcs")):
        return [Candidate(url, "ical", "a link to a calendar file (.ics) on the page", label)]
    if "ical" in query or "ics" in query or query.get("feed", [""])[0].lower() in ("ical", "ics"):
        return [Candidate(url, "ical", "an iCal export link on the page", label)]
    if _CALENDAR_WORDS.search(label) or _SUBSCRIBE_WORDS.search(label):
        kind = "rss" if _FEED_PATH.search(path) else "ical"
        return [Candidate(url, kind, f'the page\'s "{plain(label, 60)}" link', label)]
    if _FEED_WORDS.search(label) or path.endswith((".rss", ".atom")):
        return [Candidate(url, "rss", "an RSS link on the page", label)]
    return []


def _clues(tags: _Tags, text: str, page_url: str, base: str) -> PageClues:
    page = urlsplit(page_url)
    origin = f"{page.scheme}://{page.netloc}"
    mobilizon = bool(_MOBILIZON_NOSCRIPT.search(text)) or tags.title().strip().endswith("- Mobilizon")
    group = ""
    if mobilizon:
        # A group page carries og:url (the group's address, on its own instance) and profile:username.
        match = _MOBILIZON_GROUP.match(tags.meta.get("og:url", "")) or _MOBILIZON_GROUP.match(page_url)
        group = match.group(1) if match else ""
    gancio: list[str] = []
    for attrs in tags.gancio:   # Gancio's widget, <gancio-events baseurl=... tags=... places=...>
        home = _resolve(base, attrs.get("baseurl", "")).rstrip("/")
        if _web(home):
            filters = {name: attrs[name] for name in ("tags", "places") if attrs.get(name)}
            gancio.append(home + ("?" + urlencode(filters, safe=",") if filters else ""))
    gancio_site = False
    for src in tags.scripts:
        script = urlsplit(_resolve(base, src))
        home = f"{script.scheme}://{script.netloc}"
        # Gancio serves its widget's script at its root, and loads it on its own pages too.
        if script.path == "/gancio-events.es.js" and not any(g.startswith(home) for g in gancio):
            gancio_site = gancio_site or home == origin
            gancio.append(home)
    wordpress = _wordpress_home(tags, text, origin)
    return PageClues(page_url=page_url, wordpress_home=wordpress,
                     events_calendar=bool(wordpress) and ("/plugins/the-events-calendar/" in text
                                                          or "tribe-events" in text),
                     events_manager=bool(wordpress) and "/plugins/events-manager/" in text,
                     mobilizon=mobilizon, mobilizon_group=group, gancio=tuple(dict.fromkeys(gancio)),
                     gancio_site=gancio_site)


def _wordpress_home(tags: _Tags, text: str, origin: str) -> str:
    """The WordPress site's home address: from its REST API link, its asset addresses, or the page's origin."""
    for attrs in tags.links:
        href = attrs.get("href", "")
        if attrs.get("rel", "").lower() == "https://api.w.org/" and href.startswith(("http://", "https://")):
            return href.split("?")[0].removesuffix("/").removesuffix("/wp-json")
    for number, asset in enumerate(_WP_ASSET.finditer(text)):
        # Only the site's own assets count: pages often show images from other WordPress sites and
        # CDNs (i0.wp.com/site/wp-content/...); a subdirectory install keeps its path (site/blog).
        home = _resolve(origin + "/", asset.group(1)).rstrip("/") or origin
        if _same_site(home, origin):
            return home
        if number >= 50:
            break
    return origin if tags.meta.get("generator", "").lower().startswith("wordpress") else ""


def _decode(html: bytes) -> str:
    declared = _CHARSET.search(html[:4096])
    encoding = "utf-8"
    if declared:
        try:
            encoding = codecs.lookup(declared.group(1).decode("ascii")).name
        except (LookupError, UnicodeDecodeError):
            pass
    return html.decode(encoding, errors="replace")


def _resolve(base: str, href: str) -> str:
    href = href.strip()
    if not href or href.startswith("#"):
        return ""
    try:
        return urljoin(base, href).split("#")[0]
    except ValueError:   # a malformed IPv6 literal and the like
        return ""


def _web(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _same_site(url: str, page_url: str) -> bool:
    try:
        return bool(url) and urlsplit(url).netloc.lower() == urlsplit(page_url).netloc.lower()
    except ValueError:
        return False
