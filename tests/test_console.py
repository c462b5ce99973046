"""The organisers' console: accounts, sessions, CSRF, throttling, the audit log, groups and feeds at /admin."""

from __future__ import annotations

import asyncio
import html
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from calendar_hub import cli, clock
from calendar_hub.console import accounts
from calendar_hub.errors import ConfigError
from calendar_hub.ingest.refresh import refresh
from calendar_hub.places import resolver
from calendar_hub.settings import Settings
from calendar_hub.store.models import AuditEntry, Feed, Group
from calendar_hub.web.app import create_app
from calendar_hub.web.present import when
from tests.feedserver import FeedServer
from tests.hubdata import WEEK, HubData
from tests.pages import PASSWORD, calendar_events, confirm, post, sign_in, token

STAFF_PAGES = ["/admin/", "/admin/groups", "/admin/groups/sanctuary-manchester", "/admin/audit", "/admin/events",
               "/admin/hidden"]
ACTIONS = ["/admin/groups", "/admin/groups/sanctuary-manchester",
           "/admin/groups/sanctuary-manchester/pause", "/admin/groups/sanctuary-manchester/feeds",
           "/admin/groups/sanctuary-manchester/feeds/preview", "/admin/requests/1/preview",
           "/admin/feeds/1/pause", "/admin/feeds/1/refresh", "/admin/events/hide", "/admin/events/unhide"]


def test_every_console_route_refuses_a_visitor_without_a_session(people: dict[str, str],
                                                                  console_client: TestClient) -> None:
    """Walks the console's own routing table, so a page or action added later is covered without listing it here."""
    console = next(r for r in console_client.app.routes if getattr(r, "path", "") == "/admin")  # type: ignore[attr-defined]
    values = {"slug": "sanctuary-manchester", "action": "pause", "feed_id": "1", "request_id": "1",
              "submission_id": "1", "user_id": "1"}
    csrf = token(console_client)  # even with a valid token from the sign-in form
    checked = 0
    for route in console.app.routes:
        if route.path in ("/login", "/password/{token:str}"):  # a one-time link is its own key (see its own tests)
            continue
        path = "/admin" + route.path
        for name, value in values.items():
            path = path.replace("{" + name + "}", value).replace("{" + name + ":int}", value)
            path = path.replace("{" + name + ":str}", value)
        assert "{" not in path, route.path
        if "GET" in route.methods:
            response = console_client.get(path)
            assert response.status_code == 303 and response.headers["location"].startswith("/admin/login"), path
        if "POST" in route.methods and route.path != "/logout":
            response = console_client.post(path, data={"csrf_token": csrf, "uid": "x", "name": "x"})
            assert response.status_code == 403, path
        checked += 1
    assert checked >= 25


def test_without_a_session_every_page_and_action_is_refused(people: dict[str, str], console_client: TestClient) -> None:
    for path in STAFF_PAGES:
        response = console_client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/admin/login?next="), path
    csrf = token(console_client)  # even with a valid token from the sign-in form
    for path in ACTIONS:
        response = console_client.post(path, data={"csrf_token": csrf, "name": "x", "url": "https://example.org/"})
        assert response.status_code == 403, path
    with Session(console_client.app.state.hub.engine) as session:  # type: ignore[attr-defined]
        assert session.exec(select(AuditEntry).where(AuditEntry.actor != "test")).all() == []


def test_a_form_without_its_csrf_token_is_rejected(people: dict[str, str], console_client: TestClient) -> None:
    assert console_client.post("/admin/login", data={"email": people["admin"], "password": PASSWORD}).status_code == 403
    assert sign_in(console_client, people["admin"]) == 303
    for data in ({}, {"csrf_token": "forged"}):
        response = console_client.post("/admin/groups/sanctuary-manchester/pause", data=data)
        assert response.status_code == 403
    assert "Pause this group" in console_client.get("/admin/groups/sanctuary-manchester").text  # still active


def test_sign_in_and_out(people: dict[str, str], console_client: TestClient) -> None:
    assert sign_in(console_client, people["organiser"], "wrong password!") == 400
    assert sign_in(console_client, people["organiser"]) == 303
    page = console_client.get("/admin/").text
    assert "Feed health" in page and people["organiser"] in page
    post(console_client, "/admin/logout")
    assert console_client.get("/admin/").status_code == 303


def test_sign_in_is_throttled_after_repeated_failures(people: dict[str, str], console_client: TestClient) -> None:
    for _ in range(accounts.FAILURES_ALLOWED):
        assert sign_in(console_client, people["admin"], "not the password") == 400
    assert sign_in(console_client, people["admin"]) == 400  # the right password, refused for now
    assert console_client.get("/admin/").status_code == 303


