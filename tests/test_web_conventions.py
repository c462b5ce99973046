"""Browsing and the web's conventions: paging on the home page, the map's upcoming default, unknown filters named,
favicon, meta description, canonical link and Open Graph card, robots.txt, sitemap.xml, CORS and HEAD."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from starlette.testclient import TestClient

from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from calendar_hub.web.public.render import MAP_PAGE
from tests.factories import FixedHub, fixed_catalogue, many_listings
from tests.hubdata import WEEK, HubData

BASE = "http://hub.test"  # the test settings' base URL
GROUP = "cardiff-migrant-welcome"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
OUTPUTS = ["/calendar.ics", f"/weeks/{WEEK}.ics", f"/groups/{GROUP}.ics", "/feed.atom", "/api/events.json",
           "/api/events.geojson"]


class Head(HTMLParser):
    """The <meta> and <link> elements of a page's head, and its title."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, list[str]] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "meta" and "content" in values:
            self.meta[values.get("property") or values.get("name", "")] = values["content"]
        elif tag == "link":
            self.links.setdefault(values.get("rel", ""), []).append(values.get("href", ""))
        self._in_title = tag == "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False


def head(html: str) -> Head:
    parsed = Head()
    parsed.feed(html)
    return parsed


def _titles(page: str) -> list[str]:
    """The titles of the events listed, in order (not those in their JSON-LD)."""
    return re.findall(r'class="event-title">\s*(?:<a [^>]*>)?(Event \d+): repair café', page)


@pytest.fixture
def many(settings: Settings) -> TestClient:
    """A hub of 200 events over 2026, one every 7 hours from 5 January."""
    return TestClient(create_app(settings, hub=FixedHub(settings, fixed_catalogue(many_listings(200)))))


# ---------------------------------------------------------------- browsing


@pytest.mark.now("2026-01-01T12:00:00+00:00")
def test_the_home_page_pages_on_past_its_first_thirty_events(many: TestClient) -> None:
    first = many.get("/").text
    assert len(_titles(first)) == 30 and "Event 0:" in first and "Event 30:" not in first
    assert '<a href="/?page=2" rel="next">Later events</a>' in first and "Earlier events" not in first
    second = many.get("/?page=2").text
    assert _titles(second)[0] == "Event 30" and len(_titles(second)) == 30
    assert '<a href="/" rel="prev">Earlier events</a>' in second and 'href="/?page=3"' in second
    last = many.get("/?page=7").text  # events 180 to 199
    assert len(_titles(last)) == 20 and "Later events" not in last and 'href="/?page=6" rel="prev"' in last
    assert head(second).links["canonical"] == [f"{BASE}/?page=2"]
    assert many.get("/?page=0").status_code == 400 and many.get("/?page=two").status_code == 400


@pytest.mark.now("2026-07-01T12:00:00+00:00")
def test_the_map_shows_upcoming_events_unless_the_dates_ask_for_past_ones(settings: Settings) -> None:
    year = fixed_catalogue(many_listings(1250))  # one every 7 hours, 5 January to 30 December
    many = TestClient(create_app(settings, hub=FixedHub(settings, year)))
    page = many.get("/map").text
    starts = re.findall(r'<time class="when" datetime="(\d{4}-\d\d-\d\d)', page)
    assert starts and min(starts) >= "2026-07-01"
    assert 'id="map-from-today"' in page and 'href="/map?start=2026-01-05"' in page
    # the markers are the same events as the list (its first page)
    data_url = re.search(r'data-geojson="([^"]+)"', page)
    assert data_url is not None and "start=2026-07-01" in data_url.group(1)
    features = many.get(data_url.group(1)).json()["features"]
    listed = page.split('id="map-list"')[1].split("</ul>")[0]
    assert [f["id"] for f in features][:MAP_PAGE] == re.findall(r'id="event-\d+" data-uid="([^"]+)"', listed)
    earlier = many.get("/map?start=2026-01-05").text
    assert re.findall(r'<time class="when" datetime="(\d{4}-\d\d-\d\d)', earlier)[0] == "2026-01-05"
    assert 'id="map-from-today"' not in earlier
    week_map = many.get("/weeks/great-green-week-2026/map").text  # the week began on 6 June
    assert min(re.findall(r'<time class="when" datetime="(\d{4}-\d\d-\d\d)', week_map)) >= "2026-07-01"
    assert 'href="/weeks/great-green-week-2026/map?start=2026-06-06"' in week_map


