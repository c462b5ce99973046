"""The week page in Chromium: its inline map shows the week's placed events as markers (from the GeoJSON API),
and axe-core finds nothing serious or critical at desktop and phone sizes, in English and in Welsh."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.browsers import AXE, CHROMIUM, serious_violations
from tests.liveserver import live

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
WEEK = "communities-together"


@pytest.fixture
def site(demo: Path, settings: Settings) -> Iterator[str]:
    """The demo hub on 127.0.0.1, with no map tiles (this machine reaches nothing but loopback)."""
    with live(create_app(settings.replace(tile_url=""))) as base:
        yield base


def test_the_inline_map_shows_the_weeks_placed_events(site: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{site}/weeks/{WEEK}")
    page.wait_for_selector("#week-map[data-markers]", state="attached", timeout=15_000)
    markers = page.locator("#week-map path.week-marker").count()
    placed = int(page.get_attribute("#week-map", "data-markers") or 0)
    assert markers == placed > 10
    assert page.is_visible("#week-map")
    page.locator("#week-map path.week-marker").first.click(force=True)
    popup = page.wait_for_selector(".leaflet-popup-content a", timeout=5_000)
    assert (popup.get_attribute("href") or "").startswith("/events/")
    welsh = browser.new_page()
    welsh.goto(f"{site}/cy/weeks/{WEEK}")
    welsh.wait_for_selector("#week-map[data-markers]", state="attached", timeout=15_000)
    welsh.locator("#week-map path.week-marker").first.click(force=True)
    assert (welsh.wait_for_selector(".leaflet-popup-content a").get_attribute("href") or "").startswith("/cy/events/")


def test_without_javascript_the_map_stays_hidden_and_the_page_lists_everything(site: str, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/weeks/{WEEK}")
    assert not page.is_visible("#week-map")
    assert page.locator("li.event").count() > 20 and page.is_visible("text=See them on the full map")
    context.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (tests/js: npm ci)")
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("prefix", ["", "/cy"])
def test_the_week_page_has_no_serious_accessibility_violation(site: str, browser: Any, width: int,
                                                              prefix: str) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{site}{prefix}/weeks/{WEEK}")
    page.wait_for_selector("#week-map[data-markers]", state="attached", timeout=15_000)
    assert serious_violations(page) == []
    context.close()
