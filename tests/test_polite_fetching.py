"""Fetching is polite and complete: the server's Retry-After, 410 Gone, refusals, permanent redirects, robots.txt,
brotli and a contact in the User-Agent, each checked in what the feed server was asked and in feed health."""

from __future__ import annotations

import asyncio
import email.utils
from datetime import timedelta
from pathlib import Path

import brotli
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from calendar_hub import clock, store
from calendar_hub.console import accounts
from calendar_hub.errors import ConfigError
from calendar_hub.ingest import fetch as fetch_module
from calendar_hub.ingest.discover import Discovery, discover
from calendar_hub.ingest.fetch import LONGEST_WAIT, Limits, make_client, retry_after
from calendar_hub.ingest.refresh import RefreshReport, refresh
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from calendar_hub.store.models import AuditEntry, Event, Feed
from calendar_hub.web.app import create_app
from tests.feedserver import FeedServer
from tests.pages import PASSWORD, post, sign_in

DATA = Path(__file__).parent / "data"


def calendar(title: str = "Towpath walk") -> bytes:
    """A calendar with one event three days from now."""
    day = clock.now().date() + timedelta(days=3)
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:walk@riverside.example\r\n"
            f"DTSTAMP:20260101T000000Z\r\nDTSTART:{day:%Y%m%d}T100000Z\r\nDTEND:{day:%Y%m%d}T120000Z\r\n"
            f"SUMMARY:{title}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def load(engine: Engine, url: str) -> None:
    """One group with one feed at `url` (on loopback, which the operator allows for it)."""
    with Session(engine) as session:
        store.apply_registry(Registry(groups=(GroupSpec(slug="riverside-greens", name="Riverside Greens",
                                                        feeds=(FeedSpec(url=url, private=True),)),), weeks=()),
                             session=session)


def run(engine: Engine, settings: Settings, *, due_only: bool = True) -> RefreshReport:
    return asyncio.run(refresh(engine, settings, due_only=due_only))


def the_feed(engine: Engine) -> Feed:
    with Session(engine) as session:
        feed = session.exec(select(Feed)).one()
        session.expunge_all()
        return feed


def audit(engine: Engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)
                                 .order_by(col(AuditEntry.id))).all())


def health_page(engine: Engine, client: TestClient) -> str:
    """The console's feed health, as an organiser sees it."""
    with Session(engine) as session:
        accounts.add_user("olu@hub.test", PASSWORD, role="organiser", group=None, session=session, actor="test")
    assert sign_in(client, "olu@hub.test") == 303
    return client.get("/admin/").text


# ---------------------------------------------------------------- Retry-After

def test_retry_after_reads_seconds_and_http_dates_and_waits_at_most_a_day() -> None:
    in_two_hours = email.utils.format_datetime(clock.now() + timedelta(hours=2), usegmt=True)
    assert retry_after("7200") == timedelta(hours=2)
    assert timedelta(hours=1, minutes=59) < retry_after(in_two_hours) <= timedelta(hours=2)  # type: ignore[operator]
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == timedelta(0)   # already past
    assert retry_after("864000") == LONGEST_WAIT == timedelta(days=1)
    assert retry_after("") is None and retry_after("soon") is None


@pytest.mark.parametrize(("status", "asked"), [
    (429, lambda: "7200"),
    (503, lambda: email.utils.format_datetime(clock.now() + timedelta(hours=2), usegmt=True)),
])
def test_a_server_asking_to_wait_is_not_asked_again_before_then_and_feed_health_says_so(
        status: int, asked: object, engine: Engine, settings: Settings, feed_server: FeedServer,
        console_client: TestClient) -> None:
    url = feed_server.serve("/busy.ics", calendar())
    load(engine, url)
    run(engine, settings, due_only=False)
    feed_server.serve("/busy.ics", b"", status=status, headers={"Retry-After": asked()})  # type: ignore[operator]
    made_due(engine)
    run(engine, settings)
    feed = the_feed(engine)
    assert feed.http_status == status and feed.wait_until is not None and feed.next_attempt_at is not None
    assert feed.last_attempt_at is not None
    assert feed.next_attempt_at >= feed.last_attempt_at + timedelta(hours=1, minutes=59)   # not the 5 minutes
    assert feed.wait_until == feed.next_attempt_at
    page = health_page(engine, console_client)
    assert "Waiting until" in page and "the calendar's server asked the hub to wait" in page

    hits = feed_server.hits("/busy.ics")
    with clock.travel_to(clock.now() + timedelta(hours=1, minutes=50)):
        assert run(engine, settings).outcomes == []
        # Nor does an organiser's "Refresh now", or a refresh of every feed, ask before then.
        made_due(engine)
        assert the_feed(engine).next_attempt_at == feed.wait_until
        assert run(engine, settings, due_only=False).outcomes == []
    assert feed_server.hits("/busy.ics") == hits
    with clock.travel_to(clock.now() + timedelta(hours=2, minutes=5)):
        assert len(run(engine, settings).outcomes) == 1
    assert feed_server.hits("/busy.ics") == hits + 1


