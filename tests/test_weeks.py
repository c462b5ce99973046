"""Week-of-action membership: days in the hub's zone, tags from categories and hashtags, listed groups."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from calendar_hub.catalogue.weeks import Verdict, WeekRule, explain, selectors, weeks_of

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


def test_events_taken_in_or_left_out_by_hand_override_the_rule() -> None:
    week = WeekRule.of("ct", date(2026, 12, 5), date(2026, 12, 13), ["CT4R"], [], LONDON,
                       included=["walk@hub"], excluded=["vigil@hub"])
    tagged, untagged = frozenset({"ct4r"}), frozenset()
    inside, outside = (at(2026, 12, 6, 10), at(2026, 12, 6, 12)), (at(2027, 1, 6, 10), at(2027, 1, 6, 12))
    assert weeks_of(*inside, untagged, [], [week], uid="walk@hub") == ("ct",)
    assert weeks_of(*outside, untagged, [], [week], uid="walk@hub") == ("ct",)  # by hand, whatever the days
    assert weeks_of(*inside, tagged, [], [week], uid="vigil@hub") == ()
    assert weeks_of(*inside, tagged, [], [week], uid="other@hub") == ("ct",)


def test_explain_says_where_the_tag_was_found_and_what_was_missing() -> None:
    def verdict(uid: str = "e@hub", title: str = "Walk", description: str = "", categories: tuple[str, ...] = (),
                groups: tuple[str, ...] = ("group-a",), start: datetime | None = None) -> Verdict:
        start = start or at(2027, 6, 15, 10)
        rule = WeekRule.of("rw", date(2027, 6, 14), date(2027, 6, 20), ["RefugeeWeek"], ["group-a"], LONDON,
                           included=["in@hub"], excluded=["out@hub"])
        return explain(rule, uid=uid, start=start, end=start + timedelta(hours=2), title=title,
                       description=description, categories=categories, group_slugs=groups)

    assert verdict(categories=("Refugee Week",)).member is False  # a category is matched whole, not by words
    found = verdict(title="Picnic #refugeeweek", description="Join us #RefugeeWeek", categories=("RefugeeWeek",))
    assert found.member and found.reasons == ("in the week's days", "category RefugeeWeek; #refugeeweek in the "
                                              "title; #refugeeweek in the description", "by group-a, taking part")
    assert verdict(title="Picnic").reasons[1] == "carries none of the week's tags"
    assert not verdict(title="#RefugeeWeek", groups=("group-b",)).member
    assert "not by a group taking part" in verdict(title="#RefugeeWeek", groups=("group-b",)).reasons
    late = verdict(title="#RefugeeWeek", start=at(2027, 7, 1, 10))
    assert not late.member and late.reasons[0] == "outside the week's days"
    assert verdict(uid="in@hub").member and verdict(uid="in@hub").by_hand == "included"
    kept_out = verdict(uid="out@hub", title="#RefugeeWeek")
    assert not kept_out.member and kept_out.reasons[0] == "left out by hand"
