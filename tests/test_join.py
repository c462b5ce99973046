"""Joining through /join: the address is checked and its calendar found, an organiser approves, a refresh reads it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from calendar_hub.models import AuditEntry, Feed, JoinRequest
from calendar_hub.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.feedserver import FeedServer
from tests.hubdata import HubData
from tests.test_console import people, post, sign_in, token  # noqa: F401  (fixtures and helpers)
from tests.test_end_to_end import calendar_events, hub  # noqa: F401  (fixture)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    # The groups' sites live on 127.0.0.1 here, which the SSRF guard refuses unless told otherwise.
    with TestClient(create_app(settings.replace(fetch_private_addresses=True)), follow_redirects=False) as made:
        yield made


def join(client: TestClient, **fields: str) -> tuple[int, str]:
    data = {"name": "Leeds Welcome", "home": "Leeds LS7", "contact": "hi@leeds-welcome.example.org", **fields}
    response = client.post("/join/", data={**data, "csrf_token": token(client, "/join/")})
    return response.status_code, response.text


def group_site(feed_server: FeedServer, hub: HubData) -> str:  # noqa: F811
    body = hub.feed_file("cardiff_events.rss").read_bytes()
    feed_server.serve("/leeds/feed", body, content_type="application/rss+xml")
    return feed_server.serve("/leeds/", b'<html><head><title>Leeds Welcome</title><link rel="alternate" '
                                        b'type="application/rss+xml" href="/leeds/feed"></head></html>',
                             content_type="text/html")


def requests_stored(engine: Engine) -> list[JoinRequest]:
    with Session(engine) as session:
        return list(session.exec(select(JoinRequest)).all())


def test_a_group_joins_an_organiser_approves_and_a_refresh_brings_its_events(
        people: dict[str, str], client: TestClient, engine: Engine, settings: Settings,  # noqa: F811
        feed_server: FeedServer, hub: HubData) -> None:  # noqa: F811
    status, page = join(client, address=group_site(feed_server, hub))
    assert status == 200 and "Thank you" in page and "/leeds/feed" in page
    assert [r.status for r in requests_stored(engine)] == ["pending"]
    assert client.get("/groups/leeds-welcome").status_code == 404       # nothing public before approval

    assert sign_in(client, people["organiser"]) == 303
    waiting = client.get("/admin/requests").text
    assert "Leeds Welcome" in waiting and "hi@leeds-welcome.example.org" in waiting
    [request] = requests_stored(engine)
    assert "Approved" in post(client, f"/admin/requests/{request.id}/approve").replace("+", " ")
    with Session(engine) as session:
        feed = session.exec(select(Feed).where(Feed.url == feed_server.url("/leeds/feed"))).one()
        assert (feed.origin, feed.kind) == ("web", "rss")
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]
    assert actions[-4:] == ["join.request", "group.add", "feed.add", "join.approve"]

    asyncio.run(refresh(engine, settings.replace(fetch_private_addresses=True), due_only=True))
    page = client.get("/groups/leeds-welcome").text
    assert "Leeds Welcome" in page
    assert calendar_events(client.get("/groups/leeds-welcome.ics").content)
    # approving twice does nothing more
    assert "already" in post(client, f"/admin/requests/{request.id}/approve")


def test_a_private_address_is_refused_before_connecting(people: dict[str, str], settings: Settings,  # noqa: F811
                                                       engine: Engine, feed_server: FeedServer) -> None:
    before = len(feed_server.requests)
    with TestClient(create_app(settings), follow_redirects=False) as guarded:
        status, page = join(guarded, address=feed_server.url("/leeds/"))
    assert status == 400 and "could not find a calendar" in page
    assert len(feed_server.requests) == before                          # refused before any connection
    assert requests_stored(engine) == []


def test_the_form_is_checked(people: dict[str, str], client: TestClient, engine: Engine) -> None:  # noqa: F811
    status, page = join(client, contact="not an address", address="https://example.org/")
    assert status == 400 and "e-mail address we can reach you" in page
    assert 'value="Leeds Welcome"' in page                               # what was typed is kept
    response = client.post("/join/", data={"name": "x", "contact": "a@b.org", "address": "https://example.org/"})
    assert response.status_code == 403                                  # no CSRF token
    assert requests_stored(engine) == []


def test_a_rejected_request_makes_nothing(people: dict[str, str], client: TestClient, engine: Engine,  # noqa: F811
                                          feed_server: FeedServer, hub: HubData) -> None:  # noqa: F811
    join(client, address=group_site(feed_server, hub))
    [request] = requests_stored(engine)
    assert sign_in(client, people["admin"]) == 303
    post(client, f"/admin/requests/{request.id}/reject", note="not a local group")
    [request] = requests_stored(engine)
    assert (request.status, request.note, request.decided_by) == ("rejected", "not a local group", people["admin"])
    assert client.get("/groups/leeds-welcome").status_code == 404
    assert "not a local group" in client.get("/admin/requests").text


def test_only_organisers_see_and_decide_requests(people: dict[str, str], client: TestClient) -> None:  # noqa: F811
    assert client.get("/admin/requests").status_code == 303
    assert client.post("/admin/requests/1/approve", data={"csrf_token": token(client)}).status_code == 403
    assert sign_in(client, people["editor"]) == 303
    assert client.get("/admin/requests").status_code == 403
