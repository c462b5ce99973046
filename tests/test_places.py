"""Place resolution: real-shaped UK location lines against where the places really are."""

from __future__ import annotations

import tomllib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from calendar_hub.catalogue import GroupInfo, home_place, place_of
from calendar_hub.places import Place, km_between, resolver
from calendar_hub.places.data import fold, place_data

LINES = tomllib.loads((Path(__file__).parent / "data" / "places" / "locations.toml").read_text("utf-8"))["line"]
PLACEABLE = ("postcode", "outward", "town", "borough", "hinted")
WITHIN_KM = 5.0


def _resolve(line: dict[str, Any]) -> Place | None:
    hint = resolver().resolve(line["home"]) if "home" in line else None
    return resolver().resolve(line["text"], hint=hint)


def test_the_line_set_is_large_and_varied() -> None:
    kinds = Counter(line["kind"] for line in LINES)
    assert len(LINES) >= 60
    assert all(kinds[kind] >= 4 for kind in (*PLACEABLE, "ambiguous", "unplaced")), kinds


def test_lines_with_a_postcode_or_a_known_town_land_within_5_km() -> None:
    placeable = [line for line in LINES if line["kind"] in PLACEABLE]
    misses = []
    for line in placeable:
        place = _resolve(line)
        distance = km_between(place.lat, place.lon, *line["at"]) if place else float("inf")
        if distance > WITHIN_KM or place is None or place.precision == "approximate":
            misses.append((line["text"], distance, place))
    share = 1 - len(misses) / len(placeable)
    assert share >= 0.95, misses


@pytest.mark.parametrize("line", [line for line in LINES if line["kind"] == "ambiguous"], ids=lambda line: line["text"])
def test_a_shared_name_without_a_home_is_placed_but_marked_approximate(line: dict[str, Any]) -> None:
    place = _resolve(line)
    assert place is not None and place.ambiguous and place.precision == "approximate"
    assert "more than one" in place.note()


@pytest.mark.parametrize("line", [line for line in LINES if line["kind"] == "unplaced"], ids=lambda line: line["text"])
def test_online_unknown_and_nonsense_lines_are_left_unplaced(line: dict[str, Any]) -> None:
    assert _resolve(line) is None


def test_a_postcode_wins_over_a_town_named_in_the_same_line() -> None:
    place = resolver().resolve("Manchester Road, Bradford BD5 0QD")
    assert place is not None and place.placed_by == "postcode" and place.label == "BD5 0"
    assert place.town == "Bradford" and place.region == "Yorkshire and The Humber"


def test_a_room_number_or_a_motorway_is_not_an_outward_code() -> None:
    assert resolver().resolve("Unit B2, Trading Estate") is None
    assert resolver().resolve("Services off the M6") is None


def test_northern_irish_postcodes_resolve_to_their_district_at_its_post_town() -> None:
    """BT postcode sectors are not shipped (their licence excludes commercial use): a district is placed at its
    post town (bt_districts.tsv), with GeoNames' position of that town."""
    place = resolver().resolve("Ulster Hall, Bedford Street, Belfast BT2 7FF")
    assert place is not None and place.placed_by == "postcode" and place.town == "Belfast"
    assert (place.label, place.nation, place.region, place.precision) == (
        "BT2", "Northern Ireland", "Northern Ireland", "area")
    for postcode, town, lat, lon in [("BT14 6BP", "Belfast", 54.6, -5.93), ("BT47 6AA", "Londonderry", 55.0, -7.31),
                                     ("BT19", "Bangor", 54.66, -5.67), ("BT25 1AA", "Dromore", 54.41, -6.15),
                                     ("BT74 7AA", "Enniskillen", 54.35, -7.64)]:
        found = resolver().resolve(postcode)
        assert found is not None and found.town == town, postcode
        assert abs(found.lat - lat) < 0.01 and abs(found.lon - lon) < 0.01, (postcode, found)
    assert resolver().resolve("BT99 1AA") is None  # no fixed place


def test_a_borough_gets_its_nation_region_and_own_name() -> None:
    place = resolver().resolve("Lewisham Islamic Centre, SE6")
    assert place is not None and (place.nation, place.region, place.town) == ("England", "London", "Lewisham")


