"""Addresses that arrive through the web are refused before connecting when they point at a private network.

Every test here uses a stubbed resolver and an httpx.MockTransport that records what reaches it:
nothing connects anywhere, and a refused request must never reach the transport.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from calendar_hub.errors import FetchError
from calendar_hub.ingest.fetch import Fetched, Limits, fetch, make_client, public_address
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
