"""Addresses that arrive through the web are refused before connecting when they point at a private network.

Every test here uses a stubbed resolver and an httpx.MockTransport that records what reaches it:
nothing connects anywhere, and a refused request must never reach the transport.
"""

from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest

from calendar_hub.errors import FetchError
from calendar_hub.ingest.fetch import Fetched, Limits, embedded_ipv4, fetch, make_client, public_address
from calendar_hub.settings import Settings

LIMITS = Limits(connect=2, read=2, total=5, max_bytes=100_000, max_redirects=5)
SETTINGS = Settings(base_url="http://hub.test")
CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


class Recorder:
    """A MockTransport handler: answers from `answers` by host header, remembering every request."""

    def __init__(self, answers: dict[str, httpx.Response]) -> None:
        self.answers = answers
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.answers[request.headers["Host"].split(":")[0]]


def resolver(table: dict[str, list[str]], asked: list[str] | None = None):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        if asked is not None:
            asked.append(host)
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]
    return resolve


def get(url: str, recorder: Recorder, table: dict[str, list[str]], settings: Settings = SETTINGS,
        asked: list[str] | None = None) -> Fetched:
    async def run() -> Fetched:
        client = make_client(settings, transport=httpx.MockTransport(recorder), guarded=True,
                             resolver=resolver(table, asked))
        async with client:
            return await fetch(client, url, limits=LIMITS)
    return asyncio.run(run())


@pytest.mark.parametrize("address", ["10.0.0.5", "172.16.3.4", "192.168.1.1", "127.0.0.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fc00::1", "fe80::1",
                                     "::ffff:192.168.1.1", "::ffff:127.0.0.1"])
def test_a_name_resolving_to_a_non_public_address_is_refused_before_connecting(address: str) -> None:
    recorder = Recorder({})
    with pytest.raises(FetchError, match="private or local network"):
        get("https://calendar.intranet.example/events.ics", recorder, {"calendar.intranet.example": [address]})
    assert recorder.seen == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/admin", "http://[::1]/", "http://169.254.169.254/latest/",
                                 "http://10.1.2.3/feed.ics", "http://[fd12:3456::1]:8080/x"])
def test_a_literal_non_public_address_is_refused_without_a_lookup(url: str) -> None:
    recorder, asked = Recorder({}), []
    with pytest.raises(FetchError, match="private or local network"):
        get(url, recorder, {}, asked=asked)
    assert recorder.seen == [] and asked == []


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    recorder = Recorder({})
    with pytest.raises(FetchError, match="private or local network"):
        get("https://mixed.example/cal.ics", recorder, {"mixed.example": ["93.184.216.34", "10.0.0.7"]})
    assert recorder.seen == []


def test_a_redirect_to_a_private_address_is_refused_at_that_hop() -> None:
    recorder = Recorder({"groups.example": httpx.Response(302, headers={"Location": "http://router.example/cal.ics"})})
    table = {"groups.example": ["93.184.216.34"], "router.example": ["192.168.0.1"]}
    with pytest.raises(FetchError, match=r"private or local network \(router.example is 192.168.0.1\)"):
        get("http://groups.example/calendar", recorder, table)
    assert [str(r.url) for r in recorder.seen] == ["http://93.184.216.34/calendar"]


def test_a_public_address_is_fetched_from_the_address_that_was_checked() -> None:
    recorder = Recorder({"groups.example": httpx.Response(200, content=CALENDAR)})
    fetched = get("https://groups.example:8443/cal.ics?x=1", recorder, {"groups.example": ["93.184.216.34"]})
    assert fetched.body == CALENDAR
    [request] = recorder.seen
    assert str(request.url) == "https://93.184.216.34:8443/cal.ics?x=1"
    assert request.headers["Host"] == "groups.example:8443"
    assert request.extensions["sni_hostname"] == "groups.example"


