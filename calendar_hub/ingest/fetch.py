"""Fetching feeds: conditional GET with time, size and redirect limits.  The only module that uses httpx.

`fetch(client, url, ...)` returns a `Fetched` body (or a 304) and raises FetchError, in words an
organiser understands, for everything else.  Files (`file://`) are read only for feeds that came
from the operator's registry, never for addresses that arrived through the web.

Addresses that arrive through the web (a joining group's feed, a link inside a feed) are fetched
with `make_client(settings, guarded=True)`: its `GuardedTransport` resolves every host, on every
redirect too, refuses private, loopback, link-local and other non-public addresses before any
connection is made, and connects to the very address it checked (no second lookup to rebind).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import certifi
import httpx

from calendar_hub.errors import FetchError
from calendar_hub.settings import Settings

# The HTTP client every fetch goes through; other modules name it by this alias, never by httpx.
Client = httpx.AsyncClient

STATUS_WORDS = {
    401: "the server asks for a password ({status}); the calendar must be public",
    403: "the server refused us ({status})",
    404: "the address was not found ({status}); the calendar may have moved",
    410: "the calendar was removed from this address ({status})",
    429: "the server asked us to slow down ({status})",
}


@dataclass(frozen=True, slots=True)
class Limits:
    """Time and size limits for one fetch."""

    connect: float
    read: float
    total: float
    max_bytes: int
    max_redirects: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(connect=settings.fetch_connect_timeout, read=settings.fetch_read_timeout,
                   total=settings.fetch_total_timeout, max_bytes=settings.fetch_max_bytes,
                   max_redirects=settings.fetch_max_redirects)


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetch's answer: `body` is None when the server said 304 Not Modified."""

    status: int
    body: bytes | None
    etag: str
    last_modified: str
    final_url: str
    duration_ms: int
    content_type: str = ""


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def public_address(address: str) -> bool:
    """Whether an IP address is on the public internet: not private, loopback, link-local, multicast or reserved."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return ip.is_global and not ip.is_multicast


class GuardedTransport(httpx.AsyncBaseTransport):
    """Refuses requests to non-public addresses before connecting; connects to the address it checked.

    httpx sends every redirect hop through the transport, so each hop is checked the same way.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport, resolver: Resolver = resolve) -> None:
        self.inner = inner
        self.resolver = resolver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = [host] if _is_ip(host) else await self.resolver(host, port)
        except OSError as e:
            raise FetchError(f"the server's name {host!r} could not be found", url=str(url)) from e
        refused = [a for a in addresses if not public_address(a)]
        if not addresses or refused:
            where = host if _is_ip(host) else f"{host} is {(refused or ['nowhere'])[0]}"
            raise FetchError(f"the address points at a private or local network ({where}); "
                             "only public addresses can be fetched", url=str(url))
        if _is_ip(host):
            return await self.inner.handle_async_request(request)
        # Connect to the checked address, so that a second lookup cannot be answered differently;
        # the request itself is left alone, as httpx builds the next redirect from it.
        extensions = dict(request.extensions)
        if url.scheme == "https":
            extensions["sni_hostname"] = host  # TLS still names, and verifies, the real host
        pinned = httpx.Request(request.method, url.copy_with(host=addresses[0]), headers=request.headers,
                               stream=request.stream, extensions=extensions)
        return await self.inner.handle_async_request(pinned)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def make_client(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None, guarded: bool = False,
                resolver: Resolver = resolve) -> httpx.AsyncClient:
    """The HTTP client a refresh uses: honest User-Agent, time limits, bounded redirects and connections.

    `guarded` (for addresses that arrived through the web) wraps the transport in `GuardedTransport`,
    unless the operator allowed private addresses (`fetch_private_addresses`).
    """
    limits = Limits.from_settings(settings)
    if guarded and not settings.fetch_private_addresses:
        inner = transport or httpx.AsyncHTTPTransport(
            verify=_tls_context(), limits=httpx.Limits(max_connections=max(settings.fetch_concurrency, 1)))
        transport = GuardedTransport(inner, resolver)
    return httpx.AsyncClient(
        headers={"User-Agent": settings.user_agent,
                 "Accept": "text/calendar, application/rss+xml, application/atom+xml, application/xml;q=0.9, "
                           "text/xml;q=0.9, */*;q=0.5"},
        timeout=httpx.Timeout(connect=limits.connect, read=limits.read, write=limits.read, pool=limits.total),
        follow_redirects=True,
        max_redirects=limits.max_redirects,
        limits=httpx.Limits(max_connections=max(settings.fetch_concurrency, 1),
                            max_keepalive_connections=max(settings.fetch_concurrency, 1)),
        transport=transport,
        verify=_tls_context(),
    )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context (certifi's CA bundle), built once per process: loading it costs about 30 ms."""
    return ssl.create_default_context(cafile=certifi.where())


async def fetch(client: httpx.AsyncClient, url: str, *, limits: Limits, etag: str = "", last_modified: str = "",
                allow_files: bool = False) -> Fetched:
    """Fetch `url` once, conditionally; raises FetchError with a plain-words reason."""
    started = time.perf_counter()
    scheme = urlsplit(url).scheme.lower()
    if scheme == "file":
        if not allow_files:
            raise FetchError("file addresses are only allowed in the operator's registry", url=url)
        body = await asyncio.to_thread(_read_file, url, limits.max_bytes)
        return Fetched(200, body, "", "", url, _ms(started))
    if scheme not in ("http", "https"):
        raise FetchError(f"unsupported address scheme {scheme!r}", url=url)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(limits.total):
            return await _get(client, url, headers, limits, started)
    except TimeoutError as e:
        raise FetchError(f"the server took longer than {limits.total:g} s to send the calendar", url=url) from e
    except httpx.TooManyRedirects as e:
        raise FetchError(f"the address redirects more than {limits.max_redirects} times", url=url) from e
    except httpx.TimeoutException as e:
        raise FetchError("the server did not answer in time", url=url) from e
    except httpx.ConnectError as e:
        raise FetchError(f"could not connect to the server ({_reason(e)})", url=url) from e
    except httpx.HTTPError as e:
        raise FetchError(f"the transfer failed ({_reason(e)})", url=url) from e
    except (httpx.InvalidURL, ValueError) as e:
        # httpx's own URL parser refuses some addresses (a bad port, an odd IPv4 or IDNA host).
        raise FetchError("this is not a valid web address", url=url) from e


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str], limits: Limits,
               started: float) -> Fetched:
    async with client.stream("GET", url, headers=headers) as response:
        if response.status_code == 304:
            return Fetched(304, None, response.headers.get("etag", ""), response.headers.get("last-modified", ""),
                           str(response.url), _ms(started))
        if response.status_code >= 400:
            words = STATUS_WORDS.get(response.status_code)
            if words is None:
                words = ("the server had an error ({status})" if response.status_code >= 500
                         else "the server answered with an error ({status})")
            raise FetchError(words.format(status=response.status_code), url=url, status=response.status_code)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_bytes:
            raise FetchError(_too_large(limits.max_bytes), url=url, status=response.status_code)
        chunks = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limits.max_bytes:
                raise FetchError(_too_large(limits.max_bytes), url=url, status=response.status_code)
            chunks.append(chunk)
        return Fetched(response.status_code, b"".join(chunks), response.headers.get("etag", ""),
                       response.headers.get("last-modified", ""), str(response.url), _ms(started),
                       response.headers.get("content-type", ""))


def _read_file(url: str, max_bytes: int) -> bytes:
    path = Path(unquote(urlsplit(url).path))
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as e:
        raise FetchError(f"cannot read the file ({e.strerror})", url=url) from e
    if len(data) > max_bytes:
        raise FetchError(_too_large(max_bytes), url=url)
    return data


def _too_large(max_bytes: int) -> str:
    return f"the calendar is larger than the limit of {max_bytes / 1_000_000:g} MB"


def _reason(error: Exception) -> str:
    text = str(error).strip()
    return text[:200] if text else type(error).__name__


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