def made_due(engine: Engine) -> None:
    with Session(engine) as session:
        feed = session.exec(select(Feed)).one()
        store.make_due(feed, session=session, at=clock.now())
        session.commit()


def test_a_retry_after_further_off_than_a_day_waits_a_day(
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    load(engine, feed_server.serve("/busy.ics", b"", status=429, headers={"Retry-After": "31536000"}))
    run(engine, settings, due_only=False)
    feed = the_feed(engine)
    assert feed.next_attempt_at is not None and feed.last_attempt_at is not None
    assert feed.next_attempt_at - feed.last_attempt_at == timedelta(days=1)


# ---------------------------------------------------------------- 410 Gone

def test_a_feed_gone_is_fetched_no_more_until_an_organiser_resumes_it(
        engine: Engine, settings: Settings, feed_server: FeedServer, console_client: TestClient) -> None:
    url = feed_server.serve("/old.ics", calendar())
    load(engine, url)
    run(engine, settings, due_only=False)
    feed_server.serve("/old.ics", b"", status=410)
    run(engine, settings, due_only=False)
    feed = the_feed(engine)
    assert feed.gone_at is not None and feed.http_status == 410
    with Session(engine) as session:
        assert len(session.exec(select(Event)).all()) == 1   # its events are kept

    for _ in range(3):   # neither a due refresh, nor a refresh of every feed, nor a day later fetches it
        run(engine, settings, due_only=False)
    with clock.travel_to(clock.now() + timedelta(days=1)):
        run(engine, settings)
    assert feed_server.hits("/old.ics") == 2

    page = health_page(engine, console_client)
    assert "<strong>Gone</strong>" in page and "the calendar's server said it was removed" in page
    assert f"/admin/feeds/{feed.id}/fetch-again" in page
    feed_server.serve("/old.ics", calendar("Towpath walk, back again"))
    assert "No%20longer%20marked%20gone" in post(console_client, f"/admin/feeds/{feed.id}/fetch-again")
    [entry] = audit(engine, "feed.fetch_again")
    assert entry.actor == "olu@hub.test" and entry.target == url

    run(engine, settings)
    assert feed_server.hits("/old.ics") == 3
    feed = the_feed(engine)
    assert feed.gone_at is None and feed.error == "" and feed.http_status == 200


# ---------------------------------------------------------------- refusals back off harder

def waits(engine: Engine, settings: Settings, times: int) -> list[timedelta]:
    """The wait before each next attempt, over `times` failing refreshes."""
    found = []
    for _ in range(times):
        run(engine, settings, due_only=False)
        feed = the_feed(engine)
        assert feed.next_attempt_at is not None and feed.last_attempt_at is not None
        found.append(feed.next_attempt_at - feed.last_attempt_at)
    return found


def test_a_feed_not_found_again_and_again_waits_longer_each_time_and_longer_than_a_passing_failure(
        engine: Engine, settings: Settings, feed_server: FeedServer, tmp_path: Path) -> None:
    load(engine, feed_server.serve("/missing.ics", b"", status=404))
    refused = waits(engine, settings, 8)
    assert all(earlier < later for earlier, later in zip(refused, refused[1:], strict=False)), refused
    assert refused[-1] > timedelta(days=2) and max(refused) <= timedelta(days=7)

    # A server error is a passing failure: it is tried again sooner, and never later than four intervals.
    feed_server.serve("/missing.ics", b"", status=500)
    with Session(engine) as session:
        feed = session.exec(select(Feed)).one()
        feed.consecutive_failures = 0
        session.add(feed)
        session.commit()
    passing = waits(engine, settings, 8)
    assert all(p < r for p, r in zip(passing, refused, strict=True)), (passing, refused)
    assert max(passing) <= timedelta(seconds=settings.refresh_interval * 4)


# ---------------------------------------------------------------- permanent redirects

def test_a_permanent_redirect_seen_three_times_becomes_the_feeds_address_and_is_audited(
        engine: Engine, settings: Settings, feed_server: FeedServer, console_client: TestClient) -> None:
    new = feed_server.serve("/new.ics", calendar())
    old = feed_server.serve("/old.ics", b"", status=301, headers={"Location": new})
    load(engine, old)
    for count in (1, 2):
        run(engine, settings, due_only=False)
        feed = the_feed(engine)
        assert (feed.url, feed.moved_to, feed.moved_count) == (old, new, count)
        assert audit(engine, "feed.moved") == []
    page = health_page(engine, console_client)
    assert "this address has moved for good to" in page and "2 checks in a row" in page

    run(engine, settings, due_only=False)
    feed = the_feed(engine)
    assert (feed.url, feed.moved_from, feed.moved_to, feed.moved_count) == (new, old, "", 0)
    [entry] = audit(engine, "feed.moved")
    assert entry.target == new and entry.detail["from"] == old and entry.actor == "refresh"
    run(engine, settings, due_only=False)
    assert feed_server.hits("/old.ics") == 3 and feed_server.hits("/new.ics") == 4   # asked at its new address
    assert f"Moved here from <span class=\"url\">{old}</span>" in console_client.get("/admin/").text
    # Loading the registry that still names the old address keeps the moved feed, active, at its new one.
    load(engine, old)
    feed = the_feed(engine)   # one feed still, not a second one made for the old address
    assert (feed.url, feed.active) == (new, True)


@pytest.mark.parametrize("status", [302, 307])
def test_a_temporary_redirect_never_changes_the_address(
        status: int, engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    new = feed_server.serve("/new.ics", calendar())
    old = feed_server.serve("/old.ics", b"", status=status, headers={"Location": new})
    load(engine, old)
    for _ in range(5):
        run(engine, settings, due_only=False)
    feed = the_feed(engine)
    assert (feed.url, feed.moved_to, feed.moved_count, feed.moved_from) == (old, "", 0, "")
    assert audit(engine, "feed.moved") == [] and feed_server.hits("/new.ics") == 5


def test_a_permanent_redirect_to_a_temporary_one_moves_the_feed_only_as_far_as_the_permanent_part(
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    new = feed_server.serve("/this-week.ics", calendar())
    middle = feed_server.serve("/calendar.ics", b"", status=302, headers={"Location": new})
    old = feed_server.serve("/old.ics", b"", status=308, headers={"Location": middle})
    load(engine, old)
    for _ in range(3):
        run(engine, settings, due_only=False)
    feed = the_feed(engine)
    assert (feed.url, feed.moved_from) == (middle, old)


def test_a_permanent_redirect_to_a_private_address_is_refused_at_every_fetch_and_never_stored(
        engine: Engine, settings: Settings, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    real = fetch_module.public_address   # 127.0.0.1 passes, as if it were the group's public server
    monkeypatch.setattr(fetch_module, "public_address", lambda address: address == "127.0.0.1" or real(address))
    old = feed_server.serve("/old.ics", b"", status=301, headers={"Location": "http://10.0.0.1/calendar.ics"})
    with Session(engine) as session:
        store.apply_registry(Registry(groups=(GroupSpec(slug="riverside-greens", name="Riverside Greens",
                                                        feeds=(FeedSpec(url=old),)),), weeks=()), session=session)
    for _ in range(4):
        run(engine, settings, due_only=False)
    feed = the_feed(engine)
    assert feed.url == old and feed.moved_count == 0 and "private or local network" in feed.error
    assert audit(engine, "feed.moved") == []


# ---------------------------------------------------------------- robots.txt

FOLLOW_PAGES = {
    "/event/litter-pick-towpath/": "wordpress_tec_single_event.html",
    "/events/seed-swap": "mobilizon_event.html",
    "/2026/05/31/thank-you/": "prose_dates_only.html",
}


@pytest.mark.now("2026-05-20T12:00:00+00:00")
def test_an_event_page_robots_txt_disallows_is_not_requested_and_the_skip_says_why(
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    for path, name in FOLLOW_PAGES.items():
        feed_server.serve(path, (DATA / "eventpages" / name).read_bytes(), content_type="text/html; charset=utf-8")
    # The feed itself is disallowed too: a group registered it, so it is read all the same.
    feed_server.serve("/robots.txt", b"User-agent: *\nDisallow: /wordpress_news_feed.rss\n\n"
                                     b"User-agent: CalendarHub\nDisallow: /events/\nDisallow: /*.rss\n",
                      content_type="text/plain")
    body = (DATA / "follow" / "wordpress_news_feed.rss").read_text().replace("{base}", feed_server.url(""))
    load(engine, feed_server.serve("/wordpress_news_feed.rss", body.encode(), content_type="application/rss+xml"))
    run(engine, settings.replace(fetch_private_addresses=True), due_only=False)

    assert feed_server.hits("/wordpress_news_feed.rss") == 1
    assert feed_server.hits("/events/seed-swap") == 0
    assert feed_server.hits("/event/litter-pick-towpath/") == 1
    assert feed_server.hits("/robots.txt") == 1                  # once for the site, however many pages
    with Session(engine) as session:
        assert [e.title for e in session.exec(select(Event)).all()] == [
            "Litter pick on the towpath – Riverside Greens’ June clean-up"]
    feed = the_feed(engine)
    assert any("robots.txt asks robots not to read /events/seed-swap" in p for p in feed.problems), feed.problems


def test_discovery_does_not_try_what_robots_txt_disallows(feed_server: FeedServer, settings: Settings) -> None:
    feed_server.serve("/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    page = feed_server.serve("/", b'<html><title>Greens</title><body><a href="/private/all.ics">Calendar</a>'
                                  b'<a href="/public/events.ics">Events</a></body></html>', content_type="text/html")
    feed_server.serve("/private/all.ics", calendar())
    public = feed_server.serve("/public/events.ics", calendar("Seed swap"))
    open_settings = settings.replace(fetch_private_addresses=True)

    async def go() -> Discovery:
        async with make_client(open_settings, guarded=True) as client:
            return await discover(client, page, limits=Limits.from_settings(open_settings))

    found = asyncio.run(go())
    assert [f.url for f in found.feeds] == [public]
    assert feed_server.hits("/private/all.ics") == 0 and feed_server.hits("/") == 1


# ---------------------------------------------------------------- brotli, the User-Agent's contact

def test_a_brotli_body_is_read_and_brotli_is_asked_for(
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    load(engine, feed_server.serve("/packed.ics", brotli.compress(calendar("Packed walk")),
                                   headers={"Content-Encoding": "br"}))
    report = run(engine, settings, due_only=False)
    assert [o.kind for _j, o in report.outcomes] == ["stored"], [o.error for _j, o in report.outcomes]
    with Session(engine) as session:
        assert [e.title for e in session.exec(select(Event)).all()] == ["Packed walk"]
    [(_path, headers)] = feed_server.requests
    assert "br" in [part.strip() for part in headers["Accept-Encoding"].split(",")]


def test_the_contact_is_named_in_the_user_agent_and_on_the_about_page(
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    contacted = settings.replace(contact="feeds@hub.test")
    load(engine, feed_server.serve("/walks.ics", calendar()))
    run(engine, contacted, due_only=False)
    [(_path, headers)] = feed_server.requests
    assert headers["User-Agent"].startswith("CalendarHub/")
    assert "(+http://hub.test/about; feeds@hub.test; feed aggregator)" in headers["User-Agent"]

    with TestClient(create_app(contacted)) as visitor:
        about = visitor.get("/about").text
    assert '<a href="mailto:feeds@hub.test">feeds@hub.test</a>' in about
    assert Settings.from_env({"CALENDAR_HUB_CONTACT": "https://hub.test/contact"}).contact_link == \
        "https://hub.test/contact"
    with pytest.raises(ConfigError, match="CALENDAR_HUB_CONTACT"):
        Settings.from_env({"CALENDAR_HUB_CONTACT": "josé@hub.test"})   # it could not be sent in a header