def test_the_session_cookie_is_httponly_and_samesite(people: dict[str, str], console_client: TestClient,
                                                     settings: Settings) -> None:
    response = console_client.get("/admin/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # http://hub.test
    https = "https://hub.example.org"
    with TestClient(create_app(settings.replace(base_url=https)), base_url=https) as secure:
        assert "; secure" in secure.get("/admin/login").headers["set-cookie"].lower()
    # public pages never set a cookie: they stay cacheable
    for path in ("/", f"/weeks/{WEEK}", f"/weeks/{WEEK}.ics"):
        assert "set-cookie" not in console_client.get(path).headers


def test_an_editor_manages_only_their_own_group(people: dict[str, str], console_client: TestClient,
                                                engine: Engine) -> None:
    assert sign_in(console_client, people["editor"]) == 303
    with Session(engine) as session:
        liverpool = session.exec(select(Group).where(Group.slug == "liverpool-welcome")).one()
        theirs = session.exec(select(Feed).where(Feed.group_id == liverpool.id)).one()
    assert console_client.get("/admin/groups/liverpool-welcome").status_code == 403
    assert console_client.get("/admin/groups").status_code == 403          # the list of every group is for organisers
    assert console_client.get("/admin/audit").status_code == 403
    csrf = token(console_client, "/admin/")
    assert console_client.post(f"/admin/feeds/{theirs.id}/pause", data={"csrf_token": csrf}).status_code == 403
    assert console_client.post("/admin/groups/liverpool-welcome",
                               data={"csrf_token": csrf, "name": "Taken over"}).status_code == 403
    # their own group: yes
    assert "done=Saved" in post(console_client, "/admin/groups/sanctuary-manchester",
                                name="Sanctuary Manchester", home="Manchester M2", website="", contact="")
    dashboard = console_client.get("/admin/").text
    assert "Sanctuary Manchester" in dashboard and "Liverpool Welcome" not in dashboard


def test_pausing_a_group_takes_its_events_out_and_is_audited(people: dict[str, str],
                                                              console_client: TestClient) -> None:
    before = set(calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content))
    assert "Solidarity vigil #CT4R" in before
    assert sign_in(console_client, people["organiser"]) == 303
    confirm(console_client, "/admin/groups/liverpool-welcome/pause")
    during = set(calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content))
    assert "Solidarity vigil #CT4R" not in during and during < before
    post(console_client, "/admin/groups/liverpool-welcome/resume")
    assert set(calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)) == before
    log = console_client.get("/admin/audit").text
    assert log.count(f"<td data-label=\"Who\">{people['organiser']}</td>") == 2
    assert "group.pause" in log and "group.resume" in log


def preview(client: TestClient, slug: str, address: str) -> httpx.Response:
    """POST the "Add a calendar" form, which previews what the hub finds at `address`."""
    return client.post(f"/admin/groups/{slug}/feeds/preview",
                       data={"url": address, "csrf_token": token(client, "/admin/")})


def choices(page: str) -> list[str]:
    """The calendars a preview page offers to add (its radio buttons), in order."""
    return [html.unescape(value) for value in re.findall(r'type="radio" name="url" id="[^"]+" value="([^"]+)"', page)]


def audit_actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]


def web_feeds(engine: Engine) -> list[Feed]:
    with Session(engine) as session:
        return list(session.exec(select(Feed).where(Feed.origin == "web")).all())


def events_site(feed_server: FeedServer, hub: HubData, path: str = "/manchester") -> str:
    """A group's page linking to two calendars: its (moved) Google ICS and an RSS feed with a dateless item."""
    past = (clock.now() - timedelta(days=10)).strftime("%Y%m%dT100000Z")
    calendar = hub.feed_file("manchester_google.ics").read_bytes().replace(
        b"END:VCALENDAR", f"BEGIN:VEVENT\r\nUID:past@example.org\r\nDTSTAMP:{past}\r\nDTSTART:{past}\r\n"
                          "SUMMARY:Coffee morning that has been\r\nEND:VEVENT\r\nEND:VCALENDAR".encode())
    feed_server.serve(f"{path}/calendar.ics", calendar)
    feed_server.serve(f"{path}/feed", hub.feed_file("cardiff_events.rss").read_bytes(),
                      content_type="application/rss+xml")
    return feed_server.serve(f"{path}/", f'<html><head><title>What we do</title>'
                             f'<link rel="alternate" type="application/rss+xml" title="News" href="{path}/feed">'
                             f'</head><body><a href="{path}/calendar.ics">Our calendar (ICS)</a></body></html>'
                             .encode(), content_type="text/html")


