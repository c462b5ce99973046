"""The organisers' console: accounts, sessions, CSRF, throttling, the audit log, groups and feeds at /admin."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from calendar_hub import accounts, cli
from calendar_hub.errors import ConfigError
from calendar_hub.models import AuditEntry, Feed, Group
from calendar_hub.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.feedserver import FeedServer
from tests.hubdata import HubData
from tests.test_end_to_end import WEEK, calendar_events, hub  # noqa: F401  (fixture)

PASSWORD = "correct horse battery"
STAFF_PAGES = ["/admin/", "/admin/groups", "/admin/groups/sanctuary-manchester", "/admin/audit", "/admin/events",
               "/admin/hidden"]
ACTIONS = ["/admin/groups", "/admin/groups/sanctuary-manchester",
           "/admin/groups/sanctuary-manchester/pause", "/admin/groups/sanctuary-manchester/feeds",
           "/admin/feeds/1/pause", "/admin/feeds/1/refresh", "/admin/events/hide", "/admin/events/unhide"]


@pytest.fixture
def people(hub: HubData, engine: Engine) -> dict[str, str]:  # noqa: F811
    """An admin, an organiser and an editor of the Manchester group."""
    made = {"admin": "ada@hub.test", "organiser": "olu@hub.test", "editor": "eve@manchester.test"}
    with Session(engine) as session:
        for role, email in made.items():
            group = "sanctuary-manchester" if role == "editor" else None
            accounts.add_user(email, PASSWORD, role=role, group=group, session=session, actor="test")
    return made


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    # Feeds added through the console are fetched with the SSRF guard: here they live on 127.0.0.1.
    with TestClient(create_app(settings.replace(fetch_private_addresses=True)), follow_redirects=False) as made:
        yield made


def token(client: TestClient, path: str = "/admin/login") -> str:
    page = client.get(path, follow_redirects=True).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> int:
    response = client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token(client)})
    return response.status_code


def post(client: TestClient, path: str, **data: str) -> str:
    """POST a console form with this session's token; returns where it sent us (its ?done= message)."""
    response = client.post(path, data={**data, "csrf_token": token(client, "/admin/")})
    assert response.status_code == 303, (response.status_code, response.text[:500])
    return response.headers["location"]


def test_without_a_session_every_page_and_action_is_refused(people: dict[str, str], client: TestClient) -> None:
    for path in STAFF_PAGES:
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/admin/login?next="), path
    csrf = token(client)  # even with a valid token from the sign-in form
    for path in ACTIONS:
        response = client.post(path, data={"csrf_token": csrf, "name": "x", "url": "https://example.org/"})
        assert response.status_code == 403, path
    with Session(client.app.state.hub.engine) as session:  # type: ignore[attr-defined]
        assert session.exec(select(AuditEntry).where(AuditEntry.actor != "test")).all() == []


def test_a_form_without_its_csrf_token_is_rejected(people: dict[str, str], client: TestClient) -> None:
    assert client.post("/admin/login", data={"email": people["admin"], "password": PASSWORD}).status_code == 403
    assert sign_in(client, people["admin"]) == 303
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post("/admin/groups/sanctuary-manchester/pause", data=data)
        assert response.status_code == 403
    assert "Pause this group" in client.get("/admin/groups/sanctuary-manchester").text  # still active


def test_sign_in_and_out(people: dict[str, str], client: TestClient) -> None:
    assert sign_in(client, people["organiser"], "wrong password!") == 400
    assert sign_in(client, people["organiser"]) == 303
    page = client.get("/admin/").text
    assert "Feed health" in page and people["organiser"] in page
    post(client, "/admin/logout")
    assert client.get("/admin/").status_code == 303


def test_sign_in_is_throttled_after_repeated_failures(people: dict[str, str], client: TestClient) -> None:
    for _ in range(accounts.FAILURES_ALLOWED):
        assert sign_in(client, people["admin"], "not the password") == 400
    assert sign_in(client, people["admin"]) == 400  # the right password, refused for now
    assert client.get("/admin/").status_code == 303