def test_coordinates_get_the_region_and_town_of_the_nearest_postcode_sector() -> None:
    place = resolver().locate(51.4816, -3.1791)
    assert (place.placed_by, place.precision, place.nation, place.region, place.town) == (
        "coordinates", "exact", "Wales", "Wales", "Cardiff")
    assert resolver().locate(40.7, -74.0).region == ""  # New York: no region, no town


def test_every_authority_has_a_nation_and_every_english_one_an_itl1_region() -> None:
    regions = {"North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands",
               "East of England", "London", "South East", "South West"}
    areas = place_data().areas
    assert len(areas) > 300
    for area in areas.values():
        expected = regions if area.code.startswith("E") else {area.nation}
        assert area.region in expected, area
    assert sum(1 for a in areas.values() if a.region == "London") == 33


def test_names_fold_accents_case_and_saint() -> None:
    assert fold("Saint Ives") == fold("St. Ives") == "st ives"
    assert fold("Ynys Môn") == "ynys mon"


ROW = SimpleNamespace(lat=None, lon=None, location="", created_at=datetime(2026, 1, 1, tzinfo=UTC), id=1)


def _group(**values: Any) -> GroupInfo:
    home = values.pop("home", "Stockport")
    return GroupInfo(slug="g", name="G", website="", home=home, region=values.pop("region", ""),
                     lat=None, lon=None, place=home_place(home, None, None), **values)


def test_an_event_with_no_place_in_its_line_goes_to_the_groups_home_marked_approximate() -> None:
    place = place_of([SimpleNamespace(**{**vars(ROW), "location": "The usual room"})], [_group()])
    assert place is not None and place.placed_by == "group" and place.precision == "approximate"
    assert place.note() == "Approximate: the group's home, Stockport"


def test_an_online_event_is_never_put_at_the_groups_home() -> None:
    assert place_of([SimpleNamespace(**{**vars(ROW), "location": "Online (Zoom)"})], [_group()]) is None


def test_the_groups_home_settles_a_shared_name() -> None:
    row = SimpleNamespace(**{**vars(ROW), "location": "Quaker Meeting House, Newport"})
    place = place_of([row], [_group(home="Ryde, Isle of Wight")])
    assert place is not None and place.region == "South East" and not place.ambiguous


@pytest.mark.parametrize(("line", "home", "misread_as"), [
    ("Moss Side Library", "Manchester", "Moss"),              # Moss, near Doncaster: 77 km from Manchester
    ("Stoke Newington Town Hall", "London", "Stoke"),          # a Stoke, 200 km away or more
    ("Everton Library", "Liverpool", "Everton"),
])
def test_a_name_inside_a_venue_read_far_from_the_groups_home_gives_way_to_the_home(
        line: str, home: str, misread_as: str) -> None:
    far = resolver().resolve(line)
    assert far is not None and far.label == misread_as          # without a home, the word is all there is
    place = place_of([SimpleNamespace(**{**vars(ROW), "location": line})], [_group(home=home)])
    assert place is not None and place.placed_by == "group" and place.precision == "approximate"
    assert place.note() == f"Approximate: the group's home, {home}"
    assert km_between(place.lat, place.lon, far.lat, far.lon) > 50


def test_moss_side_for_a_manchester_group_is_in_manchester() -> None:
    place = place_of([SimpleNamespace(**{**vars(ROW), "location": "Moss Side"})], [_group(home="Manchester")])
    assert place is not None and place.region == "North West" and place.town == "Manchester"
    assert km_between(place.lat, place.lon, 53.4594, -2.2410) < 5     # Moss Side, Manchester


@pytest.mark.parametrize(("line", "home", "town"), [
    ("Old Trafford Community Centre", "Manchester", "Old Trafford"),  # a near reading inside a venue stays
    ("Brixton Village", "London", "Brixton"),
    ("Quaker Meeting House, Brighton", "Manchester", "Brighton"),      # a town named plainly, however far
])
def test_a_reading_near_the_home_or_a_plain_town_name_stays(line: str, home: str, town: str) -> None:
    place = place_of([SimpleNamespace(**{**vars(ROW), "location": line})], [_group(home=home)])
    assert place is not None and place.placed_by == "town" and place.town == town


def test_a_nearer_reading_in_the_same_line_wins_over_a_far_one() -> None:
    row = SimpleNamespace(**{**vars(ROW), "location": "Stoke Newington Hackney Library"})
    place = place_of([row], [_group(home="London")])                  # not Stoke-on-Trent, 217 km away
    assert place is not None and place.town == "Hackney" and place.placed_by == "town"