def test_a_redirect_between_public_hosts_is_followed_and_each_hop_checked() -> None:
    recorder = Recorder({"old.example": httpx.Response(301, headers={"Location": "https://new.example/c.ics"}),
                         "new.example": httpx.Response(200, content=CALENDAR)})
    asked: list[str] = []
    fetched = get("http://old.example/c.ics", recorder, {"old.example": ["93.184.216.34"],
                                                         "new.example": ["2606:2800:220:1::1"]}, asked=asked)
    assert fetched.body == CALENDAR and fetched.final_url == "https://new.example/c.ics"
    assert asked == ["old.example", "new.example"]


def test_an_unknown_name_is_a_plain_error() -> None:
    with pytest.raises(FetchError, match="could not be found"):
        get("https://no-such-group.example/cal.ics", Recorder({}), {})


def test_the_operator_can_allow_private_addresses_for_a_hub_on_one_network() -> None:
    recorder = Recorder({"calendar.intranet.example": httpx.Response(200, content=CALENDAR)})
    settings = SETTINGS.replace(fetch_private_addresses=True)
    fetched = get("http://calendar.intranet.example/c.ics", recorder, {}, settings=settings)
    assert fetched.body == CALENDAR


def test_public_address() -> None:
    assert public_address("93.184.216.34") and public_address("2606:2800:220:1::1")
    assert not public_address("not an address") and not public_address("fe80::1%eth0")


# ---------------------------------------------------------------- the address check, form by form

def teredo(server: str, client: str, port: int = 40000, flags: int = 0x8000) -> str:
    """A Teredo address (RFC 4380 4): prefix, server, flags, then the client's port and address with every bit
    inverted."""
    value = (0x2001_0000 << 96 | int(ipaddress.IPv4Address(server)) << 64 | flags << 48
             | (port ^ 0xFFFF) << 32 | int(ipaddress.IPv4Address(client)) ^ 0xFFFF_FFFF)
    return str(ipaddress.IPv6Address(value))