def test_an_organiser_adds_a_group_and_its_calendar_which_a_refresh_brings_in(
        people: dict[str, str], console_client: TestClient, engine: Engine, settings: Settings, feed_server: FeedServer,
        hub: HubData) -> None:
    assert sign_in(console_client, people["organiser"]) == 303
    where = post(console_client, "/admin/groups", name="Leeds Welcome", slug="leeds-welcome", home="Leeds",
                 website="https://leeds-welcome.example.org", contact="hi@leeds-welcome.example.org")
    assert where.startswith("/admin/groups/leeds-welcome")
    body = hub.feed_file("cardiff_events.rss").read_bytes().replace(b"Cardiff Migrant Welcome", b"Leeds Welcome")
    page = feed_server.serve("/leeds/events", b'<html><head><link rel="alternate" type="application/rss+xml" '
                                              b'href="/leeds/feed"></head><body>Events</body></html>',
                             content_type="text/html")
    feed_server.serve("/leeds/feed", body, content_type="application/rss+xml")
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*\s+aria-labelledby="add-feed-heading">',
                     console_client.get("/admin/groups/leeds-welcome").text)
    assert form and form.group(1) == "/admin/groups/leeds-welcome/feeds/preview"   # the form previews first
    seen = preview(console_client, "leeds-welcome", page)
    assert seen.status_code == 200 and "Supper club &amp; stories" in seen.text
    assert choices(seen.text) == [feed_server.url("/leeds/feed")] and web_feeds(engine) == []
    message = post(console_client, "/admin/groups/leeds-welcome/feeds", url=choices(seen.text)[0])
    assert "Added" in message and "leeds%2Ffeed" in message.replace("/", "%2F")
    [feed] = web_feeds(engine)
    assert (feed.url, feed.origin, feed.kind) == (feed_server.url("/leeds/feed"), "web", "rss")
    assert audit_actions(engine)[-1] == "feed.add"
    asyncio.run(refresh(engine, settings.replace(fetch_private_addresses=True), due_only=True))
    assert "Leeds Welcome" in console_client.get("/groups/leeds-welcome").text
    assert calendar_events(console_client.get("/groups/leeds-welcome.ics").content)
    # a console feed is fetched through the SSRF guard: with private addresses refused, it fails, nothing stored
    feed_server.serve("/leeds/feed", body.replace(b"Supper", b"Dinner"), content_type="application/rss+xml")
    post(console_client, f"/admin/feeds/{feed.id}/refresh")
    report = asyncio.run(refresh(engine, settings, due_only=True))
    assert [o.kind for _job, o in report.outcomes] == ["failed"]
    assert "private" in report.outcomes[0][1].error or "refused" in report.outcomes[0][1].error


def test_the_preview_shows_the_events_with_times_and_places_and_stores_nothing(
        people: dict[str, str], console_client: TestClient, engine: Engine, feed_server: FeedServer,
        hub: HubData) -> None:
    assert sign_in(console_client, people["editor"]) == 303          # an editor previews for their own group
    site = events_site(feed_server, hub)
    before = audit_actions(engine)
    response = preview(console_client, "sanctuary-manchester", site)
    assert response.status_code == 200, response.text[:2000]
    page = html.unescape(response.text)
    assert feed_server.hits("/manchester/calendar.ics") >= 2   # found by discovery, then read for the preview
    # both calendars found, the ICS first and chosen; the RSS feed offered too
    assert choices(response.text) == [feed_server.url("/manchester/calendar.ics"),
                                      feed_server.url("/manchester/feed")]
    assert re.search(r'value="[^"]+/manchester/calendar.ics"\s+checked', response.text)
    # its events with their local times and where the map puts them
    zone = ZoneInfo("Europe/London")
    walk = SimpleNamespace(all_day=False, start_date=None, end_date=None,
                           start=datetime(2026, 12, 5, 10, tzinfo=UTC) + hub.shift,
                           end=datetime(2026, 12, 5, 12, tzinfo=UTC) + hub.shift)
    row = re.search(r'<tr>\s*<td data-label="When"><time[^>]*>([^<]+)</time></td>\s*<th scope="row">Welcome Walk</th>'
                    r'\s*<td data-label="Place given">([^<]+)</td>\s*<td data-label="On the map">([^<]+)</td>', page)
    assert row, page[:3000]
    postcode = resolver().resolve("Central Library, St Peter's Square, Manchester M2 5PD")
    assert postcode is not None
    assert row.groups() == (when(walk, zone), "Central Library, St Peter's Square, Manchester M2 5PD",
                            postcode.note())
    assert "Placed by its postcode (M2 5)" in row.group(3)
    social = re.search(r'<th scope="row">Refugee Week Social</th>.*?<td data-label="On the map">([^<]+)</td>', page,
                       re.S)
    assert social and social.group(1) == "Exact place given by the group's calendar"
    assert "English conversation class" in page and "Summer picnic" in page
    # in summer time: 13:00 in London is 12:00 UTC, so a time shown in UTC would fail here
    assert re.search(r'<time[^>]*>[^<]*, 13:00[^<]*</time></td>\s*<th scope="row">Summer picnic</th>', page), page
    counts = re.search(r"<strong>(\d+) upcoming events</strong>,\s*(\d+) in all", page)
    assert counts and int(counts.group(1)) == int(counts.group(2)) - 1 > 0     # the past one counts only in all
    assert "Coffee morning that has been" not in page
    # the RSS feed's dateless news item is explained in words
    assert "1 item gives no date of its own" in page
    # nothing was stored: no feed, no audit entry
    assert web_feeds(engine) == [] and audit_actions(engine) == before


