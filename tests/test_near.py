"""'Near me': ?near=<postcode or town>&km=<radius> on every output, with the fixture week served over HTTP."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest
from starlette.testclient import TestClient

from tests.hubdata import WEEK, HubData
from tests.pages import calendar_events

# The week's actions: five in Manchester, a vigil in Liverpool (L1), a supper club in Cardiff.
NEAR_M14 = {"near": "M14 5TG", "km": "5"}
MANCHESTER_TITLES = {"Welcome Walk", "English conversation class (special)", "Refugee Week Social",
                     "Film night: Flee", "Craft fair #TogetherWithRefugees"}


def titles_json(client: TestClient, params: dict[str, str]) -> set[str]:
    response = client.get("/api/events.json", params={"week": WEEK, **params})
    assert response.status_code == 200, response.text
    return {e["title"] for e in json.loads(response.content)["events"]}


def test_json_keeps_only_events_within_the_radius(hub: HubData, client: TestClient) -> None:
    assert titles_json(client, NEAR_M14) == MANCHESTER_TITLES
    assert titles_json(client, {"near": "Liverpool", "km": "10"}) == {"Solidarity vigil #CT4R"}
    assert titles_json(client, {"near": "CF10", "km": "10"}) == {"Supper club & stories #CT4R"}
    # Liverpool's vigil is about 46 km from Manchester's centre; Cardiff is 230 km away
    assert titles_json(client, {"near": "Manchester", "km": "50"}) == MANCHESTER_TITLES | {"Solidarity vigil #CT4R"}
    assert titles_json(client, {"near": "Glasgow", "km": "25"}) == set()


def test_geojson_ics_and_atom_filter_alike(hub: HubData, client: TestClient) -> None:
    geojson = json.loads(client.get("/api/events.geojson", params={"week": WEEK, **NEAR_M14}).content)
    assert {f["properties"]["title"] for f in geojson["features"]} == MANCHESTER_TITLES
    ics = client.get(f"/weeks/{WEEK}.ics", params=NEAR_M14)
    assert set(calendar_events(ics.content)) == MANCHESTER_TITLES
    everything = client.get("/calendar.ics", params={"near": "Cardiff", "km": "10"})
    assert set(calendar_events(everything.content)) == {"Supper club & stories #CT4R"}
    atom = ElementTree.fromstring(client.get("/feed.atom", params={"near": "Cardiff", "km": "10"}).content)
    entries = atom.findall("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title")
    assert [e.text for e in entries] == ["Supper club & stories #CT4R"]


def test_the_week_page_lists_only_nearby_actions(hub: HubData, client: TestClient) -> None:
    page = client.get(f"/weeks/{WEEK}", params={"near": "Liverpool", "km": "10"}).text
    assert "Solidarity vigil" in page and "Welcome Walk" not in page


def test_the_radius_defaults_to_10_km_and_is_checked(hub: HubData, client: TestClient) -> None:
    assert titles_json(client, {"near": "Liverpool"}) == {"Solidarity vigil #CT4R"}
    for bad in ("ten", "-5", "0", "nan", "inf"):
        response = client.get("/api/events.json", params={"near": "Liverpool", "km": bad})
        assert response.status_code == 400 and "km must be" in response.text


@pytest.mark.parametrize("path", ["/api/events.json", "/api/events.geojson", f"/weeks/{WEEK}.ics", "/feed.atom"])
def test_an_unknown_place_is_a_clear_400(hub: HubData, client: TestClient, path: str) -> None:
    response = client.get(path, params={"near": "Atlantis", "km": "10"})
    assert response.status_code == 400
    assert "does not know a place called \u201cAtlantis\u201d" in response.text
    assert "postcode" in response.text


def test_outputs_with_different_places_are_cached_apart(hub: HubData, client: TestClient) -> None:
    first = client.get(f"/weeks/{WEEK}.ics", params={"near": "Liverpool"})
    second = client.get(f"/weeks/{WEEK}.ics", params={"near": "Cardiff"})
    assert first.headers["etag"] != second.headers["etag"]
    assert set(calendar_events(second.content)) == {"Supper club & stories #CT4R"}


def test_coordinates_work_as_a_place(hub: HubData, client: TestClient) -> None:
    assert titles_json(client, {"near": "53.4086,-2.98", "km": "3"}) == {"Solidarity vigil #CT4R"}


def test_groups_are_listed_under_the_region_of_their_home(hub: HubData, client: TestClient) -> None:
    """The registry gives no regions here: they come from the groups' homes."""
    page = client.get("/groups").text
    cardiff = page[page.index('data-slug="cardiff-migrant-welcome"'):]
    assert '<p class="group-home">Cardiff · Wales</p>' in cardiff[:cardiff.index("</li>")]
    assert "Based in Cardiff · Wales" in client.get("/groups/cardiff-migrant-welcome").text
