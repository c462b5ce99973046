"""Looking behind an address for its feeds: `discover(client, url, *, limits) -> Discovery`; never raises.

Order of work: the address's shape alone (webcal://, Google, Outlook, a Mobilizon handle) may
say where the feed is; otherwise the address is fetched, and a web page is read for the feeds it
links to and for the software behind it.  Every candidate is fetched to see what it really is,
at most MAX_FETCHES fetches in all, side by side.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from calendar_hub.errors import FetchError
from calendar_hub.ingest.discover.classify import feed_title, fingerprint, notes
from calendar_hub.ingest.discover.model import (
    FEED_KINDS,
    KIND_RANK,
    Candidate,
    Discovery,
    FoundFeed,
    best_first,
    url_key,
)
from calendar_hub.ingest.discover.page import Page, scan
from calendar_hub.ingest.discover.shapes import GOOGLE_ICS, platform_shapes, url_shapes
from calendar_hub.ingest.fetch import Client, Fetched, Limits, fetch
from calendar_hub.ingest.robots import Robots
from calendar_hub.ingest.sanitize import clean_url
from calendar_hub.ingest.sources.kinds import classify, describe_other, returns_instead

MAX_FETCHES = 8
MAX_CANDIDATES = 20
_BARE_HOST = re.compile(r"^(?:[\w-]+\.)+[a-z]{2,}(?::\d+)?(?:[/?#].*)?$", re.IGNORECASE)
_ITSELF = {"ical": "the address itself is a calendar", "rss": "the address itself is a feed (RSS or Atom)",
           "jsonfeed": "the address itself is a JSON Feed"}
_GOOGLE_HINT = ("Google serves a calendar's ICS only once the calendar is public: in its settings, "
                "make it available to public")
NOT_AN_ADDRESS = "this is not a web address we can read: it should look like https://example.org/events"
_MOBILIZON_HINT = "it is a Mobilizon site: paste the address of the group's own page (ending in /@group-name)"


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One candidate after fetching it: the feed it turned out to be, or why it is not one."""

    candidate: Candidate
    reason: str = ""             # "returns a web page, not a feed", ...; "" when it is a feed
    found: FoundFeed | None = None
    weak: bool = False           # a single-event ICS, a news feed: listed after the others of its kind
    fingerprint: str = ""


async def discover(client: Client, url: str, *, limits: Limits, webcal_scheme: str = "https") -> Discovery:
    """The feeds behind an address a group gave, best first and verified by fetching, or why there are none.

    `webcal_scheme` is what webcal:// becomes: "https" as real webcal links mean; tests on a plain
    HTTP loopback server pass "http".  Never raises: every failure ends up in `Discovery.message`.
    """
    return await _Search(client, limits, webcal_scheme).run(url)


