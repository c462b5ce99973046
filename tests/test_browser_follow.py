"""Following by e-mail in a real browser: subscribe from a week page, confirm from the e-mail's link, change the
radius on the manage page; axe-core finds nothing serious on these pages at desktop and phone sizes, in English
and Welsh."""

from __future__ import annotations

import email
import os
import re
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from calendar_hub.mail import outbox
from calendar_hub.settings import Settings
from calendar_hub.store import Follower
from calendar_hub.web.app import create_app
from tests.browsers import AXE, CHROMIUM, serious_violations
from tests.hubdata import WEEK, HubData
from tests.liveserver import live
from tests.mailserver import MailServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
VIEWPORTS = ({"width": 1280, "height": 900}, {"width": 390, "height": 844})
READER = "reader@example.org"


@pytest.fixture
def site(hub: HubData, settings: Settings) -> Iterator[str]:
    """The end-to-end hub on 127.0.0.1 (no map tiles: nothing outside loopback is fetched)."""
    with live(create_app(settings.replace(tile_url=""))) as base:
        yield base


def accessible(page: Any, path: str) -> None:
    if AXE.exists():
        assert serious_violations(page) == [], path


def confirmation_link(engine: Engine, settings: Settings, server: MailServer) -> str:
    """Send the outbox through the relay; the path of the confirmation link in the message to READER."""
    relay = settings.replace(smtp_host="127.0.0.1", smtp_port=server.port, smtp_security="none",
                             mail_from="events@hub.test", mail_per_minute=0)
    assert outbox.send_due(engine, relay).sent == 1
    [message] = server.to(READER)
    parsed = email.message_from_bytes(message.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(("plain",))
    assert body is not None
    found = re.search(r"http://hub\.test(/(?:cy/)?follow/confirm/\S+)", body.get_content())
    assert found
    return found.group(1)


def test_subscribe_from_a_week_page_confirm_from_the_email_and_change_the_radius(
        site: str, browser: Any, engine: Engine, settings: Settings, mail_server: MailServer) -> None:
    page = browser.new_page(viewport=VIEWPORTS[0])
    page.goto(f"{site}/weeks/{WEEK}")
    page.fill("#follow-box-email", READER)
    with page.expect_navigation():
        page.get_by_role("button", name="Follow", exact=True).click()
    assert page.input_value("#follow-email") == READER and page.input_value("#follow-week") == WEEK
    accessible(page, "/follow/")
    with page.expect_navigation():
        page.get_by_role("button", name="Send me the confirmation").click()
    assert page.locator("h1").inner_text() == "Check your e-mail"
    accessible(page, "thanks")

    page.goto(site + confirmation_link(engine, settings, mail_server))
    assert page.locator("h1").inner_text() == "You are following"
    accessible(page, "confirmed")
    with page.expect_navigation():
        page.get_by_role("link", name="Change what you follow").click()
    page.fill("#follow-near", "Manchester")
    page.select_option("#follow-km", "25")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "Saved" in page.locator("[role=status]").inner_text()
    assert page.input_value("#follow-km") == "25"
    accessible(page, "manage")
    with Session(engine) as session:
        [follower] = session.exec(select(Follower)).all()
    assert (follower.near, follower.km, follower.week_slug, follower.confirmed_at is not None) == (
        "Manchester", 25.0, WEEK, True)
    page.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
@pytest.mark.parametrize("prefix", ["", "/cy"])
def test_axe_finds_no_serious_problem_on_the_follow_pages(
        site: str, browser: Any, engine: Engine, settings: Settings, mail_server: MailServer, prefix: str) -> None:
    for viewport in VIEWPORTS:
        page = browser.new_page(viewport=viewport)
        for path in (f"{prefix}/weeks/{WEEK}", f"{prefix}/", f"{prefix}/groups/sanctuary-manchester",
                     f"{prefix}/follow/?week={WEEK}", f"{prefix}/about"):
            page.goto(site + path)
            assert serious_violations(page) == [], (path, viewport)
        page.close()
    page = browser.new_page(viewport=VIEWPORTS[1])
    page.goto(f"{site}{prefix}/follow/?near=Nowhere-on-sea")
    page.fill("#follow-email", READER)
    with page.expect_navigation():
        page.locator("form.follow-page-form button[type=submit]").click()
    assert page.locator("[aria-invalid=true]").count() == 1           # the place, marked and described
    assert serious_violations(page) == [], "problems"
    page.fill("#follow-near", "")
    page.select_option("#follow-week", WEEK)
    with page.expect_navigation():
        page.locator("form.follow-page-form button[type=submit]").click()
    page.goto(site + confirmation_link(engine, settings, mail_server))
    with Session(engine) as session:
        [follower] = session.exec(select(Follower)).all()
    for path in (f"{prefix}/follow/manage/{follower.token}", f"{prefix}/follow/unsubscribe/{follower.token}"):
        page.goto(site + path)
        assert serious_violations(page) == [], path
    page.close()
