"""Feed items with no event date but a link: the event is read from the linked page, politely and safely."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from calendar_hub import store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from calendar_hub.store import engine as db
from calendar_hub.store.models import Event, Feed
from tests.factories import utc
from tests.feedserver import FeedServer

DATA = Path(__file__).parent / "data"
# The linked pages' events are in June and July 2026: the hub runs as if it were late May 2026.
pytestmark = pytest.mark.now("2026-05-20T12:00:00+00:00")
PAGES = {
    "/event/litter-pick-towpath/": "wordpress_tec_single_event.html",
    "/events/seed-swap": "mobilizon_event.html",
    "/2026/05/31/thank-you/": "prose_dates_only.html",
}


def serve_site(server: FeedServer, feed: str, content_type: str) -> str:
    """Serve the pages and the feed (its {base} filled in); returns the feed's address."""
    for path, name in PAGES.items():
        server.serve(path, (DATA / "eventpages" / name).read_bytes(), content_type="text/html; charset=utf-8")
    server.serve("/gone/", b"<html><body>Not found</body></html>", content_type="text/html", status=404)
    body = (DATA / "follow" / feed).read_text().replace("{base}", server.url("")).encode()
    return server.serve("/" + feed, body, content_type=content_type)


def load(database_url: str, url: str) -> None:
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        # the feed itself is on loopback, which the operator allows for it: the links inside it are still guarded
        feeds = (FeedSpec(url=url, private=True),)
        store.apply_registry(Registry(groups=(GroupSpec(slug="riverside-greens", name="Riverside Greens",
                                                        feeds=feeds),), weeks=()), session=session)
    engine.dispose()


def run(settings: Settings) -> tuple[list[Event], Feed]:
    engine = db.make_engine(settings.database_url)
    try:
        asyncio.run(refresh(engine, settings, due_only=False))
        with Session(engine) as session:
            events = list(session.execute(sa.select(Event).order_by(Event.start_at)).scalars())
            feed = session.execute(sa.select(Feed)).scalar_one()
            session.expunge_all()
        return events, feed
    finally:
        engine.dispose()


def following(settings: Settings) -> Settings:
    # The test server is on loopback, which the operator allows here.
    return settings.replace(fetch_private_addresses=True)


def test_events_are_read_from_the_pages_that_dateless_items_link_to(
        settings: Settings, feed_server: FeedServer) -> None:
    url = serve_site(feed_server, "wordpress_news_feed.rss", "application/rss+xml")
    load(settings.database_url, url)
    events, feed = run(following(settings))

    assert [(e.title, e.start_at, e.end_at, e.location) for e in events] == [
        ("Litter pick on the towpath – Riverside Greens’ June clean-up", utc(2026, 6, 13, 9),
         utc(2026, 6, 13, 11), "Canal Basin, Wharf Road, Riverside, RV1 2AB"),
        ("Summer seed swap", utc(2026, 7, 4, 12), utc(2026, 7, 4, 15),
         "Hilltown Library, 12 Market Street, Hilltown, HT1 4QQ"),
    ]
    base = feed_server.url("")
    # The item's own id is the event's identity; the page's link is the event's.
    assert [e.source_uid for e in events] == [f"{base}/?post_type=tribe_events&p=412", f"{base}/?p=415"]
    # The event's link: the page's own canonical address if it names one, else the page fetched.
    assert [e.url for e in events] == ["https://riverside-greens.example.org/event/litter-pick-towpath/",
                                       f"{base}/events/seed-swap"]
    assert "Events" in events[0].categories
    assert feed.notice == "2 items had no event date"
    assert any("not found (404)" in p for p in feed.problems)
    assert any('"Thank you for a wonderful spring"' in p and "nor does the page" in p for p in feed.problems)


def test_each_page_is_fetched_once_a_day_however_often_the_feed_changes(
        settings: Settings, feed_server: FeedServer) -> None:
    url = serve_site(feed_server, "wordpress_news_feed.rss", "application/rss+xml")
    load(settings.database_url, url)
    run(following(settings))
    route = feed_server.routes["/wordpress_news_feed.rss"]
    route.body = route.body.replace(b"</channel>", b"<!-- edited --></channel>")
    events, _feed = run(following(settings))

    assert feed_server.hits("/wordpress_news_feed.rss") == 2
    assert all(feed_server.hits(path) == 1 for path in PAGES)
    assert [e.title for e in events] == ["Litter pick on the towpath – Riverside Greens’ June clean-up",
                                        "Summer seed swap"]


def test_a_json_feed_is_read_through_its_item_pages(settings: Settings, feed_server: FeedServer) -> None:
    url = serve_site(feed_server, "gancio_json_feed.json", "application/feed+json")
    load(settings.database_url, url)
    events, feed = run(following(settings))

    assert [e.title for e in events] == ["Litter pick on the towpath – Riverside Greens’ June clean-up"]
    assert events[0].categories == ["environment"]
    assert feed.notice == "1 item had no event date"


def test_links_inside_a_feed_to_a_private_network_are_refused_before_connecting(
        settings: Settings, feed_server: FeedServer) -> None:
    url = serve_site(feed_server, "wordpress_news_feed.rss", "application/rss+xml")
    load(settings.database_url, url)
    events, feed = run(settings)  # the default: private addresses refused

    assert events == []
    assert all(feed_server.hits(path) == 0 for path in PAGES)
    assert feed.notice == "4 items had no event date"
    assert any("private or local network" in p for p in feed.problems)


def test_following_links_can_be_turned_off(settings: Settings, feed_server: FeedServer) -> None:
    url = serve_site(feed_server, "wordpress_news_feed.rss", "application/rss+xml")
    load(settings.database_url, url)
    events, feed = run(following(settings).replace(follow_links=0))

    assert events == [] and feed.notice == "4 items had no event date"
    assert all(feed_server.hits(path) == 0 for path in PAGES)
