"""One count of "local actions" (calendar_hub/catalogue/counts.py): the public week page, its map, the console's
coverage page and its CSV export agree on the demo week; online events are listed under "Online"."""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from calendar_hub.catalogue.counts import Tally, kind, tally
from calendar_hub.console import accounts
from calendar_hub.web.present import ONLINE, by_region_and_town
from tests.factories import make_listing
from tests.pages import PASSWORD, sign_in

WEEK = "communities-together"
# "… regions, and 2 online"; a week's headline (the week page's, the home page's) names the groups taking part first.
COUNTED = re.compile(r"<strong>(\d+)</strong> local actions? in <strong>(\d+)</strong> regions?"
                     r"(?:, <strong>\d+</strong> groups? taking part)?(?:,(?: and)? <strong>(\d+)</strong> online)?")


def _figures(text: str) -> tuple[int, int, int]:
    found = COUNTED.search(text)
    assert found, text[:2000]
    return int(found.group(1)), int(found.group(2)), int(found.group(3) or 0)


def _csv_figures(body: bytes) -> tuple[int, int, int]:
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8").removeprefix(codecs.BOM_UTF8.decode()))))
    local = [row for row in rows if row["counted_as"] == "local action"]
    regions = {row["region"].casefold() for row in local if row["region"]}
    return len(local), len(regions), sum(1 for row in rows if row["counted_as"] == "online")


def test_the_definition_leaves_out_cancelled_counts_online_apart_and_no_region_is_no_region() -> None:
    listings = [make_listing(uid="a@test", region="London"), make_listing(uid="b@test", region="london"),
                make_listing(uid="c@test", region="Wales", status="CANCELLED"),
                make_listing(uid="d@test", location="Online (Zoom)", lat=None, lon=None, region="", town=""),
                make_listing(uid="e@test", location="Somewhere", lat=None, lon=None, region="", town="")]
    assert [kind(item) for item in listings] == ["local action", "local action", "cancelled", "online",
                                                 "local action"]
    assert tally(listings) == Tally(local=3, online=1, cancelled=1, regions=1)


def test_online_events_are_listed_under_online_not_region_not_given() -> None:
    zoom = make_listing(uid="z@test", location="Online (Zoom)", lat=None, lon=None, region="", town="")
    regions = by_region_and_town([make_listing(uid="a@test", region="London", town="Lewisham"), zoom])
    assert [(region, count) for region, count, _towns in regions] == [("London", 1), (ONLINE, 1)]
    assert regions[1][2] == [(ONLINE, [zoom])]


def test_the_week_page_its_map_the_coverage_page_and_the_csv_agree_on_the_demo_week(
        demo: Path, client: TestClient, console_client: TestClient, engine: Engine) -> None:
    page = client.get(f"/weeks/{WEEK}").text
    figures = _figures(page[page.index('id="week-summary"'):])
    local, regions, online = figures
    assert local > 20 and regions > 5 and online >= 1
    assert "cancelled, not counted" in page
    # the Zoom event sits under Online, and nothing is under "Region not given" but events with no place
    online_section = page[page.index('>Online <span class="count">'):]
    assert "Online (Zoom)" in online_section[:online_section.index("</section>")]
    assert _figures(client.get(f"/weeks/{WEEK}/map").text) == figures
    with Session(engine) as session:
        accounts.add_user("olu@hub.test", PASSWORD, role="organiser", group=None, session=session,
                          actor="test")
    assert sign_in(console_client, "olu@hub.test") == 303
    coverage = console_client.get(f"/admin/weeks/{WEEK}/coverage").text
    headline = re.search(r'<p class="headline">(.*?)</p>', coverage, re.S)
    assert headline
    words = re.sub(r"\s+", " ", headline.group(1))
    assert re.search(rf"<strong>{local}</strong> local actions in <strong>{regions}</strong> regions", words)
    assert f"<strong>{online}</strong> online event" in words
    assert _csv_figures(console_client.get(f"/admin/weeks/{WEEK}/export.csv").content) == figures
    home = client.get("/").text
    assert _figures(home) == figures
