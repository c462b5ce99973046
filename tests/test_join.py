"""Joining through /join: the address is checked and its calendar found, an organiser approves, a refresh reads it."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from calendar_hub import clock
from calendar_hub.console import accounts, joining
from calendar_hub.console import groups as console
from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.store.models import AuditEntry, Feed, Group, JoinRequest
from calendar_hub.web.app import create_app
from tests.feedserver import FeedServer
from tests.hubdata import HubData
from tests.pages import calendar_events, post, sign_in, token


def join(client: TestClient, **fields: str) -> tuple[int, str]:
    response = join_response(client, **fields)
    return response.status_code, response.text


def join_response(client: TestClient, **fields: str) -> httpx.Response:
    data = {"name": "Leeds Welcome", "home": "Leeds LS7", "contact": "hi@leeds-welcome.example.org", **fields}
    return client.post("/join/", data={**data, "csrf_token": token(client, "/join/")})


def group_site(feed_server: FeedServer, hub: HubData) -> str:
    body = hub.feed_file("cardiff_events.rss").read_bytes()
    feed_server.serve("/leeds/feed", body, content_type="application/rss+xml")
    return feed_server.serve("/leeds/", b'<html><head><title>Leeds Welcome</title><link rel="alternate" '
                                        b'type="application/rss+xml" href="/leeds/feed"></head></html>',
                             content_type="text/html")


def requests_stored(engine: Engine) -> list[JoinRequest]:
    with Session(engine) as session:
        return list(session.exec(select(JoinRequest)).all())


def test_a_group_joins_an_organiser_approves_and_a_refresh_brings_its_events(
        people: dict[str, str], console_client: TestClient, engine: Engine, settings: Settings,
        feed_server: FeedServer, hub: HubData) -> None:
    status, page = join(console_client, address=group_site(feed_server, hub))
    assert status == 200 and "Thank you" in page and "/leeds/feed" in page
    assert [r.status for r in requests_stored(engine)] == ["pending"]
    assert console_client.get("/groups/leeds-welcome").status_code == 404       # nothing public before approval

    assert sign_in(console_client, people["organiser"]) == 303
    waiting = console_client.get("/admin/requests").text
    assert "Leeds Welcome" in waiting and "hi@leeds-welcome.example.org" in waiting
    [request] = requests_stored(engine)
    assert "Approved" in post(console_client, f"/admin/requests/{request.id}/approve").replace("+", " ")
    with Session(engine) as session:
        feed = session.exec(select(Feed).where(Feed.url == feed_server.url("/leeds/feed"))).one()
        assert (feed.origin, feed.kind) == ("web", "rss")
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()]
    assert actions[-4:] == ["join.request", "group.add", "feed.add", "join.approve"]

    asyncio.run(refresh(engine, settings.replace(fetch_private_addresses=True), due_only=True))
    page = console_client.get("/groups/leeds-welcome").text
    assert "Leeds Welcome" in page
    assert calendar_events(console_client.get("/groups/leeds-welcome.ics").content)
    # approving twice does nothing more
    assert "already" in post(console_client, f"/admin/requests/{request.id}/approve")


def test_a_private_address_is_refused_before_connecting(people: dict[str, str], settings: Settings,
                                                       engine: Engine, feed_server: FeedServer) -> None:
    before = len(feed_server.requests)
    with TestClient(create_app(settings), follow_redirects=False) as guarded:
        status, page = join(guarded, address=feed_server.url("/leeds/"))
    assert status == 400 and "could not find a calendar" in page
    assert len(feed_server.requests) == before                          # refused before any connection
    assert requests_stored(engine) == []


def test_the_form_is_checked(people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    status, page = join(console_client, contact="not an address", address="https://example.org/")
    assert status == 400 and "e-mail address we can reach you" in page
    assert 'value="Leeds Welcome"' in page                               # what was typed is kept
    response = console_client.post("/join/", data={"name": "x", "contact": "a@b.org", "address": "https://example.org/"})
    assert response.status_code == 403                                  # no CSRF token
    assert requests_stored(engine) == []


def test_a_rejected_request_makes_nothing(people: dict[str, str], console_client: TestClient, engine: Engine,
                                          feed_server: FeedServer, hub: HubData) -> None:
    join(console_client, address=group_site(feed_server, hub))
    [request] = requests_stored(engine)
    assert sign_in(console_client, people["admin"]) == 303
    post(console_client, f"/admin/requests/{request.id}/reject", note="not a local group")
    [request] = requests_stored(engine)
    assert (request.status, request.note, request.decided_by) == ("rejected", "not a local group", people["admin"])
    assert console_client.get("/groups/leeds-welcome").status_code == 404
    assert "not a local group" in console_client.get("/admin/requests").text


def test_only_organisers_see_and_decide_requests(people: dict[str, str], console_client: TestClient) -> None:
    assert console_client.get("/admin/requests").status_code == 303
    response = console_client.post("/admin/requests/1/approve", data={"csrf_token": token(console_client)})
    assert response.status_code == 403
    assert sign_in(console_client, people["editor"]) == 303
    assert console_client.get("/admin/requests").status_code == 403
    response = console_client.post("/admin/requests/1/preview", data={"csrf_token": token(console_client, "/admin/")})
    assert response.status_code == 403


def audit_actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]


def test_an_organiser_previews_a_waiting_groups_events_before_approving(
        people: dict[str, str], console_client: TestClient, engine: Engine, feed_server: FeedServer,
        hub: HubData) -> None:
    join(console_client, address=group_site(feed_server, hub))
    [request] = requests_stored(engine)
    assert sign_in(console_client, people["organiser"]) == 303
    waiting = console_client.get("/admin/requests").text
    assert re.search(rf'action="/admin/requests/{request.id}/preview"[^>]*>.*?Preview events', waiting, re.S)
    before, hits = audit_actions(engine), feed_server.hits("/leeds/feed")
    response = console_client.post(f"/admin/requests/{request.id}/preview",
                                   data={"csrf_token": token(console_client, "/admin/")})
    assert response.status_code == 200, response.text[:2000]
    page = html.unescape(response.text)
    assert "Supper club & stories #CT4R" in page and "Oasis Centre, 69 Splott Road" in page
    assert "Exact place given by the group's calendar" in page and "1 upcoming event" in page
    assert f'action="/admin/requests/{request.id}/approve"' in page and "Back" in page
    assert 'name="url"' not in page                                  # nothing to pick: the request names its feed
    assert feed_server.hits("/leeds/feed") == hits + 1               # its own feed, fetched once, no discovery
    # nothing was decided or made
    assert [r.status for r in requests_stored(engine)] == ["pending"] and audit_actions(engine) == before
    with Session(engine) as session:
        assert session.exec(select(Group).where(Group.name == "Leeds Welcome")).all() == []
    # a feed that has gone away says so
    feed_server.serve("/leeds/feed", b"", status=404)
    response = console_client.post(f"/admin/requests/{request.id}/preview",
                                   data={"csrf_token": token(console_client, "/admin/")})
    assert response.status_code == 400 and "could not be read: the address was not found (404)" in response.text
    assert console_client.post("/admin/requests/999/preview",
                               data={"csrf_token": token(console_client, "/admin/")}).status_code == 404


def test_the_join_form_is_limited_per_client_address_before_anything_is_fetched(
        settings: Settings, console_client: TestClient, engine: Engine, feed_server: FeedServer,
        hub: HubData) -> None:
    body = hub.feed_file("cardiff_events.rss").read_bytes()
    for n in range(joining.TRIES_PER_CLIENT):
        address = feed_server.serve(f"/group-{n}/feed", body, content_type="application/rss+xml")
        assert join(console_client, name=f"Group {n}", address=address)[0] == 200
    one_more = feed_server.serve("/one-more/feed", body, content_type="application/rss+xml")
    response = join_response(console_client, name="One more", address=one_more)
    assert response.status_code == 429 and response.headers["retry-after"] == "3600"
    assert "try again in an hour" in response.text and 'value="One more"' in response.text
    assert feed_server.hits("/one-more/feed") == 0                   # refused before fetching anything
    assert len(requests_stored(engine)) == joining.TRIES_PER_CLIENT
    # a mistake in the form costs no try and fetches nothing; another address is not held back
    assert join(console_client, contact="not an address", address=one_more)[0] == 400
    other_client = ("203.0.113.9", 40000)
    with TestClient(create_app(settings.replace(fetch_private_addresses=True)), client=other_client) as other:
        assert join(other, name="One more", address=one_more)[0] == 200
    assert feed_server.hits("/one-more/feed") == 1


def test_the_join_limit_counts_the_last_hour_only(engine: Engine) -> None:
    start = clock.now()
    with Session(engine) as session:
        def allowed(minutes: float) -> bool:
            return accounts.within_limit("join:198.51.100.7", limit=joining.TRIES_PER_CLIENT,
                                         window=joining.TRIES_WINDOW, session=session,
                                         now=start + timedelta(minutes=minutes))

        assert [allowed(n) for n in range(7)] == [True] * 5 + [False] * 2
        assert not allowed(59) and allowed(61)                           # the first try has left the hour
        assert accounts.within_limit("join:198.51.100.8", limit=1, window=joining.TRIES_WINDOW, session=session)


def test_approving_is_one_transaction_so_a_failed_feed_leaves_no_group(
        people: dict[str, str], console_client: TestClient, engine: Engine, feed_server: FeedServer,
        hub: HubData, monkeypatch: pytest.MonkeyPatch) -> None:
    join(console_client, address=group_site(feed_server, hub))
    [request] = requests_stored(engine)
    real_add_feed = console.add_feed

    def add_feed_then_fail(*args: Any, **kwargs: Any) -> Feed:
        real_add_feed(*args, **kwargs)                                # the feed is made, then the step fails
        raise console.ConsoleError("the feed could not be saved")

    assert sign_in(console_client, people["organiser"]) == 303
    before = audit_actions(engine)
    with monkeypatch.context() as patched:
        patched.setattr(console, "add_feed", add_feed_then_fail)
        assert "could not be saved" in unquote(post(console_client, f"/admin/requests/{request.id}/approve"))
    with Session(engine) as session:
        assert session.exec(select(Group).where(Group.name == "Leeds Welcome")).all() == []
        assert session.exec(select(Feed).where(Feed.origin == "web")).all() == []
    assert [r.status for r in requests_stored(engine)] == ["pending"] and audit_actions(engine) == before
    # unchanged, the same approval goes through
    assert "Approved" in unquote(post(console_client, f"/admin/requests/{request.id}/approve"))
    assert audit_actions(engine)[-3:] == ["group.add", "feed.add", "join.approve"]
