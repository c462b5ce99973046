"""What discovery hands back (`FoundFeed`, `Discovery`) and what it tries on the way (`Candidate`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from calendar_hub.occurrence import KINDS

FEED_KINDS = KINDS
# Best first: a calendar carries its own dates and times; RSS/Atom only sometimes does (RSS event
# module, xCal, gd:when); a JSON Feed has no agreed way to say when an event happens.
KIND_RANK = {"ical": 0, "rss": 1, "jsonfeed": 2}

LINKED = 0      # declared by the page: <link rel="alternate">
PLATFORM = 1    # the feed the software behind the page always publishes (Mobilizon, Gancio, WordPress plugins)
IN_PAGE = 2     # a link, button or embedded calendar in the page's body
GUESS = 3       # a common address that may or may not exist (WordPress's /feed/)


@dataclass(frozen=True, slots=True)
class FoundFeed:
    """A feed behind the address a group gave: where it is, what kind, its title, and how it was found."""

    url: str        # the feed's address (http or https, never webcal://)
    kind: str       # "ical", "rss" or "jsonfeed"
    title: str      # the feed's or the link's title if known, else ""
    how: str        # plain words: "the address itself is a calendar", "linked from the page as an RSS feed", ...


@dataclass(frozen=True, slots=True)
class Discovery:
    """The outcome of looking behind one address: the feeds found, best first, or why there are none."""

    requested: str
    feeds: list[FoundFeed] = field(default_factory=list)
    message: str = ""   # "" when feeds were found; otherwise why not, in plain words


@dataclass(frozen=True, slots=True)
class Candidate:
    """An address that may be a feed, before it is fetched: the kind it claims and how it was found."""

    url: str
    kind: str           # the kind it is expected to be; fetching decides
    how: str
    title: str = ""
    rank: int = IN_PAGE  # LINKED, PLATFORM, IN_PAGE or GUESS: which to try first within a kind
    linked: bool = True  # the page (or the address) points at it, rather than our guessing its shape

    def found(self) -> FoundFeed:
        """This candidate as a FoundFeed, not yet verified."""
        return FoundFeed(url=self.url, kind=self.kind, title=self.title, how=self.how)


@dataclass(frozen=True, slots=True)
class PageClues:
    """What a web page reveals about the software behind it, for guessing the feeds that software publishes."""

    page_url: str
    wordpress_home: str = ""            # the WordPress site's home address, "" if not WordPress
    events_calendar: bool = False       # The Events Calendar plugin's assets or markup are in the page
    events_manager: bool = False        # the Events Manager plugin's assets are in the page
    mobilizon: bool = False             # the page is served by Mobilizon
    mobilizon_group: str = ""           # the group's address, https://instance/@name, if the page is a group's
    gancio: tuple[str, ...] = ()        # Gancio feed bases: an instance address, with the widget's filters
    gancio_site: bool = False           # the page itself is served by Gancio


def url_key(url: str) -> str:
    """The form of an address used to notice the same feed twice: no fragment, lower-case host, no trailing slash."""
    try:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))
    except ValueError:
        return url


def best_first(candidates: list[Candidate], limit: int) -> list[Candidate]:
    """Candidates ordered by kind (ICS first), then by how they were found, then as given; one per address."""
    ordered = sorted(enumerate(candidates), key=lambda item: (KIND_RANK[item[1].kind], item[1].rank, item[0]))
    unique: dict[str, Candidate] = {}
    for _index, candidate in ordered:
        unique.setdefault(url_key(candidate.url), candidate)
    return list(unique.values())[:limit]
