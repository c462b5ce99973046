"""The JSON and GeoJSON publishers: parsed back with json and checked field by field."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from calendar_hub.publish import api
from calendar_hub.publish.api import MAP_FIELDS, events_page, geojson, listing_to_dict, map_points
from tests.factories import london, make_group, make_listing, many_listings

BASE = "https://hub.example.org/"
HOSTILE = 'Café <script>alert("x")</script> "; ]]> a,b;c \\ back\nnew line \u2028 🏳️‍🌈 \x00'

KEYS = {
    "uid", "title", "start", "end", "last_day", "all_day", "status", "location", "lat", "lon", "place_precision",
    "placed_by", "place_note", "nation", "region", "town", "groups", "url", "event_url", "weeks", "categories",
    "description",
}


def test_listing_to_dict_has_the_documented_keys() -> None:
    shape = listing_to_dict(make_listing(), base_url=BASE)
    assert set(shape) == KEYS
    assert shape["groups"] == [{
        "slug": "riverside-greens",
        "name": "Riverside Greens",
        "url": "https://hub.example.org/groups/riverside-greens",
    }]
    assert shape["url"] == "https://riverside-greens.example.org/events/litter-pick"   # the feed's own page
    assert shape["event_url"] == "https://hub.example.org/events/riverside-greens-litter-pick-20260613%40hub.example.org"
    assert shape["weeks"] == ["great-green-week-2026"]
    assert shape["categories"] == ["Clean-up", "Family friendly"]
    assert shape["description"] == "Bring gloves. Tea afterwards."
    assert (shape["lat"], shape["lon"], shape["place_precision"]) == (51.501234, -0.123456, "exact")


def test_summer_and_winter_times_are_utc_with_z() -> None:
    summer_listing = make_listing(start=london(2026, 6, 13, 10), end=london(2026, 6, 13, 12))
    winter_listing = make_listing(start=london(2026, 12, 3, 10), end=london(2026, 12, 3, 11, 30))
    summer = listing_to_dict(summer_listing, base_url=BASE)
    winter = listing_to_dict(winter_listing, base_url=BASE)
    assert (summer["start"], summer["end"]) == ("2026-06-13T09:00:00Z", "2026-06-13T11:00:00Z")
    assert (winter["start"], winter["end"]) == ("2026-12-03T10:00:00Z", "2026-12-03T11:30:00Z")
    assert datetime.fromisoformat(summer["start"]) == london(2026, 6, 13, 10)
    assert summer["all_day"] is False


def test_microseconds_are_dropped() -> None:
    start = london(2026, 6, 13, 10) + timedelta(microseconds=123456)
    assert listing_to_dict(make_listing(start=start), base_url=BASE)["start"] == "2026-06-13T09:00:00Z"


def test_all_day_is_dates_with_exclusive_end() -> None:
    item = make_listing(all_day=True, start_date=date(2026, 10, 24), end_date=date(2026, 10, 26))
    shape = listing_to_dict(item, base_url=BASE)
    assert (shape["start"], shape["end"], shape["all_day"]) == ("2026-10-24", "2026-10-26", True)


@pytest.mark.parametrize(("first", "after", "last"), [
    (date(2026, 12, 5), date(2026, 12, 14), "2026-12-13"),   # shown as 5-13 December
    (date(2026, 12, 8), date(2026, 12, 9), "2026-12-08"),    # one day
    (date(2026, 12, 31), date(2027, 1, 1), "2026-12-31"),    # across the year's end
])
def test_an_all_day_event_says_its_inclusive_last_day_beside_the_exclusive_end(first: date, after: date,
                                                                              last: str) -> None:
    shape = listing_to_dict(make_listing(all_day=True, start_date=first, end_date=after), base_url=BASE)
    assert (shape["end"], shape["last_day"]) == (after.isoformat(), last)
    assert date.fromisoformat(shape["last_day"]) < date.fromisoformat(shape["end"])
    assert listing_to_dict(make_listing(), base_url=BASE)["last_day"] is None  # a timed event has none


def test_cancelled_keeps_its_status() -> None:
    assert listing_to_dict(make_listing(status="CANCELLED"), base_url=BASE)["status"] == "CANCELLED"


def test_hostile_text_round_trips_exactly() -> None:
    item = make_listing(title=HOSTILE, description_text=HOSTILE, location=HOSTILE,
                        groups=(make_group("odd slug/ü", HOSTILE),), categories=(HOSTILE,))
    page = json.loads(events_page([item], base_url=BASE, next_url=None))
    event = page["events"][0]
    assert event["title"] == event["description"] == event["location"] == HOSTILE
    assert event["categories"] == [HOSTILE]
    assert event["groups"][0]["name"] == HOSTILE
    assert event["groups"][0]["url"] == "https://hub.example.org/groups/odd%20slug%2F%C3%BC"


def test_json_is_compact_utf8() -> None:
    data = events_page([make_listing(title="Café 🌍")], base_url=BASE, next_url=None)
    assert "Café 🌍".encode() in data
    assert b": " not in data and b", " not in data.replace(b"Canal Basin, Wharf Road, Riverside", b"")


def test_events_page_shape_and_order() -> None:
    listings = many_listings(5)
    page = json.loads(events_page(listings[::-1], base_url=BASE, next_url=BASE + "api/events?after=x"))
    assert set(page) == {"events", "count", "next"}
    assert page["count"] == 5
    assert page["next"] == BASE + "api/events?after=x"
    # The page keeps the order it is given: the store decides paging order.
    assert [e["uid"] for e in page["events"]] == [item.uid for item in listings[::-1]]
    empty = json.loads(events_page([], base_url=BASE, next_url=None))
    assert empty == {"events": [], "count": 0, "next": None}


def test_geojson_is_an_rfc7946_feature_collection() -> None:
    placed = make_listing(uid="placed", lat=53.4808, lon=-2.2426, place_precision="approximate")
    unplaced = make_listing(uid="unplaced", lat=None, lon=None, place_precision="none")
    doc = json.loads(geojson([unplaced, placed], base_url=BASE))
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc  # RFC 7946 4: WGS 84 only, no crs member
    [feature] = doc["features"]
    assert feature["type"] == "Feature"
    assert feature["id"] == "placed"
    # RFC 7946 3.1.1: longitude first.
    assert feature["geometry"] == {"type": "Point", "coordinates": [-2.2426, 53.4808]}
    expected = listing_to_dict(placed, base_url=BASE)
    del expected["lat"], expected["lon"]
    assert feature["properties"] == expected


def test_geojson_same_bytes_in_any_order() -> None:
    listings = many_listings(40) + [make_listing(uid="b"), make_listing(uid="a")]
    first = geojson(listings, base_url=BASE)
    assert geojson(listings[::-1], base_url=BASE) == first
    uids = [f["id"] for f in json.loads(first)["features"]]
    assert uids.index("a") < uids.index("b")


def test_map_points_are_the_geojsons_features_with_what_popups_show() -> None:
    hostile_group = make_group("hostile", HOSTILE)
    listings = many_listings(60) + [
        make_listing(uid="hostile", title=HOSTILE, location=HOSTILE, place_note=HOSTILE, status="CANCELLED",
                     place_precision="approximate", groups=(hostile_group, make_group())),
        make_listing(uid="day", all_day=True, start_date=date(2026, 6, 13), end_date=date(2026, 6, 15))]
    doc = json.loads(map_points(listings[::-1]))
    features = json.loads(geojson(listings, base_url=BASE))["features"]
    assert doc["fields"] == list(MAP_FIELDS)
    rows = [dict(zip(MAP_FIELDS, row, strict=True)) for row in doc["events"]]
    # the same events as the GeoJSON (the list beside the map follows its order), in any input order
    assert [(r["id"], [r["lon"], r["lat"]]) for r in rows] == \
        [(f["id"], f["geometry"]["coordinates"]) for f in features]
    for row, feature in zip(rows, features, strict=True):
        p = feature["properties"]
        assert (row["title"], row["start"], row["end"], row["location"], row["place_note"]) == \
            (p["title"], p["start"], p["end"], p["location"], p["place_note"])
        assert (row["all_day"], row["cancelled"], row["approximate"]) == \
            (int(p["all_day"]), int(p["status"] == "CANCELLED"), int(p["place_precision"] == "approximate"))
        assert [doc["groups"][g] for g in row["groups"]] == [[g["slug"], g["name"]] for g in p["groups"]]
    hostile = next(r for r in rows if r["id"] == "hostile")
    assert hostile["title"] == hostile["location"] == hostile["place_note"] == HOSTILE  # data, exactly as fed
    assert doc["groups"][hostile["groups"][0]] == ["hostile", HOSTILE]
    day = next(r for r in rows if r["id"] == "day")
    assert (day["start"], day["end"], day["all_day"]) == ("2026-06-13", "2026-06-15", 1)  # dates, end exclusive


def test_orjson_and_json_give_the_same_bytes() -> None:
    orjson = pytest.importorskip("orjson")
    doc: Any = json.loads(geojson(many_listings(200) + [make_listing(title=HOSTILE)], base_url=BASE))
    assert orjson.dumps(doc) == api._json_dumps(doc)
