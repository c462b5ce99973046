"""/metrics and the refresh's log line: feeds by outcome after a real refresh, requests by route template,
nothing private or sent by a visitor in what anyone is served, the token, one log line per feed (text and JSON)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from calendar_hub import store
from calendar_hub.errors import ConfigError
from calendar_hub.ingest.observe import LOGGER
from calendar_hub.ingest.refresh import RefreshReport, refresh
from calendar_hub.logs import JsonFormatter
from calendar_hub.registry import Registry
from calendar_hub.settings import Settings
from calendar_hub.states import Outcome
from calendar_hub.store.models import Event
from calendar_hub.web.app import create_app
from tests.feedserver import FeedServer, Route
from tests.hubdata import HubData, moved_hub

SECRET = "private-4f1c0ffee5ecret"   # as in a Google Calendar "secret address in iCal format"


def secretly_served(data: HubData, server: FeedServer) -> Registry:
    """The registry with each file feed served by `server` at a secret address, /<SECRET>/<file name>."""
    groups = []
    for group in data.registry.groups:
        feeds = []
        for feed in group.feeds:
            path = Path(unquote(urlsplit(feed.url).path))
            url = server.serve(f"/{SECRET}/{path.name}", path.read_bytes(),
                               content_type="application/rss+xml" if path.suffix == ".rss" else "text/calendar")
            feeds.append(dataclasses.replace(feed, url=url, private=True))
        groups.append(dataclasses.replace(group, feeds=tuple(feeds)))
    return dataclasses.replace(data.registry, groups=tuple(groups))


@pytest.fixture
def secret_hub(tmp_path: Path, engine: Engine, feed_server: FeedServer) -> HubData:
    """tests/data/hub, its three feeds served at secret addresses on loopback, stored but not refreshed yet."""
    data = moved_hub(tmp_path)
    with Session(engine) as session:
        store.apply_registry(secretly_served(data, feed_server), session=session)
    return data


def run(engine: Engine, settings: Settings, feed_ids: list[int] | None = None) -> RefreshReport:
    return asyncio.run(refresh(engine, settings, due_only=False, feed_ids=feed_ids))


def feed_ids(engine: Engine) -> dict[str, int]:
    """Each feed's id by its file name."""
    with Session(engine) as session:
        return {url.rsplit("/", 1)[-1]: feed_id for feed_id, (url, _name) in store.feed_names(session=session).items()}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and labels; fails on text Prometheus could not read."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


