"""The console's work waiting and its confirmations in a real browser (Debian's Chromium), on a desktop and a phone:
an organiser follows the dashboard's count to a join request, archives a week only after saying yes, undoes it."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from calendar_hub import store
from calendar_hub.console import accounts, joining
from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.browsers import CHROMIUM, serious_violations
from tests.feedserver import FeedServer
from tests.hubdata import WEEK, HubData, moved_hub, served
from tests.liveserver import live
from tests.pages import PASSWORD, signed_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]
ORGANISER = "olu@hub.test"
SIZES = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})  # a desktop and a phone


@pytest.fixture
def site(tmp_path: Path, engine: Engine, settings: Settings, feed_server: FeedServer) -> Iterator[str]:
    """The test hub served on 127.0.0.1, refreshed once, with an organiser's account."""
    ready = settings.replace(fetch_private_addresses=True, tile_url="", secret_key="browser-test-secret")
    data: HubData = moved_hub(tmp_path)
    with Session(engine) as session:
        store.apply_registry(served(data, feed_server), session=session)
        accounts.add_user(ORGANISER, PASSWORD, role="organiser", group=None, session=session, actor="test")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's sync API keeps this thread's loop
        pool.submit(asyncio.run, refresh(engine, ready, due_only=False)).result()
    with live(create_app(ready)) as base:
        yield base


def _a_group_asks_to_join(engine: Engine) -> None:
    with Session(engine) as session:
        joining.submit({"name": "Leeds Welcome", "home": "Leeds", "contact": "hi@leeds.example.org",
                        "address": "https://leeds.example.org/"}, feed_url="https://leeds.example.org/feed.ics",
                       feed_kind="ics", found_how="the address itself", session=session)


@pytest.mark.parametrize("size", SIZES, ids=("desktop", "phone"))
def test_an_organiser_handles_a_join_request_from_the_dashboards_count(browser: Any, site: str,
                                                                       engine: Engine, size: dict[str, int]) -> None:
    _a_group_asks_to_join(engine)
    page = signed_in_page(browser, site, ORGANISER, start="/admin/weeks", viewport=size)
    page.goto(site + "/admin/")
    nav = page.get_by_role("navigation", name="Console")
    assert nav.get_by_role("link", name="Join requests (1 waiting)").is_visible()
    assert serious_violations(page) == [], ("dashboard", size)
    page.get_by_role("link", name="1 group asking to join").click()
    page.wait_for_url(site + "/admin/requests")
    page.get_by_role("button", name="Approve: add the group and its calendar").click()
    assert "Approved: the group leeds-welcome was made" in page.get_by_role("status").inner_text()
    assert page.get_by_role("navigation", name="Console").get_by_role("link", name="Join requests").is_visible()
    assert "waiting" not in nav.get_by_role("link", name="Join requests").inner_text()


@pytest.mark.parametrize("size", SIZES, ids=("desktop", "phone"))
def test_a_week_is_archived_only_after_confirming_and_can_be_brought_back(browser: Any, site: str,
                                                                          size: dict[str, int]) -> None:
    page = signed_in_page(browser, site, ORGANISER, start="/admin/weeks", viewport=size)
    page.goto(f"{site}/admin/weeks/{WEEK}/edit")
    page.get_by_role("button", name="Archive this week").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Archive ")
    assert "people follow it by e-mail" in page.content() or "person follows it by e-mail" in page.content()
    assert serious_violations(page) == [], ("confirmation", size)
    assert httpx.get(f"{site}/weeks/{WEEK}").status_code == 200  # asking changed nothing
    page.get_by_role("button", name="Yes, archive the week").click()
    assert "Archived" in page.get_by_role("status").inner_text()
    assert httpx.get(f"{site}/weeks/{WEEK}").status_code == 404
    assert serious_violations(page) == [], ("archived", size)
    page.get_by_role("button", name="Undo: bring the week back").click()
    assert "Brought back" in page.get_by_role("status").inner_text()
    assert httpx.get(f"{site}/weeks/{WEEK}").status_code == 200
