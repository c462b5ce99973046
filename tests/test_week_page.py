"""The week page as campaign evidence: its figures lead (the hub's one count, as on the coverage page), the groups
taking part (those with actions and those the week names without one), share links, the town headings with
their printable listings, and the share image (calendar_hub/publish/share_image.py)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from calendar_hub import language
from calendar_hub.catalogue import Catalogue, GroupInfo, WeekInfo
from calendar_hub.catalogue.counts import Tally, in_words
from calendar_hub.console import accounts
from calendar_hub.publish.share_image import HEIGHT, WIDTH, week_card
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.factories import LONDON, FixedHub, london, make_group, make_listing
from tests.pages import PASSWORD, sign_in

WEEK = "communities-together"


def _figures(page: str) -> str:
    found = re.search(r'<p class="figures" id="week-figures">(.*?)</p>', page, re.S)
    assert found, page[:2000]
    return re.sub(r"\s+", " ", found.group(1)).strip()


def _group(slug: str, name: str) -> GroupInfo:
    return GroupInfo(slug=slug, name=name, website=f"https://{slug}.example.org/", home="", region="", lat=None,
                     lon=None)


def campaign() -> Catalogue:
    """Two weeks in June 2026: "spring" names three groups, one of which (no calendar) has no event; "autumn"
    has one event.  Leeds has two events (one cancelled), Bristol one, and there is one online."""
    ada, bea = make_group("ada-welcome", "Ada Welcome"), make_group("bea-sanctuary", "Bea Sanctuary")
    spring = ("spring-week",)
    listings = [
        make_listing(uid="leeds-2@test", title="Leeds evening vigil", start=london(2026, 6, 9, 18), town="Leeds",
                     end=london(2026, 6, 9, 19), region="Yorkshire and The Humber", lat=53.8, lon=-1.55,
                     groups=(ada,), weeks=spring, location="Millennium Square, Leeds"),
        make_listing(uid="leeds-1@test", title="Leeds welcome walk", start=london(2026, 6, 7, 10), town="Leeds",
                     end=london(2026, 6, 7, 12), region="Yorkshire and The Humber", lat=53.79, lon=-1.54,
                     groups=(ada, bea), weeks=spring, location="Leeds Town Hall"),
        make_listing(uid="leeds-x@test", title="Leeds cancelled picnic", start=london(2026, 6, 8, 12), town="Leeds",
                     end=london(2026, 6, 8, 14), region="Yorkshire and The Humber", lat=53.8, lon=-1.5,
                     groups=(ada,), weeks=spring, status="CANCELLED"),
        make_listing(uid="bristol@test", title="Bristol shared lunch", start=london(2026, 6, 8, 12), town="Bristol",
                     end=london(2026, 6, 8, 14), region="South West", lat=51.45, lon=-2.59, groups=(bea,),
                     weeks=spring, location="Bristol Cathedral"),
        make_listing(uid="zoom@test", title="Online talk", start=london(2026, 6, 10, 19), end=london(2026, 6, 10, 20),
                     location="Online (Zoom)", lat=None, lon=None, region="", town="", groups=(bea,), weeks=spring),
        make_listing(uid="autumn@test", title="Autumn stall", start=london(2026, 9, 12, 10), town="Leeds",
                     end=london(2026, 9, 12, 12), region="Yorkshire and The Humber", lat=53.8, lon=-1.55,
                     groups=(ada,), weeks=("autumn-week",)),
    ]
    weeks = [WeekInfo(slug="spring-week", name="Spring Week of Welcome", start=date(2026, 6, 6), end=date(2026, 6, 14),
                      tags=(), description="", groups=("ada-welcome", "bea-sanctuary", "cai-no-calendar")),
             WeekInfo(slug="autumn-week", name="Autumn Week of Welcome", start=date(2026, 9, 12),
                      end=date(2026, 9, 20), tags=(), description="", groups=())]
    groups = [_group("ada-welcome", "Ada Welcome"), _group("bea-sanctuary", "Bea Sanctuary"),
              _group("cai-no-calendar", "Cai Without A Calendar")]
    return Catalogue(version=1, built_at=datetime(2026, 6, 1, tzinfo=UTC), zone=LONDON, listings=listings,
                     groups=groups, weeks=weeks)


@pytest.fixture
def fixed(settings: Settings) -> Iterator[TestClient]:
    """A visitor's client of a hub serving `campaign()`."""
    with TestClient(create_app(settings, hub=FixedHub(settings, campaign()))) as made:
        yield made


@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_the_week_page_leads_with_its_figures_and_lists_every_group_taking_part(fixed: TestClient) -> None:
    page = fixed.get("/weeks/spring-week").text
    assert _figures(page) == ("<strong>3</strong> local actions in <strong>2</strong> regions, <strong>3</strong> "
                              "groups taking part, <strong>1</strong> online (1 cancelled, not counted)")
    assert page.index('id="week-figures"') < page.index('id="week-summary"') < page.index('class="region"')
    active = page[page.index('id="groups-with-actions"'):page.index('id="signed-up-heading"')]
    assert re.findall(r'<a href="(/groups/[^"]+)">([^<]+)</a>', active) == [
        ("/groups/ada-welcome", "Ada Welcome"), ("/groups/bea-sanctuary", "Bea Sanctuary")]
    signed_up = page[page.index('id="groups-signed-up"'):]
    signed_up = signed_up[:signed_up.index("</ul>")]
    assert re.findall(r'<a href="(/groups/[^"]+)">([^<]+)</a>', signed_up) == [
        ("/groups/cai-no-calendar", "Cai Without A Calendar")]


