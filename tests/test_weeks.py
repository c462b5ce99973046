"""Week-of-action membership: days in the hub's zone, tags from categories and hashtags, listed groups."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from calendar_hub.weeks import WeekRule, selectors, weeks_of

LONDON = ZoneInfo("Europe/London")
WEEK = WeekRule.of("ct", date(2026, 12, 5), date(2026, 12, 13), ["#CT4R", "TogetherWithRefugees"], [], LONDON)
SUMMER = WeekRule.of("rw", date(2027, 6, 14), date(2027, 6, 20), ["RefugeeWeek"], ["group-a"], LONDON)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_tags_match_categories_and_hashtags_case_insensitively() -> None:
    assert selectors("Walk #ct4r", "", ()) >= {"ct4r"}
    assert "togetherwithrefugees" in selectors("Walk", "Join us! #TogetherWithRefugees", ())
    assert "ct4r" in selectors("Walk", "", ["CT4R "])
    tags = selectors("Walk #CT4R", "", ())
    assert weeks_of(at(2026, 12, 6, 10), at(2026, 12, 6, 12), tags, ["g"], [WEEK]) == ("ct",)
    assert weeks_of(at(2026, 12, 6, 10), at(2026, 12, 6, 12), selectors("Walk", "", ()), ["g"], [WEEK]) == ()


def test_the_weeks_days_are_london_days() -> None:
    tags = frozenset({"ct4r"})
    assert weeks_of(at(2026, 12, 13, 23, 30), at(2026, 12, 14, 0, 30), tags, [], [WEEK]) == ("ct",)
    assert weeks_of(at(2026, 12, 14, 0, 0), at(2026, 12, 14, 1, 0), tags, [], [WEEK]) == ()
    assert weeks_of(at(2026, 12, 4, 23, 0), at(2026, 12, 5, 0, 0), tags, [], [WEEK]) == ()
    # in summer a London day starts at 23:00 UTC the evening before
    assert weeks_of(at(2027, 6, 13, 23, 30), at(2027, 6, 14, 0, 0), frozenset({"refugeeweek"}),
                    ["group-a"], [SUMMER]) == ("rw",)


def test_an_event_spanning_the_week_and_an_instant_event_inside_it_count() -> None:
    tags = frozenset({"ct4r"})
    assert weeks_of(at(2026, 11, 30), at(2026, 12, 20), tags, [], [WEEK]) == ("ct",)
    assert weeks_of(at(2026, 12, 8, 9), at(2026, 12, 8, 9), tags, [], [WEEK]) == ("ct",)


def test_a_week_that_lists_groups_takes_only_theirs() -> None:
    tags = frozenset({"refugeeweek"})
    start, end = at(2027, 6, 15, 10), at(2027, 6, 15, 12)
    assert weeks_of(start, end, tags, ["group-a", "group-b"], [SUMMER]) == ("rw",)
    assert weeks_of(start, end, tags, ["group-b"], [SUMMER]) == ()


def test_a_week_without_tags_takes_every_event_in_its_days() -> None:
    open_week = WeekRule.of("open", date(2026, 12, 5), date(2026, 12, 6), [], [], LONDON)
    assert weeks_of(at(2026, 12, 5, 10), at(2026, 12, 5, 11), frozenset(), [], [open_week]) == ("open",)
