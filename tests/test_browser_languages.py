"""English and Welsh in a real browser: the switch turns each public page into Welsh and back, a Welsh address
stays Welsh when shared (opened with no cookie, whatever the browser prefers), and axe-core finds nothing
serious on the Welsh pages at desktop and phone sizes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest

from tests.browsers import AXE, CHROMIUM, serious_violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
DEMO = Path(__file__).resolve().parents[1] / "feeds" / "demo"
WEEK = "communities-together"
VIEWPORTS = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})
MAPS = "#map, #groups-map, #week-map, #event-map"
READY = "#map[data-markers], #groups-map[data-markers], #week-map[data-markers], #event-map[data-ready]"
PAGES = ["/", f"/weeks/{WEEK}", "/events/{uid}", "/map", "/groups", "/about", "/join/", "/submit/", "/subscribe"]


@pytest.fixture
def site(demo_site: str) -> str:
    """The demo hub on 127.0.0.1."""
    return demo_site


def pages(browser: Any, site: str) -> list[str]:
    """The public pages to try, one of the demo's events among them."""
    context = browser.new_context()
    uid = context.request.get(f"{site}/api/events.json").json()["events"][0]["uid"]
    context.close()
    return [path.replace("{uid}", quote(uid, safe="")) for path in PAGES]


def test_the_switch_turns_each_page_into_welsh_and_back(browser: Any, site: str) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    for path in pages(browser, site):
        page.goto(site + path)
        english = page.locator("h1").first.inner_text()
        assert page.get_attribute("html", "lang") == "en-GB", path
        with page.expect_navigation():
            page.locator(".language-switch a[lang='cy']").click()
        assert unquote(page.url) == unquote(site + ("/cy" if path == "/" else "/cy" + path)), path
        assert page.get_attribute("html", "lang") == "cy", path
        if path != "/" and not path.startswith(("/weeks/", "/events/")):  # those headings are names, as published
            assert page.locator("h1").first.inner_text() != english, path  # its words, not only its address
        with page.expect_navigation():
            page.locator(".language-switch a[lang='en']").click()
        assert unquote(page.url) == unquote(site + path) and page.get_attribute("html", "lang") == "en-GB", path
    context.close()


def test_a_shared_welsh_address_opens_in_welsh(browser: Any, site: str) -> None:
    for path in ("/cy/about", f"/cy/weeks/{WEEK}", "/cy/map"):
        context = browser.new_context(locale="en-GB")  # no cookie, and a browser that prefers English
        page = context.new_page()
        page.goto(site + path)
        assert page.url == site + path and page.get_attribute("html", "lang") == "cy", path
        context.close()
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(f"{site}/cy/about")
    assert page.locator("h1").inner_text().startswith("Ynglŷn â")
    context.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
def test_axe_finds_no_serious_problem_on_the_welsh_pages(browser: Any, site: str) -> None:
    problems = []
    for path in pages(browser, site):
        for viewport in VIEWPORTS:
            page = browser.new_page(viewport=viewport)
            page.goto(site + ("/cy" if path == "/" else "/cy" + path))
            if page.locator(MAPS).count():  # once its script has run
                page.wait_for_selector(READY, state="attached", timeout=15_000)
            problems += [(path, viewport["width"], problem) for problem in serious_violations(page)]
            page.close()
    assert problems == []