def test_the_session_cookie_is_httponly_and_samesite(people: dict[str, str], client: TestClient,
                                                     settings: Settings) -> None:
    response = client.get("/admin/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # http://hub.test
    https = "https://hub.example.org"
    with TestClient(create_app(settings.replace(base_url=https)), base_url=https) as secure:
        assert "; secure" in secure.get("/admin/login").headers["set-cookie"].lower()
    # public pages never set a cookie: they stay cacheable
    for path in ("/", f"/weeks/{WEEK}", f"/weeks/{WEEK}.ics"):
        assert "set-cookie" not in client.get(path).headers


def test_an_editor_manages_only_their_own_group(people: dict[str, str], client: TestClient, engine: Engine) -> None:
    assert sign_in(client, people["editor"]) == 303
    with Session(engine) as session:
        liverpool = session.exec(select(Group).where(Group.slug == "liverpool-welcome")).one()
        theirs = session.exec(select(Feed).where(Feed.group_id == liverpool.id)).one()
    assert client.get("/admin/groups/liverpool-welcome").status_code == 403
    assert client.get("/admin/groups").status_code == 403          # the list of every group is for organisers
    assert client.get("/admin/audit").status_code == 403
    csrf = token(client, "/admin/")
    assert client.post(f"/admin/feeds/{theirs.id}/pause", data={"csrf_token": csrf}).status_code == 403
    assert client.post("/admin/groups/liverpool-welcome",
                       data={"csrf_token": csrf, "name": "Taken over"}).status_code == 403
    # their own group: yes
    assert "done=Saved" in post(client, "/admin/groups/sanctuary-manchester",
                                name="Sanctuary Manchester", home="Manchester M2", website="", contact="")
    dashboard = client.get("/admin/").text
    assert "Sanctuary Manchester" in dashboard and "Liverpool Welcome" not in dashboard


def test_pausing_a_group_takes_its_events_out_and_is_audited(people: dict[str, str], client: TestClient) -> None:
    before = set(calendar_events(client.get(f"/weeks/{WEEK}.ics").content))
    assert "Solidarity vigil #CT4R" in before
    assert sign_in(client, people["organiser"]) == 303
    post(client, "/admin/groups/liverpool-welcome/pause")
    during = set(calendar_events(client.get(f"/weeks/{WEEK}.ics").content))
    assert "Solidarity vigil #CT4R" not in during and during < before
    post(client, "/admin/groups/liverpool-welcome/resume")
    assert set(calendar_events(client.get(f"/weeks/{WEEK}.ics").content)) == before
    log = client.get("/admin/audit").text
    assert log.count(f"<td>{people['organiser']}</td>") == 2 and "group.pause" in log and "group.resume" in log


def test_an_organiser_adds_a_group_and_its_calendar_which_a_refresh_brings_in(
        people: dict[str, str], client: TestClient, engine: Engine, settings: Settings, feed_server: FeedServer,
        hub: HubData) -> None:  # noqa: F811
    assert sign_in(client, people["organiser"]) == 303
    where = post(client, "/admin/groups", name="Leeds Welcome", slug="leeds-welcome", home="Leeds",
                 website="https://leeds-welcome.example.org", contact="hi@leeds-welcome.example.org")
    assert where.startswith("/admin/groups/leeds-welcome")
    body = hub.feed_file("cardiff_events.rss").read_bytes().replace(b"Cardiff Migrant Welcome", b"Leeds Welcome")
    page = feed_server.serve("/leeds/events", b'<html><head><link rel="alternate" type="application/rss+xml" '
                                              b'href="/leeds/feed"></head><body>Events</body></html>',
                             content_type="text/html")
    feed_server.serve("/leeds/feed", body, content_type="application/rss+xml")
    message = post(client, "/admin/groups/leeds-welcome/feeds", url=page)
    assert "Added" in message and "leeds%2Ffeed" in message.replace("/", "%2F")
    with Session(engine) as session:
        feed = session.exec(select(Feed).where(Feed.url == feed_server.url("/leeds/feed"))).one()
        assert (feed.origin, feed.kind) == ("web", "rss")
    asyncio.run(refresh(engine, settings.replace(fetch_private_addresses=True), due_only=True))
    assert "Leeds Welcome" in client.get("/groups/leeds-welcome").text
    assert calendar_events(client.get("/groups/leeds-welcome.ics").content)
    # a console feed is fetched through the SSRF guard: with private addresses refused, it fails, nothing stored
    feed_server.serve("/leeds/feed", body.replace(b"Supper", b"Dinner"), content_type="application/rss+xml")
    post(client, f"/admin/feeds/{feed.id}/refresh")
    report = asyncio.run(refresh(engine, settings, due_only=True))
    assert [o.kind for _job, o in report.outcomes] == ["failed"]
    assert "private" in report.outcomes[0][1].error or "refused" in report.outcomes[0][1].error


def test_an_address_with_no_calendar_is_not_added(people: dict[str, str], client: TestClient,
                                                  feed_server: FeedServer, engine: Engine) -> None:
    assert sign_in(client, people["admin"]) == 303
    page = feed_server.serve("/nothing", b"<html><head><title>Our news</title></head><body>Hi</body></html>",
                             content_type="text/html")
    message = post(client, "/admin/groups/sanctuary-manchester/feeds", url=page)
    assert "No+calendar+was+added" in message or "No%20calendar%20was%20added" in message
    with Session(engine) as session:
        assert session.exec(select(Feed).where(Feed.origin == "web")).all() == []


def test_the_dashboard_puts_broken_feeds_first(people: dict[str, str], client: TestClient, engine: Engine,
                                               settings: Settings, feed_server: FeedServer) -> None:
    feed_server.serve("/cardiff_events.rss", b"", status=500)
    with Session(engine) as session:
        for feed in session.exec(select(Feed)).all():
            feed.next_attempt_at = None
            session.add(feed)
        session.commit()
    asyncio.run(refresh(engine, settings, due_only=False))
    assert sign_in(client, people["admin"]) == 303
    page = client.get("/admin/").text
    rows = re.findall(r'<tr class="([a-z]*)">\s*<th scope="row"><a href="/admin/groups/([a-z-]+)"', page)
    assert rows[0] == ("broken", "cardiff-migrant-welcome"), rows
    assert [slug for kind, slug in rows if kind == "broken"] == ["cardiff-migrant-welcome"]
    assert "HTTP 500" in page and "Failing" in page


# ---------------------------------------------------------------- the command line

def test_user_add_reads_the_password_from_standard_input(hub: HubData, settings: Settings,  # noqa: F811
                                                         engine: Engine) -> None:
    args = cli._parser().parse_args(["user", "add", "Nia@Hub.Test", "--role", "editor", "--group",
                                     "cardiff-migrant-welcome"])
    assert cli.cmd_user_add(args, settings, stdin=io.StringIO(PASSWORD + "\n")) == 0
    with Session(engine) as session:
        user = accounts.find_user("nia@hub.test", session=session)
        assert user is not None and user.role == "editor" and PASSWORD not in user.password_hash
        assert user.password_hash.startswith("$argon2id$")
        assert accounts.authenticate("nia@hub.test", PASSWORD, address="127.0.0.1", session=session) is not None
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "user.add")).one()
        assert (entry.actor, entry.target) == ("cli", "nia@hub.test")
    with pytest.raises(ConfigError, match="at least"):
        cli.cmd_user_add(args, settings, stdin=io.StringIO("short\n"))
    editor_without_group = cli._parser().parse_args(["user", "add", "x@hub.test", "--role", "editor"])
    with pytest.raises(ConfigError, match="editor needs"):
        cli.cmd_user_add(editor_without_group, settings, stdin=io.StringIO(PASSWORD + "\n"))


