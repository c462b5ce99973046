"""The map in a real browser: Debian's Chromium, driven by Playwright, against uvicorn on 127.0.0.1."""

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

from calendar_hub import store
from calendar_hub.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.hubdata import moved_hub
from tests.liveserver import live

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
# No background traffic: this machine reaches nothing but loopback.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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
    # clusters and single markers together stand for every event (markers may be added in chunks)
    count = """() => Array.from(document.querySelectorAll('.leaflet-marker-icon'))
        .reduce((n, el) => n + (el.classList.contains('marker-cluster') ? parseInt(el.textContent) : 1), 0)"""
    try:
        page.wait_for_function(f"({count})() === {expected}", timeout=15_000)
    finally:
        shown = page.evaluate(count)
    assert shown == expected
    # a single marker (Cardiff's supper club stands alone) opens a popup with title, time and groups
    single = page.wait_for_selector(".leaflet-marker-icon:not(.marker-cluster)", timeout=5_000)
    single.click()
    popup = page.wait_for_selector(".leaflet-popup-content .popup", timeout=5_000)
    assert popup.query_selector("h3").inner_text() == "Supper club & stories #CT4R"
    assert "By Cardiff Migrant Welcome" in popup.inner_text()
    assert outside == []
    page.close()