def test_picking_the_second_calendar_found_adds_that_one_and_audits_it(
        people: dict[str, str], console_client: TestClient, engine: Engine, feed_server: FeedServer,
        hub: HubData) -> None:
    assert sign_in(console_client, people["organiser"]) == 303
    offered = choices(preview(console_client, "sanctuary-manchester", events_site(feed_server, hub)).text)
    assert len(offered) == 2
    message = post(console_client, "/admin/groups/sanctuary-manchester/feeds", url=offered[1], kind="ical")
    assert "Added" in message
    [feed] = web_feeds(engine)
    assert (feed.url, feed.kind) == (feed_server.url("/manchester/feed"), "rss")   # the body's kind, not the form's
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "feed.add")).one()
        assert (entry.actor, entry.target, entry.detail) == (people["organiser"], offered[1],
                                                             {"group": "sanctuary-manchester", "kind": "rss"})


def test_adding_checks_the_chosen_address_again(people: dict[str, str], console_client: TestClient, engine: Engine,
                                                feed_server: FeedServer, hub: HubData) -> None:
    assert sign_in(console_client, people["admin"]) == 303
    site = events_site(feed_server, hub)
    for address, why in [(site, "returns a web page"), (feed_server.url("/gone.ics"), "not found"),
                         ("file:///etc/passwd", "starts with https://"), ("", "starts with https://")]:
        message = unquote(post(console_client, "/admin/groups/sanctuary-manchester/feeds", url=address))
        assert "No calendar was added" in message and why in message, (address, message)
    assert web_feeds(engine) == []


def test_a_preview_of_a_private_address_is_refused_before_connecting(
        people: dict[str, str], settings: Settings, engine: Engine, feed_server: FeedServer,
        hub: HubData) -> None:
    site = events_site(feed_server, hub)
    before = len(feed_server.requests)
    with TestClient(create_app(settings), follow_redirects=False) as guarded:   # the SSRF guard on
        assert sign_in(guarded, people["organiser"]) == 303
        response = preview(guarded, "sanctuary-manchester", site)
        assert response.status_code == 400
        assert "private or local network" in response.text and 'name="url"' in response.text
        # nor can the address be added without a preview
        message = unquote(post(guarded, "/admin/groups/sanctuary-manchester/feeds",
                               url=feed_server.url("/manchester/calendar.ics")))
        assert "No calendar was added" in message and "private or local network" in message
    assert len(feed_server.requests) == before                          # refused before any connection
    assert web_feeds(engine) == []


def test_a_preview_of_an_address_with_no_calendar_says_why(people: dict[str, str], console_client: TestClient,
                                                         feed_server: FeedServer, engine: Engine) -> None:
    assert sign_in(console_client, people["admin"]) == 303
    page = feed_server.serve("/nothing", b"<html><head><title>Our news</title></head><body>Hi</body></html>",
                             content_type="text/html")
    before = audit_actions(engine)
    response = preview(console_client, "sanctuary-manchester", page)
    assert response.status_code == 400
    assert "No calendar was found there" in response.text and "Our news" in html.unescape(response.text)
    assert choices(response.text) == [] and "Add this calendar" not in response.text
    assert "Try another address" in response.text
    broken = feed_server.serve("/broken.ics", b"", status=500)
    response = preview(console_client, "sanctuary-manchester", broken)
    assert response.status_code == 400 and "the server had an error (500)" in response.text
    assert preview(console_client, "sanctuary-manchester", "not an address").status_code == 400
    assert web_feeds(engine) == [] and audit_actions(engine) == before