PUBLIC = True
REFUSED = False
ADDRESSES = [
    # IPv4 on the public internet
    ("93.184.216.34", PUBLIC, "public IPv4"),
    ("8.8.8.8", PUBLIC, "public IPv4"),
    ("1.1.1.1", PUBLIC, "public IPv4"),
    ("151.101.1.69", PUBLIC, "public IPv4"),
    # IPv4 special-purpose blocks (RFC 6890)
    ("10.0.0.1", REFUSED, "private (RFC 1918)"),
    ("10.255.255.255", REFUSED, "private (RFC 1918)"),
    ("172.16.0.1", REFUSED, "private (RFC 1918)"),
    ("172.31.255.254", REFUSED, "private (RFC 1918)"),
    ("192.168.1.1", REFUSED, "private (RFC 1918)"),
    ("127.0.0.1", REFUSED, "loopback"),
    ("127.255.255.254", REFUSED, "loopback"),
    ("169.254.169.254", REFUSED, "link-local: cloud metadata"),
    ("100.64.0.1", REFUSED, "carrier-grade NAT"),
    ("100.127.255.254", REFUSED, "carrier-grade NAT"),
    ("0.0.0.0", REFUSED, "this host"),
    ("0.1.2.3", REFUSED, "this network"),
    ("192.0.0.8", REFUSED, "IETF protocol assignments (is_global on 3.11 says global)"),
    ("192.0.0.170", REFUSED, "NAT64 discovery"),
    ("192.0.2.1", REFUSED, "documentation"),
    ("198.51.100.7", REFUSED, "documentation"),
    ("203.0.113.9", REFUSED, "documentation"),
    ("198.18.0.1", REFUSED, "benchmarking"),
    ("192.88.99.1", REFUSED, "6to4 relay anycast (is_global says global)"),
    ("224.0.0.1", REFUSED, "multicast"),
    ("239.255.255.250", REFUSED, "multicast (SSDP)"),
    ("240.0.0.1", REFUSED, "reserved"),
    ("255.255.255.255", REFUSED, "broadcast"),
    # IPv6 on the public internet
    ("2606:2800:220:1::1", PUBLIC, "public IPv6"),
    ("2a00:1450:4009:81f::200e", PUBLIC, "public IPv6"),
    ("2001:4860:4860::8888", PUBLIC, "public IPv6, outside 2001::/23"),
    # IPv4-mapped (RFC 4291 2.5.5.2)
    ("::ffff:10.0.0.1", REFUSED, "mapped private"),
    ("::ffff:127.0.0.1", REFUSED, "mapped loopback"),
    ("::ffff:a9fe:a9fe", REFUSED, "mapped metadata, hex form"),
    ("::ffff:8.8.8.8", PUBLIC, "mapped public"),
    # IPv4-compatible (RFC 4291 2.5.5.1, deprecated)
    ("::10.0.0.1", REFUSED, "compatible private (is_global says global)"),
    ("::127.0.0.1", REFUSED, "compatible loopback"),
    ("::8.8.8.8", PUBLIC, "compatible public"),
    # IPv4-translated (RFC 2765 2.1)
    ("::ffff:0:10.0.0.1", REFUSED, "translated private (is_global says global)"),
    ("::ffff:0:192.168.0.1", REFUSED, "translated private"),
    ("::ffff:0:8.8.8.8", PUBLIC, "translated public"),
    # NAT64, the well-known prefix (RFC 6052)
    ("64:ff9b::10.0.0.1", REFUSED, "NAT64 private (is_global says global)"),
    ("64:ff9b::a9fe:a9fe", REFUSED, "NAT64 metadata, hex form"),
    ("64:ff9b::127.0.0.1", REFUSED, "NAT64 loopback"),
    ("64:ff9b::8.8.8.8", PUBLIC, "NAT64 public"),
    # NAT64, the local-use prefix (RFC 8215): the operator's own network, whatever it carries
    ("64:ff9b:1::10.0.0.1", REFUSED, "local-use NAT64 private (is_global says global)"),
    ("64:ff9b:1::8.8.8.8", REFUSED, "local-use NAT64 public: still the operator's network"),
    # 6to4 (RFC 3056)
    ("2002:a00:1::1", REFUSED, "6to4 private (is_global says global)"),
    ("2002:7f00:1::", REFUSED, "6to4 loopback"),
    ("2002:a9fe:a9fe::1", REFUSED, "6to4 metadata"),
    ("2002:c0a8:101:1::1", REFUSED, "6to4 private"),
    ("2002:808:808::1", PUBLIC, "6to4 public"),
    # Teredo (RFC 4380): the client's address inverted
    (teredo("65.54.227.120", "10.0.0.1"), REFUSED, "Teredo, private client"),
    (teredo("10.0.0.1", "8.8.8.8"), REFUSED, "Teredo, private server"),
    (teredo("65.54.227.120", "8.8.8.8"), REFUSED, "Teredo, public: 2001::/23 is not globally reachable"),
    # IPv6 special-purpose blocks
    ("::1", REFUSED, "loopback"),
    ("::", REFUSED, "unspecified"),
    ("fe80::1", REFUSED, "link-local"),
    ("febf:ffff::1", REFUSED, "link-local, top of the block"),
    ("fec0::1", REFUSED, "site-local (is_global says global)"),
    ("feff:ffff::1", REFUSED, "site-local, top of the block"),
    ("fc00::1", REFUSED, "unique local"),
    ("fd12:3456:789a::1", REFUSED, "unique local"),
    ("ff02::1", REFUSED, "multicast, link scope"),
    ("ff05::1:3", REFUSED, "multicast, site scope"),
    ("ff0e::1", REFUSED, "multicast, global scope (is_global says global)"),
    ("2001:db8::1", REFUSED, "documentation"),
    ("3fff::1", REFUSED, "documentation, RFC 9637 (is_global says global)"),
    ("100::1", REFUSED, "discard-only"),
    ("2001:2::1", REFUSED, "benchmarking"),
    ("2001:20::1", REFUSED, "ORCHIDv2"),
    ("5f00::1", REFUSED, "segment routing (is_global says global)"),
    ("4000::1", REFUSED, "outside 2000::/3, unallocated (is_global says global)"),
    ("100:1::1", REFUSED, "outside 2000::/3, reserved"),
    # zone ids (RFC 4007 11)
    ("fe80::1%eth0", REFUSED, "link-local with a zone"),
    ("fe80::1%1", REFUSED, "link-local with a numeric zone"),
    ("2606:2800:220:1::1%eth0", REFUSED, "a zone on a public address: names a link of this machine"),
    ("::ffff:8.8.8.8%eth0", REFUSED, "a zone on a mapped address"),
    # not an address at all
    ("", REFUSED, "empty"),
    ("not an address", REFUSED, "a name"),
    ("10.0.0.1%eth0", REFUSED, "a zone on IPv4"),
    ("[::1]", REFUSED, "brackets"),
    ("10.0.0.256", REFUSED, "out of range"),
    ("0x7f000001", REFUSED, "hexadecimal IPv4"),
    ("2130706433", REFUSED, "IPv4 as one number"),
    ("127.1", REFUSED, "shortened IPv4"),
]