class _Search:
    """One discovery's state: its fetch budget and the addresses already tried."""

    def __init__(self, client: Client, limits: Limits, webcal_scheme: str) -> None:
        self.client = client
        self.limits = limits
        self.webcal_scheme = webcal_scheme
        self.fetches = 0
        self.skipped = 0
        self.tried: set[str] = set()
        self.robots = Robots(client, limits)

    async def run(self, requested: str) -> Discovery:
        text = _tidy(requested)
        if not text:
            return Discovery(requested, [], "the address is empty")
        shapes, conclusive = url_shapes(text, webcal_scheme=self.webcal_scheme)
        if conclusive:
            attempts = await self.attempt_all(shapes)
            feeds = _feeds(attempts)
            return Discovery(requested, feeds, "" if feeds else self.explain_shapes(attempts))
        address = clean_url(text)
        if not address:
            return Discovery(requested, [], NOT_AN_ADDRESS)
        self.fetches += 1
        self.tried.add(url_key(address))
        try:
            fetched = await self.fetch(address)
        except FetchError as e:
            return Discovery(requested, [], str(e))
        body = fetched.body or b""
        kind = classify(body, fetched.content_type)
        if kind in FEED_KINDS:
            return Discovery(requested, _feeds([_accept(Candidate(address, kind, _ITSELF[kind]), fetched, kind)]), "")
        if kind != "html":
            return Discovery(requested, [], returns_instead(body, "a calendar"))
        page = scan(body, fetched.final_url, webcal_scheme=self.webcal_scheme)
        candidates = best_first(page.candidates + platform_shapes(page.clues) + shapes, MAX_CANDIDATES)
        # The address given, and what its shape alone says it is, were asked for; what the page links to or
        # what the hub guesses behind it is looked for, so the site's robots.txt is asked first.
        attempts = await self.attempt_all(candidates, polite=True)
        feeds = _feeds(attempts)
        return Discovery(requested, feeds, "" if feeds else self.explain_page(page, attempts))

    async def fetch(self, url: str) -> Fetched:
        """fetch() for an address from the web; raises FetchError, also for an address the HTTP client refuses."""
        return await fetch(self.client, url, limits=self.limits)

    async def attempt_all(self, candidates: list[Candidate], *, polite: bool = False) -> list[_Attempt]:
        """Fetch the candidates not yet tried, side by side, within the fetch budget."""
        chosen: list[Candidate] = []
        for candidate in candidates:
            key = url_key(candidate.url)
            if key in self.tried:
                continue
            if self.fetches + len(chosen) >= MAX_FETCHES:
                self.skipped += 1
                continue
            self.tried.add(key)
            chosen.append(candidate)
        self.fetches += len(chosen)
        return list(await asyncio.gather(*(self.attempt(candidate, polite=polite) for candidate in chosen)))

    async def attempt(self, candidate: Candidate, *, polite: bool = False) -> _Attempt:
        """Fetch one candidate and say what it is; `polite`: only where the site's robots.txt allows it."""
        if not clean_url(candidate.url):
            return _Attempt(candidate, reason="is not a valid web address")
        refused = await self.robots.refusal(candidate.url) if polite else ""
        if refused:
            return _Attempt(candidate, reason=f"was not fetched: {refused}")
        try:
            fetched = await self.fetch(candidate.url)
        except FetchError as e:
            return _Attempt(candidate, reason=f"could not be fetched: {e}")
        body = fetched.body or b""
        kind = classify(body, fetched.content_type)
        if kind in FEED_KINDS:
            return _accept(candidate, fetched, kind)
        if kind == "html":
            return _Attempt(candidate, reason="returns a web page, not a feed")
        return _Attempt(candidate, reason=f"returns {describe_other(body)}, not a feed")

    def explain_shapes(self, attempts: list[_Attempt]) -> str:
        """Why the addresses the address's shape pointed to gave nothing."""
        if not attempts:
            return "this address does not lead to a calendar"
        message = "; ".join(f"{a.candidate.how} ({a.candidate.url}) {a.reason}" for a in attempts[:3])
        if any(a.candidate.url.startswith(GOOGLE_ICS.split("{")[0]) for a in attempts):
            message += f"; {_GOOGLE_HINT}"
        return message

    def explain_page(self, page: Page, attempts: list[_Attempt]) -> str:
        """Why a web page gave no feed: what it links to and what each of those turned out to be."""
        head = "this address returns a web page" + (f' ("{page.title}")' if page.title else "")
        linked = [a for a in attempts if a.candidate.linked]
        guessed = [a for a in attempts if not a.candidate.linked]
        if not linked:
            message = f"{head} with no calendar or feed linked from it"
        elif len(linked) == 1:
            message = f"{head}; the page links to a feed at {linked[0].candidate.url} but it {linked[0].reason}"
        else:
            listed = "; ".join(f"{a.candidate.url} {a.reason}" for a in linked[:3])
            more = f"; and {len(linked) - 3} more" if len(linked) > 3 else ""
            message = f"{head}; the page links to {len(linked)} possible feeds but none works: {listed}{more}"
        if guessed:
            message += "; we also tried " + "; ".join(f"{a.candidate.how} ({a.candidate.url}), which {a.reason}"
                                                       for a in guessed[:2])
        if self.skipped:
            message += f" (we stopped after {MAX_FETCHES} addresses)"
        if page.clues.mobilizon and not page.clues.mobilizon_group:
            message += f"; {_MOBILIZON_HINT}"
        elif page.events_page:
            message += f"; try the site's events page instead: {page.events_page}"
        return message


def _accept(candidate: Candidate, fetched: Fetched, kind: str) -> _Attempt:
    """A candidate that turned out to be a feed, with its own title and what is (not) in it."""
    body = fetched.body or b""
    note, weak = notes(body, kind)
    url = candidate.url
    if fetched.final_url.startswith("https://") and fetched.final_url[8:] == url.removeprefix("http://"):
        url = fetched.final_url   # an upgrade to HTTPS; other redirects may be temporary, so keep what was linked
    found = FoundFeed(url=url, kind=kind, title=feed_title(body, kind) or candidate.title, how=candidate.how + note)
    return _Attempt(candidate, found=found, weak=weak, fingerprint=fingerprint(body, kind))


def _feeds(attempts: list[_Attempt]) -> list[FoundFeed]:
    """The feeds found, best first, each calendar once even when two addresses serve it."""
    seen: set[str] = set()
    ranked: list[tuple[int, bool, int, FoundFeed]] = []
    for index, attempt in enumerate(attempts):
        if attempt.found is None or attempt.fingerprint in seen:
            continue
        seen.add(attempt.fingerprint)
        ranked.append((KIND_RANK[attempt.found.kind], attempt.weak, index, attempt.found))
    return [found for *_order, found in sorted(ranked)]


def _tidy(url: str) -> str:
    """The address as pasted, trimmed of quotes and brackets, with https:// added to a bare host name."""
    text = url.strip().strip("<>\"'").strip()
    if "://" not in text and _BARE_HOST.match(text):
        text = "https://" + text
    return text
