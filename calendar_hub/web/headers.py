"""Headers every response carries (content policy, framing, sniffing, referrer, HSTS), and redirects kept relative.

A pure ASGI middleware: it only adds headers to `http.response.start`, so streaming and cached bodies pass as they are.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from starlette.datastructures import URL, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calendar_hub.settings import Settings

EMBED_PREFIX = "/embed/"  # pages made for other sites' iframes
HSTS = "max-age=31536000"  # a year (RFC 6797 6.1.1); subdomains are the operator's to decide
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]+)?$")  # what may stand in a CSP host-source unquoted


def tile_source(tile_url: str) -> str | None:
    """The CSP source of the map's tile server: `https://tile.example.org`, `https://*.tile.example.org` for a
    `{s}` subdomain template, None when the tiles are the hub's own (relative), turned off or unreadable."""
    parts = urlsplit(tile_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = re.sub(r"^\{[a-z]+\}\.", "", parts.netloc)  # Leaflet's {s} (a, b, c): any subdomain of the rest
    wildcard = "*." if host != parts.netloc else ""
    if not _HOST.match(host):
        return None
    return f"{parts.scheme}://{wildcard}{host}"


def content_policy(settings: Settings, *, embeddable: bool) -> str:
    """The Content-Security-Policy: the hub's own scripts, styles and data only; images also from the tile server.

    No inline script runs (JSON-LD blocks are data, which browsers never execute); style attributes set from script
    through the CSSOM, as Leaflet does, are outside style-src, so no 'unsafe-inline' is needed. Only /embed/ pages
    may be framed, by any site (CSP Level 2 frame-ancestors).
    """
    # data: for the blank GIF Leaflet puts in a tile it cancels (Util.emptyImageUrl)
    images = " ".join(filter(None, ["'self'", "data:", tile_source(settings.tile_url)]))
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", f"img-src {images}", "connect-src 'self'",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'",
        "frame-ancestors *" if embeddable else "frame-ancestors 'none'",
    ])


class SecurityHeaders:
    """Adds the hub's security headers to every response, and turns redirects to the request's own host relative.

    Starlette builds some redirects (a missing trailing slash) from the request's Host header; a relative Location
    (RFC 9110 10.2.2) keeps a hostile Host out of the response. Headers a handler set itself are left alone.
    """

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.https = settings.base_url.lower().startswith("https://")
        self.framed = self._fixed(content_policy(settings, embeddable=True), embeddable=True)
        self.unframed = self._fixed(content_policy(settings, embeddable=False), embeddable=False)

    def _fixed(self, policy: str, *, embeddable: bool) -> list[tuple[str, str]]:
        headers = [("Content-Security-Policy", policy), ("X-Content-Type-Options", "nosniff"),
                   ("Referrer-Policy", "strict-origin-when-cross-origin")]
        if not embeddable:
            headers.append(("X-Frame-Options", "DENY"))  # RFC 7034, for browsers before frame-ancestors
        if self.https:
            headers.append(("Strict-Transport-Security", HSTS))
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fixed = self.framed if scope["path"].startswith(EMBED_PREFIX) else self.unframed

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in fixed:
                    if name not in headers:
                        headers[name] = value
                location = headers.get("location")
                if location:
                    headers["location"] = own_relative(location, scope)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def own_relative(location: str, scope: Scope) -> str:
    """`location` without scheme and host when they are the request's own (as Starlette read them from Host)."""
    parts = urlsplit(location)
    if not parts.netloc or parts.netloc.lower() != URL(scope=scope).netloc.lower():
        return location
    path = parts.path or "/"
    if path.startswith("//"):  # "//x" alone would name a host
        path = "/" + path.lstrip("/")
    return urlunsplit(("", "", path, parts.query, parts.fragment))
