"""Sending outputs: gzip only when the client's Accept-Encoding takes it, and one strong ETag per body."""

from __future__ import annotations

import gzip

import pytest
from starlette.requests import Request

from calendar_hub.catalogue.outputs import made
from calendar_hub.web.responses import accepts_gzip, send

OUTPUT = made(b"BEGIN:VCALENDAR\r\n" + b"X-FILLER:some text to compress\r\n" * 100 + b"END:VCALENDAR\r\n",
              "text/calendar")


def request(**headers: str) -> Request:
    """A GET request carrying these headers (underscores in names become dashes)."""
    raw = [(name.replace("_", "-").lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/calendar.ics", "headers": raw, "query_string": b""})


@pytest.mark.parametrize(("header", "takes"), [
    ("gzip", True), ("gzip, deflate, br", True), ("br;q=1.0, gzip;q=0.5", True), ("*", True),
    ("gzip;q=0", False), ("gzip; q=0.000", False), ("GZIP;Q=0", False), ("*;q=0", False), ("br, *;q=0", False),
    ("identity", False), ("", False), ("gzip;q=0, *", False), ("gzip;q=nonsense", False), ("x-gzip", True),
])
def test_gzip_is_sent_only_when_accept_encoding_takes_it(header: str, takes: bool) -> None:
    assert accepts_gzip(header) is takes
    response = send(request(accept_encoding=header), OUTPUT)
    assert (response.headers.get("content-encoding") == "gzip") is takes
    assert (gzip.decompress(response.body) if takes else response.body) == OUTPUT.body


def test_the_gzip_and_plain_bodies_each_have_their_own_strong_etag_and_vary() -> None:
    plain = send(request(), OUTPUT)
    zipped = send(request(accept_encoding="gzip"), OUTPUT)
    assert plain.headers["etag"] != zipped.headers["etag"]
    for response in (plain, zipped):
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["etag"].startswith('"') and response.headers["etag"].endswith('"')
    assert send(request(if_none_match=plain.headers["etag"]), OUTPUT).status_code == 304
    both = {"accept_encoding": "gzip", "if_none_match": zipped.headers["etag"]}
    unchanged = send(request(**both), OUTPUT)
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == zipped.headers["etag"]
    assert unchanged.headers["vary"] == "Accept-Encoding"
    # each validator names only its own body: the plain ETag does not answer for the gzip body, nor the other way
    assert send(request(accept_encoding="gzip", if_none_match=plain.headers["etag"]), OUTPUT).status_code == 200
    assert send(request(if_none_match=zipped.headers["etag"]), OUTPUT).status_code == 200


def test_a_small_body_is_sent_plain_with_its_own_etag() -> None:
    small = made(b"{}", "application/json")
    response = send(request(accept_encoding="gzip"), small)
    assert "content-encoding" not in response.headers and response.headers["etag"] == small.etag
