"""Fetching feeds: conditional GET with time, size and redirect limits.  The only module that uses httpx.

`fetch(client, url, ...)` returns a `Fetched` body (or a 304) and raises FetchError, in words an
organiser understands, for everything else.  Files (`file://`) are read only for feeds that came
from the operator's registry, never for addresses that arrived through the web.

Every feed, and every link inside one, is fetched with `make_client(settings, guarded=True)`: its
`GuardedTransport` resolves every host, on every redirect too, refuses private, loopback, link-local
and other non-public addresses (IPv6 forms that carry an IPv4 address are judged by that address too)
before any connection is made, and connects to the very address it checked (no second lookup to
rebind).  Only a registry feed the operator marked `private`, or a hub that allows private addresses
(`fetch_private_addresses`), is fetched without it.

Politeness: a 429 or 503's `Retry-After` travels with the FetchError (`retry_after`), a fetch that began
with permanent redirects (301, 308) says where they led (`Fetched.moved_to`), and bodies may come
compressed with brotli as well as gzip.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import brotli  # noqa: F401  (httpx decodes `Content-Encoding: br` only when brotli is installed)
import certifi
import httpx

from calendar_hub import clock
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
LONGEST_WAIT = timedelta(days=1)        # a Retry-After further off than this is read as a day
ACCEPT_ENCODING = "br, gzip, deflate"
PERMANENT_REDIRECTS = (301, 308)         # RFC 9110 15.4.2 and 15.4.9: links should be updated to the new address


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
    moved_to: str = ""      # where the permanent redirects (301, 308) this fetch began with led, if any


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# Special-purpose blocks of the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and its updates)
# where no public server can sit.  `ipaddress.is_global` is not enough: depending on the Python release it calls
# 192.0.0.0/24, 192.88.99.0/24, multicast, site-local fec0::/10, 64:ff9b:1::/48, 3fff::/20 and 5f00::/16 global.
_NOT_PUBLIC_V4 = tuple(ipaddress.IPv4Network(block) for block in (
    "0.0.0.0/8",           # "this network" (RFC 791)
    "10.0.0.0/8",          # private (RFC 1918)
    "100.64.0.0/10",       # carrier-grade NAT (RFC 6598)
    "127.0.0.0/8",         # loopback (RFC 1122)
    "169.254.0.0/16",      # link-local, cloud metadata services (RFC 3927)
    "172.16.0.0/12",       # private (RFC 1918)
    "192.0.0.0/24",        # IETF protocol assignments (RFC 6890)
    "192.0.2.0/24",        # documentation (RFC 5737)
    "192.88.99.0/24",      # 6to4 relay anycast, deprecated (RFC 7526)
    "192.168.0.0/16",      # private (RFC 1918)
    "198.18.0.0/15",       # benchmarking (RFC 2544)
    "198.51.100.0/24",     # documentation (RFC 5737)
    "203.0.113.0/24",      # documentation (RFC 5737)
    "224.0.0.0/4",         # multicast (RFC 5771)
    "240.0.0.0/4",         # reserved, and the limited broadcast address (RFC 1112, RFC 919)
))
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")              # the well-known NAT64 prefix (RFC 6052 2.1)
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")      # local-use translation prefix (RFC 8215)
_NOT_PUBLIC_V6 = tuple(ipaddress.IPv6Network(block) for block in (
    # 64:ff9b:1::/48 is the operator's own network, refused whatever it carries: where the IPv4 address sits
    # inside it is the operator's choice of prefix length (RFC 6052 2.2), so it cannot be read for sure.
    str(_NAT64_LOCAL),
    "100::/64",            # discard-only (RFC 6666)
    "2001::/23",           # IETF protocol assignments, Teredo included (RFC 2928, RFC 6890)
    "2001:db8::/32",       # documentation (RFC 3849)
    "3fff::/20",           # documentation (RFC 9637)
    "5f00::/16",           # segment routing SIDs (RFC 9602)
    "fc00::/7",            # unique local (RFC 4193)
    "fe80::/10",           # link-local (RFC 4291 2.5.6)
    "fec0::/10",           # site-local, deprecated (RFC 3879)
    "ff00::/8",            # multicast (RFC 4291 2.7)
))
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")  # the only block IANA hands out for global unicast (RFC 4291)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address leads to: mapped, compatible, translated, NAT64, 6to4 or Teredo."""
    same = _same_as_ipv4(ip)
    if same is not None:
        return (same,)
    if ip in _NAT64_LOCAL:                # read with the /96 layout that DNS64 uses (RFC 6052 2.2)
        return (ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF),)
    if ip.sixtofour is not None:          # 2002:AABB:CCDD::/48 (RFC 3056 2)
        return (ip.sixtofour,)
    if ip.teredo is not None:             # 2001:0:server:flags:port:client, the client's bits inverted (RFC 4380 4)
        return ip.teredo                  # (server, client), the client already turned back
    return ()


