"""The map pages, the embed page and the near-me search box, server-side: headers, filters and escaping."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from calendar_hub import store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from calendar_hub.web.public.render import MAP_PAGE
from tests.factories import FixedHub, fixed_catalogue, hostile_listings, many_listings
from tests.hubdata import moved_hub

WEEK = "communities-together"
STATIC = Path(__file__).parent.parent / "static"


@pytest.fixture
def loaded(tmp_path: Path, engine: Engine, settings: Settings) -> None:
    """The test registry, refreshed from its files."""
    with Session(engine) as session:
        store.apply_registry(moved_hub(tmp_path).registry, session=session)
    asyncio.run(refresh(engine, settings, due_only=False))


def _list_uids(page: str) -> list[str]:
    """The uids of the list beside the map, in order."""
    section = page.split('id="map-list"', 1)[1].split("</ul>", 1)[0] if 'id="map-list"' in page else ""
    return re.findall(r'<li class="event[^"]*"\s+id="event-\d+" data-uid="([^"]+)"', section)


def _geojson_ids(client: TestClient, page: str) -> list[str]:
    url = re.search(r'data-geojson="([^"]+)"', page)
    assert url is not None
    response = client.get(url.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    return [feature["id"] for feature in response.json()["features"]]


def _point_ids(client: TestClient, page: str) -> list[str]:
    """The events of the map's own compact data (`data-points`), in order."""
    url = re.search(r'data-points="([^"]+)"', page)
    assert url is not None
    response = client.get(url.group(1).replace("&amp;", "&"))
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    doc = response.json()
    return [row[doc["fields"].index("id")] for row in doc["events"]]


# ---------------------------------------------------------------- framing


@pytest.mark.usefixtures("loaded")
def test_the_embed_page_may_be_framed_by_any_site(client: TestClient) -> None:
    response = client.get(f"/embed/weeks/{WEEK}/map")
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["content-security-policy"].split("; ")
    assert "x-frame-options" not in response.headers


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize("path", ["/", f"/weeks/{WEEK}", f"/weeks/{WEEK}/map", "/map", "/groups", "/about",
                                  "/weeks/no-such-week", "/api/events.geojson", f"/weeks/{WEEK}.ics"])
