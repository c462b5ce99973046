"""Near me everywhere: the postcode or town box on the home page, the week pages and the maps, each event's distance,
the searched place for the map, "use my location" (near-me.js), and Northern Ireland's postcodes."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from calendar_hub.catalogue.listing import Listing
from calendar_hub.places import resolver
from calendar_hub.web.present import distance
from tests.factories import make_listing
from tests.hubdata import WEEK, HubData

PAGES = ["/", f"/weeks/{WEEK}", "/map", f"/weeks/{WEEK}/map"]
AWAY = re.compile(r'<p class="distance"><strong>([\d.]+) (k?m)</strong> away</p>')


@pytest.mark.parametrize("path", PAGES)
def test_every_listing_page_has_the_near_me_box_and_a_use_my_location_button(hub: HubData, client: TestClient,
                                                                             path: str) -> None:
    page = client.get(path).text
    assert '<input type="text" id="near-place" name="near"' in page
    assert '<select id="near-km" name="km">' in page
    assert '<button type="button" class="use-my-location" data-near-input="near-place" hidden>' in page
    assert '<script src="/static/hub/near-me.js" defer></script>' in page


@pytest.mark.parametrize("path", PAGES)
def test_results_near_a_place_say_how_far_each_event_is(hub: HubData, client: TestClient, path: str) -> None:
    page = client.get(path, params={"near": "M14 5TG", "km": "5"}).text
    items = re.findall(r'<li class="event[^"]*"[^>]*data-uid=.*?</li>', page, re.S)
    assert items
    for item in items:
        found = AWAY.search(item)
        assert found, item
        km = float(found.group(1)) / (1000 if found.group(2) == "m" else 1)
        assert km <= 5.0
    assert not AWAY.search(client.get(path).text)  # no search, no distances


def test_the_distance_is_in_metres_then_kilometres() -> None:
    origin = resolver().locate(53.4808, -2.2426)
    def at(lat: float, lon: float) -> Listing:
        return make_listing(lat=lat, lon=lon)
    assert distance(at(53.4808, -2.2426), origin) == "10 m"
    assert distance(at(53.4850, -2.2426), origin) == "470 m"
    assert distance(at(53.5015, -2.2426), origin) == "2.3 km"
    assert distance(at(53.4084, -2.9916), origin) == "50 km"
    assert distance(make_listing(lat=None, lon=None), origin) == "" and distance(at(53.5, -2.2), None) == ""


def test_the_map_marks_the_searched_place(hub: HubData, client: TestClient) -> None:
    page = client.get(f"/weeks/{WEEK}/map", params={"near": "M14 5TG", "km": "5"}).text
    assert re.search(r'data-near-lat="53\.4\d+" data-near-lon="-2\.2\d+"\s+data-near-km="5.0" '
                     r'data-near-label="M14 5TG"', page)
    script = client.get("/static/hub/map.js").text
    assert 'className: "near-origin"' in script and "L.circleMarker" in script and "around the searched place" in script


@pytest.mark.parametrize("path", PAGES)
def test_a_northern_irish_postcode_is_a_place(hub: HubData, client: TestClient, path: str) -> None:
    response = client.get(path, params={"near": "BT14 6BP", "km": "10"})
    assert response.status_code == 200
    assert "does not know a place" not in response.text
    assert "within 10 km of BT14 6BP (BT14)" in response.text


def test_the_home_page_lists_upcoming_events_near_the_place(hub: HubData, client: TestClient) -> None:
    near = client.get("/", params={"near": "Cardiff", "km": "10"}).text
    titles = set(re.findall(r'<h3 class="event-title">\s*(?:<a [^>]+>)?([^<]+)', near))
    assert {title.strip() for title in titles} == {"Supper club &amp; stories #CT4R"}
    assert "Coming up within 10 km of Cardiff" in near
    unknown = client.get("/", params={"near": "Atlantis"})
    assert unknown.status_code == 400 and "Place not found" in unknown.text
