"""The group directory in a real browser: the map's markers and the list agree whatever the filters chosen, a
group's page shows its home on a map, and axe-core finds nothing serious at desktop and phone sizes in both
languages."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browsers import AXE, CHROMIUM, serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
DEMO = Path(__file__).resolve().parents[1] / "feeds" / "demo"
VIEWPORTS = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})


@pytest.fixture
def site(demo_site: str) -> str:
    """The demo hub on 127.0.0.1."""
    return demo_site


def markers_and_list(page: Any) -> tuple[list[str], list[str]]:
    """The markers' names on the map (once it has them) and the names in the list beside it."""
    page.wait_for_selector("#groups-map[data-markers]", timeout=15_000)
    assert page.get_attribute("#groups-map", "data-markers") != "error"
    markers = page.eval_on_selector_all("#groups-map .leaflet-marker-icon", "ms => ms.map(m => m.alt)")
    listed = page.eval_on_selector_all("#group-list .group-name a", "as => as.map(a => a.textContent.trim())")
    return sorted(markers), sorted(listed)


def test_the_map_and_the_list_agree_as_a_service_and_a_region_are_chosen(browser: Any, site: str) -> None:
    page = browser.new_page(viewport=VIEWPORTS[0])
    page.goto(f"{site}/groups")
    markers, listed = markers_and_list(page)
    assert markers == listed and len(listed) == 13
    page.select_option("#filter-service", "english-classes")
    with page.expect_navigation():
        page.get_by_role("button", name="Show groups").click()
    markers, listed = markers_and_list(page)
    assert markers == listed and 2 < len(listed) < 13
    page.select_option("#filter-region", "North West")
    with page.expect_navigation():
        page.get_by_role("button", name="Show groups").click()
    assert "service=english-classes" in page.url and "region=North+West" in page.url
    markers, listed = markers_and_list(page)
    assert markers == listed == ["Manchester Welcome Circle", "Sanctuary Stockport"]
    # a marker's popup names its group and leads to its page, and marks it in the list
    page.locator("#groups-map .leaflet-marker-icon[alt='Sanctuary Stockport']").click()
    page.wait_for_selector(".leaflet-popup a[href='/groups/sanctuary-stockport']")
    assert page.locator("#group-list li.selected").get_attribute("data-slug") == "sanctuary-stockport"
    page.close()


def test_near_me_puts_the_searched_place_and_only_near_groups_on_the_map(browser: Any, site: str) -> None:
    page = browser.new_page(viewport=VIEWPORTS[1])
    page.goto(f"{site}/groups?near=Liverpool&km=50")
    markers, listed = markers_and_list(page)
    assert markers == listed and "Merseyside Refugee Welcome" in listed and "Belfast Unity Choir" not in listed
    assert page.locator("path.near-origin").count() == 1
    page.close()


def test_a_group_page_shows_its_home_on_a_small_map(browser: Any, site: str) -> None:
    page = browser.new_page(viewport=VIEWPORTS[1])
    page.goto(f"{site}/cy/groups/cardiff-migrant-welcome")
    page.wait_for_selector("#group-map[data-markers='1'] .leaflet-marker-icon")
    assert page.get_attribute("#group-map .leaflet-marker-icon", "alt") == "Cardiff Migrant Welcome"
    page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
@pytest.mark.parametrize("path", ["/groups", "/groups?service=food&region=London", "/groups?near=Cardiff&km=25",
                                  "/groups/sanctuary-stockport", "/cy/groups", "/cy/groups?service=arts",
                                  "/cy/groups/cardiff-migrant-welcome"])
def test_axe_finds_no_serious_problem_on_the_directory(browser: Any, site: str, path: str) -> None:
    for viewport in VIEWPORTS:
        page = browser.new_page(viewport=viewport)
        page.goto(site + path)
        page.wait_for_selector(".map[data-markers]", timeout=15_000)
        assert serious_violations(page) == [], (path, viewport)
        page.close()
