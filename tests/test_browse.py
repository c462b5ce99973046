"""Browsing like a calendar: /calendar puts each event on every day it covers (in the hub's zone, across a change
of the clocks), lists three a day and "+N more"; /calendar/YYYY-MM-DD lists a day in order; both keep filters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from starlette.testclient import TestClient

from calendar_hub.catalogue import Catalogue, GroupInfo, WeekInfo
from calendar_hub.catalogue.days import days_covered, grid_span, month_days
from calendar_hub.catalogue.listing import Listing
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.factories import LONDON, FixedHub, london, make_group, make_listing

october = pytest.mark.now("2026-10-10T12:00:00+00:00")
OTHERS = make_group("leeds-welcome", "Leeds Welcome")


def timed(uid: str, title: str, start: datetime, end: datetime, **overrides: object) -> Listing:
    return make_listing(uid=f"{uid}@hub.test", title=title, start=start, end=end, weeks=(), **overrides)


EVENTS = [
    # Clocks go back at 02:00 BST on Sunday 25 October 2026.
    timed("swim", "Early swim", london(2026, 10, 24, 0, 30), london(2026, 10, 24, 1, 30)),   # 23:30 UTC the 23rd
    timed("vigil", "Overnight vigil", london(2026, 10, 24, 22), london(2026, 10, 25, 4)),
    timed("after", "After the change", london(2026, 10, 26, 10), london(2026, 10, 26, 11)),
    timed("film", "Late film", london(2026, 10, 20, 20), london(2026, 10, 21, 0)),           # ends at midnight
    make_listing(uid="fair@hub.test", title="Book fair", all_day=True, start_date=date(2026, 10, 30),
                 end_date=date(2026, 11, 2), weeks=("book-week",), categories=("Books",)),
    *(timed(f"busy{n}", f"Stall {n}", london(2026, 10, 14, 9 + n), london(2026, 10, 14, 10 + n),
            groups=(OTHERS,) if n == 4 else (make_group(),)) for n in range(5)),
    make_listing(uid="day@hub.test", title="Open day", all_day=True, start_date=date(2026, 10, 14), weeks=()),
]


def catalogue_of(listings: list[Listing]) -> Catalogue:
    groups = [GroupInfo(slug=g.slug, name=g.name, website="", home="", region="", lat=None, lon=None)
              for g in (make_group(), OTHERS)]
    weeks = [WeekInfo(slug="book-week", name="Book Week", start=date(2026, 10, 26), end=date(2026, 11, 1), tags=(),
                      description="", groups=())]
    return Catalogue(version=1, built_at=datetime(2026, 10, 1, tzinfo=UTC), zone=LONDON, listings=listings,
                     groups=groups, weeks=weeks)


@pytest.fixture
def browse(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, hub=FixedHub(settings, catalogue_of(EVENTS)))) as made:
        yield made


def cells(page: str) -> dict[str, list[tuple[str, str]]]:
    """{day: [(time, title)]} of a month page's grid."""
    found = re.findall(r'<td data-day="(\d{4}-\d\d-\d\d)"[^>]*>(.*?)</td>', page, re.S)
    return {day: re.findall(r'<span class="time">([^<]*)</span>\s*<a href="[^"]*">([^<]*)</a>', body)
            for day, body in found}


# -- days ------------------------------------------------------------------------------------------------


def test_an_event_covers_the_days_of_the_zone_it_is_on() -> None:
    swim, vigil, _after, film, fair = EVENTS[:5]
    assert days_covered(swim, LONDON) == (date(2026, 10, 24), date(2026, 10, 24))    # not the 23rd, as in UTC
    assert days_covered(vigil, LONDON) == (date(2026, 10, 24), date(2026, 10, 25))
    assert days_covered(film, LONDON) == (date(2026, 10, 20), date(2026, 10, 20))    # a midnight end
    assert days_covered(fair, LONDON) == (date(2026, 10, 30), date(2026, 11, 1))     # DTEND exclusive


def test_a_month_is_whole_weeks_from_monday() -> None:
    assert grid_span(date(2026, 10, 1)) == (date(2026, 9, 28), date(2026, 11, 1))
    weeks = month_days(date(2026, 10, 1), EVENTS, LONDON)
    assert len(weeks) == 5 and all(len(week) == 7 for week in weeks)
    assert [cell.in_month for cell in weeks[0][:4]] == [False, False, False, True]


# -- the month -------------------------------------------------------------------------------------------


@october
def test_the_month_puts_each_event_on_each_day_it_covers_across_the_change_of_the_clocks(
        browse: TestClient) -> None:
    grid = cells(browse.get("/calendar?month=2026-10").text)
    assert grid["2026-10-23"] == []
    assert grid["2026-10-24"] == [("00:30", "Early swim"), ("22:00", "Overnight vigil")]
    assert grid["2026-10-25"] == [("Continues", "Overnight vigil")]
    assert grid["2026-10-26"] == [("10:00", "After the change")]
    assert grid["2026-10-20"] == [("20:00", "Late film")] and grid["2026-10-21"] == []
    assert [grid[day] for day in ("2026-10-30", "2026-10-31", "2026-11-01")] == [[("All day", "Book fair")]] * 3