@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_the_welsh_week_page_says_its_figures_in_welsh_with_welsh_links(fixed: TestClient) -> None:
    page = fixed.get("/cy/weeks/spring-week").text
    figures = _figures(page)
    assert figures.startswith("<strong>3</strong> gweithred leol mewn <strong>2</strong> ranbarth")
    assert "<strong>3</strong> grŵp yn cymryd rhan" in figures and "ar-lein" in figures
    assert 'href="/cy/groups/cai-no-calendar"' in page
    assert 'href="/cy/weeks/spring-week/towns/leeds.pdf"' in page
    assert "Sadwrn 6 Mehefin 2026" in page  # the dates, by Babel


@pytest.mark.parametrize(("code", "n", "words"), [
    ("en", 1, "1 local action"), ("en", 2, "2 local actions"), ("cy", 1, "1 weithred leol"),
    ("cy", 2, "2 weithred leol"), ("cy", 3, "3 gweithred leol"), ("cy", 6, "6 gweithred leol"),
    ("cy", 33, "33 o weithredoedd lleol"), ("cy", 0, "0 o weithredoedd lleol"),
])
def test_the_figures_take_each_languages_plural(code: str, n: int, words: str) -> None:
    with language.use(code):
        assert in_words(Tally(local=n)) == words


@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_share_links_carry_the_weeks_address_and_name_and_no_third_party_script(fixed: TestClient) -> None:
    page = fixed.get("/weeks/spring-week").text
    share = page[page.index('class="share"'):]
    links = re.findall(r'<li><a href="([^"]+)" rel="noopener">([^<]+)</a></li>', share[:share.index("</ul>")])
    assert [name for _href, name in links] == ["E-mail", "WhatsApp", "Facebook", "X", "Bluesky", "LinkedIn"]
    url = "http://hub.test/weeks/spring-week"
    for href, _name in links:
        values = " ".join(v for vs in parse_qs(urlsplit(href.replace("&amp;", "&")).query).values() for v in vs)
        assert url in unquote(values), href
    assert "Spring Week of Welcome" in unquote(links[0][0].replace("&amp;", "&"))
    assert not re.findall(r'<script src="(?!/static/)', page)
    welsh = fixed.get("/cy/weeks/spring-week").text
    assert "http%3A%2F%2Fhub.test%2Fcy%2Fweeks%2Fspring-week" in welsh  # the Welsh page shares the Welsh page


@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_each_town_heading_has_an_anchor_and_its_printable_listing(fixed: TestClient) -> None:
    page = fixed.get("/weeks/spring-week").text
    assert '<h3 id="town-leeds" class="town">Leeds</h3>' in page
    assert 'href="/weeks/spring-week/towns/leeds.pdf"' in page and 'href="/weeks/spring-week/towns/bristol.pdf"' in page
    assert 'href="/weeks/spring-week.pdf"' in page
    assert "/towns/online.pdf" not in page  # an online event has no town to print
    if 'property="og:image"' in page:  # base.html's og_image block, which the week page fills
        assert '<meta property="og:image" content="http://hub.test/weeks/spring-week/share.png"' in page
        assert 'content="http://hub.test/weeks/spring-week/share.cy.png"' in fixed.get("/cy/weeks/spring-week").text


@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_the_share_image_is_an_open_graph_png_made_from_each_weeks_figures(fixed: TestClient) -> None:
    spring, autumn = fixed.get("/weeks/spring-week/share.png"), fixed.get("/weeks/autumn-week/share.png")
    assert spring.status_code == 200 and spring.headers["content-type"] == "image/png"
    images = [Image.open(io.BytesIO(response.content)) for response in (spring, autumn)]
    assert all(image.format == "PNG" and image.size == (WIDTH, HEIGHT) == (1200, 630) for image in images)
    assert images[0].tobytes() != images[1].tobytes()
    welsh = fixed.get("/weeks/spring-week/share.cy.png")
    assert welsh.status_code == 200 and welsh.content != spring.content  # its words are Welsh
    assert fixed.get("/weeks/spring-week/share.en.png").status_code == 404  # English has the one address
    assert fixed.get("/cy/weeks/spring-week/share.png").status_code == 404  # data has no Welsh address
    assert fixed.get("/weeks/no-such-week/share.png").status_code == 404
    assert fixed.get("/weeks/spring-week/share.png", headers={"If-None-Match": spring.headers["etag"]}
                     ).status_code == 304


def test_the_share_image_draws_the_weeks_event_places() -> None:
    week = campaign().week("spring-week")
    assert week is not None
    placed = Image.open(io.BytesIO(week_card("Hub", week, campaign().find(week="spring-week")))).convert("RGB")
    empty = Image.open(io.BytesIO(week_card("Hub", week, []))).convert("RGB")
    accent = (255, 196, 61)
    right = (800, 0, WIDTH, HEIGHT)  # the map's side
    assert accent in {colour for _n, colour in placed.crop(right).getcolors(1 << 16) or []}
    assert accent not in {colour for _n, colour in empty.crop(right).getcolors(1 << 16) or []}


def test_the_week_page_the_coverage_page_agree_on_the_groups_of_the_demo_week(
        demo: Path, client: TestClient, console_client: TestClient, engine: Engine) -> None:
    figures = _figures(client.get(f"/weeks/{WEEK}").text)
    groups = re.search(r"<strong>(\d+)</strong> groups taking part", figures)
    assert groups, figures
    with Session(engine) as session:
        accounts.add_user("olu@hub.test", PASSWORD, role="organiser", group=None, session=session, actor="test")
    assert sign_in(console_client, "olu@hub.test") == 303
    coverage = re.sub(r"\s+", " ", console_client.get(f"/admin/weeks/{WEEK}/coverage").text)
    # The demo week names no groups, so those taking part are exactly those behind its actions.
    assert f"by <strong>{groups.group(1)}</strong> groups" in coverage
