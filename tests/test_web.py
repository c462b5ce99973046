"""The web app on its own: every page renders, errors are clear, health answers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from calendar_hub import clock, store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.hubdata import moved_hub

PAGES = ["/", "/weeks/communities-together", "/weeks/communities-together/map", "/map", "/groups",
         "/groups/cardiff-migrant-welcome", "/about", "/subscribe"]


@pytest.fixture
def loaded(tmp_path: Path, engine: Engine, settings: Settings) -> None:
    """The test registry loaded from files (no refresh)."""
    with Session(engine) as session:
        store.apply_registry(moved_hub(tmp_path).registry, session=session)


def test_an_empty_hub_renders_its_pages(client: TestClient) -> None:
    for path in ["/", "/map", "/groups", "/about", "/subscribe"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "<h1>" in response.text
    assert "No week of action is planned yet" in client.get("/").text


@pytest.mark.usefixtures("loaded")
def test_every_page_renders_with_groups_and_a_week(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")


@pytest.mark.usefixtures("loaded")
def test_unknown_week_and_group_are_404_with_a_message(client: TestClient) -> None:
    page = client.get("/weeks/no-such-week")
    assert page.status_code == 404 and "no week of action called" in page.text
    assert client.get("/groups/nobody").status_code == 404
    feed = client.get("/weeks/no-such-week.ics")
    assert feed.status_code == 404 and feed.headers["content-type"].startswith("text/plain")


def test_bad_dates_are_refused_with_a_reason(client: TestClient) -> None:
    response = client.get("/api/events.json", params={"start": "5 December"})
    assert response.status_code == 400 and "YYYY-MM-DD" in response.text
    response = client.get("/api/events.json", params={"start": "2026-12-10", "end": "2026-12-01"})
    assert response.status_code == 400


def test_healthz_reports_the_database(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["events"] == 0


def test_leaflet_is_served_by_the_app(client: TestClient) -> None:
    for path in ["/static/leaflet/leaflet.js", "/static/leaflet/leaflet.css",
                 "/static/markercluster/leaflet.markercluster.js", "/static/hub/map.js", "/static/hub/hub.css"]:
        assert client.get(path).status_code == 200, path
    assert "unpkg" not in client.get("/map").text and "cdn" not in client.get("/map").text


@pytest.mark.usefixtures("loaded")
def test_a_running_app_sees_what_another_process_stored(client: TestClient, engine: Engine,
                                                        settings: Settings) -> None:
    assert client.get("/healthz").json()["events"] == 0
    asyncio.run(refresh(engine, settings, due_only=False))  # as a separate `calendar-hub refresh` would
    assert client.get("/healthz").json()["events"] > 10


def test_the_events_api_pages_with_a_next_link(tmp_path: Path, engine: Engine, settings: Settings,
                                               client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from calendar_hub.web.public import outputs as feeds

    with Session(engine) as session:
        store.apply_registry(moved_hub(tmp_path).registry, session=session)
    asyncio.run(refresh(engine, settings, due_only=False))
    everything = [e["uid"] for e in client.get("/api/events.json", params={"region": "north west"}).json()["events"]]
    assert len(everything) > 4
    monkeypatch.setattr(feeds, "PAGE_SIZE", 4)
    seen: list[str] = []
    url: str | None = "/api/events.json?region=North%20West"
    for _page in range(100):
        if url is None:
            break
        page = client.get(url.removeprefix("http://hub.test")).json()
        assert len(page["events"]) <= 4
        seen.extend(e["uid"] for e in page["events"])
        url = page["next"]
    assert seen == everything


def test_the_atom_feed_lists_upcoming_events(tmp_path: Path, engine: Engine, settings: Settings,
                                             client: TestClient) -> None:
    import feedparser

    with Session(engine) as session:
        store.apply_registry(moved_hub(tmp_path).registry, session=session)
    asyncio.run(refresh(engine, settings, due_only=False))
    response = client.get("/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    titles = [entry.title for entry in parsed.entries]
    assert "Welcome Walk" in titles and any(t.startswith("CANCELLED: Film night") for t in titles)


@pytest.mark.usefixtures("loaded")
def test_serve_refreshes_due_feeds_in_the_background(settings: Settings) -> None:
    import time

    with TestClient(create_app(settings.replace(serve_refresh=True))) as background:
        deadline = time.monotonic() + 30
        while background.get("/healthz").json()["events"] == 0:
            assert time.monotonic() < deadline, "the background refresh stored nothing in 30 s"
            time.sleep(0.1)
        assert background.get("/weeks/communities-together.ics").text.count("BEGIN:VEVENT") == 7


@pytest.mark.usefixtures("loaded")
def test_the_maps_markers_come_from_the_same_filters_as_its_list(client: TestClient) -> None:
    page = client.get("/weeks/communities-together/map",
                      params={"week": "ignored", "region": "Wales", "start": "2026-01-01"}).text
    assert 'data-geojson="/api/events.geojson?week=communities-together&amp;region=Wales&amp;start=2026-01-01"' in page
    today = clock.today(ZoneInfo("Europe/London")).isoformat()  # upcoming events unless the dates say
    assert f'data-geojson="/api/events.geojson?start={today}"' in client.get("/map").text
