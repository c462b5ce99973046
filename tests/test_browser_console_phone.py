"""The console on a phone and a desktop, in Debian's Chromium: feed health and the events list never scroll
sideways, their rows read as labelled cards at 390 px, and axe-core finds nothing serious on them or a group's page.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from calendar_hub import store
from calendar_hub.console import accounts
from calendar_hub.ingest.refresh import refresh
from calendar_hub.registry import FeedSpec, GroupSpec
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.browsers import AXE, CHROMIUM, serious_violations
from tests.feedserver import FeedServer
from tests.hubdata import moved_hub, served
from tests.liveserver import live
from tests.pages import PASSWORD, signed_in_page

ORGANISER = "olu@hub.test"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
LONG_PATH = "/calendars/" + "riverside-community-greens-and-friends-" * 4 + "events.ics"   # an address that must wrap
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def site(tmp_path: Path, engine: Engine, settings: Settings, feed_server: FeedServer) -> Iterator[str]:
    """The test hub, one more group whose calendar has a long address and never answers, an organiser; served."""
    settings = settings.replace(fetch_private_addresses=True, tile_url="", secret_key="browser-test-secret")
    registry = served(moved_hub(tmp_path), feed_server)
    failing = GroupSpec(slug="riverside-greens", name="Riverside Community Greens",
                        feeds=(FeedSpec(url=feed_server.serve(LONG_PATH, b"", status=500), private=True),))
    with Session(engine) as session:
        store.apply_registry(registry.__class__(groups=(*registry.groups, failing), weeks=registry.weeks,
                                                site=registry.site), session=session)
        accounts.add_user(ORGANISER, PASSWORD, role="organiser", group=None, session=session, actor="test")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:   # Playwright's sync API keeps a loop in this thread
        pool.submit(asyncio.run, refresh(engine, settings, due_only=False)).result()
    with live(create_app(settings)) as base:
        yield base


def overflow(page: Any) -> int:
    """How many pixels the page is wider than its window (0 when it never scrolls sideways)."""
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_feed_health_and_the_events_list_fit_the_window(browser: Any, site: str, viewport: dict[str, int]) -> None:
    page = signed_in_page(browser, site, ORGANISER, viewport=viewport)
    for path in ("/admin/", "/admin/events", "/admin/audit", "/admin/groups/riverside-greens"):
        page.goto(site + path)
        assert overflow(page) <= 0, (path, viewport)
    page.goto(site + "/admin/")
    cell = page.locator("tr.broken td.url").first
    assert LONG_PATH in cell.inner_text().replace("\n", "")                 # the long address is all there
    box = cell.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    page.close()


def test_on_a_phone_each_feed_is_a_card_whose_cells_name_their_column(browser: Any, site: str) -> None:
    page = signed_in_page(browser, site, ORGANISER, viewport=PHONE)
    page.goto(site + "/admin/")
    row = page.locator("tr.broken").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    labels = row.evaluate("r => [...r.querySelectorAll('td')].map(td => getComputedStyle(td, '::before').content)")
    for label in ("Calendar", "Status", "Last read successfully", "Events", "Unchanged since last check"):
        assert f'"{label}: "' in labels, (label, labels)
    assert page.locator("table.health thead").evaluate("h => h.getBoundingClientRect().height") <= 1
    page.set_viewport_size(DESKTOP)                                          # a desktop keeps the table
    assert row.evaluate("r => getComputedStyle(r).display") == "table-row"
    assert row.evaluate("r => getComputedStyle(r.querySelector('td'), '::before').content") == "none"
    page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_axe_finds_nothing_serious_on_feed_health_events_and_a_group(browser: Any, site: str,
                                                                     viewport: dict[str, int]) -> None:
    page = signed_in_page(browser, site, ORGANISER, viewport=viewport)
    for path in ("/admin/", "/admin/events", "/admin/events?page=1&q=a", "/admin/groups/riverside-greens",
                 "/admin/groups/sanctuary-manchester", "/admin/hidden"):
        page.goto(site + path)
        assert serious_violations(page) == [], (path, viewport)
    page.close()
