"""The map and the listings in a real browser: Debian's Chromium, driven by Playwright, against uvicorn on 127.0.0.1.

Accessibility is checked with axe-core from tests/js/node_modules (`cd tests/js && npm ci`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from calendar_hub import store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from calendar_hub.web.public.render import MAP_PAGE
from tests.browsers import AXE, CHROMIUM, serious_violations
from tests.factories import HOSTILE, FixedHub, fixed_catalogue, hostile_listings, many_listings
from tests.hubdata import moved_hub
from tests.liveserver import live

WEEK = "communities-together"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

@pytest.fixture
def site(tmp_path: Path, engine: Engine, settings: Settings) -> Iterator[str]:
    with Session(engine) as session:
        store.apply_registry(moved_hub(tmp_path).registry, session=session)
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, refresh(engine, settings, due_only=False)).result()
    # No tile server: a test must not reach the internet, and markers do not need tiles.
    with live(create_app(settings.replace(tile_url=""))) as base:
        yield base


def test_the_week_map_shows_a_marker_for_every_placed_event(browser: Any, site: str) -> None:
    page = browser.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(site) else outside.append(r.url))
    page.goto(f"{site}/weeks/communities-together/map")
    page.wait_for_selector("#map[data-markers]", timeout=15_000)
    expected = len(json.loads(page.request.get(
        f"{site}/api/events.geojson?week=communities-together").body())["features"])
    assert expected == 7
    assert page.get_attribute("#map", "data-markers") == str(expected)
    assert _markers_shown(page, expected) == expected
    # a single marker (Cardiff's supper club stands alone) opens a popup with title, time and groups
    single = page.wait_for_selector(".leaflet-marker-icon:not(.marker-cluster)", timeout=5_000)
    single.click()
    popup = page.wait_for_selector(".leaflet-popup-content .popup", timeout=5_000)
    assert popup.query_selector("h3").inner_text() == "Supper club & stories #CT4R"
    assert "By Cardiff Migrant Welcome" in popup.inner_text()
    assert outside == []
    page.close()


# Clusters and single markers together stand for every event; markers go in in chunks, so wait for the total.
MARKERS_SHOWN = """() => Array.from(document.querySelectorAll('.leaflet-marker-icon'))
    .reduce((n, el) => n + (el.classList.contains('marker-cluster') ? parseInt(el.textContent) : 1), 0)"""


def _markers_shown(page: Any, expected: int) -> int:
    """How many events the markers stand for, once that is `expected` (or after 15 s, whatever it is then)."""
    try:
        # A function, not an expression: the page's CSP refuses the eval Playwright needs for an expression
        page.wait_for_function(f"expected => ({MARKERS_SHOWN})() === expected", arg=expected, timeout=15_000)
    finally:
        shown: int = page.evaluate(MARKERS_SHOWN)
    return shown


def _features(page: Any, site: str, query: str) -> int:
    return len(json.loads(page.request.get(f"{site}/api/events.geojson?{query}").body())["features"])


def test_clicking_a_marker_opens_its_popup_and_marks_its_list_item(browser: Any, site: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{site}/weeks/{WEEK}/map")
    page.wait_for_selector("#map[data-markers]", timeout=15_000)
    marker = page.wait_for_selector(".leaflet-marker-icon:not(.marker-cluster)", timeout=5_000)
    title = marker.get_attribute("title")
    marker.click()
    popup = page.wait_for_selector(".leaflet-popup-content .popup", timeout=5_000)
    assert popup.query_selector("h3").inner_text() == title
    assert popup.query_selector(".placed").inner_text()  # how it was placed, in words
    selected = page.wait_for_selector("#map-list li.selected[aria-current=true]", timeout=5_000)
    assert selected.query_selector(".event-title").text_content().strip() == title
    page.close()


def test_the_near_search_filters_markers_and_list_alike(browser: Any, site: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(site) else outside.append(r.url))
    page.goto(f"{site}/weeks/{WEEK}/map")
    page.wait_for_selector("#map[data-markers]", timeout=15_000)
    everything = _features(page, site, f"week={WEEK}")
    page.fill("#near-place", "Manchester")
    page.select_option("#near-km", "10")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert "near=Manchester" in page.url and "km=10" in page.url
    page.wait_for_selector("#map[data-markers]", timeout=15_000)
    near = _features(page, site, f"week={WEEK}&near=Manchester&km=10")
    assert 0 < near < everything
    assert _markers_shown(page, near) == near
    assert page.locator("#map-list > li").count() == near
    assert page.get_attribute("#map", "data-markers") == str(near)
    assert "within 10 km of Manchester" in page.inner_text("#map-summary")
    assert page.locator("path.near-circle").count() == 1  # the search radius, drawn around the place
    assert outside == []
    page.close()


def test_show_on_map_opens_the_popup_of_its_list_item(browser: Any, site: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{site}/weeks/{WEEK}/map")
    page.wait_for_selector("#map[data-markers]", timeout=15_000)
    items = page.locator("#map-list > li")
    assert items.count() == 7
    cardiff = page.locator("#map-list > li", has_text="Cardiff").first
    for item in (items.first, cardiff, items.last):  # Manchester's events start in clusters, Cardiff's alone
        title = item.locator(".event-title").text_content().strip()
        item.get_by_role("button", name="Show on map").click()
        page.wait_for_function(
            "t => Array.from(document.querySelectorAll('.leaflet-popup-content .popup h3'))"
            ".some(h => h.textContent === t)", arg=title, timeout=10_000)
        assert page.evaluate("document.activeElement.textContent") == title  # focus moved to the popup
        assert "selected" in (item.get_attribute("class") or "")
    # and back from the popup to the list, for keyboards and screen readers
    page.locator(".leaflet-popup", has_text=title).get_by_role("button", name="Show in the list").click()
    assert page.evaluate("document.activeElement.classList.contains('show-on-map')")
    assert page.evaluate("document.activeElement.closest('li').querySelector('.event-title').textContent") == title
    page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
@pytest.mark.parametrize("path", [f"/weeks/{WEEK}", f"/weeks/{WEEK}?near=Nowhere+in+particular", f"/weeks/{WEEK}/map",
                                  "/map?near=Manchester", f"/embed/weeks/{WEEK}/map"])
def test_axe_finds_no_serious_accessibility_problem(browser: Any, site: str, path: str) -> None:
    for viewport in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):  # a desktop and a phone
        page = browser.new_page(viewport=viewport)
        page.goto(site + path)
        if "map" in path:
            page.wait_for_selector("#map[data-markers]", timeout=15_000)
        assert serious_violations(page) == [], viewport
        page.close()


@pytest.mark.now("2026-06-01T12:00:00+00:00")  # the factories' events are upcoming then
def test_feed_markup_in_a_popup_stays_text(browser: Any, settings: Settings) -> None:
    quiet = settings.replace(tile_url="")
    with live(create_app(quiet, hub=FixedHub(quiet, fixed_catalogue(hostile_listings())))) as base:
        page = browser.new_page()
        outside: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{base}/map")
        page.wait_for_selector("#map[data-markers='1']", timeout=15_000)
        marker = page.wait_for_selector(".leaflet-marker-icon.approximate", timeout=5_000)  # a paler marker
        marker.click()
        popup = page.wait_for_selector(".leaflet-popup-content .popup", timeout=5_000)
        assert popup.query_selector("h3").text_content() == HOSTILE
        assert popup.query_selector(".placed").text_content() == f"Placed by {HOSTILE}"
        assert popup.query_selector_all("script, img, em") == []
        page.wait_for_timeout(200)  # time for an injected onerror to have run
        assert dialogs == [] and outside == []
        page.close()


@pytest.mark.now("2026-01-01T12:00:00+00:00")  # before the first of the year's events: the map shows them all
def test_the_map_stays_usable_with_ten_thousand_events(browser: Any, settings: Settings) -> None:
    listings = many_listings(10_000)
    placed = sum(1 for item in listings if item.lat is not None)
    quiet = settings.replace(tile_url="")
    with live(create_app(quiet, hub=FixedHub(quiet, fixed_catalogue(listings)))) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        outside: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
        page.goto(f"{base}/map", timeout=60_000)
        page.wait_for_selector(f"#map[data-markers='{placed}']", timeout=60_000)
        assert _markers_shown(page, placed) == placed
        # every event is a marker; the list beside them shows a page of them, and the next page is a link away
        features = json.loads(page.request.get(f"{base}/api/events.geojson").body())["features"]
        assert [li.get_attribute("data-uid") for li in page.locator("#map-list > li").all()] == \
            [feature["id"] for feature in features[:MAP_PAGE]]
        with page.expect_navigation():
            page.locator(".map-list nav.pages").get_by_role("link", name="Later events").click()
        page.wait_for_selector(f"#map[data-markers='{placed}']", timeout=60_000)
        assert [li.get_attribute("data-uid") for li in page.locator("#map-list > li").all()] == \
            [feature["id"] for feature in features[MAP_PAGE:2 * MAP_PAGE]]
        assert f"Events {MAP_PAGE + 1} to {2 * MAP_PAGE} of {placed}" in page.inner_text(".map-list")
        item = page.locator("#map-list > li").nth(MAP_PAGE // 2)
        title = item.locator(".event-title").text_content().strip()
        item.get_by_role("button", name="Show on map").click()
        page.wait_for_function(
            "t => Array.from(document.querySelectorAll('.leaflet-popup-content .popup h3'))"
            ".some(h => h.textContent === t)", arg=title, timeout=15_000)
        assert outside == []
        page.close()


def test_a_partner_site_can_frame_the_embed_page_and_nothing_else(browser: Any, site: str) -> None:
    frames = (f'<iframe name="embed" title="Map" src="{site}/embed/weeks/{WEEK}/map"></iframe>'
              f'<iframe name="week" title="Week" src="{site}/weeks/{WEEK}"></iframe>')

    async def partner_page(request: Request) -> HTMLResponse:
        return HTMLResponse(f"<!doctype html><title>A partner</title>{frames}")

    # Another port is another origin: the partner's site, on loopback like the hub.
    with live(Starlette(routes=[Route("/", partner_page)])) as partner:
        page = browser.new_page()
        page.goto(partner)
        embed, week = page.frame(name="embed"), page.frame(name="week")
        assert embed is not None and week is not None
        embed.wait_for_selector("#map[data-markers='7']", state="attached", timeout=15_000)
        page.wait_for_load_state("load")
        assert embed.query_selector("a.credit") is not None
        assert week.query_selector("#main") is None  # refused (frame-ancestors 'none'): the browser's error page
        page.close()
