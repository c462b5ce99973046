"""Near-me searches and subscriptions in a real browser: "use my location" with a granted permission, the Subscribe
links of a near-me week fetched, the copy button, and axe-core on the pages at desktop and phone sizes."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from calendar_hub import store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.browsers import AXE, CHROMIUM, serious_violations
from tests.hubdata import WEEK, moved_hub
from tests.liveserver import live

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
RUSHOLME = {"latitude": 53.4534, "longitude": -2.2196}  # M14 5TG, in south Manchester
MANCHESTER_TITLES = {"Welcome Walk", "English conversation class (special)", "Refugee Week Social",
                     "Film night: Flee", "Craft fair #TogetherWithRefugees"}


@pytest.fixture
def site(tmp_path: Path, engine: Engine, settings: Settings) -> Iterator[str]:
    """The end-to-end hub on 127.0.0.1, its base URL the server's own so that the Subscribe links lead back to it."""
    with Session(engine) as session:
        store.apply_registry(moved_hub(tmp_path).registry, session=session)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's sync API keeps a loop in this thread
        pool.submit(asyncio.run, refresh(engine, settings, due_only=False)).result()
    with live(create_app(settings.replace(tile_url=""))) as base:
        yield base


def _listed(page: Any) -> list[str]:
    return page.eval_on_selector_all("li.event[data-uid]", "items => items.map(item => item.dataset.uid)")


def test_use_my_location_fills_the_box_and_lists_the_events_near_that_point(browser: Any, site: str) -> None:
    context = browser.new_context(geolocation=RUSHOLME, permissions=["geolocation"])
    page = context.new_page()
    page.goto(f"{site}/weeks/{WEEK}")
    button = page.get_by_role("button", name="Use my location")
    assert button.is_visible()
    with page.expect_navigation():
        button.click()
    query = parse_qs(urlsplit(page.url).query)
    assert query["near"] == ["53.453,-2.220"] and query["km"] == ["10"]
    assert page.input_value("#near-place") == "53.453,-2.220"
    titles = set(page.eval_on_selector_all("li.event .event-title", "hs => hs.map(h => h.innerText.trim())"))
    assert {t.removeprefix("Cancelled ").strip() for t in titles} == MANCHESTER_TITLES
    distances = page.eval_on_selector_all("li.event .distance strong", "els => els.map(e => e.textContent)")
    assert distances and all(float(re.match(r"[\d.]+", d).group()) / (1000 if d.endswith(" m") else 1) <= 10  # type: ignore[union-attr]
                             for d in distances)
    context.close()


def test_without_permission_the_box_still_takes_a_postcode(browser: Any, site: str) -> None:
    context = browser.new_context()  # geolocation not granted: the browser refuses
    page = context.new_page()
    page.goto(f"{site}/weeks/{WEEK}")
    page.get_by_role("button", name="Use my location").click()
    page.wait_for_selector(".locate-status:has-text('type a postcode')", timeout=10_000)
    page.fill("#near-place", "M14 5TG")
    with page.expect_navigation():
        page.get_by_role("search", name="Local actions near a place").get_by_role("button", name="Search").click()
    assert "near=M14+5TG" in page.url and len(_listed(page)) >= 5
    context.close()


def test_a_near_me_weeks_subscribe_links_fetched_return_exactly_the_events_listed(browser: Any, site: str) -> None:
    page = browser.new_page()
    page.goto(f"{site}/weeks/{WEEK}?near=M14+5TG&km=5")
    listed = set(_listed(page))
    assert listed
    https = page.inner_text("#subscribe-address").strip()
    assert https.startswith("http://hub.test/weeks/") and "near=M14+5TG" in https and "km=5" in https
    for selector in ("a.webcal", "a.google", "a.outlook-com"):
        href = page.get_attribute(f".subscribe {selector}", "href")
        assert href and ("near%3DM14%2B5TG" in href or "near=M14+5TG" in href), (selector, href)
    body = page.request.get(site + https.removeprefix("http://hub.test")).body()
    calendar = icalendar.Calendar.from_ical(body)
    assert {str(event["UID"]) for event in calendar.walk("VEVENT")} == listed
    assert str(calendar["X-WR-CALNAME"]) == page.inner_text(".subscribe .calendar-name")


def test_the_copy_button_copies_the_calendar_address(browser: Any, site: str) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(f"{site}/weeks/{WEEK}?near=Cardiff")
    page.get_by_role("button", name="Copy the address").click()
    page.wait_for_selector(".subscribe .copied:has-text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == page.inner_text("#subscribe-address").strip()
    context.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
@pytest.mark.parametrize("path", ["/subscribe", f"/weeks/{WEEK}?near=M14+5TG&km=5", "/?near=Manchester",
                                  f"/weeks/{WEEK}/map?near=M14+5TG", "/groups/sanctuary-manchester",
                                  "/?near=BT14+6BP"])
def test_axe_finds_no_serious_problem_on_near_and_subscribe_pages(browser: Any, site: str, path: str) -> None:
    for viewport in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
        page = browser.new_page(viewport=viewport)
        page.goto(site + path)
        if "map" in path:
            page.wait_for_selector("#map[data-markers]", timeout=15_000)
            assert page.locator("path.near-origin").count() == 1  # the searched place, marked and named
            assert page.get_attribute("#map", "aria-label").endswith("around the searched place: M14 5TG")
        assert serious_violations(page) == [], (path, viewport)
        page.close()
