"""Which group a calendar already belongs to, by its address normalised, so one calendar is not added twice.

The same calendar is often pasted in different shapes: webcal:// for https://, upper-case host names, a
default port, a trailing slash or a #fragment.  Those are compared as one address; anything else
(the path, the query) is kept as it is, since servers may tell those apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from calendar_hub import store
from calendar_hub.store import Session

__all__ = ["Owner", "calendar_key", "owners_of"]

_SCHEMES = {"webcal": "https", "webcals": "https", "http": "https", "https": "https"}
_DEFAULT_PORTS = {":80", ":443"}


@dataclass(frozen=True, slots=True)
class Owner:
    """A group that already reads a calendar, and the address it reads it at."""

    slug: str
    name: str
    url: str


def calendar_key(url: str) -> str:
    """`url` in the one shape that stands for the calendar: https, lower-case host, no default port, slash, fragment."""
    parts = urlsplit(url.strip())
    scheme = _SCHEMES.get(parts.scheme.lower(), parts.scheme.lower())
    host = parts.netloc.lower()
    for port in _DEFAULT_PORTS:
        host = host.removesuffix(port)
    return urlunsplit((scheme, host, parts.path.rstrip("/") or "/", parts.query, ""))


def owners_of(urls: list[str], *, session: Session, except_group: str | None = None) -> dict[str, list[Owner]]:
    """For each of `urls`, the groups (other than `except_group`) whose feeds are that calendar; only those with any."""
    wanted = {calendar_key(url): url for url in urls}
    found: dict[str, list[Owner]] = {}
    for feed_url, slug, name in store.feed_owners(session=session):
        url = wanted.get(calendar_key(feed_url))
        if url is not None and slug != except_group:
            found.setdefault(url, []).append(Owner(slug, name, feed_url))
    return found
