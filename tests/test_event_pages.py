"""Event pages: /events/{uid} shows one event whole, /events/{uid}.ics adds it to a calendar, merged copies redirect,
events no longer listed are gone, and feed text stays text."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import icalendar
import pytest
from rdflib.namespace import SDO
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from calendar_hub import store
from calendar_hub.catalogue import Catalogue
from calendar_hub.catalogue.hub import Hub
from calendar_hub.settings import Settings
from calendar_hub.store.models import HiddenEvent
from calendar_hub.web.app import create_app
from tests.factories import HOSTILE, FixedHub, fixed_catalogue, hostile_listings, london, make_group, make_listing
from tests.feedserver import FeedServer
from tests.hubdata import WEEK, HubData, run_refresh
from tests.icaljs import JS, NODE, icalendar_view, icaljs
from tests.pages import calendar_events

BASE = "http://hub.test"
GONE = "0123456789abcdef0123456789abcdef@calendar-hub"   # well formed, never published

PLACED = dataclasses.replace(make_listing(uid="placed@calendar-hub"), aliases=("placed-copy@calendar-hub",))
ONLINE = make_listing(uid="online@calendar-hub", title="Online: writing to your MP", location="https://zoom.us/j/123",
                      lat=None, lon=None, place_precision="none", placed_by="", place_note="", region="", town="",
                      groups=(make_group("remote-readers", "Remote Readers", website=""),))
ALL_DAY = make_listing(uid="all-day@calendar-hub", title="Seed swap", all_day=True, start_date=date(2026, 6, 20),
                       end_date=date(2026, 6, 22))
CANCELLED = make_listing(uid="cancelled@calendar-hub", title="Bat walk", status="CANCELLED",
                         start=london(2026, 6, 12, 21), end=london(2026, 6, 12, 22, 30))
CASES = {"placed": PLACED, "online": ONLINE, "all-day": ALL_DAY, "cancelled": CANCELLED}


def path_of(uid: str) -> str:
    return "/events/" + quote(uid, safe="")


@pytest.fixture
def fixed(settings: Settings) -> Iterator[TestClient]:
    """A visitor's client of an app serving the four cases, as if it were 1 June 2026."""
    catalogue = fixed_catalogue(list(CASES.values()))
    with TestClient(create_app(settings, hub=FixedHub(settings, catalogue)), follow_redirects=False) as made:
        yield made


def json_ld(page: str) -> dict[str, Any]:
    [body] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)
    data: dict[str, Any] = json.loads(body)
    return data


