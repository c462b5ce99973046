"""robots.txt (RFC 9309), read once per site for a refresh run or a discovery, asked before the hub fetches a page
it was not given.

Feeds a group registered are fetched whatever robots.txt says (the group asked for them, as a feed reader
does); the pages the hub goes looking for itself (the event pages a news feed links to, the addresses
discovery tries behind a website) are fetched only where the site allows it.  `Robots.refusal(url)` says
why a page is not to be fetched, or "" when it may be.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from protego import Protego

from calendar_hub.errors import FetchError
from calendar_hub.ingest.fetch import Client, Limits, fetch

AGENT = "CalendarHub"   # the product token of the hub's User-Agent, which robots.txt groups are matched against


class Robots:
    """The robots.txt of each site a run asks about, fetched once through `client` (with its limits)."""

    def __init__(self, client: Client, limits: Limits) -> None:
        self.client = client
        self.limits = limits
        self.sites: dict[str, asyncio.Task[Protego | str]] = {}

    async def refusal(self, url: str) -> str:
        """Why `url` may not be fetched ("" when it may): the site's robots.txt forbids it, or could not be read."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return ""   # not a web address: fetch() says what is wrong with it
        site = f"{parts.scheme}://{parts.netloc}"
        if site not in self.sites:
            self.sites[site] = asyncio.ensure_future(self._read(site))
        rules = await self.sites[site]
        if isinstance(rules, str):
            return rules
        if rules.can_fetch(url, AGENT):
            return ""
        return f"the site's robots.txt asks robots not to read {parts.path or '/'}"

    async def _read(self, site: str) -> Protego | str:
        """The site's rules, or why they could not be read (RFC 9309 2.3.1: then nothing on it is fetched)."""
        try:
            fetched = await fetch(self.client, f"{site}/robots.txt", limits=self.limits)
        except FetchError as e:
            if e.status is not None and 400 <= e.status < 500 and e.status != 429:
                return Protego.parse("")   # RFC 9309 2.3.1.3: "unavailable", so no rules at all
            # RFC 9309 2.3.1.4: unreachable (a server error, a time-out, a refused address): assume it disallows all
            return f"the site's robots.txt could not be read ({e})"
        return Protego.parse((fetched.body or b"").decode("utf-8", errors="replace"))
