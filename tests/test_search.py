"""Search: every word must match (AND), case and accents aside, in an event's title, description text, place and
groups; title matches first, then soonest; "… in Leeds" reads as near Leeds; q narrows the outputs too."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import icalendar
import pytest
from starlette.testclient import TestClient

from calendar_hub.catalogue import Catalogue, GroupInfo, WeekInfo
from calendar_hub.catalogue.listing import Listing
from calendar_hub.catalogue.search import MAX_QUERY, SearchIndex, fold, place_phrase, query_words, singular
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.factories import LONDON, FixedHub, london, make_group, make_listing

LEEDS = (53.7965, -1.5479)
pytestmark = pytest.mark.now("2026-06-01T12:00:00+00:00")


def listing(uid: str, title: str, day: int, **overrides: object) -> Listing:
    """A June 2026 event at 10:00 on `day`, by Riverside Greens unless told."""
    values: dict[str, object] = {"start": london(2026, 6, day, 10), "end": london(2026, 6, day, 12), "weeks": (),
                                 **overrides}
    return make_listing(uid=f"{uid}@hub.test", title=title, **values)


def catalogue_of(listings: Sequence[Listing]) -> Catalogue:
    groups = [GroupInfo(slug="riverside-greens", name="Riverside Greens", website="", home="", region="", lat=None,
                        lon=None),
              GroupInfo(slug="leeds-welcome", name="Leeds Ŵelcome Circle", website="", home="Leeds", region="",
                        lat=None, lon=None)]
    weeks = [WeekInfo(slug="refugee-week", name="Refugee Week", start=london(2026, 6, 15).date(),
                      end=london(2026, 6, 21).date(), tags=(), description="", groups=())]
    return Catalogue(version=1, built_at=datetime(2026, 6, 1, tzinfo=UTC), zone=LONDON, listings=listings,
                     groups=groups, weeks=weeks)


EVENTS = [
    listing("later-title", "English classes for adults", 20, location="Hyde Park Centre, Leeds LS6",
            lat=LEEDS[0] + 0.01, lon=LEEDS[1], categories=("ESOL",), weeks=("refugee-week",)),
    listing("sooner-text", "Tuesday drop-in", 3, description_text="Free English classes and tea.",
            description_html="<p>Free <strong>English</strong> classes and tea.</p>", lat=LEEDS[0], lon=LEEDS[1],
            location="Leeds Central Library"),
    listing("london", "English classes", 4, location="Brixton, London SW2"),
    listing("cafe", "Repair Café", 5, description_text="Bring what is broken.",
            description_html='<p class="workshop">Bring what is broken.</p>', location="Ysgol Gymraeg, Caerdydd"),
    listing("by-group", "Welcome walk", 6, groups=(make_group("leeds-welcome", "Leeds Ŵelcome Circle"),)),
    listing("past", "English classes (last term)", 1, start=london(2026, 5, 2, 10), end=london(2026, 5, 2, 12)),
]


@pytest.fixture
def index() -> SearchIndex:
    return catalogue_of(EVENTS).index


def found(index: SearchIndex, text: str) -> list[str]:
    return [item.uid.split("@")[0] for item in index.select(query_words(text))]


# -- the rules -------------------------------------------------------------------------------------------


def test_folding_drops_case_and_accents_and_query_words_are_each_read_once() -> None:
    assert fold("Café ŴYL Straße") == "cafe wyl strasse"
    assert query_words("  Café, CAFE   talk!  ") == ("cafe", "talk")
    assert query_words("x " * 50) == ("x",)
    assert len(query_words(" ".join(f"w{n}" for n in range(40)))) == 12


def test_every_word_must_match_somewhere_in_the_event(index: SearchIndex) -> None:
    assert found(index, "english classes") == ["past", "sooner-text", "london", "later-title"]
    assert found(index, "english classes adults") == ["later-title"]
    assert found(index, "english knitting") == []


def test_case_accents_and_word_beginnings_match(index: SearchIndex) -> None:
    assert found(index, "CAFE") == found(index, "café") == ["cafe"]
    assert found(index, "repa caf") == ["cafe"]            # "class" finds "classes", "caf" finds "Café"
    assert found(index, "welcome circle") == ["by-group"]   # the group's name, its Ŵ read as W
    assert found(index, "wel") == ["by-group"]
    assert found(index, "ca") == []                        # a word of one or two letters must be whole


def test_a_plural_finds_the_singular_too() -> None:
    assert [singular(word) for word in ("classes", "walks", "dances", "lunches", "class", "bus", "cymraeg")] == \
        ["class", "walk", "dance", "lunch", "class", "bus", "cymraeg"]
    index = catalogue_of([listing("one", "ESOL class for adults", 3), listing("two", "Two walks and a talk", 4),
                          listing("three", "Classic films", 5)]).index
    assert found(index, "classes") == ["one"]   # not "Classic": the singular is a word of its own
    assert found(index, "walk") == found(index, "walks") == ["two"]


def test_the_description_is_searched_as_text_never_as_its_html(index: SearchIndex) -> None:
    assert found(index, "broken") == ["cafe"]
    assert found(index, "workshop") == []      # a class name in the HTML
    assert found(index, "strong") == []


def test_the_place_is_searched(index: SearchIndex) -> None:
    assert found(index, "brixton") == ["london"]
    assert found(index, "ysgol caerdydd") == ["cafe"]


def test_title_matches_come_first_then_the_soonest(index: SearchIndex) -> None:
    items = index.select(query_words("english classes"))
    ranked = [item.uid.split("@")[0] for item in index.ranked(query_words("english classes"), items)]
    assert ranked == ["past", "london", "later-title", "sooner-text"]


@pytest.mark.parametrize(("text", "split"), [
    ("English classes in Leeds", ("English classes", "Leeds")),
    ("food in the park near Newport Pagnell", ("food in the park", "Newport Pagnell")),
    ("Dosbarthiadau Saesneg yn Abertawe", ("Dosbarthiadau Saesneg", "Abertawe")),
    ("near Cardiff", ("", "Cardiff")),
    ("English classes", None),
    ("Coffee ingredients", None),            # "in" inside a word is no phrase
])
def test_a_place_phrase_at_the_end_is_split_off(text: str, split: tuple[str, str] | None) -> None:
    assert place_phrase(text) == split


# -- the page and the outputs ------------------------------------------------------------------------------


@pytest.fixture
def browse(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, hub=FixedHub(settings, catalogue_of(EVENTS)))) as made:
        yield made


def results(page: str) -> list[str]:
    return [uid.split("@")[0] for uid in re.findall(r'<li class="event[^"]*" data-uid="([^"]+)"', page)]


def test_the_search_page_lists_upcoming_matches_ranked(browse: TestClient) -> None:
    answer = browse.get("/search?q=English+classes")
    assert answer.status_code == 200
    assert results(answer.text) == ["london", "later-title", "sooner-text"]   # the past term is left out
    assert "3 upcoming events found" in answer.text
    assert 'href="/calendar?q=English+classes"' in answer.text


def test_in_leeds_searches_near_leeds_and_says_so(browse: TestClient) -> None:
    answer = browse.get("/search", params={"q": "English classes in Leeds"})
    assert results(answer.text) == ["later-title", "sooner-text"]   # not Brixton's
    assert "Showing events within 10 km of Leeds, the place your search names." in answer.text
    assert 'value="English classes in Leeds"' in answer.text
    assert "calendar.ics?q=English+classes&amp;near=Leeds&amp;km=10" in answer.text
    # A place the gazetteer does not know stays words to search for.
    assert results(browse.get("/search", params={"q": "classes in Narnia"}).text) == []


def test_search_combines_with_the_other_filters(browse: TestClient) -> None:
    assert results(browse.get("/search?q=english&week=refugee-week").text) == ["later-title"]
    narrowed = browse.get("/search?q=welcome&group=leeds-welcome").text
    assert results(narrowed) == ["by-group"]
    assert "By Leeds Ŵelcome Circle" in narrowed and 'href="/search?q=welcome">Show every event' in narrowed
    assert "Show every event" not in browse.get("/search?q=welcome").text   # nothing besides the words to drop
    assert results(browse.get("/search?q=english&group=leeds-welcome").text) == []


def test_the_query_is_escaped_in_the_page(browse: TestClient) -> None:
    hostile = '"><script>alert(1)</script>'
    page = browse.get("/search", params={"q": hostile}).text
    assert "<script>alert(1)" not in page
    assert html.escape(hostile, quote=True) in page or "&#34;&gt;&lt;script&gt;" in page


def test_an_empty_query_asks_for_words_and_an_over_long_one_is_cut(browse: TestClient) -> None:
    empty = browse.get("/search?q=")
    assert empty.status_code == 200 and results(empty.text) == []
    assert "Type a word or two" in empty.text
    long = browse.get("/search", params={"q": "english " + "x" * 5000})
    assert long.status_code == 200
    typed = re.search(r'id="search-q" name="q" value="([^"]*)"', long.text)
    assert typed is not None and len(typed.group(1)) == MAX_QUERY


def test_the_welsh_search_page_speaks_welsh(browse: TestClient) -> None:
    page = browse.get("/cy/search?q=english+classes").text
    assert "Chwilio digwyddiadau" in page and "3 digwyddiad i ddod wedi’u canfod" in page
    assert 'action="/cy/search"' in page


def test_q_narrows_the_calendar_the_json_and_the_geojson(browse: TestClient) -> None:
    calendar = icalendar.Calendar.from_ical(browse.get("/calendar.ics?q=caf%C3%A9").content)
    assert [str(event["UID"]) for event in calendar.walk("VEVENT")] == ["cafe@hub.test"]
    every = icalendar.Calendar.from_ical(browse.get("/calendar.ics").content)
    assert len(every.walk("VEVENT")) == 5
    data = json.loads(browse.get("/api/events.json?q=english+adults").text)
    assert [event["uid"] for event in data["events"]] == ["later-title@hub.test"]
    other = json.loads(browse.get("/api/events.json?q=repair").text)   # its own cached body, not the last one
    assert [event["uid"] for event in other["events"]] == ["cafe@hub.test"]
    geo = json.loads(browse.get("/api/events.geojson?q=tuesday").text)
    assert [feature["properties"]["uid"] for feature in geo["features"]] == ["sooner-text@hub.test"]


def test_the_header_box_searches_in_the_pages_language(browse: TestClient) -> None:
    assert 'action="/search"' in browse.get("/tags").text
    welsh = browse.get("/cy/tags").text
    assert 'action="/cy/search"' in welsh and "Chwilio digwyddiadau" in welsh