@october
def test_a_busy_day_lists_three_then_links_the_rest(browse: TestClient) -> None:
    page = browse.get("/calendar?month=2026-10").text
    assert cells(page)["2026-10-14"] == [("All day", "Open day"), ("09:00", "Stall 0"), ("10:00", "Stall 1")]
    assert '<a class="more" href="/calendar/2026-10-14">+3 more</a>' in page


@october
def test_the_month_is_an_accessible_table_with_today_marked(browse: TestClient) -> None:
    page = browse.get("/calendar").text                     # this month, by the hub's clock
    assert "<caption>October 2026</caption>" in page
    assert page.count('<th scope="col">') == 7 and '<abbr title="Monday">Mon</abbr>' in page
    assert re.findall(r'<td data-day="([^"]+)"[^>]*aria-current="date"', page) == ["2026-10-10"]
    assert '<span class="visually-hidden">Wednesday 14 October 2026: 6 events</span>' in page
    assert 'href="/calendar?month=2026-09" rel="prev"' in page and 'href="/calendar?month=2026-11" rel="next"' in page


@october
def test_the_month_keeps_its_filters_in_every_link(browse: TestClient) -> None:
    page = browse.get("/calendar?month=2026-10&group=leeds-welcome").text
    assert {day: titles for day, titles in cells(page).items() if titles} == {"2026-10-14": [("13:00", "Stall 4")]}
    assert 'href="/calendar?group=leeds-welcome&amp;month=2026-11" rel="next"' in page
    assert 'href="/calendar/2026-10-14?group=leeds-welcome"' in page
    assert "By Leeds Welcome" in page
    searched = cells(browse.get("/calendar?month=2026-10&q=swim").text)
    assert [titles for titles in searched.values() if titles] == [[("00:30", "Early swim")]]
    tagged = cells(browse.get("/calendar?month=2026-10&tag=books").text)
    assert sum(1 for titles in tagged.values() if titles) == 3


@october
def test_a_week_opens_on_its_own_month_and_its_page_links_there(browse: TestClient) -> None:
    page = browse.get("/calendar?week=book-week&month=2026-10").text
    assert {day for day, titles in cells(page).items() if titles} == {"2026-10-30", "2026-10-31", "2026-11-01"}
    assert "<caption>October 2026</caption>" in browse.get("/calendar?week=book-week").text
    assert 'href="/calendar?week=book-week"' in browse.get("/weeks/book-week").text
    assert 'href="/calendar?group=leeds-welcome"' in browse.get("/groups/leeds-welcome").text


@october
def test_bad_months_and_days_are_refused(browse: TestClient) -> None:
    assert browse.get("/calendar?month=2026-13").status_code == 400
    assert browse.get("/calendar?month=soon").status_code == 400
    assert browse.get("/calendar/2026-02-30").status_code == 404
    assert browse.get("/calendar/tomorrow").status_code == 404


# -- a day -----------------------------------------------------------------------------------------------


@october
def test_a_day_lists_its_events_in_time_order_with_the_days_around(browse: TestClient) -> None:
    page = browse.get("/calendar/2026-10-14").text
    listed = re.findall(r'<li class="day-event[^"]*"><span class="time">([^<]*)</span>\s*<a href="([^"]*)">([^<]*)',
                        page)
    assert [(time, title) for time, _href, title in listed] == [
        ("All day", "Open day"), *((f"{9 + n:02d}:00", f"Stall {n}") for n in range(5))]
    assert listed[1][1] == "/events/busy0%40hub.test"
    assert "<h1>Wednesday 14 October 2026</h1>" in page
    assert 'href="/calendar/2026-10-13" rel="prev"' in page and 'href="/calendar/2026-10-15" rel="next"' in page
    assert 'href="/calendar?month=2026-10"' in page
    continued = browse.get("/calendar/2026-10-25").text
    assert "Continues" in continued and "Overnight vigil" in continued


@october
def test_the_welsh_calendar_names_its_months_and_days_in_welsh(browse: TestClient) -> None:
    page = browse.get("/cy/calendar?month=2026-10").text
    assert "<caption>Hydref 2026</caption>" in page and '<abbr title="Dydd Llun">' in page
    assert '<a class="more" href="/cy/calendar/2026-10-14">+3 arall</a>' in page
    assert 'href="/cy/calendar?month=2026-11" rel="next"' in page and "Y mis nesaf" in page
    day = browse.get("/cy/calendar/2026-10-14").text
    assert "Dydd Mercher 14 Hydref 2026" in day and "Drwy&#39;r dydd" in day
