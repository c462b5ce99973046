"""Every console page of the demo, in Debian's Chromium at a desktop's and a phone's width: axe-core finds nothing
serious or critical, and no page scrolls sideways.

The pages are the app's own GET routes under /admin, each visited (or set aside with a reason), and the pages a
form leads to: the previews of a calendar, the confirmations before pausing a group or archiving a week, the
one-time link, a hidden event's row.  A new console route fails here until it is visited or set aside.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.routing import Mount, Route

from calendar_hub import clock, store
from calendar_hub.console import account_admin, accounts
from calendar_hub.demo import prepare_demo
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.browsers import AXE, CHROMIUM, serious_violations
from tests.feedserver import FeedServer
from tests.pages import PASSWORD, signed_in_page

DEMO = Path(__file__).resolve().parents[1] / "feeds" / "demo"
ADMIN, ORGANISER = "ada@hub.test", "olu@hub.test"
WEEK, BROKEN_GROUP, GROUP = "communities-together", "amnesty-croydon", "sanctuary-stockport"  # the demo's
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js"),
]

# GET routes under /admin that are not pages, with the reason.
NOT_PAGES = {
    "/weeks/{slug}/export.csv": "a spreadsheet download, not a page",
    "/weeks/{slug}/export.json": "a data download, not a page",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The calendar previewed through the console is served on 127.0.0.1, which the SSRF guard otherwise refuses.
    return settings.replace(fetch_private_addresses=True)


@pytest.fixture
def site(demo_site: str, engine: Engine) -> str:
    """The demo (a failing feed, suspected duplicates, a join request and a sent event waiting) with an admin, an
    organiser and a confirmed follower of its week near Leeds (so that the dashboard's follower tables show)."""
    with Session(engine) as session:
        accounts.add_user(ADMIN, PASSWORD, role="admin", group=None, session=session, actor="test")
        accounts.add_user(ORGANISER, PASSWORD, role="organiser", group=None, session=session, actor="test")
        store.save_follower(store.Follower(email="reader@example.org", token="a-test-follower", near="Leeds",
                                           week_slug=WEEK, created_at=clock.now(), confirmed_at=clock.now()),
                            session=session)
    return demo_site


@pytest.fixture
def calendar_address(tmp_path: Path, feed_server: FeedServer) -> str:
    """One of the demo's calendars, moved to the coming weeks, served over HTTP for a preview with events."""
    folder = tmp_path / "previewed"
    prepare_demo(DEMO, folder, today=clock.today(ZoneInfo("Europe/London")))
    body = (folder / "feeds" / "manchester-welcome-circle.ics").read_bytes()
    return feed_server.serve("/manchester-welcome-circle.ics", body, content_type="text/calendar")


def console_get_routes(settings: Settings) -> set[str]:
    """The path of every route under /admin that answers GET, as the app declares it."""
    [console] = [r for r in create_app(settings).routes if isinstance(r, Mount) and r.path == "/admin"]
    return {r.path for r in console.routes if isinstance(r, Route) and r.methods and "GET" in r.methods}


def password_link(engine: Engine) -> str:
    with Session(engine) as session:
        [user] = [u for u in account_admin.all_accounts(session=session) if u.email == ORGANISER]
        assert user.id is not None
        return account_admin.new_link(user.id, session=session, actor="test")[1]


def visits(engine: Engine) -> dict[str, Callable[[Any, str], None]]:
    """How each GET route is reached by an admin, by its path under /admin."""
    def goto(path: str) -> Callable[[Any, str], None]:
        return lambda page, site: page.goto(site + path)

    return {
        "/": goto("/admin/"),
        "/groups": goto("/admin/groups"),
        "/groups/{slug}": goto(f"/admin/groups/{BROKEN_GROUP}"),
        "/audit": goto("/admin/audit"),
        "/accounts": goto("/admin/accounts"),
        "/password/{token:str}": lambda page, site: page.goto(f"{site}/admin/password/{password_link(engine)}"),
        "/events": goto("/admin/events"),
        "/hidden": goto("/admin/hidden"),
        "/duplicates": goto("/admin/duplicates"),
        "/requests": goto("/admin/requests"),
        "/submissions": goto("/admin/submissions"),
        "/weeks": goto("/admin/weeks"),
        "/weeks/new": goto("/admin/weeks/new"),
        "/weeks/{slug}/edit": goto(f"/admin/weeks/{WEEK}/edit"),
        "/weeks/{slug}/coverage": goto(f"/admin/weeks/{WEEK}/coverage"),
        "/login": lambda page, site: None,  # seen before signing in (below)
    }


def press(page: Any, button: Any) -> None:
    """Press a form's button and wait for the page it leads to."""
    with page.expect_navigation():
        button.click()


def reached_by_forms(calendar: str) -> Iterator[tuple[str, Callable[[Any, str], None]]]:
    """Pages a form leads to, each with the steps that lead there."""
    def preview(address: str) -> Callable[[Any, str], None]:
        def steps(page: Any, site: str) -> None:
            page.goto(f"{site}/admin/groups/{GROUP}")
            page.get_by_label("The group's website or calendar address").fill(address)
            press(page, page.get_by_role("button", name="Find it and preview the events"))
        return steps

    def join_request_preview(page: Any, site: str) -> None:
        page.goto(site + "/admin/requests")
        press(page, page.get_by_role("button", name="Preview events").first)

    def pause_asked(page: Any, site: str) -> None:
        page.goto(f"{site}/admin/groups/{GROUP}")
        press(page, page.get_by_role("button", name="Pause this group"))

    def archive_asked(page: Any, site: str) -> None:
        page.goto(f"{site}/admin/weeks/{WEEK}/edit")
        press(page, page.get_by_role("button", name="Archive this week"))

    def groups_to_nudge(page: Any, site: str) -> None:
        # A week months ahead, when no group has an event yet: its coverage lists every group to nudge.
        first = clock.today(ZoneInfo("Europe/London")) + timedelta(days=200)
        page.goto(site + "/admin/weeks/new")
        page.get_by_label("Name", exact=True).fill("Summer of welcome")
        page.get_by_label("Short name").fill("summer-welcome")
        page.get_by_label("First day").fill(first.isoformat())
        page.get_by_label("Last day").fill((first + timedelta(days=6)).isoformat())
        press(page, page.get_by_role("button", name="Make the week"))
        page.goto(site + "/admin/weeks/summer-welcome/coverage")
        assert page.locator("table.nudge tbody tr").count() > 1

    def one_time_link(page: Any, site: str) -> None:
        page.goto(site + "/admin/accounts")
        press(page, page.locator("tr", has_text=ORGANISER).get_by_role("button", name=re.compile("New password link")))

    def an_event_hidden(page: Any, site: str) -> None:
        page.goto(site + "/admin/events")
        item = page.locator("ul.moderation > li").first
        item.get_by_label("Reason").fill("posted twice")
        press(page, item.get_by_role("button", name=re.compile("^Hide( this date)?$")))
        page.goto(site + "/admin/hidden")
        assert page.locator("table.cards tbody th").count() == 1

    yield "a calendar's preview, with its events", preview(calendar)
    yield "a preview that finds nothing", preview("https://calendar.example.org/events.ics")
    yield "a join request's preview", join_request_preview
    yield "asked before pausing a group", pause_asked
    yield "asked before archiving a week", archive_asked
    yield "groups to nudge in a week without events", groups_to_nudge
    yield "a one-time link made", one_time_link
    yield "the events found by a search, page 2", lambda page, site: page.goto(site + "/admin/events?q=a&page=2")
    yield "a hidden event's row", an_event_hidden


# Tables that become cards on a phone, each cell named by its column, but for the charts' two-column tables of
# figures (a label and a number a row, which a phone shows whole) and a row saying that there are none.
UNCARDED = """() => [...document.querySelectorAll('main table:not(.figures)')].flatMap(table => {
    if (!table.classList.contains('cards')) return [`a table without cards: ${table.className}`];
    return [...table.querySelectorAll('tbody td:not([data-label]):not([colspan])')]
        .filter(td => td.textContent.trim() && !td.querySelector('form, button'))
        .map(td => `a cell without its column's name: ${td.textContent.trim().slice(0, 40)}`);
})"""


def problems(page: Any, what: str) -> list[str]:
    """What is wrong with the page shown: axe-core's serious findings, sideways scrolling, a table that a phone
    would not show as cards."""
    found = [f"{what}: {v}" for v in serious_violations(page)]
    found += [f"{what}: {t}" for t in page.evaluate(UNCARDED)]
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if wider > 0:
        found.append(f"{what}: scrolls sideways by {wider} px at {page.viewport_size['width']} px")
    if page.viewport_size["width"] >= VIEWPORTS["desktop"]["width"]:  # on a desktop, no table in a scrolling box
        boxed = page.evaluate("[...document.querySelectorAll('.table-wrap')].map(w => w.scrollWidth - w.clientWidth)")
        found += [f"{what}: a table scrolls sideways by {n} px in its box" for n in boxed if n > 0]
    return found


def test_every_console_get_route_is_visited_or_set_aside(settings: Settings, engine: Engine) -> None:
    declared = console_get_routes(settings)
    assert declared - set(visits(engine)) - set(NOT_PAGES) == set(), "visit these in this module, or set them aside"
    assert set(visits(engine)) | set(NOT_PAGES) <= declared, "no longer routes of the console"


@pytest.mark.parametrize("size", VIEWPORTS)
def test_every_console_page_passes_axe_and_fits_the_window(browser: Any, site: str, engine: Engine,
                                                           calendar_address: str, size: str) -> None:
    viewport = VIEWPORTS[size]
    found: list[str] = []
    visitor = browser.new_page(viewport=viewport)
    visitor.goto(site + "/admin/login")
    found += problems(visitor, "/login")
    visitor.close()
    page = signed_in_page(browser, site, ADMIN, viewport=viewport)
    for route, visit in visits(engine).items():
        if route != "/login":
            visit(page, site)
            assert page.locator("h1").count() == 1, (route, page.url)
            found += problems(page, route)
    for what, steps in reached_by_forms(calendar_address):
        steps(page, site)
        found += problems(page, what)
    page.close()
    assert found == [], "\n".join(found)
