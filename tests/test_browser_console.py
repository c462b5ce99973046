"""The organisers' console in a real browser: Debian's Chromium, driven by Playwright, against uvicorn on 127.0.0.1.

The main flows as organisers walk them: plan a week with its live preview, bring a group in through
/join, hide an event.  Each ends on the public side (pages, calendars, the map's data).
"""

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
from tests.browsers import AXE, CHROMIUM, serious_violations
from tests.feedserver import FeedServer
from tests.hubdata import WEEK, HubData, moved_hub, served
from tests.liveserver import live
from tests.pages import PASSWORD, calendar_events, signed_in_page

ORGANISER = "olu@hub.test"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


def _refresh(engine: Engine, settings: Settings) -> None:
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, refresh(engine, settings, due_only=False)).result()


@pytest.fixture
def console_settings(settings: Settings) -> Settings:
    # Groups' sites live on 127.0.0.1 here, which the SSRF guard refuses unless told otherwise; no tiles.
    return settings.replace(fetch_private_addresses=True, tile_url="", secret_key="browser-test-secret")


@pytest.fixture
def hub_data(tmp_path: Path, engine: Engine, console_settings: Settings, feed_server: FeedServer) -> HubData:
    data = moved_hub(tmp_path)
    with Session(engine) as session:
        store.apply_registry(served(data, feed_server), session=session)
        accounts.add_user(ORGANISER, PASSWORD, role="organiser", group=None, session=session, actor="test")
    _refresh(engine, console_settings)
    return data


@pytest.fixture
def site(hub_data: HubData, console_settings: Settings) -> Iterator[str]:
    with live(create_app(console_settings)) as base:
        yield base


def ics_titles(site: str, path: str) -> set[str]:
    return set(calendar_events(httpx.get(site + path).content))


def test_an_organiser_plans_a_week_and_it_is_published(browser: Any, site: str,
                                                      hub_data: HubData) -> None:
    page = signed_in_page(browser, site, ORGANISER, start="/admin/weeks")
    page.get_by_role("link", name="Plan a new week").click()
    page.get_by_label("Name", exact=True).fill("Winter of Welcome")
    page.get_by_label("Short name").fill("winter-welcome")
    page.get_by_label("First day").fill(hub_data.day("2026-12-05").isoformat())
    page.get_by_label("Last day").fill(hub_data.day("2026-12-13").isoformat())
    # The live preview follows the typing, before anything is saved.
    page.wait_for_selector("#preview .preview-list li.taken", timeout=10_000)
    summary = page.locator(".preview-summary")
    everything = summary.inner_text()
    assert "would be in this week" in everything
    page.get_by_label("Tags").fill("CT4R")
    page.wait_for_function("(before) => document.querySelector('.preview-summary').innerText !== before",
                           arg=everything, timeout=10_000)
    taken = page.locator("#preview li.taken .title").all_inner_texts()
    assert "Solidarity vigil #CT4R" in taken and "Craft fair #TogetherWithRefugees" not in taken
    assert "#ct4r in the title" in page.locator("#preview li.taken", has_text="Solidarity vigil").inner_text()
    assert httpx.get(site + "/weeks/winter-welcome").status_code == 404  # still only a preview

    page.get_by_role("button", name="Make the week").click()
    page.wait_for_url(re.compile(r"/admin/weeks/winter-welcome/edit"))
    assert "Saved" in page.locator(".done").inner_text()
    page.get_by_role("link", name="Its public page").click()
    assert page.locator("h1").inner_text() == "Winter of Welcome"
    listed = {t.strip().removeprefix("Cancelled ") for t in page.locator(".event-title").all_inner_texts()}
    assert listed == {"Welcome Walk", "Refugee Week Social", "Film night: Flee", "Solidarity vigil #CT4R",
                      "Supper club & stories #CT4R"}
    assert ics_titles(site, "/weeks/winter-welcome.ics") == listed
    page.close()