def test_the_table_covers_enough_forms() -> None:
    assert len(ADDRESSES) >= 60 and len({a for a, _p, _w in ADDRESSES}) == len(ADDRESSES)


@pytest.mark.parametrize(("address", "public", "what"), ADDRESSES, ids=[a or "empty" for a, _p, _w in ADDRESSES])
def test_public_address_form_by_form(address: str, public: bool, what: str) -> None:
    assert public_address(address) is public, what


@pytest.mark.parametrize(("address", "carried"), [
    ("::ffff:10.0.0.1", ["10.0.0.1"]), ("::10.0.0.1", ["10.0.0.1"]), ("::ffff:0:10.0.0.1", ["10.0.0.1"]),
    ("64:ff9b::a00:1", ["10.0.0.1"]), ("64:ff9b:1::a00:1", ["10.0.0.1"]), ("2002:a00:1::1", ["10.0.0.1"]),
    (teredo("65.54.227.120", "192.168.7.9"), ["65.54.227.120", "192.168.7.9"]),
    ("2606:2800:220:1::1", []), ("fe80::1", []),
])
def test_the_ipv4_address_each_ipv6_form_carries(address: str, carried: list[str]) -> None:
    assert [str(a) for a in embedded_ipv4(ipaddress.IPv6Address(address))] == carried


@pytest.mark.parametrize("address", ["::ffff:10.0.0.1", "::10.0.0.1", "::ffff:0:10.0.0.1", "64:ff9b::a00:1",
                                     "64:ff9b:1::a00:1", "2002:a00:1::1", teredo("65.54.227.120", "10.0.0.1")])
def test_a_name_resolving_to_an_ipv6_form_of_a_private_address_is_refused_saying_where_it_leads(
        address: str) -> None:
    recorder = Recorder({})
    with pytest.raises(FetchError, match=r"private or local network \(calendar\.example is .*, which leads to "
                                         r".*10\.0\.0\.1"):
        get("https://calendar.example/events.ics", recorder, {"calendar.example": [address]})
    assert recorder.seen == []


@pytest.mark.parametrize("url", ["http://[::ffff:a00:1]/", "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",
                                 "http://[2002:a00:1::1]/feed.ics", "http://[fec0::1]/", "http://[::127.0.0.1]/"])
def test_a_literal_ipv6_form_of_a_private_address_is_refused_without_a_lookup(url: str) -> None:
    recorder, asked = Recorder({}), []
    with pytest.raises(FetchError, match="private or local network"):
        get(url, recorder, {}, asked=asked)
    assert recorder.seen == [] and asked == []