def test_every_other_response_refuses_to_be_framed(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["x-frame-options"] == "DENY", path
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"].split("; "), path


@pytest.mark.usefixtures("loaded")
def test_an_unknown_week_in_an_embed_is_404(client: TestClient) -> None:
    assert client.get("/embed/weeks/no-such-week/map").status_code == 404


# ---------------------------------------------------------------- the embed page


@pytest.mark.usefixtures("loaded")
def test_the_embed_page_has_the_map_a_compact_list_and_no_site_chrome(client: TestClient) -> None:
    page = client.get(f"/embed/weeks/{WEEK}/map").text
    assert '<header class="site">' not in page and '<footer class="site">' not in page
    assert 'id="map"' in page and 'data-link-target="_blank"' in page
    assert len(_list_uids(page)) == 7
    assert re.search(r'<a class="credit" href="/weeks/communities-together" target="_blank" rel="noopener">'
                     r"Full listings on Calendar Hub</a>", page)
    # every link leaves the partner's page for a new tab, never inside their iframe
    for link in re.findall(r"<a [^>]*>", page):
        assert 'target="_blank"' in link and "noopener" in link, link


@pytest.mark.usefixtures("loaded")
def test_the_embed_page_takes_the_same_filters(client: TestClient) -> None:
    page = client.get(f"/embed/weeks/{WEEK}/map", params={"near": "Manchester", "km": "10"}).text
    uids = _list_uids(page)
    assert 0 < len(uids) < 7
    assert uids == _geojson_ids(client, page)
    assert 'href="/weeks/communities-together?near=Manchester&amp;km=10"' in page
    assert len(_list_uids(client.get(f"/embed/weeks/{WEEK}/map", params={"region": "Wales"}).text)) == 1


# ---------------------------------------------------------------- the map page and its list


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize(("path", "params"), [
    (f"/weeks/{WEEK}/map", {}),
    (f"/weeks/{WEEK}/map", {"region": "North West"}),
    (f"/weeks/{WEEK}/map", {"near": "M14 5TG", "km": "5"}),
    ("/map", {}),
    ("/map", {"week": WEEK, "near": "Cardiff", "km": "25"}),
])
def test_the_list_beside_the_map_is_the_geojsons_events_in_order(client: TestClient, path: str,
                                                                 params: dict[str, str]) -> None:
    page = client.get(path, params=params)
    assert page.status_code == 200
    uids = _list_uids(page.text)
    assert uids and uids == _geojson_ids(client, page.text) == _point_ids(client, page.text)
    assert f"<strong>{len(uids)}</strong> of " in page.text


@pytest.mark.usefixtures("loaded")
def test_the_map_page_offers_filters_that_reload_it(client: TestClient) -> None:
    page = client.get("/map", params={"week": WEEK, "region": "wales", "km": "25", "near": "Cardiff"}).text
    form = page.split('<form class="filters"', 1)[1].split("</form>", 1)[0]
    assert 'method="get" action="/map"' in form
    assert f'<option value="{WEEK}" selected>' in form
    assert "<option selected>Wales</option>" in form
    assert 'name="start"' in form and 'name="end"' in form
    assert 'value="Cardiff"' in form and '<option value="25" selected>25 km</option>' in form
    assert "within 25 km of" in page
    # a week's own map has its week in the path, not in the form
    week_form = client.get(f"/weeks/{WEEK}/map").text.split('<form class="filters"', 1)[1].split("</form>")[0]
    assert 'name="week"' not in week_form


@pytest.mark.now("2026-06-01T12:00:00+00:00")  # the factories' events are upcoming then
def test_the_summary_counts_events_off_the_map(settings: Settings) -> None:
    catalogue = fixed_catalogue(hostile_listings())
    with TestClient(create_app(settings, hub=FixedHub(settings, catalogue))) as client:
        page = client.get("/map").text
    assert "<strong>1</strong> of 2 events on the map; 1 is online or has no place." in page
    assert 'id="unplaced-heading"' in page


@pytest.mark.now("2026-01-01T12:00:00+00:00")  # before the first of the year's events: the map shows them all
@pytest.mark.parametrize("path", ["/map", "/cy/map", "/embed/weeks/great-green-week-2026/map"])
def test_the_list_beside_the_map_shows_a_page_of_its_events_and_links_the_next(settings: Settings,
                                                                               path: str) -> None:
    listings = many_listings(2 * MAP_PAGE + 60)  # one in five has no place
    week = "great-green-week-2026"
    if "embed" in path:  # the week's map: every event in the week
        listings = [dataclasses.replace(item, weeks=(week,)) for item in listings]
    with TestClient(create_app(settings, hub=FixedHub(settings, fixed_catalogue(listings)))) as client:
        first = client.get(path).text
        ids = _geojson_ids(client, first)
        placed = len(ids)
        assert placed == 208 and _point_ids(client, first) == ids  # every event is a marker, on every page
        assert _list_uids(first) == ids[:MAP_PAGE]
        assert 'id="event-1"' in first and f'id="event-{MAP_PAGE + 1}"' not in first
        later = re.search(r'<a href="([^"]+)" rel="next"[^>]*>([^<]+)</a>', first)
        assert later is not None and later.group(1).endswith("page=2")
        second = client.get(later.group(1).replace("&amp;", "&")).text
        assert _list_uids(second) == ids[MAP_PAGE:2 * MAP_PAGE]
        assert f'id="event-{MAP_PAGE + 1}"' in second  # numbered as in the whole list
        assert 'rel="prev"' in second and 'rel="next"' in second
        last = client.get(path, params={"page": "3"}).text
        assert _list_uids(last) == ids[2 * MAP_PAGE:] and 'rel="next"' not in last
        assert client.get(path, params={"page": "0"}).status_code == 400
    if path == "/cy/map":
        assert later.group(2) == "Digwyddiadau diweddarach"
        assert f"Digwyddiadau 1 i {MAP_PAGE} o {placed} yn y rhestr hon." in first
    elif "embed" in path:
        assert 'target="_self"' in later.group(0)  # the next page in the partner's iframe, not a new tab
    else:
        assert f"Events {MAP_PAGE + 1} to {2 * MAP_PAGE} of {placed} in this list." in second
        assert f"<strong>{placed}</strong> of {len(listings)} events on the map" in second  # all, on every page


# ---------------------------------------------------------------- near me


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize("path", [f"/weeks/{WEEK}", f"/weeks/{WEEK}/map", "/map", f"/embed/weeks/{WEEK}/map"])
def test_an_unknown_place_shows_why_beside_the_box_and_every_listing(client: TestClient, path: str) -> None:
    everything = client.get(path).text
    response = client.get(path, params={"near": "Nowhere In Particular", "km": "25"})
    assert response.status_code == 400
    page = response.text
    assert "Something is wrong with this request" not in page  # not the bare error page
    assert re.search(r'<p class="problem" id="near-problem" role="alert">.*Nowhere In Particular', page)
    assert 'value="Nowhere In Particular"' in page and 'aria-invalid="true"' in page
    assert '<option value="25" selected>' in page
    assert page.count('<li class="event') == everything.count('<li class="event') > 0


@pytest.mark.usefixtures("loaded")
def test_a_known_place_narrows_the_week_page_and_its_map_link(client: TestClient) -> None:
    everything = client.get(f"/weeks/{WEEK}").text
    page = client.get(f"/weeks/{WEEK}", params={"near": "Cardiff", "km": "10"}).text
    assert page.count('<li class="event') == 1 < everything.count('<li class="event')
    assert "<strong>within 10 km of Cardiff</strong>" in page
    assert f'href="/weeks/{WEEK}/map?near=Cardiff&amp;km=10"' in page
    assert "Show every local action" in page


@pytest.mark.usefixtures("loaded")
def test_the_week_page_has_a_labelled_near_me_box(client: TestClient) -> None:
    page = client.get(f"/weeks/{WEEK}").text
    assert '<label for="near-place">Near a postcode or town</label>' in page
    assert '<label for="near-km">Within</label>' in page
    assert re.findall(r'<option value="(\d+)"', page.split('id="near-km"', 1)[1].split("</select>")[0]) == \
        ["5", "10", "25", "50"]


# ---------------------------------------------------------------- feed text stays text


@pytest.mark.now("2026-06-01T12:00:00+00:00")
@pytest.mark.parametrize("path", ["/map", "/weeks/great-green-week-2026", "/weeks/great-green-week-2026/map",
                                  "/embed/weeks/great-green-week-2026/map"])
def test_feed_markup_never_reaches_a_map_page_as_markup(settings: Settings, path: str) -> None:
    catalogue = fixed_catalogue(hostile_listings())
    with TestClient(create_app(settings, hub=FixedHub(settings, catalogue))) as client:
        page = client.get(path).text
    assert "<script>alert" not in page and "<img src=x" not in page and "<em>Riverside" not in page
    assert "&lt;script&gt;alert(&#34;feed&#34;)&lt;/script&gt;" in page


def test_popups_are_built_from_text_nodes() -> None:
    """map.js hands Leaflet DOM nodes only: no HTML strings (tests/test_browser.py opens a hostile popup too)."""
    script = (STATIC / "map.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "setContent(", "bindTooltip("):
        assert sink not in script, sink
    assert re.findall(r"bindPopup\(\w+", script) == ["bindPopup(popup"]
