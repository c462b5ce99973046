"""Tags: /tags lists every tag of an upcoming event with its count, /tags/{tag} its events (paged) and calendar,
/tags/{tag}.ics that calendar, holding exactly the events carrying the tag; an unknown tag is a 404."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import icalendar
import pytest
from starlette.testclient import TestClient

from calendar_hub.catalogue import Catalogue
from calendar_hub.catalogue.listing import Listing
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.factories import LONDON, FixedHub, london, make_listing
from tests.hubdata import HubData

june = pytest.mark.now("2026-06-01T12:00:00+00:00")


def listing(uid: str, title: str, day: int, categories: Sequence[str] = (), description: str = "") -> Listing:
    return make_listing(uid=f"{uid}@hub.test", title=title, start=london(2026, 6, day, 10),
                        end=london(2026, 6, day, 12), categories=tuple(categories), description_text=description,
                        description_html="", weeks=())


EVENTS = [
    listing("vigil", "Solidarity vigil #CT4R", 3),
    listing("social", "Refugee Week social", 4, categories=("ct4r", "Social")),
    listing("walk", "Welcome walk", 5, description="Part of #Ct4R. Meet at the gate."),
    listing("class", "English class", 6, categories=("ESOL",)),
    make_listing(uid="past@hub.test", title="Last month's vigil", start=london(2026, 5, 1, 10),
                 end=london(2026, 5, 1, 12), categories=("CT4R", "Archive"), weeks=()),
]


@pytest.fixture
def tagged(settings: Settings) -> Iterator[TestClient]:
    catalogue = Catalogue(version=1, built_at=datetime(2026, 6, 1, tzinfo=UTC), zone=LONDON, listings=EVENTS,
                          groups=[], weeks=[])
    with TestClient(create_app(settings, hub=FixedHub(settings, catalogue))) as made:
        yield made


def uids(page: str) -> list[str]:
    return [uid.split("@")[0] for uid in re.findall(r'<li class="event[^"]*" data-uid="([^"]+)"', page)]


@june
def test_the_tags_page_lists_each_upcoming_tag_once_normalised_with_its_count(tagged: TestClient) -> None:
    page = tagged.get("/tags").text
    listed = re.findall(r'<li><a href="(/tags/[^"]+)">#([^<]+)</a> <span class="count">([^<]+)</span>', page)
    assert listed == [("/tags/ct4r", "ct4r", "3 events"), ("/tags/esol", "esol", "1 event"),
                      ("/tags/social", "social", "1 event")]   # "archive" is only on a past event
    assert "/cy/tags/ct4r" in tagged.get("/cy/tags").text


@june
def test_a_tag_page_lists_its_upcoming_events_whatever_the_case_it_is_written_in(tagged: TestClient) -> None:
    page = tagged.get("/tags/ct4r")
    assert page.status_code == 200
    assert uids(page.text) == ["vigil", "social", "walk"]
    assert uids(tagged.get("/tags/CT4R").text) == ["vigil", "social", "walk"]
    assert "http://hub.test/tags/ct4r.ics" in page.text          # its subscription box
    assert 'href="/calendar?tag=ct4r"' in page.text               # and its calendar view
    assert 'action="/search"' in page.text


@june
def test_a_tags_calendar_holds_exactly_its_events(tagged: TestClient) -> None:
    answer = tagged.get("/tags/ct4r.ics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.headers["etag"] and 'filename="ct4r.ics"' in answer.headers["content-disposition"]
    calendar = icalendar.Calendar.from_ical(answer.content)
    assert sorted(str(event["UID"]) for event in calendar.walk("VEVENT")) == [
        "social@hub.test", "vigil@hub.test", "walk@hub.test"]
    assert str(calendar["X-WR-CALNAME"]) == "Calendar Hub: #ct4r"
    again = tagged.get("/tags/ct4r.ics", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


@june
def test_an_unknown_tag_is_not_found_in_the_pages_language(tagged: TestClient) -> None:
    english = tagged.get("/tags/knitting")
    assert english.status_code == 404 and "No event carries the tag #knitting." in english.text
    welsh = tagged.get("/cy/tags/knitting")
    assert welsh.status_code == 404 and "Does dim digwyddiad â’r tag #knitting." in welsh.text
    assert tagged.get("/tags/knitting.ics").status_code == 404
    assert tagged.get("/calendar.ics?tag=knitting").status_code == 404


@june
def test_tag_filters_other_outputs(tagged: TestClient) -> None:
    calendar = icalendar.Calendar.from_ical(tagged.get("/calendar.ics?tag=esol").content)
    assert [str(event["UID"]) for event in calendar.walk("VEVENT")] == ["class@hub.test"]


@pytest.mark.now("2026-06-02T12:00:00+00:00")
def test_tags_are_paged_thirty_to_a_page(settings: Settings) -> None:
    many = [make_listing(uid=f"e{n}@hub.test", title=f"Stall {n}", start=london(2026, 6, 10, 9) + n * (
        london(2026, 6, 10, 10) - london(2026, 6, 10, 9)), end=london(2026, 6, 30, 9), categories=("Market",),
        weeks=()) for n in range(35)]
    catalogue = Catalogue(version=1, built_at=datetime(2026, 6, 1, tzinfo=UTC), zone=LONDON, listings=many,
                          groups=[], weeks=[])
    with TestClient(create_app(settings, hub=FixedHub(settings, catalogue))) as client:
        first, second = client.get("/tags/market").text, client.get("/tags/market?page=2").text
    assert len(uids(first)) == 30 and len(uids(second)) == 5
    assert 'href="/tags/market?page=2" rel="next"' in first and 'href="/tags/market" rel="prev"' in second


def test_the_hubs_own_tags_from_its_feeds(hub: HubData, client: TestClient) -> None:
    """From stored feeds (the database, SQLite or PostgreSQL): categories and hashtags are tags alike."""
    page = client.get("/tags").text
    assert 'href="/tags/ct4r"' in page and 'href="/tags/togetherwithrefugees"' in page
    calendar = icalendar.Calendar.from_ical(client.get("/tags/ct4r.ics").content)
    titles = sorted(str(event["SUMMARY"]) for event in calendar.walk("VEVENT"))
    # The CT4R category, or #CT4R in the title or description (the walk's); the English class has neither.
    assert titles == ["Film night: Flee", "Refugee Week Social", "Solidarity vigil #CT4R",
                      "Supper club & stories #CT4R", "Welcome Walk"]
    sitemap = client.get("/sitemap.xml").text
    assert "<loc>http://hub.test/tags</loc>" in sitemap and "<loc>http://hub.test/tags/ct4r</loc>" in sitemap
    assert "<loc>http://hub.test/calendar</loc>" in sitemap