def test_serve_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    environ = {"CALENDAR_HUB_DATABASE_URL": f"sqlite:///{tmp_path}/hub.db"}
    assert cli.main(["serve", "--port", "1"], environ=environ) == 1


# ---------------------------------------------------------------- moderation

def published(client: TestClient) -> dict[str, set[str]]:
    """The week's titles in its calendar, on its map and on its page."""
    ics = set(calendar_events(client.get(f"/weeks/{WEEK}.ics").content))
    geojson = {f["properties"]["title"] for f in client.get("/api/events.geojson", params={"week": WEEK}).json()
               ["features"]}
    page = client.get(f"/weeks/{WEEK}").text
    return {"ics": ics, "map": geojson, "page": {title for title in ics if title.replace("&", "&amp;") in page}}


def test_a_hidden_event_leaves_every_output_and_comes_back(people: dict[str, str], client: TestClient,
                                                           engine: Engine, settings: Settings) -> None:
    before = published(client)
    assert "Solidarity vigil #CT4R" in before["ics"] & before["map"] & before["page"]
    assert sign_in(client, people["organiser"]) == 303
    page = client.get("/admin/events", params={"week": WEEK, "q": "vigil"}).text
    uid = re.search(r'name="uid" value="([^"]+)"', page)
    assert uid and page.count('name="uid"') == 1
    csrf = token(client, "/admin/")
    refused = client.post("/admin/events/hide", data={"csrf_token": csrf, "uid": uid.group(1),
                                                      "title": "Solidarity vigil #CT4R", "reason": "  "})
    assert "Say+why" in refused.headers["location"] or "Say%20why" in refused.headers["location"]
    assert published(client) == before
    post(client, "/admin/events/hide", uid=uid.group(1), title="Solidarity vigil #CT4R", reason="posted twice")
    during = published(client)
    for output in ("ics", "map", "page"):
        assert during[output] == before[output] - {"Solidarity vigil #CT4R"}, output
    # a refresh brings the same event (same UID) back from its feed: it stays hidden
    asyncio.run(refresh(engine, settings, due_only=False))
    assert published(client) == during
    hidden = client.get("/admin/hidden").text
    assert "posted twice" in hidden and people["organiser"] in hidden
    post(client, "/admin/events/unhide", uid=uid.group(1))
    assert published(client) == before
    log = client.get("/admin/audit").text
    assert "event.hide" in log and "event.unhide" in log


def test_editors_cannot_hide_events(people: dict[str, str], client: TestClient) -> None:
    assert sign_in(client, people["editor"]) == 303
    assert client.get("/admin/events").status_code == 403
    response = client.post("/admin/events/hide", data={"csrf_token": token(client, "/admin/"), "uid": "x",
                                                       "title": "x", "reason": "x"})
    assert response.status_code == 403
