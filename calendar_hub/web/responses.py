"""Sending built outputs: ETag and If-None-Match (304), gzip when the client asks, caching headers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from calendar_hub.catalogue import Output


def send(request: Request, output: Output, *, max_age: int = 300, filename: str | None = None) -> Response:
    """Respond with a cached output, honouring conditional requests and Accept-Encoding."""
    headers = {"ETag": output.etag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Accept-Encoding"}
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    wanted = request.headers.get("if-none-match", "")
    if wanted and (wanted.strip() == "*" or output.etag in [tag.strip().removeprefix("W/")
                                                            for tag in wanted.split(",")]):
        return Response(status_code=304, headers=headers)
    body = output.body
    if "gzip" in request.headers.get("accept-encoding", "").lower() and len(body) > 1024:
        body = output.compressed
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=output.media_type, headers=headers)
