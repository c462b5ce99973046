"""One form adds a group with its calendar: a preview first (the events it brings, the short name suggested, a
warning when the calendar is another group's), then both stored in one transaction, audited, and the new
group's page saying "Refreshing now" until the first events arrive; without JavaScript, what was typed kept."""

from __future__ import annotations

import asyncio
import html
import re
from urllib.parse import unquote

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.store.models import AuditEntry, Feed, Group
from tests.feedserver import FeedServer
from tests.hubdata import HubData
from tests.pages import sign_in, token

LEEDS = {"name": "Leeds Welcome", "slug": "", "region": "Yorkshire and the Humber", "home": "Leeds",
         "website": "https://leeds-welcome.example.org", "contact": "hi@leeds-welcome.example.org"}


def leeds_site(feed_server: FeedServer, hub: HubData) -> str:
    """The group's events page, which links to its news feed of events (one of them without a date)."""
    body = hub.feed_file("cardiff_events.rss").read_bytes().replace(b"Cardiff Migrant Welcome", b"Leeds Welcome")
    feed_server.serve("/leeds/feed", body, content_type="application/rss+xml")
    return feed_server.serve("/leeds/events", b'<html><head><title>Events</title><link rel="alternate" '
                             b'type="application/rss+xml" href="/leeds/feed"></head><body>Events</body></html>',
                             content_type="text/html")


def send(client: TestClient, **fields: str) -> httpx.Response:
    """POST the groups page's form with this session's token."""
    return client.post("/admin/groups", data={**fields, "csrf_token": token(client, "/admin/")})


def field(page: str, name: str) -> str:
    """The value the form on `page` holds in its `name` box (or hidden field)."""
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    assert found, name
    return html.unescape(found.group(1))


def choices(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'type="radio" name="calendar" id="[^"]+" value="([^"]+)"', page)]


def stored(engine: Engine) -> tuple[list[str], list[str]]:
    """The groups made in the console and the feeds added through the web, by slug and address."""
    with Session(engine) as session:
        groups = [g.slug for g in session.exec(select(Group).where(Group.origin == "console")).all()]
        feeds = [f.url for f in session.exec(select(Feed).where(Feed.origin == "web")).all()]
    return groups, feeds


def audit(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]


def test_one_form_previews_the_calendars_events_then_adds_the_group_with_it(
        people: dict[str, str], console_client: TestClient, engine: Engine, settings: Settings,
        feed_server: FeedServer, hub: HubData) -> None:
    assert sign_in(console_client, people["organiser"]) == 303
    page = console_client.get("/admin/groups").text
    assert 'name="address"' in page and 'value="preview"' in page and ">Add group and calendar</button>" in page
    address = leeds_site(feed_server, hub)

    seen = send(console_client, **LEEDS, address=address, do="preview")
    assert seen.status_code == 200
    assert "What the calendar brings" in seen.text and "Supper club &amp; stories" in seen.text
    assert re.search(r"<strong>\d+ upcoming events?</strong>", seen.text)
    assert "gives no date of its own" in seen.text or "had no event date" in seen.text   # its problem, said
    assert field(seen.text, "slug") == "leeds-welcome"                    # suggested from the name
    assert field(seen.text, "region") == LEEDS["region"] and field(seen.text, "home") == "Leeds"   # kept
    assert choices(seen.text) == [feed_server.url("/leeds/feed")] and field(seen.text, "previewed") == address
    assert "already belongs to" not in seen.text
    assert stored(engine) == ([], [])                                     # a preview stores nothing

    added = send(console_client, **{**LEEDS, "slug": field(seen.text, "slug")}, address=address,
                 calendar=choices(seen.text)[0], previewed=address, do="add")
    assert added.status_code == 303 and added.headers["location"].startswith("/admin/groups/leeds-welcome?")
    assert "was added with its calendar" in unquote(added.headers["location"])
    assert stored(engine) == (["leeds-welcome"], [feed_server.url("/leeds/feed")])
    with Session(engine) as session:
        group = session.exec(select(Group).where(Group.slug == "leeds-welcome")).one()
        assert (group.region, group.home, group.website) == (LEEDS["region"], "Leeds", LEEDS["website"])
        feed = session.exec(select(Feed).where(Feed.group_id == group.id)).one()
        assert (feed.kind, feed.origin) == ("rss", "web")
    assert audit(engine)[-2:] == ["group.add", "feed.add"]

    status = re.search(r'<p class="feed-status" data-status="(\w+)">(.*?)</p>',
                       console_client.get("/admin/groups/leeds-welcome").text, flags=re.S)
    assert status and status.group(1) == "refreshing" and "Refreshing now" in status.group(2)
    asyncio.run(refresh(engine, settings.replace(fetch_private_addresses=True), due_only=True))
    status = re.search(r'<p class="feed-status" data-status="(\w+)">', console_client.get(
        "/admin/groups/leeds-welcome").text)
    assert status and status.group(1) == "ok"
    assert "Supper club" in console_client.get("/groups/leeds-welcome").text