@pytest.fixture
def metrics_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def test_metrics_count_feeds_by_the_outcome_of_their_last_fetch(
        secret_hub: HubData, engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    ids = feed_ids(engine)
    run(engine, settings, [ids["manchester_google.ics"], ids["liverpool_outlook.ics"]])
    feed_server.routes[f"/{SECRET}/liverpool_outlook.ics"] = Route(status=500)
    run(engine, settings, [ids["liverpool_outlook.ics"]])   # its last fetch failed; its events stay
    with Session(engine) as session:
        stored = session.exec(select(func.count()).select_from(Event)).one()
    with TestClient(create_app(settings)) as client:
        answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    assert answer.headers["cache-control"] == "no-store"
    found = samples(answer.text)
    by_outcome = {outcome: found[("calendar_hub_feeds", (("outcome", str(outcome)),))] for outcome in Outcome}
    assert by_outcome == {**dict.fromkeys(Outcome, 0.0), Outcome.STORED: 1.0, Outcome.FAILED: 1.0}
    assert found[("calendar_hub_feeds_never_fetched", ())] == 1.0   # the Cardiff feed was left out
    assert found[("calendar_hub_database_up", ())] == 1.0
    assert found[("calendar_hub_events_stored", ())] == stored > 0
    assert found[("calendar_hub_feed_last_fetch_seconds_gcount", ())] == 1.0   # the failed fetch got no answer
    # No feed is named: neither its secret address, its server nor its group.
    for private in (SECRET, "liverpool_outlook", "127.0.0.1", str(feed_server.port), "liverpool-welcome"):
        assert private not in answer.text


def test_requests_are_counted_by_route_template_and_status_never_by_what_was_asked(
        metrics_client: TestClient) -> None:
    metrics_client.get("/weeks/no-such-week-one")
    metrics_client.get("/weeks/no-such-week-two")
    metrics_client.get("/cy/weeks/no-such-week-three")   # Welsh, the same route
    metrics_client.get("/about")
    metrics_client.get("/wp-login.php/scanner-probe")
    metrics_client.get("/admin/groups/someones-group", follow_redirects=False)
    text = metrics_client.get("/metrics", headers={"User-Agent": "agent-marker-77", "X-Forwarded-Host": "evil.test",
                                                   "Referer": "https://referer-marker.test/"}).text
    found = samples(text)
    requests = {dict(labels)["route"] + " " + dict(labels)["status"]: value
                for (name, labels), value in found.items() if name == "calendar_hub_http_requests_total"}
    assert requests["/weeks/{week} 404"] == 3
    assert requests["/about 200"] == 1
    assert requests["(unmatched) 404"] == 1
    assert requests["/admin/groups/{slug} 303"] == 1   # to sign in first
    assert found[("calendar_hub_http_request_duration_seconds_count", (("route", "/weeks/{week}"),))] == 3
    assert found[("calendar_hub_catalogue_build_seconds_count", ())] >= 1   # /about needed the catalogue
    for asked in ("no-such-week", "wp-login", "scanner-probe", "someones-group", "agent-marker", "evil.test",
                  "referer-marker", "GET"):
        assert asked not in text


def test_a_metrics_token_is_asked_for_when_set(settings: Settings) -> None:
    with TestClient(create_app(settings.replace(metrics_token="token-for-prometheus-1"))) as client:
        missing = client.get("/metrics")
        wrong = client.get("/metrics", headers={"Authorization": "Bearer token-for-someone-else"})
        right = client.get("/metrics", headers={"Authorization": "Bearer token-for-prometheus-1"})
    assert missing.status_code == wrong.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "token-for" not in missing.text + wrong.text
    assert right.status_code == 200 and "calendar_hub_feeds" in right.text


def test_the_background_refresh_of_serve_is_counted_and_timed(
        secret_hub: HubData, settings: Settings) -> None:
    with TestClient(create_app(settings.replace(serve_refresh=True))) as client:
        for _attempt in range(600):   # the background refresh starts with the app; wait for its three feeds
            found = samples(client.get("/metrics").text)
            done = sum(value for (name, _labels), value in found.items() if name == "calendar_hub_feed_refreshes_total")
            if done >= 3:
                break
            time.sleep(0.05)
    assert found[("calendar_hub_feed_refreshes_total", (("outcome", "stored"),))] == 3
    assert found[("calendar_hub_feed_fetch_seconds_count", ())] == 3
    assert found[("calendar_hub_feed_parse_seconds_count", ())] >= 3


def test_each_feed_refresh_logs_one_line_with_its_outcome(
        secret_hub: HubData, engine: Engine, settings: Settings, feed_server: FeedServer,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER.name)
    run(engine, settings)
    first = [record for record in caplog.records if record.name == "calendar_hub.refresh"]
    assert len(first) == 3
    fields = [record.refresh for record in first]   # type: ignore[attr-defined]
    assert {f["outcome"] for f in fields} == {"stored"}
    assert {f["group"] for f in fields} == {"sanctuary-manchester", "liverpool-welcome", "cardiff-migrant-welcome"}
    assert all(f["http_status"] == 200 and f["added"] == f["events"] > 0 and f["removed"] == 0 for f in fields)
    assert all(f["host"] == "127.0.0.1" and f["parse_ms"] >= 0 and f["fetch_ms"] >= 0 for f in fields)
    manchester = next(r for r in first if r.refresh["group"] == "sanctuary-manchester")  # type: ignore[attr-defined]
    assert manchester.getMessage().startswith("feed refreshed: feed=")
    assert "outcome=stored" in manchester.getMessage() and "group=sanctuary-manchester" in manchester.getMessage()
    caplog.clear()
    feed_server.routes[f"/{SECRET}/manchester_google.ics"] = Route(status=503)
    run(engine, settings)
    again = {record.refresh["group"]: record for record in caplog.records   # type: ignore[attr-defined]
             if record.name == "calendar_hub.refresh"}
    assert again["sanctuary-manchester"].refresh["outcome"] == "failed"   # type: ignore[attr-defined]
    assert again["sanctuary-manchester"].refresh["http_status"] == 503   # type: ignore[attr-defined]
    assert again["liverpool-welcome"].refresh["outcome"] == "not_modified"   # type: ignore[attr-defined]
    for record in [*first, *again.values()]:
        assert SECRET not in record.getMessage()   # a feed's address may hold its calendar's secret
        line = json.loads(JsonFormatter().format(record))   # the JSON form: one object a line, its fields as keys
        assert line["logger"] == "calendar_hub.refresh" and line["level"] == "info"
        assert line["feed"] in feed_ids(engine).values() and line["outcome"] in set(Outcome)
        assert SECRET not in json.dumps(line)


def test_the_log_format_is_text_or_json() -> None:
    assert Settings.from_env({"CALENDAR_HUB_LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(ConfigError, match="text or json"):
        Settings.from_env({"CALENDAR_HUB_LOG_FORMAT": "xml"})
    assert "token" not in repr(Settings(metrics_token="token-kept-out-of-reprs"))
