"""Sending built outputs: ETag and If-None-Match (304), gzip when the client asks, caching headers.

The gzip body and the plain one are two representations of the same resource: each has its own strong ETag
(the gzip one is the plain one with "-gzip" added), and both say `Vary: Accept-Encoding`, so that a cache
keeps them apart and answers If-None-Match for each.
"""

from __future__ import annotations

from http import HTTPStatus

from starlette.requests import Request
from starlette.responses import Response

from calendar_hub.catalogue import Output
from calendar_hub.language import gettext

__all__ = ["accepts_gzip", "explained", "gzip_etag", "send"]

GZIP_FROM_BYTES = 1024  # smaller bodies gain too little from compression to be worth a second representation


def send(request: Request, output: Output, *, max_age: int = 300, filename: str | None = None) -> Response:
    """Respond with a cached output, honouring conditional requests and Accept-Encoding."""
    zipped = len(output.body) > GZIP_FROM_BYTES and accepts_gzip(request.headers.get("accept-encoding", ""))
    etag = gzip_etag(output.etag) if zipped else output.etag
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Accept-Encoding"}
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    wanted = request.headers.get("if-none-match", "")
    if wanted and (wanted.strip() == "*" or etag in [tag.strip().removeprefix("W/") for tag in wanted.split(",")]):
        return Response(status_code=304, headers=headers)
    if zipped:
        headers["Content-Encoding"] = "gzip"
        return Response(output.compressed, media_type=output.media_type, headers=headers)
    return Response(output.body, media_type=output.media_type, headers=headers)


def gzip_etag(etag: str) -> str:
    """The strong ETag of the gzip form of the body whose ETag is `etag` (`"abc"` -> `"abc-gzip"`)."""
    return etag[:-1] + '-gzip"' if etag.endswith('"') else etag + "-gzip"


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header (RFC 9110 12.5.3) takes gzip: listed, or by `*`, with a q-value above 0.
    `gzip;q=0` refuses it; a value that is no number counts as 0."""
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *parameters = [part.strip() for part in item.split(";")]
        if not coding:
            continue
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        weights[coding.lower()] = weight
    for name in ("gzip", "x-gzip", "*"):
        if name in weights:
            return weights[name] > 0
    return False


def explained(status: int, detail: str) -> str:
    """What an error page says: `detail`, or in place of Starlette's bare phrase ("Not Found"), a sentence in the
    current language."""
    if detail != HTTPStatus(status).phrase:
        return detail
    if status == 404:
        return gettext("There is no page at this address. It may have moved, or the link may be mistyped.")
    if status == 405:
        return gettext("This address does not take that kind of request.")
    return gettext("Something went wrong with this request.")