def test_a_filter_the_hub_does_not_know_is_named_and_left_out(hub: HubData, client: TestClient) -> None:
    everything = client.get(f"/weeks/{WEEK}").text
    typo = client.get(f"/weeks/{WEEK}?regoin=Wales&utm_source=newsletter").text
    assert "The hub does not know the filter <code>regoin</code>; it was left out." in typo
    assert "utm_source" not in typo
    assert re.findall(r"<strong>(\d+)</strong> local action", typo) == re.findall(
        r"<strong>(\d+)</strong> local action", everything)
    assert "does not know the filter" not in client.get(f"/weeks/{WEEK}").text  # not the cached copy
    assert "<code>km2</code> and <code>regoin</code>" in client.get("/map?regoin=x&km2=3").text
    assert "<code>regoin</code>" in client.get(f"/embed/weeks/{WEEK}/map?regoin=x").text
    assert client.get("/api/events.json?regoin=Wales").status_code == 200  # outputs ignore them, as before


# ---------------------------------------------------------------- favicon, descriptions, canonical, Open Graph


def test_every_page_links_the_favicon_and_favicon_ico_answers(hub: HubData, client: TestClient) -> None:
    assert head(client.get("/").text).links["icon"] == ["/static/hub/favicon.svg"]
    for path in ("/favicon.ico", "/static/hub/favicon.svg"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
        assert ElementTree.fromstring(response.content).tag == "{http://www.w3.org/2000/svg}svg"


PAGES = {
    "/": "national weeks of action",
    f"/weeks/{WEEK}": "",  # the week's own description
    f"/weeks/{WEEK}/map": "A map of the local actions of",
    "/map": "A map of the upcoming events",
    "/groups": "member groups of",
    f"/groups/{GROUP}": "Upcoming events of Cardiff Migrant Welcome",
    "/about": "where its events come from",
    "/join/": "Add your group",
    "/submit/": "Send Calendar Hub one event",
    "/search?q=walk": "Search every upcoming local event",
    "/tags": "The tags of the upcoming local events",
    "/tags/ct4r": "Upcoming local events tagged #ct4r",
    "/calendar/2026-12-05": "Every local event on Saturday 5 December 2026",
}


@pytest.mark.parametrize("path", list(PAGES))
def test_every_public_page_has_a_description_a_canonical_link_and_an_open_graph_card(
        hub: HubData, client: TestClient, path: str) -> None:
    page = head(client.get(path).text)
    description = page.meta["description"]
    assert PAGES[path] in description and len(description) > 40, description
    assert page.links["canonical"] == [BASE + path]
    assert page.meta["og:url"] == BASE + path and page.meta["og:title"] == page.title
    assert page.meta["og:description"] == description and page.meta["og:type"] == "website"
    # A page with an image (a week's share card) gets the large card, the others the small one.
    card = "summary_large_image" if "og:image" in page.meta else "summary"
    assert page.meta["og:site_name"] == "Calendar Hub" and page.meta["twitter:card"] == card


def test_the_week_page_is_described_by_its_week(hub: HubData, client: TestClient) -> None:
    week = next(w for w in hub.registry.weeks if w.slug == WEEK)
    assert head(client.get(f"/weeks/{WEEK}").text).meta["description"].startswith(week.description[:60])


def test_an_event_page_has_one_description_canonical_link_and_card_its_own(settings: Settings) -> None:
    catalogue = fixed_catalogue(many_listings(3))
    item = catalogue.listings[0]
    with TestClient(create_app(settings, hub=FixedHub(settings, catalogue))) as client:
        page = client.get(f"/events/{quote(item.uid, safe='')}").text
    for tag in ('rel="canonical"', 'property="og:title"', 'property="og:url"', 'name="description"',
                'name="twitter:card"'):
        assert page.count(tag) == 1, tag
    assert f'<link rel="canonical" href="http://hub.test/events/{quote(item.uid, safe="")}">' in page


def test_a_canonical_link_keeps_the_pages_known_filters_only(hub: HubData, client: TestClient) -> None:
    page = head(client.get(f"/weeks/{WEEK}?near=Cardiff&regoin=x&utm_source=y", headers={"Host": "evil.example"}).text)
    assert page.links["canonical"] == [f"{BASE}/weeks/{WEEK}?near=Cardiff&km=10"]
    assert head(client.get(f"/map?week={WEEK}&region=Wales").text).links["canonical"] == [
        f"{BASE}/map?week={WEEK}&region=Wales"]


def test_error_and_console_pages_ask_not_to_be_indexed(hub: HubData, client: TestClient) -> None:
    for path in ("/weeks/no-such-week", "/admin/login"):
        page = head(client.get(path).text)
        assert page.meta.get("robots") == "noindex" and "canonical" not in page.links, path


# ---------------------------------------------------------------- robots.txt and sitemap.xml


def test_robots_txt_allows_the_public_pages_and_names_the_sitemap(client: TestClient) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *" and "Allow: /" in lines
    assert {"Disallow: /admin/", "Disallow: /join/", "Disallow: /submit/"} <= set(lines)
    assert f"Sitemap: {BASE}/sitemap.xml" in lines


def test_the_sitemap_lists_weeks_groups_and_upcoming_events_by_absolute_url(hub: HubData, client: TestClient) -> None:
    response = client.get("/sitemap.xml", headers={"Host": "evil.example"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{SITEMAP}urlset"
    urls = [loc.text or "" for loc in root.iter(f"{SITEMAP}loc")]
    assert all(url.startswith(BASE + "/") for url in urls) and len(set(urls)) == len(urls)
    assert {f"{BASE}/", f"{BASE}/map", f"{BASE}/groups", f"{BASE}/weeks/{WEEK}", f"{BASE}/groups/{GROUP}"} <= set(urls)
    uids = {event["uid"] for event in client.get("/api/events.json").json()["events"]}
    assert uids and {f"{BASE}/events/{quote(uid, safe='')}" for uid in uids} <= set(urls)
    assert client.get("/sitemap.xml", headers={"If-None-Match": response.headers["etag"]}).status_code == 304


# ---------------------------------------------------------------- CORS, OPTIONS and HEAD


@pytest.mark.parametrize("path", OUTPUTS)
def test_outputs_may_be_read_from_any_origin(hub: HubData, client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Origin": "https://other.example"})
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
    assert "etag" in response.headers["access-control-expose-headers"].lower()
    preflight = client.options(path, headers={"Origin": "https://other.example",
                                              "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204 and preflight.content == b""
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("path", ["/admin/", "/admin/login", f"/admin/weeks/{WEEK}/export.json", "/join/", "/submit/",
                                  "/", f"/weeks/{WEEK}"])
def test_the_console_forms_and_pages_get_no_cors(hub: HubData, client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Origin": "https://other.example"}, follow_redirects=False)
    assert "access-control-allow-origin" not in response.headers
    assert client.options(path, headers={"Origin": "https://other.example"}).status_code in (404, 405)


@pytest.mark.parametrize("path", OUTPUTS)
def test_head_on_an_output_has_the_headers_of_get_and_no_body(hub: HubData, client: TestClient, path: str) -> None:
    got, headed = client.get(path), client.head(path)
    assert headed.status_code == 200 and headed.content == b""
    for name in ("content-type", "etag", "cache-control", "content-length", "access-control-allow-origin"):
        assert headed.headers[name] == got.headers[name], name
