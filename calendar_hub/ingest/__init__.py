"""Ingest: registry -> fetch -> parse -> store (refresh, the parsers, discovery, following links, geocoding).

    refresh     the Refresher: lease due feeds, fetch, parse in workers, store in batches
    fingerprint a body's hash with the stamps the hub never publishes left out: "nothing changed" (pure)
    judge       whether a fetched body may replace a feed's events, and the words for it (pure)
    fetch       conditional GET with limits, through the SSRF guard at every hop (unless the operator allows)
    follow      reading the event pages that dateless feed items link to
    robots      robots.txt, read once per site, asked before a page the hub was not given is fetched
    geocode     placing location lines online (Nominatim) when the offline places cannot; off by default
    sanitize    descriptions made safe for pages, and plain text for feeds
    sources     the parsers: bytes in, occurrences (`calendar_hub.occurrence`) out
    discover    from an address a group pastes to the feeds behind it
    worker      parse worker processes, each parse held to a time and a memory limit

The submodules are imported where they are used, not here: a parse worker loads the parsers alone.
"""

from __future__ import annotations

__all__ = ["discover", "fetch", "fingerprint", "follow", "geocode", "judge", "refresh", "robots", "sanitize", "sources",
           "worker"]
