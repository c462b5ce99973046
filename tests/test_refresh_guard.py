"""Every feed is fetched through the SSRF guard at every hop, the registry's too, and keeps its origin across
`export-registry` and `load`.

The feed server is on 127.0.0.1, which the guard refuses; where a test needs a registry feed's first hop to
reach it through the guard, `loopback_stands_for_a_public_server` lets that one address pass, so that what is
checked is the hop that follows. Every refused hop is refused before connecting: `connections` records each
connect the refresh makes, and the autouse fixture of conftest.py refuses any non-loopback one anyway.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from calendar_hub import clock, store
from calendar_hub.cli import main
from calendar_hub.console import groups
from calendar_hub.ingest import fetch as fetch_module
from calendar_hub.ingest.refresh import RefreshReport, refresh
from calendar_hub.registry import FeedSpec, GroupSpec, Registry, read_registry
from calendar_hub.settings import Settings
from calendar_hub.store.engine import make_engine
from calendar_hub.store.models import Event, Feed
from tests.feedserver import FeedServer


def calendar(title: str) -> bytes:
    """A calendar with one event three days from now."""
    day = clock.now().date() + timedelta(days=3)
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:walk@riverside.example\r\n"
            f"DTSTAMP:20260101T000000Z\r\nDTSTART:{day:%Y%m%d}T100000Z\r\nDTEND:{day:%Y%m%d}T120000Z\r\n"
            f"SUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def load(engine: Engine, *feeds: FeedSpec) -> None:
    with Session(engine) as session:
        store.apply_registry(Registry(groups=(GroupSpec(slug="riverside-greens", name="Riverside Greens",
                                                        feeds=feeds),), weeks=()), session=session)


def run(engine: Engine, settings: Settings) -> RefreshReport:
    return asyncio.run(refresh(engine, settings, due_only=False))


def titles(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(sa.select(Event.title).order_by(Event.title)).scalars())


def the_feed(engine: Engine) -> Feed:
    with Session(engine) as session:
        [health] = store.feed_health(session=session)
        session.expunge_all()
        return health.feed


@pytest.fixture
def loopback_stands_for_a_public_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard lets 127.0.0.1 (the feed server) through, as if it were a group's public server; nothing else."""
    real: Callable[[str], bool] = fetch_module.public_address
    monkeypatch.setattr(fetch_module, "public_address", lambda address: address == "127.0.0.1" or real(address))


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address a socket is asked to connect to, and the names `intranet.example` stands for, stubbed."""
    seen: list[str] = []
    connect, lookup = socket.socket.connect, socket.getaddrinfo

    def recording_connect(self: socket.socket, address: Any) -> Any:
        seen.append(str(address[0]) if isinstance(address, tuple) else str(address))
        return connect(self, address)

    def stubbed_lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        stubbed = {"intranet.example": "192.168.0.10", "metadata.example": "64:ff9b::a9fe:a9fe"}
        if host in stubbed:
            family = socket.AF_INET6 if ":" in stubbed[host] else socket.AF_INET
            where = (stubbed[host], port or 0) + ((0, 0) if family == socket.AF_INET6 else ())
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", where)]
        return lookup(host, port, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    monkeypatch.setattr(socket, "getaddrinfo", stubbed_lookup)
    return seen


# ---------------------------------------------------------------- a registry feed's redirects

@pytest.mark.parametrize(("target", "why"), [
    ("http://10.0.0.1/calendar.ics", "(10.0.0.1)"),
    ("http://169.254.169.254/latest/meta-data/", "(169.254.169.254)"),
    ("http://[::ffff:10.0.0.1]/calendar.ics", "(::ffff:10.0.0.1, which leads to 10.0.0.1)"),
    ("http://intranet.example/calendar.ics", "(intranet.example is 192.168.0.10)"),
    ("http://metadata.example/latest/", "(metadata.example is 64:ff9b::a9fe:a9fe, which leads to 169.254.169.254)"),
])
@pytest.mark.usefixtures("loopback_stands_for_a_public_server")
def test_a_registry_feed_redirecting_to_a_private_address_is_refused_and_keeps_its_events(
        target: str, why: str, engine: Engine, settings: Settings, feed_server: FeedServer,
        connections: list[str]) -> None:
    url = feed_server.serve("/riverside.ics", calendar("Towpath litter pick"))
    load(engine, FeedSpec(url=url))
    assert [o.kind for _j, o in run(engine, settings).outcomes] == ["stored"]
    assert titles(engine) == ["Towpath litter pick"]

    feed_server.serve("/riverside.ics", b"", status=302, headers={"Location": target})
    connections.clear()
    [(_job, outcome)] = run(engine, settings).outcomes

    assert outcome.kind == "failed"
    assert f"the address points at a private or local network {why}" in outcome.error
    assert titles(engine) == ["Towpath litter pick"]                  # the last good events stay
    feed = the_feed(engine)
    assert "private or local network" in feed.error and "only public addresses can be fetched" in feed.error
    assert feed.consecutive_failures == 1
    assert feed_server.hits("/riverside.ics") == 2
    private = ("10.", "169.254.", "192.168.", "::ffff:", "64:ff9b:")
    assert [a for a in connections if a.startswith(private)] == []    # refused before connecting


def test_a_registry_feed_on_a_private_address_is_refused_by_default(
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    load(engine, FeedSpec(url=feed_server.serve("/riverside.ics", calendar("Towpath litter pick"))))
    [(_job, outcome)] = run(engine, settings).outcomes
    assert outcome.kind == "failed" and "private or local network (127.0.0.1)" in outcome.error
    assert feed_server.hits("/riverside.ics") == 0 and titles(engine) == []


def test_a_registry_feed_the_operator_made_private_may_reach_and_redirect_within_a_private_network(
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    moved = feed_server.serve("/moved.ics", calendar("Towpath litter pick"))
    url = feed_server.serve("/riverside.ics", b"", status=302, headers={"Location": moved})
    load(engine, FeedSpec(url=url, private=True))
    assert [o.kind for _j, o in run(engine, settings).outcomes] == ["stored"]
    assert titles(engine) == ["Towpath litter pick"] and the_feed(engine).private


def test_the_hub_wide_setting_lets_every_registry_feed_reach_private_addresses(
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    moved = feed_server.serve("/moved.ics", calendar("Towpath litter pick"))
    load(engine, FeedSpec(url=feed_server.serve("/riverside.ics", b"", status=302, headers={"Location": moved})))
    report = run(engine, settings.replace(fetch_private_addresses=True))
    assert [o.kind for _j, o in report.outcomes] == ["stored"] and titles(engine) == ["Towpath litter pick"]


def test_a_registry_feed_from_a_local_file_is_still_read(tmp_path: Path, engine: Engine, settings: Settings) -> None:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "riverside.ics").write_bytes(calendar("Towpath litter pick"))
    (tmp_path / "hub.toml").write_text('[[group]]\nslug = "riverside-greens"\nname = "Riverside Greens"\n'
                                       'feeds = ["feeds/riverside.ics"]\n', encoding="utf-8")
    with Session(engine) as session:
        store.apply_registry(read_registry(tmp_path), session=session)
    assert [o.kind for _j, o in run(engine, settings).outcomes] == ["stored"]
    assert titles(engine) == ["Towpath litter pick"]


# ---------------------------------------------------------------- origins across export-registry and load

def add_console_feed(engine: Engine, url: str) -> None:
    """A group made in the console, and a calendar an organiser added to it there (origin "web")."""
    with Session(engine) as session:
        group = groups.add_group({"slug": "riverside-greens", "name": "Riverside Greens"}, session=session,
                                 actor="olu@hub.test")
        groups.add_feed(group, url, "ical", session=session, actor="olu@hub.test")


def origins(engine: Engine) -> dict[str, tuple[str, bool]]:
    with Session(engine) as session:
        return {f.url: (f.origin, f.private) for f in session.execute(sa.select(Feed)).scalars()}


@pytest.mark.parametrize("into", ["the same database", "a new database"])
def test_a_console_feed_exported_and_loaded_again_stays_a_web_feed_fetched_through_the_guard(
        into: str, tmp_path: Path, database_url: str, engine: Engine, settings: Settings,
        feed_server: FeedServer) -> None:
    url = feed_server.serve("/riverside.ics", calendar("Towpath litter pick"))
    add_console_feed(engine, url)
    env = {"CALENDAR_HUB_DATABASE_URL": database_url}
    assert main(["export-registry", str(tmp_path / "backup")], environ=env) == 0
    written = (tmp_path / "backup" / "hub.toml").read_text(encoding="utf-8")
    assert f'{{ url = "{url}", kind = "ical", origin = "web" }}' in written

    target = engine
    if into == "a new database":
        env = {"CALENDAR_HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'restored.db'}"}
        target = make_engine(env["CALENDAR_HUB_DATABASE_URL"])
    assert main(["load", "--overwrite-console-changes", str(tmp_path / "backup")], environ=env) == 0
    assert origins(target) == {url: ("web", False)}

    # still fetched through the guard: the feed server's loopback address is refused before connecting
    [(_job, outcome)] = run(target, settings.replace(database_url=env["CALENDAR_HUB_DATABASE_URL"])).outcomes
    assert outcome.kind == "failed" and "private or local network (127.0.0.1)" in outcome.error
    assert feed_server.hits("/riverside.ics") == 0
    if target is not engine:
        target.dispose()


def test_a_registry_that_lists_a_web_feed_plainly_does_not_take_it_over(
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    url = feed_server.serve("/riverside.ics", calendar("Towpath litter pick"))
    with Session(engine) as session:
        store.apply_registry(Registry(groups=(GroupSpec(slug="riverside-greens", name="Riverside Greens"),),
                                      weeks=()), session=session)
        group = groups.group_by_slug("riverside-greens", session=session)
        assert group is not None
        groups.add_feed(group, url, "ical", session=session, actor="olu@hub.test")
    load(engine, FeedSpec(url=url, kind="ical", private=True))   # an older file naming the same address
    assert origins(engine) == {url: ("web", False)}
    [(_job, outcome)] = run(engine, settings).outcomes
    assert outcome.kind == "failed" and "private or local network" in outcome.error


def test_private_is_stored_changed_and_exported_for_registry_feeds(
        tmp_path: Path, engine: Engine, feed_server: FeedServer) -> None:
    url = feed_server.url("/riverside.ics")
    load(engine, FeedSpec(url=url, private=True))
    assert origins(engine) == {url: ("registry", True)}
    with Session(engine) as session:
        assert store.current_registry(session=session).groups[0].feeds == (FeedSpec(url=url, private=True),)
    load(engine, FeedSpec(url=url))
    assert origins(engine) == {url: ("registry", False)}