def test_a_group_joins_is_approved_and_its_events_appear(browser: Any, site: str, engine: Engine,
                                                         console_settings: Settings, feed_server: FeedServer,
                                                         hub_data: HubData) -> None:
    body = hub_data.feed_file("cardiff_events.rss").read_bytes().replace(b"Cardiff", b"Leeds")
    feed_server.serve("/leeds/feed", body, content_type="application/rss+xml")
    address = feed_server.serve("/leeds/", b'<html><head><title>Leeds Welcome</title><link rel="alternate" '
                                           b'type="application/rss+xml" href="/leeds/feed"></head></html>',
                                content_type="text/html")
    group_page = browser.new_page()
    group_page.goto(site + "/")
    group_page.get_by_role("link", name="Add your group").first.click()
    group_page.get_by_label("Your group's name").fill("Leeds Welcome")
    group_page.get_by_label("Where your group is based").fill("Leeds")
    group_page.get_by_label("An e-mail address").fill("hi@leeds-welcome.example.org")
    group_page.get_by_label("Your website or calendar address").fill(address)
    group_page.get_by_role("button", name="Send").click()
    assert "Thank you" in group_page.locator("main").inner_text()
    group_page.close()

    page = signed_in_page(browser, site, ORGANISER, start="/admin/weeks")
    page.get_by_role("link", name="Join requests").click()
    request = page.locator("section.request", has_text="Leeds Welcome")
    assert "/leeds/feed" in request.inner_text()
    request.get_by_role("button", name=re.compile("^Approve")).click()
    assert "Approved" in page.locator(".done").inner_text()
    _refresh(engine, console_settings)
    page.goto(site + "/groups/leeds-welcome")
    assert "Supper club & stories #CT4R" in page.locator(".event-title").all_inner_texts()[0]
    assert "Supper club & stories #CT4R" in ics_titles(site, "/groups/leeds-welcome.ics")
    page.close()


def test_an_organiser_hides_an_event_and_it_leaves_every_output(browser: Any, site: str) -> None:
    title = "Film night: Flee"

    def public() -> dict[str, bool]:
        geojson = httpx.get(site + "/api/events.geojson", params={"week": WEEK}).json()
        return {"ics": title in ics_titles(site, f"/weeks/{WEEK}.ics"),
                "map": any(f["properties"]["title"] == title for f in geojson["features"]),
                "listing": title in httpx.get(site + f"/weeks/{WEEK}").text}

    assert public() == {"ics": True, "map": True, "listing": True}
    page = signed_in_page(browser, site, ORGANISER, start="/admin/weeks")
    page.get_by_role("link", name="Events", exact=True).click()
    page.get_by_label("Title, place or group").fill("Film night")
    page.get_by_role("button", name="Find").click()
    item = page.locator("ul.moderation li", has_text=title)
    item.get_by_label("Reason").fill("posted twice")
    item.get_by_role("button", name="Hide").click()
    assert public() == {"ics": False, "map": False, "listing": False}
    page.goto(site + f"/weeks/{WEEK}/map")
    page.wait_for_selector("#map[data-markers]", timeout=15_000)
    assert title not in page.locator(".map-list").inner_text()

    page.goto(site + "/admin/hidden")
    hidden = page.locator("tr", has_text=title)
    assert "posted twice" in hidden.inner_text()
    hidden.get_by_role("button", name=re.compile("Bring back")).click()
    assert public() == {"ics": True, "map": True, "listing": True}
    page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
def test_axe_finds_no_serious_accessibility_problem_in_the_console(browser: Any, site: str) -> None:
    for viewport in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):  # a desktop and a phone
        page = browser.new_page(viewport=viewport)
        page.goto(site + "/admin/login")
        assert serious_violations(page) == [], ("login", viewport)
        page.goto(site + "/join/")
        assert serious_violations(page) == [], ("join", viewport)
        page.close()
        page = signed_in_page(browser, site, ORGANISER, start="/admin/weeks", viewport=viewport)
        for path in ("/admin/", "/admin/groups", "/admin/weeks", f"/admin/weeks/{WEEK}/edit", "/admin/weeks/new",
                     f"/admin/weeks/{WEEK}/coverage", "/admin/events", "/admin/requests", "/admin/audit"):
            page.goto(site + path)
            assert serious_violations(page) == [], (path, viewport)
        page.close()
