"""The whole path: a registry of real-shaped feeds served on 127.0.0.1 -> refresh -> ICS, pages, GeoJSON."""

from __future__ import annotations

import json

import icalendar
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from calendar_hub import store
from calendar_hub.places import km_between
from calendar_hub.settings import Settings
from calendar_hub.store.models import Feed
from tests.feedserver import FeedServer
from tests.hubdata import WEEK, HubData, run_refresh
from tests.icaljs import JS, NODE, icalendar_view, icaljs
from tests.pages import calendar_events


def test_week_calendar_has_the_weeks_actions_at_the_right_times(hub: HubData, client: TestClient) -> None:
    response = client.get(f"/weeks/{WEEK}.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    events = calendar_events(response.content)
    assert sorted(events) == sorted([
        "Welcome Walk", "English conversation class (special)", "Refugee Week Social", "Film night: Flee",
        "Craft fair #TogetherWithRefugees", "Solidarity vigil #CT4R", "Supper club & stories #CT4R",
    ])
    assert events["Welcome Walk"].decoded("DTSTART") == hub.local("2026-12-05 10:00")
    assert events["Welcome Walk"].decoded("DTEND") == hub.local("2026-12-05 12:00")
    # a moved instance of a weekly series keeps its own time (RECURRENCE-ID override)
    assert events["English conversation class (special)"].decoded("DTSTART") == hub.local("2026-12-10 19:00")
    # Outlook's "GMT Standard Time" and the RSS event module
    assert events["Solidarity vigil #CT4R"].decoded("DTSTART") == hub.local("2026-12-11 17:30")
    assert events["Supper club & stories #CT4R"].decoded("DTSTART") == hub.local("2026-12-06 18:00")
    craft = events["Craft fair #TogetherWithRefugees"]
    assert craft.decoded("DTSTART") == hub.day("2026-12-12")
    assert craft.decoded("DTEND") == hub.day("2026-12-14")
    assert str(events["Film night: Flee"]["STATUS"]) == "CANCELLED"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Communities Together for Refugees"
    assert "REFRESH-INTERVAL" in calendar and "X-PUBLISHED-TTL" in calendar


def test_an_event_two_groups_publish_is_listed_once_crediting_both(hub: HubData, client: TestClient) -> None:
    data = client.get("/api/events.json", params={"week": WEEK}).json()
    socials = [e for e in data["events"] if e["title"].lower().startswith("refugee week social")]
    assert len(socials) == 1
    assert sorted(g["slug"] for g in socials[0]["groups"]) == ["liverpool-welcome", "sanctuary-manchester"]
    assert socials[0]["place_precision"] == "exact"
    ics = calendar_events(client.get(f"/weeks/{WEEK}.ics").content)
    description = str(ics["Refugee Week Social"]["DESCRIPTION"])
    assert "Sanctuary Manchester" in description and "Liverpool Welcome Network" in description


def test_week_page_lists_by_region_and_town_with_counts(hub: HubData, client: TestClient) -> None:
    response = client.get(f"/weeks/{WEEK}")
    assert response.status_code == 200
    page = response.text
    assert "6</strong> local actions in <strong>2</strong> regions (1 cancelled, not counted)" in page
    assert page.index("North West") < page.index("Wales")
    assert "North West <span class=\"count\">(5)</span>" in page  # and the cancelled film night, not counted
    assert "Wales <span class=\"count\">(1)</span>" in page
    assert "webcal://hub.test/weeks/communities-together.ics" in page
    assert "calendar.google.com/calendar/render?cid=webcal%3A%2F%2Fhub.test" in page
    assert page.count('application/ld+json') == 7
    # feed HTML is sanitised before it reaches the page
    assert "<script>alert(1)</script>" not in page
    assert "<b>Central Library</b>" in page


def test_geojson_places_every_event(hub: HubData, client: TestClient) -> None:
    response = client.get("/api/events.geojson", params={"week": WEEK})
    assert response.headers["content-type"].startswith("application/geo+json")
    features = json.loads(response.content)["features"]
    assert len(features) == 7
    by_title = {f["properties"]["title"]: f for f in features}
    supper = by_title["Supper club & stories #CT4R"]
    assert supper["geometry"]["coordinates"] == [-3.156, 51.485]          # georss point, lon first
    assert supper["properties"]["place_precision"] == "exact"
    walk = by_title["Welcome Walk"]                                        # "... Manchester M2 5PD"
    assert walk["properties"]["placed_by"] == "postcode"
    assert walk["properties"]["place_precision"] == "area"
    lon, lat = walk["geometry"]["coordinates"]
    assert km_between(lat, lon, 53.4781, -2.2446) < 1.0                    # Central Library itself
    assert (walk["properties"]["region"], walk["properties"]["town"]) == ("North West", "Manchester")


def test_uids_stay_the_same_across_refreshes(hub: HubData, engine: Engine, settings: Settings,
                                             client: TestClient, feed_server: FeedServer) -> None:
    before = {str(e["UID"]) for e in calendar_events(client.get("/calendar.ics").content).values()}
    report = run_refresh(engine, settings)
    assert sorted(o.kind for _j, o in report.outcomes) == ["not_modified"] * 3
    assert all("If-None-Match" in headers for _path, headers in feed_server.requests[-3:])
    after = {str(e["UID"]) for e in calendar_events(client.get("/calendar.ics").content).values()}
    assert before == after and len(before) >= 10


def test_an_event_removed_from_its_feed_leaves_the_hub(hub: HubData, engine: Engine, settings: Settings,
                                                       client: TestClient, feed_server: FeedServer) -> None:
    body = hub.feed_file("liverpool_outlook.ics").read_bytes()
    start = body.index(b"BEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E00800000000B1")
    end = body.index(b"END:VEVENT\r\n", start) + len(b"END:VEVENT\r\n")
    feed_server.serve("/liverpool_outlook.ics", body[:start] + body[end:])
    run_refresh(engine, settings)
    titles = calendar_events(client.get(f"/weeks/{WEEK}.ics").content)
    assert "Solidarity vigil #CT4R" not in titles
    assert "Welcome Walk" in titles


def test_a_changed_event_keeps_its_uid_and_bumps_its_sequence(hub: HubData, engine: Engine, settings: Settings,
                                                              client: TestClient, feed_server: FeedServer) -> None:
    before = calendar_events(client.get(f"/weeks/{WEEK}.ics").content)["Solidarity vigil #CT4R"]
    body = hub.feed_file("liverpool_outlook.ics").read_bytes()
    feed_server.serve("/liverpool_outlook.ics", body.replace(b"St George's Plateau", b"Exchange Flags"))
    run_refresh(engine, settings)
    after = calendar_events(client.get(f"/weeks/{WEEK}.ics").content)["Solidarity vigil #CT4R"]
    assert str(after["UID"]) == str(before["UID"])
    assert int(after["SEQUENCE"]) == int(before.get("SEQUENCE", 0)) + 1
    assert "Exchange Flags" in str(after["LOCATION"])


@pytest.mark.parametrize("fault", ["server_error", "truncated", "html_page", "empty"])
def test_a_broken_fetch_keeps_the_last_good_events(fault: str, hub: HubData, engine: Engine, settings: Settings,
                                                   client: TestClient, feed_server: FeedServer) -> None:
    body = hub.feed_file("manchester_google.ics").read_bytes()
    if fault == "server_error":
        feed_server.serve("/manchester_google.ics", body, status=500)
    elif fault == "truncated":
        feed_server.serve("/manchester_google.ics", body[: len(body) // 2])
    elif fault == "html_page":
        feed_server.serve("/manchester_google.ics", b"<!DOCTYPE html><html><body>Moved</body></html>",
                          content_type="text/html")
    else:
        feed_server.serve("/manchester_google.ics", b"")
    before = calendar_events(client.get("/calendar.ics").content)
    report = run_refresh(engine, settings)
    outcome = next(o for j, o in report.outcomes if j.url.endswith("/manchester_google.ics"))
    assert outcome.kind in ("failed", "kept")
    after = calendar_events(client.get("/calendar.ics").content)
    assert sorted(after) == sorted(before)
    with Session(engine) as session:
        feed = session.exec(select(Feed).where(Feed.url.endswith("/manchester_google.ics"))).one()  # type: ignore[attr-defined]
        assert feed.consecutive_failures == 1
        assert feed.error
        assert feed.next_attempt_at is not None and feed.next_attempt_at > feed.last_attempt_at  # type: ignore[operator]


def test_published_calendar_answers_304_to_its_etag_and_gzips(hub: HubData, client: TestClient) -> None:
    first = client.get(f"/weeks/{WEEK}.ics")
    etag = first.headers["etag"]
    again = client.get(f"/weeks/{WEEK}.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    zipped = client.get(f"/weeks/{WEEK}.ics", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == first.content  # the client decompresses


def test_feed_health_records_skipped_items(hub: HubData, engine: Engine) -> None:
    with Session(engine) as session:
        health = {h.group_slug: h for h in store.feed_health(session=session)}
    cardiff = health["cardiff-migrant-welcome"].feed
    assert cardiff.items_skipped == 1 and cardiff.events_found == 1
    assert health["sanctuary-manchester"].feed.last_success_at is not None
    assert health["sanctuary-manchester"].feed.http_status == 200


@pytest.mark.node
def test_thunderbirds_parser_reads_the_published_calendar_as_icalendar_does(hub: HubData,
                                                                              client: TestClient) -> None:
    if NODE is None or not (JS / "node_modules" / "ical.js").is_dir():
        pytest.skip("ical.js is not installed: run `npm ci` in tests/js")
    body = client.get("/calendar.ics").content
    expected = icalendar_view(body)
    assert len(expected) >= 10
    for reader_zone in ("Europe/London", "America/Los_Angeles"):
        read = icaljs(body, reader_zone)
        assert {uid: v["start"] for uid, v in read.items()} == {uid: v["start"] for uid, v in expected.items()}


def test_date_filters_keep_events_that_overlap_the_days_in_every_output(hub: HubData, client: TestClient) -> None:
    day = hub.day("2026-12-12").isoformat()
    params = {"start": day, "end": day}
    titles = {e["title"] for e in client.get("/api/events.json", params=params).json()["events"]}
    # the two-day craft fair (12-13 Dec) overlaps; the vigil on the 11th and the walk on the 5th do not
    assert titles == {"Craft fair #TogetherWithRefugees"}
    geo = client.get("/api/events.geojson", params={"start": day}).json()["features"]
    assert "Craft fair #TogetherWithRefugees" in {f["properties"]["title"] for f in geo}
    assert "Solidarity vigil #CT4R" not in {f["properties"]["title"] for f in geo}
    ics = calendar_events(client.get(f"/weeks/{WEEK}.ics", params={"end": hub.day("2026-12-06").isoformat()}).content)
    assert sorted(ics) == ["Supper club & stories #CT4R", "Welcome Walk"]
    north_west = client.get("/api/events.json", params={"week": WEEK, "group": "liverpool-welcome"}).json()
    assert {e["title"] for e in north_west["events"]} == {"Refugee Week Social", "Solidarity vigil #CT4R"}
