"""The hub's identity in a real browser: the configured name and logo show on every public page in English and
Welsh with their link-preview tags, and axe-core finds nothing serious on the home page and the two forms at
desktop and phone sizes, in the light and the dark colour schemes, in both languages."""

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
PAGES = ["/", "/map", "/groups", "/groups/sanctuary-stockport", "/about", "/subscribe", f"/weeks/{WEEK}",
         "/join/", "/submit/"]
NAMES = {"": "Welcome Together", "/cy": "Croeso Gyda'n Gilydd"}


@pytest.fixture
def site(demo_site: str) -> str:
    """The demo hub on 127.0.0.1."""
    return demo_site


@pytest.mark.parametrize("prefix", list(NAMES))
def test_every_public_page_shows_the_name_the_logo_and_the_preview_tags(browser: Any, site: str, prefix: str) -> None:
    page = browser.new_page(viewport=VIEWPORTS[1])
    for path in PAGES:
        page.goto(site + prefix + path)
        brand = page.locator("header.site .brand")
        assert brand.inner_text().strip() == NAMES[prefix], path
        logo = brand.locator("img.brand-logo")
        # The logo loaded (its natural width is known only once the image was fetched and decoded) and shows.
        assert logo.evaluate("img => img.complete && img.naturalWidth > 0"), path
        assert logo.is_visible(), path
        assert page.get_attribute('meta[property="og:site_name"]', "content") == NAMES[prefix], path
        image = page.get_attribute('meta[property="og:image"]', "content") or ""
        assert image.startswith("http://hub.test/"), path
        assert page.title().endswith(NAMES[prefix]) or page.title().startswith(NAMES[prefix]), path
        # The header fits the phone's width: nothing to scroll sideways for.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    page.close()


def test_the_configured_accent_colours_the_buttons(browser: Any, site: str) -> None:
    page = browser.new_page(viewport=VIEWPORTS[0])
    page.goto(site + "/join/")
    colour = page.eval_on_selector("form button[type=submit]", "b => getComputedStyle(b).backgroundColor")
    assert colour == "rgb(15, 107, 92)"  # #0f6b5c, the demo's [hub.colours] accent
    page.emulate_media(color_scheme="dark")
    colour = page.eval_on_selector("form button[type=submit]", "b => getComputedStyle(b).backgroundColor")
    assert colour == "rgb(95, 211, 189)"  # #5fd3bd, its accent_dark
    page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("prefix", list(NAMES))
def test_axe_finds_no_serious_problem_on_home_and_the_forms(browser: Any, site: str, prefix: str, scheme: str) -> None:
    for viewport in VIEWPORTS:
        page = browser.new_page(viewport=viewport)
        page.emulate_media(color_scheme=scheme)
        for path in ("/", "/join/", "/submit/"):
            page.goto(site + prefix + path)
            assert serious_violations(page) == [], (prefix + path, viewport, scheme)
        page.close()