class _Meta(HTMLParser):
    """The page's <meta property|name=... content=...> and <link rel=... href=...>, and every <a href>."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.anchors: list[tuple[str, str]] = []   # (href, class)
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag == "meta" and ("property" in values or "name" in values):
            self.meta[values.get("property") or values["name"]] = values.get("content", "")
        elif tag == "link":
            self.links[values.get("rel", "")] = values.get("href", "")
        elif tag == "a":
            self.anchors.append((values.get("href", ""), values.get("class", "")))


def parsed(page: str) -> _Meta:
    reader = _Meta()
    reader.feed(page)
    return reader


# ---------------------------------------------------------------- what the page shows

@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_a_placed_event_has_a_page_with_everything_about_it(fixed: TestClient) -> None:
    response = fixed.get(path_of(PLACED.uid))
    assert response.status_code == 200 and response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    html = parsed(page)
    assert '<h1 id="event-heading">Litter pick on the towpath</h1>' in page
    assert "Saturday 13 June 2026, 10:00–12:00" in page                                   # local time
    assert "Canal Basin, Wharf Road, Riverside RV1 2AB" in page
    assert "Exact place given by the group&#39;s calendar" in page                  # how it was placed
    assert 'data-lat="51.501234" data-lon="-0.123456"' in page and 'data-precision="exact"' in page  # the map
    assert '<script src="/static/hub/event-map.js"></script>' in page
    assert ("/groups/riverside-greens", "") in html.anchors                         # who, linked
    assert ("https://riverside-greens.example.org/events/litter-pick", "") in html.anchors  # the source
    assert "Riverside Greens’s calendar" in page
    assert ("/weeks/great-green-week-2026", "") in html.anchors                     # its week
    assert "<p>Bring gloves. Tea afterwards.</p>" in page                           # the sanitised description
    directions = next(href for href, cls in html.anchors if cls == "directions")
    assert parse_qs(urlsplit(directions).query) == {"to": ["51.50123,-0.12346"]}
    assert urlsplit(directions).netloc == "www.openstreetmap.org"
    assert (path_of(PLACED.uid) + ".ics", "ics") in html.anchors
    assert "Cancelled" not in page
    assert html.links["canonical"] == BASE + path_of(PLACED.uid)
    assert html.meta["og:url"] == BASE + path_of(PLACED.uid)
    assert html.meta["og:title"] == html.meta["twitter:title"] == "Litter pick on the towpath"
    assert html.meta["og:type"] == "website" and html.meta["twitter:card"] == "summary"
    assert "Saturday 13 June 2026" in html.meta["og:description"] and "Bring gloves" in html.meta["og:description"]


@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_a_cancelled_event_says_so_first(fixed: TestClient) -> None:
    page = fixed.get(path_of(CANCELLED.uid)).text
    assert '<p class="banner cancelled-banner" role="status"><strong>Cancelled.</strong>' in page
    assert page.index("cancelled-banner") < page.index("<h1")
    assert parsed(page).meta["og:title"] == "Cancelled: Bat walk"


@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_an_online_event_has_no_map_and_links_where_to_join(fixed: TestClient) -> None:
    page = fixed.get(path_of(ONLINE.uid)).text
    assert 'Online: <a href="https://zoom.us/j/123" rel="nofollow ugc noopener">' in page
    assert 'id="event-map"' not in page and "event-map.js" not in page and "directions" not in page
    assert "leaflet" not in page


@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_an_all_day_event_shows_its_days(fixed: TestClient) -> None:
    page = fixed.get(path_of(ALL_DAY.uid)).text
    assert "Saturday 20 June – Sunday 21 June 2026" in page
    assert '<time datetime="2026-06-20">' in page


# ---------------------------------------------------------------- schema.org JSON-LD, property by property

EVENT_PROPERTIES = {"name", "startDate", "endDate", "eventStatus", "eventAttendanceMode", "url", "organizer",
                    "description", "location", "sameAs", "image"}
PROPERTIES_OF = {"Event": EVENT_PROPERTIES, "Place": {"name", "address", "geo"}, "VirtualLocation": {"name", "url"},
                 "Organization": {"name", "url"}, "GeoCoordinates": {"latitude", "longitude"}}


def vocabulary_problems(node: Any) -> list[str]:
    """Types and properties that schema.org does not define, or does not define for that type."""
    if isinstance(node, list):
        return [problem for item in node for problem in vocabulary_problems(item)]
    if not isinstance(node, dict):
        return []
    kind = node.get("@type", "")
    problems = [] if kind in SDO.__annotations__ else [f"unknown type {kind}"]
    for key, value in node.items():
        if key.startswith("@"):
            continue
        if key not in SDO.__annotations__:
            problems.append(f"unknown property {key}")
        elif key not in PROPERTIES_OF.get(kind, set()):
            problems.append(f"{key} on {kind}")
        problems += vocabulary_problems(value)
    return problems


@pytest.mark.now("2026-06-01T12:00:00+00:00")
@pytest.mark.parametrize("case", CASES)
def test_the_json_ld_has_what_event_results_ask_for(fixed: TestClient, case: str) -> None:
    listing = CASES[case]
    data = json_ld(fixed.get(path_of(listing.uid)).text)
    assert vocabulary_problems(data) == []
    assert (data["@context"], data["@type"], data["name"]) == ("https://schema.org", "Event", listing.title)
    assert data["url"] == BASE + path_of(listing.uid)                      # the event's page, never the home page
    assert data["sameAs"] == listing.url
    assert data["description"] == listing.description_text
    assert "image" not in data                                             # the feeds give none
    expected = {
        "placed": ("2026-06-13T10:00:00+01:00", "2026-06-13T12:00:00+01:00", "EventScheduled", "Offline"),
        "online": ("2026-06-13T10:00:00+01:00", "2026-06-13T12:00:00+01:00", "EventScheduled", "Online"),
        "all-day": ("2026-06-20", "2026-06-21", "EventScheduled", "Offline"),
        "cancelled": ("2026-06-12T21:00:00+01:00", "2026-06-12T22:30:00+01:00", "EventCancelled", "Offline"),
    }[case]
    assert (data["startDate"], data["endDate"]) == expected[:2]
    assert data["eventStatus"] == f"https://schema.org/{expected[2]}"
    assert data["eventAttendanceMode"] == f"https://schema.org/{expected[3]}EventAttendanceMode"
    [organizer] = data["organizer"]
    group = listing.groups[0]
    assert organizer == {"@type": "Organization", "name": group.name,
                         "url": group.website or f"{BASE}/groups/{group.slug}"}   # the hub's page without a site
    place = data["location"]
    if case == "online":
        assert place == {"@type": "VirtualLocation", "name": "https://zoom.us/j/123", "url": "https://zoom.us/j/123"}
    else:
        assert place["@type"] == "Place" and place["address"] == listing.location
        assert place["geo"] == {"@type": "GeoCoordinates", "latitude": 51.501234, "longitude": -0.123456}


def test_the_vocabulary_check_catches_a_made_up_property() -> None:
    assert vocabulary_problems({"@type": "Event", "name": "x", "startTime": "y", "location": {"@type": "Venue"}}) \
        == ["startTime on Event", "unknown type Venue"]


# ---------------------------------------------------------------- add to calendar

@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_google_and_outlook_links_are_filled_in(fixed: TestClient) -> None:
    anchors = dict((cls, href) for href, cls in parsed(fixed.get(path_of(PLACED.uid)).text).anchors if cls)
    google, outlook = urlsplit(anchors["google"]), urlsplit(anchors["outlook"])
    assert (google.scheme, google.netloc, google.path) == ("https", "calendar.google.com", "/calendar/render")
    assert parse_qs(google.query) == {
        "action": ["TEMPLATE"], "text": ["Litter pick on the towpath"], "dates": ["20260613T090000Z/20260613T110000Z"],
        "details": [f"Bring gloves. Tea afterwards.\n\n{BASE}{path_of(PLACED.uid)}"],
        "location": ["Canal Basin, Wharf Road, Riverside RV1 2AB"]}
    assert (outlook.scheme, outlook.netloc, outlook.path) == ("https", "outlook.live.com",
                                                              "/calendar/0/deeplink/compose")
    assert parse_qs(outlook.query) == {
        "path": ["/calendar/action/compose"], "rru": ["addevent"], "subject": ["Litter pick on the towpath"],
        "startdt": ["2026-06-13T09:00:00Z"], "enddt": ["2026-06-13T11:00:00Z"], "allday": ["false"],
        "body": [f"Bring gloves. Tea afterwards.\n\n{BASE}{path_of(PLACED.uid)}"],
        "location": ["Canal Basin, Wharf Road, Riverside RV1 2AB"]}


@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_an_all_day_event_goes_to_google_and_outlook_as_days(fixed: TestClient) -> None:
    anchors = dict((cls, href) for href, cls in parsed(fixed.get(path_of(ALL_DAY.uid)).text).anchors if cls)
    google, outlook = parse_qs(urlsplit(anchors["google"]).query), parse_qs(urlsplit(anchors["outlook"]).query)
    assert google["dates"] == ["20260620/20260622"]                       # the end exclusive, as RFC 5545 has it
    assert (outlook["startdt"], outlook["enddt"], outlook["allday"]) == (["2026-06-20"], ["2026-06-22"], ["true"])


def test_the_single_event_calendar_is_the_event_as_in_every_calendar(hub: HubData, client: TestClient) -> None:
    everything = calendar_events(client.get("/calendar.ics").content)
    for title in ("Welcome Walk", "Craft fair #TogetherWithRefugees", "Film night: Flee"):
        published = everything[title]
        response = client.get(path_of(str(published["UID"])) + ".ics")
        assert response.status_code == 200 and response.headers["content-type"] == "text/calendar; charset=utf-8"
        calendar = icalendar.Calendar.from_ical(response.content)
        assert "METHOD" not in calendar   # as in the calendars: METHOD:PUBLISH would ask for an ORGANIZER
        [event] = calendar.walk("VEVENT")
        for name in ("UID", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "STATUS", "DTSTAMP"):
            assert event.get(name) == published.get(name), (title, name)
        assert event.decoded("DTSTART") == published.decoded("DTSTART")


@pytest.mark.node
@pytest.mark.skipif(NODE is None or not (JS / "node_modules" / "ical.js").is_dir(), reason="ical.js is not installed")
def test_icaljs_reads_the_single_event_calendar_at_the_same_instant(hub: HubData, client: TestClient) -> None:
    listings = client.get("/api/events.json", params={"week": WEEK}).json()["events"]
    for event in listings:
        data = client.get(urlsplit(event["event_url"]).path + ".ics").content
        theirs, ours = icaljs(data, "Pacific/Auckland"), icalendar_view(data)
        assert list(theirs) == list(ours) == [event["uid"]]
        assert theirs[event["uid"]]["start"] == ours[event["uid"]]["start"] == event["start"]


# ---------------------------------------------------------------- the real hub: series, merged copies, gone events

def test_a_series_page_lists_its_other_dates(hub: HubData, client: TestClient) -> None:
    events = client.get("/api/events.json").json()["events"]
    classes = [e for e in events if e["title"].startswith("English conversation class")]
    assert len(classes) == 3                      # four weekly, one of them taken out (EXDATE)
    page = client.get(urlsplit(classes[0]["event_url"]).path).text
    others = re.findall(r'<li><a href="(/events/[^"]+)"><time', page)
    assert others == [urlsplit(e["event_url"]).path for e in classes[1:]]
    assert "Other dates" in page


def test_week_listings_and_map_data_link_to_the_event_pages(hub: HubData, client: TestClient) -> None:
    events = client.get("/api/events.json", params={"week": WEEK}).json()["events"]
    week = client.get(f"/weeks/{WEEK}").text
    features = client.get("/api/events.geojson", params={"week": WEEK}).json()["features"]
    atom = client.get("/feed.atom").text
    for event in events:
        path = urlsplit(event["event_url"]).path
        assert event["event_url"] == BASE + path
        assert f'<a href="{path}">' in week
        assert f'"url": "{BASE}{path}"' in week                                 # the listing's JSON-LD
        assert f'href="{BASE}{path}"' in atom
        assert client.get(path).status_code == 200
    assert {f["properties"]["event_url"] for f in features} <= {e["event_url"] for e in events}


def test_an_event_answers_under_its_uid_with_or_without_percent_encoding(hub: HubData, client: TestClient) -> None:
    uid = client.get("/api/events.json").json()["events"][0]["uid"]
    assert "@" in uid
    plain, encoded = client.get(f"/events/{uid}"), client.get(path_of(uid))
    assert plain.status_code == encoded.status_code == 200
    assert plain.text == encoded.text


def test_a_merged_copys_uid_redirects_to_the_event_it_was_merged_into(hub: HubData, settings: Settings) -> None:
    made = Hub(settings)
    try:
        catalogue: Catalogue = made.catalogue()
    finally:
        made.close()
    merged = [item for item in catalogue.listings if item.aliases]
    assert [item.title for item in merged] == ["Refugee Week Social"]
    [alias] = merged[0].aliases
    with TestClient(create_app(settings), follow_redirects=False) as client:
        moved = client.get(path_of(alias))
        assert moved.status_code == 301 and moved.headers["location"] == path_of(merged[0].uid)
        assert client.get(path_of(alias) + ".ics").headers["location"] == path_of(merged[0].uid) + ".ics"
        page = client.get(moved.headers["location"]).text
        assert "From the calendars of Sanctuary Manchester and Liverpool Welcome Network" in page


def test_an_event_gone_from_its_feed_is_410_gone(hub: HubData, engine: Engine, settings: Settings,
                                                client: TestClient, feed_server: FeedServer) -> None:
    vigil = next(e for e in client.get("/api/events.json").json()["events"] if e["title"] == "Solidarity vigil #CT4R")
    path = urlsplit(vigil["event_url"]).path
    assert client.get(path).status_code == 200
    body = hub.feed_file("liverpool_outlook.ics").read_bytes()
    start = body.index(b"BEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E00800000000B1")
    end = body.index(b"END:VEVENT\r\n", start) + len(b"END:VEVENT\r\n")
    feed_server.serve("/liverpool_outlook.ics", body[:start] + body[end:])
    run_refresh(engine, settings)
    gone = client.get(path)
    assert gone.status_code == 410
    assert "Solidarity vigil" not in gone.text
    assert 'href="/"' in gone.text and f'href="/weeks/{WEEK}"' in gone.text and 'href="/map"' in gone.text
    assert client.get(path + ".ics").status_code == 410


def test_a_hidden_event_is_gone_and_never_shown(hub: HubData, engine: Engine, client: TestClient) -> None:
    walk = next(e for e in client.get("/api/events.json").json()["events"] if e["title"] == "Welcome Walk")
    with Session(engine) as session:
        session.add(HiddenEvent(uid=walk["uid"], title="Welcome Walk", reason="postponed", actor="test"))
        store.bump_version(session=session)
        session.commit()
    for suffix in ("", ".ics"):
        response = client.get(path_of(walk["uid"]) + suffix)
        assert response.status_code == 410
        assert "Welcome Walk" not in response.text and "Central Library" not in response.text


@pytest.mark.now("2026-06-01T12:00:00+00:00")
@pytest.mark.parametrize("uid", ["no-such-event", "x" * 40 + "@calendar-hub", "0123456789ABCDEF0123456789ABCDEF@else"])
def test_an_address_that_names_no_event_is_404(fixed: TestClient, uid: str) -> None:
    assert fixed.get(path_of(uid)).status_code == 404
    assert fixed.get(path_of(uid) + ".ics").status_code == 404
    assert fixed.get(path_of(GONE)).status_code == 410


@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_the_page_is_cached_with_an_etag(fixed: TestClient) -> None:
    first = fixed.get(path_of(PLACED.uid))
    again = fixed.get(path_of(PLACED.uid), headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert first.headers["cache-control"] == "public, max-age=60"


@pytest.mark.now("2026-06-01T12:00:00+00:00")
def test_its_absolute_addresses_come_from_the_base_url_only(fixed: TestClient) -> None:
    hostile = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "Forwarded": "host=evil.example"}
    for suffix in ("", ".ics"):
        response = fixed.get(path_of(PLACED.uid) + suffix, headers=hostile)
        assert response.status_code == 200 and "evil.example" not in response.text
    moved = fixed.get(path_of("placed-copy@calendar-hub"), headers=hostile)
    assert (moved.status_code, moved.headers["location"]) == (301, path_of(PLACED.uid))


# ---------------------------------------------------------------- feed text stays text

def test_feed_markup_reaches_the_event_page_as_text(settings: Settings) -> None:
    placed, online = hostile_listings()
    hostile = [dataclasses.replace(placed, description_text=HOSTILE, url='https://example.org/?a="1"<b>'),
               dataclasses.replace(online, location=f"Online {HOSTILE}")]
    with TestClient(create_app(settings, hub=FixedHub(settings, fixed_catalogue(hostile)))) as client:
        for item in hostile:
            page = client.get(path_of(item.uid)).text
            assert HOSTILE not in page and "<script>alert" not in page and "<em>Riverside" not in page
            assert "&lt;script&gt;alert(&#34;feed&#34;)&lt;/script&gt;" in page           # the title, as text
            tags = parsed(page).tags
            assert "img" not in tags and "em" not in tags
            # JSON-LD, the two scripts of every page, and Leaflet with the map's when placed
            assert tags.count("script") == 3 + 2 * (item.lat is not None)
            data = json_ld(page)
            assert data["name"] == item.title                                  # intact once parsed
            meta = parsed(page).meta
            assert meta["og:title"] == item.title and HOSTILE not in page

