"""Copies of one calendar entry in several feeds: the newest (SEQUENCE, then DTSTAMP, then LAST-MODIFIED) is
published once, crediting every group that lists it, in every output."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import icalendar
import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from calendar_hub.catalogue import newest
from calendar_hub.identity import published_uid
from calendar_hub.settings import Settings
from tests.feedserver import FeedServer
from tests.hubdata import WEEK, HubData, run_refresh

SHARED = "vigil-2026@partners.example.org"
FRESH, STALE = "Candlelit vigil for sanctuary", "Candlelit vigil (to be confirmed)"
BOTH = ["liverpool-welcome", "sanctuary-manchester"]


def copy(hub: HubData, *, title: str, start: str, sequence: int, stamp: str, modified: str = "") -> bytes:
    begins = hub.local(start)
    lines = ["BEGIN:VEVENT", f"UID:{SHARED}", f"SUMMARY:{title}", f"DTSTART:{begins:%Y%m%dT%H%M%SZ}",
             f"DTEND:{begins + timedelta(hours=1):%Y%m%dT%H%M%SZ}", f"DTSTAMP:{stamp}", f"SEQUENCE:{sequence}",
             *([f"LAST-MODIFIED:{modified}"] if modified else []),
             "LOCATION:St Ann's Square\\, Manchester M2 7LF", "DESCRIPTION:Bring a candle. #CT4R", "END:VEVENT"]
    return "\r\n".join(lines).encode() + b"\r\n"


def serve_with(hub: HubData, feed_server: FeedServer, name: str, event: bytes) -> None:
    body = hub.feed_file(name).read_bytes()
    feed_server.serve(f"/{name}", body.replace(b"END:VCALENDAR", event + b"END:VCALENDAR"))


OUTPUTS = ["/calendar.ics", f"/weeks/{WEEK}.ics", "/groups/sanctuary-manchester.ics", "/groups/liverpool-welcome.ics"]
PAGES = ["/", f"/weeks/{WEEK}", "/groups/sanctuary-manchester", "/groups/liverpool-welcome", "/map",
         f"/weeks/{WEEK}/map", "/feed.atom", "/api/events.json", "/api/events.geojson"]


@pytest.mark.parametrize(("newer_in", "fresh", "stale"), [
    pytest.param("liverpool_outlook.ics", {"sequence": 3, "stamp": "20261101T090000Z"},
                 {"sequence": 1, "stamp": "20261120T090000Z"}, id="higher SEQUENCE, older DTSTAMP"),
    pytest.param("manchester_google.ics", {"sequence": 2, "stamp": "20261120T090000Z"},
                 {"sequence": 2, "stamp": "20261101T090000Z"}, id="same SEQUENCE, newer DTSTAMP"),
    pytest.param("liverpool_outlook.ics",
                 {"sequence": 0, "stamp": "20261101T090000Z", "modified": "20261115T090000Z"},
                 {"sequence": 0, "stamp": "20261101T090000Z", "modified": "20261102T090000Z"},
                 id="same SEQUENCE and DTSTAMP, newer LAST-MODIFIED"),
])
def test_one_uid_in_two_feeds_is_published_once_as_its_newest_copy_in_every_output(
        newer_in: str, fresh: dict[str, Any], stale: dict[str, Any], hub: HubData, client: TestClient,
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    older_in = next(n for n in ("liverpool_outlook.ics", "manchester_google.ics") if n != newer_in)
    serve_with(hub, feed_server, newer_in, copy(hub, title=FRESH, start="2026-12-06 18:00", **fresh))
    serve_with(hub, feed_server, older_in, copy(hub, title=STALE, start="2026-12-06 17:00", **stale))
    run_refresh(engine, settings)
    uid = published_uid(SHARED, "")
    starts = hub.local("2026-12-06 18:00")

    for path in OUTPUTS:
        body = client.get(path).content
        copies = [e for e in icalendar.Calendar.from_ical(body).walk("VEVENT") if str(e["UID"]) == uid]
        assert len(copies) == 1, path
        assert str(copies[0]["SUMMARY"]) == FRESH and copies[0]["DTSTART"].dt == starts, path
        assert int(copies[0]["SEQUENCE"]) >= fresh["sequence"], path  # never behind the newest copy
        assert body.count(uid.encode()) == 1, path
    for path in PAGES:
        text = client.get(path).text
        assert STALE not in text and "to be confirmed" not in text, path
    assert client.get("/feed.atom").text.count(uid) == 1
    (listed,) = [e for e in client.get("/api/events.json").json()["events"] if e["uid"] == uid]
    assert listed["title"] == FRESH and datetime.fromisoformat(listed["start"]) == starts
    assert sorted(g["slug"] for g in listed["groups"]) == BOTH
    features = [f for f in json.loads(client.get("/api/events.geojson").content)["features"]
                if f["properties"]["uid"] == uid]
    assert len(features) == 1 and features[0]["properties"]["title"] == FRESH


def row(uid: str, sequence: int, stamp: datetime | None = None, modified: datetime | None = None,
        label: str = "") -> SimpleNamespace:
    return SimpleNamespace(uid=uid, source_sequence=sequence, source_stamp=stamp, source_modified=modified,
                           label=label)


NOV = datetime(2026, 11, 1, tzinfo=UTC)


def test_the_newest_copy_stands_in_the_place_of_the_first_seen_and_others_are_kept() -> None:
    rows = [row("a", 0, NOV, label="first seen, stale"), row("b", 0, label="another event"),
            row("a", 1, None, label="higher SEQUENCE, no DTSTAMP"), row("a", 1, NOV, label="the same, stamped")]
    assert [r.label for r in newest(rows)] == ["the same, stamped", "another event"]
    tie = [row("a", 2, NOV, NOV, label="seen first"), row("a", 2, NOV, NOV, label="seen later")]
    assert [r.label for r in newest(tie)] == ["seen first"]
    modified = [row("a", 2, NOV, None, label="unknown"), row("a", 2, NOV, NOV, label="modified")]
    assert [r.label for r in newest(modified)] == ["modified"]