def _same_as_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, where a stack or a translator reaches that address itself."""
    value = int(ip)
    # ::a.b.c.d IPv4-compatible (RFC 4291 2.5.5.1; :: and ::1 among them), ::ffff:a.b.c.d IPv4-mapped
    # (RFC 4291 2.5.5.2), ::ffff:0:a.b.c.d IPv4-translated (RFC 2765 2.1), 64:ff9b::a.b.c.d NAT64 (RFC 6052 2.1)
    if value >> 32 in (0, 0xFFFF, 0xFFFF_0000) or ip in _NAT64:
        return ipaddress.IPv4Address(value & 0xFFFF_FFFF)
    return None


def public_address(address: str) -> bool:
    """Whether an IP address is on the public internet, and so is every IPv4 address it carries (`embedded_ipv4`)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return _public_v4(ip)
    if ip.scope_id is not None:
        return False  # a zone id (RFC 4007 11) names a link of this machine: only non-global addresses need one
    if not all(_public_v4(carried) for carried in embedded_ipv4(ip)):
        return False
    if _same_as_ipv4(ip) is not None:
        return True   # checked as the IPv4 address it stands for
    return ip in _GLOBAL_UNICAST and ip.is_global and not any(ip in block for block in _NOT_PUBLIC_V6)


def _public_v4(ip: ipaddress.IPv4Address) -> bool:
    return ip.is_global and not any(ip in block for block in _NOT_PUBLIC_V4)


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
            first = _leads_to((refused or ["nowhere"])[0])
            where = first if _is_ip(host) else f"{host} is {first}"
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


def _leads_to(address: str) -> str:
    """`address`, and the IPv4 address it carries if any: "64:ff9b::a00:1, which leads to 10.0.0.1"."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    carried = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else ()
    return f"{address}, which leads to {' and '.join(map(str, carried))}" if carried else address


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def make_client(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None, guarded: bool = False,
                resolver: Resolver = resolve) -> httpx.AsyncClient:
    """The HTTP client a refresh uses: honest User-Agent, time limits, bounded redirects and connections.

    `guarded` (for every feed but the registry's `private` ones) wraps the transport in `GuardedTransport`,
    unless the operator allowed private addresses for the whole hub (`fetch_private_addresses`).
    """
    limits = Limits.from_settings(settings)
    if guarded and not settings.fetch_private_addresses:
        inner = transport or httpx.AsyncHTTPTransport(
            verify=_tls_context(), limits=httpx.Limits(max_connections=max(settings.fetch_concurrency, 1)))
        transport = GuardedTransport(inner, resolver)
    return httpx.AsyncClient(
        headers={"User-Agent": settings.user_agent,
                 "Accept": "text/calendar, application/rss+xml, application/atom+xml, application/xml;q=0.9, "
                           "text/xml;q=0.9, */*;q=0.5",
                 "Accept-Encoding": ACCEPT_ENCODING},
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
        moved_to = _moved_to(response)
        if response.status_code == 304:
            return Fetched(304, None, response.headers.get("etag", ""), response.headers.get("last-modified", ""),
                           str(response.url), _ms(started), moved_to=moved_to)
        if response.status_code >= 400:
            words = STATUS_WORDS.get(response.status_code)
            if words is None:
                words = ("the server had an error ({status})" if response.status_code >= 500
                         else "the server answered with an error ({status})")
            wait = None
            if response.status_code in (429, 503):
                wait = retry_after(response.headers.get("retry-after", ""))
            raise FetchError(words.format(status=response.status_code), url=url, status=response.status_code,
                             retry_after=wait)
        declared = response.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limits.max_bytes:
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
                       response.headers.get("content-type", ""), moved_to)


def _moved_to(response: httpx.Response) -> str:
    """Where the permanent redirects a fetch began with led: "" when its first answer was no 301 or 308.

    A 302 or 307 is temporary (RFC 9110 15.4.3, 15.4.8): the chain's permanent part stops at the first one.
    """
    hops = [*response.history, response]
    moved = ""
    for hop, following in zip(hops, hops[1:], strict=False):
        if hop.status_code not in PERMANENT_REDIRECTS:
            break
        moved = str(following.request.url)
    return moved


def retry_after(value: str) -> timedelta | None:
    """A `Retry-After` value (RFC 9110 10.2.3: seconds, or an HTTP date) as a wait from now, at most a day.

    None for an empty or unreadable value; a date already past is no wait at all.
    """
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        wait = timedelta(seconds=int(value[:9]))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)   # RFC 9110 5.6.7: an HTTP date is always in GMT
        wait = max(when - clock.now(), timedelta(0))
    return min(wait, LONGEST_WAIT)


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
