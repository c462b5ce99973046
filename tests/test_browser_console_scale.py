"""The console at national scale in a real browser: 225 groups across regions, picked a region at once; accounts.

Debian's Chromium, driven by Playwright, against uvicorn on 127.0.0.1, at a desktop's and a phone's width.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from calendar_hub.console import accounts
from calendar_hub.settings import Settings
from calendar_hub.store.models import Group, Week
from calendar_hub.web.app import create_app
from tests.browsers import AXE, CHROMIUM, serious_violations
from tests.liveserver import live
from tests.pages import PASSWORD, signed_in_page

ADMIN, ORGANISER = "ada@hub.test", "olu@hub.test"
REGIONS = ["East of England", "London", "North East", "North West", "Scotland", "South East", "South West", "Wales",
           "Yorkshire"]
VIEWPORTS = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def site(engine: Engine, settings: Settings) -> Iterator[str]:
    """225 groups, 25 in each of nine regions, an admin and an organiser; the hub served on 127.0.0.1."""
    with Session(engine) as session:
        for n in range(225):
            region = REGIONS[n % len(REGIONS)]
            session.add(Group(slug=f"group-{n:03d}", name=f"Welcome group {n:03d}", region=region))
        session.commit()
        accounts.add_user(ADMIN, PASSWORD, role="admin", group=None, session=session, actor="test")
        accounts.add_user(ORGANISER, PASSWORD, role="organiser", group=None, session=session, actor="test")
    with live(create_app(settings.replace(tile_url="", secret_key="browser-test-secret"))) as base:
        yield base


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=["desktop", "phone"])
def test_an_organiser_plans_a_week_with_two_whole_regions(browser: Any, site: str, engine: Engine,
                                                          viewport: dict[str, int]) -> None:
    page = signed_in_page(browser, site, ORGANISER, viewport=viewport)
    page.goto(site + "/admin/weeks/new")
    page.get_by_label("Name", exact=True).fill("Winter of Welcome")
    page.get_by_label("Short name").fill("winter-welcome")
    page.get_by_label("First day").fill("2026-12-05")
    page.get_by_label("Last day").fill("2026-12-13")
    page.get_by_label("Select all in Wales").check()
    page.get_by_label("Select all in London").check()
    wales = page.locator("fieldset.region", has_text="Select all in Wales")
    assert wales.locator('input[name="groups"]:checked').count() == 25  # ticked by the script, as shown
    # The search box narrows the list to what matches.
    page.get_by_label("Find a group").fill("group 007")
    assert page.locator('label[data-name]:visible').count() == 1
    page.get_by_label("Find a group").fill("")
    page.get_by_role("button", name="Make the week").click()
    page.wait_for_url(re.compile(r"/admin/weeks/winter-welcome/edit"))
    with Session(engine) as session:
        week = session.exec(select(Week).where(Week.slug == "winter-welcome")).one()
        chosen = session.exec(select(Group).where(Group.slug.in_(week.groups))).all()  # type: ignore[attr-defined]
    assert len(week.groups) == 50 and {g.region for g in chosen} == {"Wales", "London"}
    page.close()


def test_an_admin_adds_an_organiser_who_signs_in_through_the_one_time_link(browser: Any, site: str) -> None:
    page = signed_in_page(browser, site, ADMIN)
    page.get_by_role("link", name="Accounts").click()
    page.get_by_label("E-mail address").fill("nia@hub.test")
    page.get_by_label("Role", exact=True).select_option("organiser")
    page.get_by_role("button", name="Add the account").click()
    link = page.get_by_label("Link", exact=True).input_value()
    assert link.startswith("http://hub.test/admin/password/")
    page.close()
    newcomer = browser.new_page(viewport=VIEWPORTS[1])
    newcomer.goto(site + link.removeprefix("http://hub.test"))
    newcomer.get_by_label("New password").fill("a long new password")
    newcomer.get_by_label("The same password again").fill("a long new password")
    newcomer.get_by_role("button", name="Set the password and sign in").click()
    newcomer.wait_for_url(re.compile(r"/admin/?$"))
    assert "Sign out nia@hub.test" in newcomer.locator("nav.console-nav").inner_text()
    newcomer.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
def test_axe_finds_no_serious_problem_on_the_scaled_console(browser: Any, site: str) -> None:
    for viewport in VIEWPORTS:
        page = signed_in_page(browser, site, ADMIN, viewport=viewport)
        for path in ("/admin/weeks/new", "/admin/accounts", "/admin/groups"):
            page.goto(site + path)
            assert serious_violations(page) == [], (path, viewport)
        page.close()
