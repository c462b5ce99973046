"""Adding a group with its calendar and hiding a whole series in a real browser (Debian's Chromium), on a desktop
and a phone: the preview shows the calendar's events before anything is saved; a series goes only after saying yes,
and comes back with the undo."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from calendar_hub import store
from calendar_hub.console import accounts
from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.browsers import CHROMIUM, serious_violations
from tests.feedserver import FeedServer
from tests.hubdata import HubData, moved_hub, served
from tests.liveserver import live
from tests.pages import signed_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
PASSWORD = "correct horse battery"
ORGANISER = "olu@hub.test"
SIZES = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})  # a desktop and a phone
CLASS = "English conversation class"   # a weekly series of the test hub's Manchester calendar


@pytest.fixture
def data(tmp_path: Path) -> HubData:
    return moved_hub(tmp_path)


@pytest.fixture
def site(data: HubData, engine: Engine, settings: Settings, feed_server: FeedServer) -> Iterator[str]:
    """The test hub served on 127.0.0.1, refreshed once, with an organiser's account."""
    ready = settings.replace(fetch_private_addresses=True, tile_url="", secret_key="browser-test-secret")
    with Session(engine) as session:
        store.apply_registry(served(data, feed_server), session=session)
        accounts.add_user(ORGANISER, PASSWORD, role="organiser", group=None, session=session, actor="test")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's sync API keeps this thread's loop
        pool.submit(asyncio.run, refresh(engine, ready, due_only=False)).result()
    with live(create_app(ready)) as base:
        yield base


@pytest.mark.parametrize("size", SIZES, ids=("desktop", "phone"))
def test_an_organiser_previews_a_new_groups_calendar_and_adds_both(browser: Any, site: str, data: HubData,
                                                                    feed_server: FeedServer,
                                                                    size: dict[str, int]) -> None:
    body = data.feed_file("cardiff_events.rss").read_bytes().replace(b"Cardiff Migrant Welcome", b"Leeds Welcome")
    feed_server.serve("/leeds/feed", body, content_type="application/rss+xml")
    address = feed_server.serve("/leeds/events", b'<html><head><title>Events</title><link rel="alternate" '
                                b'type="application/rss+xml" href="/leeds/feed"></head><body>Events</body></html>',
                                content_type="text/html")
    page = signed_in_page(browser, site, ORGANISER, start="/admin/groups", password=PASSWORD, viewport=size)
    form = page.locator("form.add-group")
    form.get_by_label("Name", exact=True).fill("Leeds Welcome")
    assert form.get_by_label("Short name for addresses").input_value() == "leeds-welcome"   # suggested as typed
    form.get_by_label("Region").fill("Yorkshire and the Humber")
    form.get_by_label("Home town or postcode").fill("Leeds")
    form.get_by_label("The group's calendar or events page").fill(address)
    page.get_by_role("button", name="Preview the events").click()
    preview = page.get_by_role("region", name="What the calendar brings")
    assert "Supper club & stories" in preview.inner_text() and "upcoming event" in preview.inner_text()
    assert page.locator("form.add-group").get_by_label("Region").input_value() == "Yorkshire and the Humber"
    assert serious_violations(page) == [], ("preview", size)
    assert httpx.get(f"{site}/groups/leeds-welcome").status_code == 404    # nothing saved by previewing

    page.get_by_role("button", name="Add group and calendar").click()
    page.wait_for_url(re.compile(r"/admin/groups/leeds-welcome\?"))
    assert "was added with its calendar" in page.get_by_role("status").first.inner_text()
    assert "Refreshing now" in page.locator(".feed-status").inner_text()
    assert serious_violations(page) == [], ("added", size)


@pytest.mark.parametrize("size", SIZES, ids=("desktop", "phone"))
def test_a_whole_series_is_hidden_only_after_confirming_and_comes_back(browser: Any, site: str,
                                                                       size: dict[str, int]) -> None:
    def published() -> str:
        return httpx.get(f"{site}/calendar.ics").text

    assert CLASS in published()
    page = signed_in_page(browser, site, ORGANISER, start="/admin/events", password=PASSWORD, viewport=size)
    page.get_by_label("Title, place or group").fill(CLASS)
    page.get_by_role("button", name="Find").click()
    first = page.locator("ul.moderation > li").first
    first.get_by_label("Reason").fill("the class has moved to another hall")
    first.get_by_role("button", name="Hide the whole series").click()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading.startswith("Hide every date of"), heading
    said = page.locator("ul.consequences").inner_text()
    assert "leaves every calendar and page" in said and re.search(r"\d+ dates, from ", said)
    assert serious_violations(page) == [], ("confirmation", size)
    assert CLASS in published()                                      # asking changed nothing

    page.get_by_role("button", name="Yes, hide the whole series").click()
    assert "has left every calendar and page" in page.get_by_role("status").inner_text()
    assert CLASS not in published()
    assert serious_violations(page) == [], ("hidden", size)
    page.get_by_role("button", name="Undo: show the series again").click()
    assert "is back in every calendar and page" in page.get_by_role("status").inner_text()
    assert CLASS in published()
