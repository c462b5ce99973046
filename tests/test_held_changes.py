"""A fetch that would take most of a feed's upcoming events away waits for a second fetch that agrees, says so in
feed health, and can be accepted at once by an organiser; smaller drops are stored at once.

The feeds are served on 127.0.0.1 (with ETags, as most servers send them) and refreshed as the hub refreshes.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from calendar_hub import clock, store
from calendar_hub.console import accounts
from calendar_hub.ingest.refresh import refresh
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from calendar_hub.store.models import AuditEntry, Event, Feed, FetchLog
from tests.feedserver import FeedServer
from tests.pages import PASSWORD, post, sign_in, token

ORGANISER = "olu@hub.test"
HELD = "this calendar suddenly lists 1 upcoming event instead of 100"


def calendar(count: int, *, first: int = 3, name: str = "Session") -> bytes:
    """A calendar of `count` events, one a day from `first` days from now (negative: in the past)."""
    day = clock.now().date()
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{name.lower()}-{i}@riverside.example\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{day + timedelta(days=first + i):%Y%m%d}T100000Z\r\n"
        f"DTEND:{day + timedelta(days=first + i):%Y%m%d}T120000Z\r\nSUMMARY:{name} {i}\r\nEND:VEVENT\r\n"
        for i in range(count))
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n".encode()


@pytest.fixture
def feed(engine: Engine, settings: Settings, feed_server: FeedServer) -> str:
    """A group whose feed lists 100 upcoming events, stored; and an organiser's account."""
    url = load(engine, feed_server.serve("/riverside.ics", calendar(100)))
    with Session(engine) as session:
        accounts.add_user(ORGANISER, PASSWORD, role="organiser", group=None, session=session, actor="test")
    assert refresh_now(engine, settings) == "stored" and stored(engine) == 100
    return url


def load(engine: Engine, url: str) -> str:
    """One group whose one feed is at `url` (the operator lets it reach the loopback server)."""
    with Session(engine) as session:
        store.apply_registry(Registry(groups=(GroupSpec(slug="riverside-greens", name="Riverside Greens",
                                                        feeds=(FeedSpec(url=url, private=True),)),), weeks=()),
                             session=session)
    return url


def refresh_now(engine: Engine, settings: Settings) -> str:
    report = asyncio.run(refresh(engine, settings, due_only=False))
    [(_job, outcome)] = report.outcomes
    return str(outcome.kind)


def stored(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(Event)) or 0)


def health(client: TestClient) -> str:
    sign_in(client, ORGANISER)
    return client.get("/admin/").text


@pytest.mark.parametrize("body", [calendar(1), calendar(3, first=-10)], ids=["one event", "only past events"])
def test_a_feed_dropping_from_100_upcoming_events_keeps_them_until_a_second_fetch_agrees(
        feed: str, body: bytes, engine: Engine, settings: Settings, feed_server: FeedServer,
        console_client: TestClient) -> None:
    feed_server.serve("/riverside.ics", body)
    assert refresh_now(engine, settings) == "held"
    assert stored(engine) == 100
    page = health(console_client)
    assert "Change held" in page and "instead of 100; the hub keeps the 100 until the next fetch agrees" in page
    with Session(engine) as session:
        assert session.exec(select(FetchLog.outcome).order_by(FetchLog.id.desc())).first() == "held"

    assert refresh_now(engine, settings) == "stored"   # the same events again: the calendar really is this
    assert stored(engine) == body.count(b"BEGIN:VEVENT")
    assert "instead of 100" not in health(console_client)


def test_the_words_name_the_counts(feed: str, engine: Engine, settings: Settings, feed_server: FeedServer,
                                   console_client: TestClient) -> None:
    feed_server.serve("/riverside.ics", calendar(1))
    refresh_now(engine, settings)
    assert HELD.capitalize() in health(console_client)


def test_a_different_drop_on_the_next_fetch_is_held_again_and_a_recovered_feed_forgets_it(
        feed: str, engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    feed_server.serve("/riverside.ics", calendar(1))
    assert refresh_now(engine, settings) == "held"
    feed_server.serve("/riverside.ics", calendar(2, name="Other"))
    assert refresh_now(engine, settings) == "held" and stored(engine) == 100
    feed_server.serve("/riverside.ics", calendar(100))
    assert refresh_now(engine, settings) in ("unchanged", "not_modified")
    with Session(engine) as session:
        assert store.held_changes(session=session) == {}
    feed_server.serve("/riverside.ics", calendar(2, name="Other"))
    assert refresh_now(engine, settings) == "held"   # what was held before the feed recovered no longer counts


def test_an_organiser_accepts_a_held_change_at_once_and_it_is_audited(
        feed: str, engine: Engine, settings: Settings, feed_server: FeedServer, console_client: TestClient) -> None:
    feed_server.serve("/riverside.ics", calendar(1))
    assert refresh_now(engine, settings) == "held"
    with Session(engine) as session:
        feed_id = session.exec(select(Feed.id)).one()
    sign_in(console_client, ORGANISER)
    assert "Accepted" in unquote(post(console_client, f"/admin/feeds/{feed_id}/accept"))
    assert stored(engine) == 1
    assert "Session 0" in console_client.get("/calendar.ics").text and "Session 1" not in \
        console_client.get("/calendar.ics").text
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "feed.accept")).one()
        assert entry.actor == ORGANISER and entry.target == feed and entry.detail["upcoming_before"] == 100
        assert store.held_changes(session=session) == {}
    assert "Nothing was waiting" in unquote(post(console_client, f"/admin/feeds/{feed_id}/accept"))


@pytest.mark.parametrize("before, after, outcome", [
    (8, 4, "stored"), (4, 1, "stored"), (100, 60, "stored"), (10, 5, "stored"), (10, 4, "held"), (6, 1, "held")])
def test_only_a_drop_of_more_than_half_and_at_least_5_upcoming_events_waits(
        before: int, after: int, outcome: str, engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    load(engine, feed_server.serve("/small.ics", calendar(before)))
    assert refresh_now(engine, settings) == "stored"
    feed_server.serve("/small.ics", calendar(after))
    assert refresh_now(engine, settings) == outcome
    assert stored(engine) == (after if outcome == "stored" else before)


def test_an_editor_of_another_group_cannot_accept_a_held_change(
        feed: str, engine: Engine, settings: Settings, feed_server: FeedServer, console_client: TestClient) -> None:
    with Session(engine) as session:
        store.apply_registry(Registry(groups=(
            GroupSpec(slug="riverside-greens", name="Riverside Greens", feeds=(FeedSpec(url=feed, private=True),)),
            GroupSpec(slug="hilltop", name="Hilltop")), weeks=()), session=session)
        accounts.add_user("eve@hilltop.test", PASSWORD, role="editor", group="hilltop", session=session, actor="test")
        feed_id = session.exec(select(Feed.id)).one()
    feed_server.serve("/riverside.ics", calendar(1))
    assert refresh_now(engine, settings) == "held"
    sign_in(console_client, "eve@hilltop.test")
    response = console_client.post(f"/admin/feeds/{feed_id}/accept",
                                   data={"csrf_token": token(console_client, "/admin/")})
    assert response.status_code == 403 and stored(engine) == 100
