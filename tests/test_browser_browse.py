"""Browsing in a real browser, with JavaScript and without: from a week to its calendar and one of its days, a
search from the header's box, a tag's page; and axe-core finds nothing serious on the calendar, search and tag
pages at desktop and phone sizes in English and Welsh."""

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
WEEK = "communities-together"


@pytest.fixture
def site(demo_site: str) -> str:
    """The demo hub on 127.0.0.1."""
    return demo_site


@pytest.mark.parametrize("scripts", [True, False], ids=["with JavaScript", "without JavaScript"])
def test_from_a_week_to_its_calendar_and_one_of_its_days(browser: Any, site: str, scripts: bool) -> None:
    context = browser.new_context(viewport=VIEWPORTS[0], java_script_enabled=scripts)
    page = context.new_page()
    page.goto(f"{site}/weeks/{WEEK}")
    with page.expect_navigation():
        page.get_by_role("link", name="View as calendar").click()
    assert page.locator("table.month caption").count() == 1
    days = page.locator("td.has-events a.day-number")
    assert days.count() >= 5   # the week's days with actions
    titles = page.locator("td.has-events").first.locator(".day-event a").all_text_contents()
    with page.expect_navigation():
        days.first.click()
    assert "/calendar/" in page.url and f"week={WEEK}" in page.url
    listed = page.locator("ul.day-list .day-event a").all_text_contents()
    assert listed[:len(titles)] == titles and len(listed) >= len(titles) > 0
    with page.expect_navigation():
        page.get_by_role("link", name="Next day").click()
    assert page.locator("h1").count() == 1
    context.close()


@pytest.mark.parametrize("scripts", [True, False], ids=["with JavaScript", "without JavaScript"])
def test_a_search_from_the_header_and_a_tags_page(browser: Any, site: str, scripts: bool) -> None:
    context = browser.new_context(viewport=VIEWPORTS[1], java_script_enabled=scripts)
    page = context.new_page()
    page.goto(f"{site}/")
    page.get_by_role("searchbox", name="Search events").fill("welcome walk")
    with page.expect_navigation():
        page.get_by_role("searchbox", name="Search events").press("Enter")
    assert "/search?q=welcome+walk" in page.url
    found = page.locator("ul.events .event-title a").all_text_contents()
    assert found and all("walk" in title.casefold() for title in found[:2])
    page.goto(f"{site}/tags")
    with page.expect_navigation():
        page.get_by_role("link", name="#ct4r").click()
    assert page.locator("h1").text_content() == "#ct4r"
    assert page.locator("ul.events li.event").count() >= 3
    assert page.locator("#subscribe-address").text_content().endswith("/tags/ct4r.ics")
    context.close()


def test_the_month_is_a_list_of_days_on_a_phone(browser: Any, site: str) -> None:
    page = browser.new_page(viewport=VIEWPORTS[1])
    page.goto(f"{site}/calendar?week={WEEK}")
    assert page.eval_on_selector("table.month td.has-events", "td => getComputedStyle(td).display") == "block"
    box = page.locator("td.has-events").first.bounding_box()
    assert box is not None and box["width"] > 300   # a day takes the width of the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
@pytest.mark.parametrize("path", ["/calendar", f"/calendar?week={WEEK}", "/search?q=welcome", "/tags",
                                  "/tags/ct4r", "/cy/calendar", f"/cy/calendar?week={WEEK}", "/cy/search?q=croeso",
                                  "/cy/tags", "/cy/tags/ct4r"])
def test_axe_finds_no_serious_problem_on_the_browsing_pages(browser: Any, site: str, path: str) -> None:
    for viewport in VIEWPORTS:
        page = browser.new_page(viewport=viewport)
        page.goto(site + path)
        assert serious_violations(page) == [], (path, viewport)
        if path.endswith(f"week={WEEK}"):   # and one of its days
            page.locator("td.has-events a.day-number").first.click()
            page.wait_for_selector("ul.day-list")
            assert serious_violations(page) == [], (page.url, viewport)
        page.close()