def test_the_preview_warns_when_the_calendar_already_belongs_to_another_group(
        people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    with Session(engine) as session:
        taken = session.exec(select(Feed).join(Group).where(Group.slug == "sanctuary-manchester")).first()
        assert taken is not None
    sign_in(console_client, people["organiser"])
    seen = send(console_client, **LEEDS, address=taken.url, do="preview")
    warning = re.search(r'<p class="warning">(.*?)</p>', seen.text, flags=re.S)
    assert warning and "already belongs to" in warning.group(1) and "Sanctuary Manchester" in warning.group(1)


def test_a_wrong_field_keeps_what_was_typed_and_nothing_is_stored(
        people: dict[str, str], console_client: TestClient, engine: Engine, feed_server: FeedServer,
        hub: HubData) -> None:
    sign_in(console_client, people["organiser"])
    address = leeds_site(feed_server, hub)
    calendar = feed_server.url("/leeds/feed")
    for wrong, said in (({"slug": "Leeds Welcome!"}, "The short name may use only"),
                        ({"slug": "sanctuary-manchester"}, "There is already a group called sanctuary-manchester"),
                        ({"website": "leeds.example.org"}, "The website must start with http"),
                        ({"name": " ", "slug": "leeds-welcome"}, "A group needs a name")):
        response = send(console_client, **{**LEEDS, **wrong}, address=address, calendar=calendar,
                        previewed=address, do="add")
        assert response.status_code == 400 and said in html.unescape(response.text), wrong
        assert field(response.text, "address") == address and field(response.text, "home") == "Leeds"
        assert field(response.text, "calendar") == calendar           # the choice made in the preview, kept
    assert stored(engine) == ([], [])

    # An address never previewed (or changed since) is previewed first, never added unseen.
    first = send(console_client, **LEEDS, address=address, do="add")
    assert first.status_code == 200 and "Nothing is saved yet" in first.text and "Supper club" in first.text
    changed = send(console_client, **LEEDS, address=address + "?again", calendar=calendar, previewed=address,
                   do="add")
    assert changed.status_code in (200, 400) and "Nothing is saved yet" in changed.text
    assert stored(engine) == ([], [])

    # The calendar stops answering between the preview and adding: neither the group nor its calendar is kept.
    feed_server.serve("/leeds/feed", b"", status=404)
    gone = send(console_client, **LEEDS, address=address, calendar=calendar, previewed=address, do="add")
    assert gone.status_code == 400 and "Nothing was added" in gone.text and field(gone.text, "name") == "Leeds Welcome"
    assert stored(engine) == ([], []) and "group.add" not in audit(engine)


def test_a_group_without_a_calendar_is_still_added(people: dict[str, str], console_client: TestClient,
                                                   engine: Engine) -> None:
    sign_in(console_client, people["organiser"])
    added = send(console_client, **LEEDS, address="", do="add")
    assert added.status_code == 303 and added.headers["location"].startswith("/admin/groups/leeds-welcome?")
    assert stored(engine) == (["leeds-welcome"], [])
    assert "No calendar yet." in console_client.get("/admin/groups/leeds-welcome").text
    nothing = send(console_client, **{**LEEDS, "name": "Bradford Welcome"}, address="", do="preview")
    assert nothing.status_code == 400 and "Paste the calendar" in html.unescape(nothing.text)
    assert field(nothing.text, "slug") == "bradford-welcome"
