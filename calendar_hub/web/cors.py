"""Cross-origin reading of the published outputs: other sites' scripts may fetch the calendars, feeds and API.

A pure ASGI middleware. Outputs are public and carry no cookie, so any origin may read them
(`Access-Control-Allow-Origin: *`, never with credentials); a preflight `OPTIONS` is answered here with 204.
The console and the forms get none of this.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ALLOW_METHODS", "Cors", "is_output"]

ALLOW_METHODS = "GET, HEAD, OPTIONS"
OUTPUT_SUFFIXES = (".ics", ".atom", ".json", ".geojson")
CLOSED_PREFIXES = ("/admin", "/join", "/submit")
PREFLIGHT_SECONDS = "86400"
# What a script may read besides the CORS-safelisted headers: for conditional requests and paging.
EXPOSED = "ETag, Content-Disposition"


def is_output(path: str) -> bool:
    """Whether `path` is a published output (a calendar, the Atom feed, a JSON or GeoJSON file) or the API."""
    if path.startswith(CLOSED_PREFIXES):
        return False
    return path.startswith("/api/") or PurePosixPath(path).suffix in OUTPUT_SUFFIXES


class Cors:
    """Adds `Access-Control-Allow-Origin: *` to the outputs' responses and answers their preflight requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_output(scope["path"]):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": [
                (b"access-control-allow-origin", b"*"), (b"access-control-allow-methods", ALLOW_METHODS.encode()),
                (b"access-control-allow-headers", b"If-None-Match, If-Modified-Since"),
                (b"access-control-max-age", PREFLIGHT_SECONDS.encode()), (b"allow", ALLOW_METHODS.encode())]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = "*"
                headers["Access-Control-Expose-Headers"] = EXPOSED
            await send(message)

        await self.app(scope, receive, send_with_cors)
