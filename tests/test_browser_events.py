"""Event pages in a real browser: from a week's listing to an event and back, its "add to calendar" links, and
axe-core at a desktop's and a phone's width with the map's tiles shown (from a tile stub on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from calendar_hub import store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.browsers import AXE, CHROMIUM, serious_violations
from tests.hubdata import WEEK, moved_hub
from tests.icaljs import JS, NODE, icaljs
from tests.liveserver import live

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


def _png(size: int = 256) -> bytes:
    """A plain light-grey PNG tile (PNG 1.2: signature, IHDR, one IDAT, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xe8" * size for _ in range(size))   # filter byte, then grey pixels
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def tiles() -> Iterator[str]:
    """A tile server on 127.0.0.1 that answers every tile with the same grey square."""
    tile = _png()

    async def serve(request: Request) -> Response:
        return Response(tile, media_type="image/png")

    with live(Starlette(routes=[Route("/{z}/{x}/{y}.png", serve)])) as base:
        yield base


@pytest.fixture
def site(tmp_path: Path, engine: Engine, settings: Settings, tiles: str) -> Iterator[str]:
    """The refreshed end-to-end hub under uvicorn, its maps' tiles from the stub."""
    with Session(engine) as session:
        store.apply_registry(moved_hub(tmp_path).registry, session=session)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:   # Playwright's sync API keeps a loop in this thread
        pool.submit(asyncio.run, refresh(engine, settings, due_only=False)).result()
    with live(create_app(settings.replace(tile_url=f"{tiles}/{{z}}/{{x}}/{{y}}.png"))) as base:
        yield base


def _loopback_only(page: Any, *bases: str) -> list[str]:
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(bases) else outside.append(r.url))
    return outside


def test_from_a_week_listing_to_the_event_page_and_back(browser: Any, site: str, tiles: str) -> None:
    page = browser.new_page(viewport=DESKTOP)
    outside = _loopback_only(page, site, tiles)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{site}/weeks/{WEEK}")
    with page.expect_navigation():
        page.get_by_role("link", name="Welcome Walk").click()
    assert urlsplit(page.url).path.startswith("/events/")
    assert page.locator("h1").inner_text() == "Welcome Walk"
    page.wait_for_selector("#event-map[data-ready] .leaflet-tile-loaded", timeout=15_000)
    assert page.locator(".leaflet-marker-icon").count() == 1
    assert "Sanctuary Manchester" in page.locator(".who").inner_text()
    page.go_back()
    assert urlsplit(page.url).path == f"/weeks/{WEEK}"
    assert page.get_by_role("link", name="Welcome Walk").count() == 1
    assert outside == [] and refused == []
    page.close()


def test_the_add_to_calendar_links_give_the_same_instant(browser: Any, site: str) -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{site}/weeks/{WEEK}")
    with page.expect_navigation():
        page.get_by_role("link", name="Solidarity vigil #CT4R").click()
    shown = datetime.fromisoformat(page.get_attribute("dd time", "datetime") or "").astimezone(UTC)
    ics = page.get_by_role("link", name="Apple Calendar, Outlook or Thunderbird (.ics file)").get_attribute("href")
    data = page.request.get(site + (ics or "")).body()
    [event] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert event.decoded("DTSTART") == shown
    if NODE is not None and (JS / "node_modules" / "ical.js").is_dir():
        [read] = icaljs(data, "America/Los_Angeles").values()
        assert read["start"] == shown.strftime("%Y-%m-%dT%H:%M:%SZ")
    google = urlsplit(page.get_by_role("link", name="Google Calendar").get_attribute("href") or "")
    assert (google.scheme, google.netloc) == ("https", "calendar.google.com")
    start, _end = parse_qs(google.query)["dates"][0].split("/")
    assert datetime.strptime(start, "%Y%m%dT%H%M%S%z") == shown
    outlook = urlsplit(page.get_by_role("link", name="Outlook.com").get_attribute("href") or "")
    assert (outlook.scheme, outlook.netloc) == ("https", "outlook.live.com")
    assert datetime.fromisoformat(parse_qs(outlook.query)["startdt"][0]) == shown
    page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
@pytest.mark.parametrize("title", ["Welcome Walk", "Film night: Flee", "Craft fair #TogetherWithRefugees"])
def test_axe_finds_no_serious_problem_on_an_event_page(browser: Any, site: str, title: str) -> None:
    for viewport in (DESKTOP, PHONE):
        page = browser.new_page(viewport=viewport)
        page.goto(f"{site}/weeks/{WEEK}")
        with page.expect_navigation():
            page.get_by_role("link", name=title).click()
        page.wait_for_selector("#event-map[data-ready] .leaflet-tile-loaded", timeout=15_000)
        assert "OpenStreetMap contributors" in page.inner_text(".leaflet-control-attribution")  # checked too
        assert serious_violations(page) == [], viewport
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), viewport  # no sideways
        page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
def test_axe_finds_no_serious_problem_on_the_gone_page(browser: Any, site: str) -> None:
    for viewport in (DESKTOP, PHONE):
        page = browser.new_page(viewport=viewport)
        response = page.goto(f"{site}/events/0123456789abcdef0123456789abcdef%40calendar-hub")
        assert response is not None and response.status == 410
        assert serious_violations(page) == [], viewport
        page.close()


def test_a_map_popup_and_the_map_list_link_to_the_event_pages(browser: Any, site: str) -> None:
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{site}/weeks/{WEEK}/map")
    page.wait_for_selector("#map[data-markers]", timeout=15_000)
    page.wait_for_selector(".leaflet-marker-icon:not(.marker-cluster)", timeout=5_000).click()
    link = page.wait_for_selector(".leaflet-popup-content .popup h3 a", timeout=5_000)
    assert urlsplit(link.get_attribute("href") or "").path.startswith("/events/")   # the base URL's, not the feed's
    title = link.text_content()
    item = page.locator("#map-list > li", has_text=title or "").first
    with page.expect_navigation():
        item.locator(".event-title a").click()
    assert page.locator("h1").inner_text() == title
    page.close()