def test_a_preview_of_a_calendar_too_slow_to_read_answers_with_the_reason(
        people: dict[str, str], settings: Settings, engine: Engine, feed_server: FeedServer) -> None:
    # Thousands of series repeating every hour inside the window: slow to read by construction.
    start = (clock.now() - timedelta(days=1)).strftime("%Y%m%dT%H0000Z")
    series = "".join(f"BEGIN:VEVENT\r\nUID:hourly-{i}@hourly.example.org\r\nDTSTAMP:20260101T000000Z\r\n"
                     f"DTSTART:{start}\r\nSUMMARY:Drop-in {i}\r\nRRULE:FREQ=HOURLY\r\nEND:VEVENT\r\n"
                     for i in range(2000))
    slow = feed_server.serve("/hourly.ics", f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hourly//EN\r\n{series}"
                                            "END:VCALENDAR\r\n".encode())
    limited = settings.replace(fetch_private_addresses=True, parse_seconds=0.2)
    with TestClient(create_app(limited), follow_redirects=False) as client:
        assert sign_in(client, people["organiser"]) == 303
        response = preview(client, "sanctuary-manchester", slow)
        assert response.status_code == 400
        assert "could not be read: the calendar took too long to read" in response.text
    assert web_feeds(engine) == []


def test_the_dashboard_puts_broken_feeds_first(people: dict[str, str], console_client: TestClient, engine: Engine,
                                               settings: Settings, feed_server: FeedServer) -> None:
    feed_server.serve("/cardiff_events.rss", b"", status=500)
    with Session(engine) as session:
        for feed in session.exec(select(Feed)).all():
            feed.next_attempt_at = None
            session.add(feed)
        session.commit()
    asyncio.run(refresh(engine, settings, due_only=False))
    assert sign_in(console_client, people["admin"]) == 303
    page = console_client.get("/admin/").text
    rows = re.findall(r'<tr class="([a-z]*)">\s*<th scope="row"><a href="/admin/groups/([a-z-]+)"', page)
    assert rows[0] == ("broken", "cardiff-migrant-welcome"), rows
    assert [slug for kind, slug in rows if kind == "broken"] == ["cardiff-migrant-welcome"]
    assert "the server answered 500" in page and "Failing" in page


# ---------------------------------------------------------------- the command line

def test_user_add_reads_the_password_from_standard_input(hub: HubData, settings: Settings,
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


def test_a_hidden_event_leaves_every_output_and_comes_back(people: dict[str, str], console_client: TestClient,
                                                           engine: Engine, settings: Settings) -> None:
    before = published(console_client)
    assert "Solidarity vigil #CT4R" in before["ics"] & before["map"] & before["page"]
    assert sign_in(console_client, people["organiser"]) == 303
    page = console_client.get("/admin/events", params={"week": WEEK, "q": "vigil"}).text
    uid = re.search(r'name="uid" value="([^"]+)"', page)
    assert uid and page.count('name="uid"') == 1
    csrf = token(console_client, "/admin/")
    refused = console_client.post("/admin/events/hide", data={"csrf_token": csrf, "uid": uid.group(1),
                                                              "title": "Solidarity vigil #CT4R", "reason": "  "})
    assert "Say+why" in refused.headers["location"] or "Say%20why" in refused.headers["location"]
    assert published(console_client) == before
    post(console_client, "/admin/events/hide", uid=uid.group(1), title="Solidarity vigil #CT4R", reason="posted twice")
    during = published(console_client)
    for output in ("ics", "map", "page"):
        assert during[output] == before[output] - {"Solidarity vigil #CT4R"}, output
    # a refresh brings the same event (same UID) back from its feed: it stays hidden
    asyncio.run(refresh(engine, settings, due_only=False))
    assert published(console_client) == during
    hidden = console_client.get("/admin/hidden").text
    assert "posted twice" in hidden and people["organiser"] in hidden
    post(console_client, "/admin/events/unhide", uid=uid.group(1))
    assert published(console_client) == before
    log = console_client.get("/admin/audit").text
    assert "event.hide" in log and "event.unhide" in log


def test_editors_cannot_hide_events(people: dict[str, str], console_client: TestClient) -> None:
    assert sign_in(console_client, people["editor"]) == 303
    assert console_client.get("/admin/events").status_code == 403
    response = console_client.post("/admin/events/hide", data={"csrf_token": token(console_client, "/admin/"),
                                                               "uid": "x", "title": "x", "reason": "x"})
    assert response.status_code == 403
