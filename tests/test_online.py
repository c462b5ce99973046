"""One test of "online" for every output: the map (and GeoJSON), the console's preview and the pages' JSON-LD."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from calendar_hub.catalogue import GroupInfo, home_place, place_of
from calendar_hub.console.preview import place_words
from calendar_hub.places import online, resolver
from calendar_hub.publish.api import geojson
from calendar_hub.web.present import json_ld
from tests.factories import make_listing

LONDON = ZoneInfo("Europe/London")
PAGE = "https://hub.example.org/events/1"

# Location lines as real calendars write them for events on the web.
ONLINE = [
    "Microsoft Teams meeting",
    "Microsoft Teams Meeting; Join: https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc",
    "Webinar",
    "Zoom",
    "Zoom meeting (link sent on booking)",
    "via Zoom",
    "https://us02web.zoom.us/j/88123456789?pwd=abc",
    "Google Meet",
    "meet.google.com/abc-defg-hij",
    "Jitsi Meet",
    "Join: https://meet.jit.si/GreenAssemblyLeeds",
    "Online",
    "online event",
    "Online (Zoom)",
    "Virtual",
    "Webex",
    "Skype",
    "Whereby: https://whereby.com/riverside-greens",
    "Livestream on YouTube",
    "https://www.youtube.com/live/x1y2z3",
]
# Places whose lines share a word with the above, and a hybrid event's room: on the map, a Place in JSON-LD.
PLACES = [
    "Central Library, St Peter's Square, Manchester M2 5PD",
    "Friends Meeting House, Manchester M2 5NS, and on Zoom",
    "Teams Lane, Gateshead",
    "Remote Road, Leeds",
    "Onley Village Hall, Rugby",
]
ROW = SimpleNamespace(lat=None, lon=None, location="", created_at=datetime(2026, 1, 1, tzinfo=UTC), id=1)


def _groups() -> list[GroupInfo]:
    return [GroupInfo(slug="g", name="G", website="", home="Stockport", region="", lat=None, lon=None,
                      place=home_place("Stockport", None, None))]


def _as_catalogue_lists_it(line: str) -> Any:
    """The listing the catalogue makes of an event with this location line (placed as the map places it)."""
    place = place_of([SimpleNamespace(**{**vars(ROW), "location": line})], _groups())
    return make_listing(location=line, lat=place.lat if place else None, lon=place.lon if place else None,
                        place_precision=place.precision if place else "", placed_by=place.placed_by if place else "",
                        place_note=place.note() if place else "")


def _json_ld(line: str) -> dict[str, Any]:
    return _schema(_as_catalogue_lists_it(line))


def _schema(listing: Any) -> dict[str, Any]:
    markup = str(json_ld(listing, zone=LONDON, page_url=PAGE))
    body = re.fullmatch(r'<script type="application/ld\+json">(.*)</script>', markup, re.DOTALL)
    assert body is not None
    data: dict[str, Any] = json.loads(body.group(1))
    return data


@pytest.mark.parametrize("line", ONLINE)
def test_an_online_line_is_online_in_every_output(line: str) -> None:
    assert online(line)
    assert resolver().resolve(line) is None
    listing = _as_catalogue_lists_it(line)
    assert listing.lat is None                                   # the map leaves it off, not at the group's home
    assert json.loads(geojson([listing], base_url="https://hub.example.org"))["features"] == []
    assert place_words(SimpleNamespace(**{**vars(ROW), "location": line}), _groups()[0].place) == \
        "Online: not on the map"                                 # the console's preview says so
    data = _json_ld(line)
    assert data["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert data["location"]["@type"] == "VirtualLocation" and "address" not in data["location"]
    assert data["location"]["url"].startswith("https://")


@pytest.mark.parametrize("line", PLACES)
def test_a_place_sharing_a_word_with_online_ones_is_a_place_in_every_output(line: str) -> None:
    assert not online(line)
    listing = _as_catalogue_lists_it(line)
    assert listing.lat is not None
    assert len(json.loads(geojson([listing], base_url="https://hub.example.org"))["features"]) == 1
    data = _json_ld(line)
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["location"]["@type"] == "Place" and data["location"]["address"] == line


def test_an_online_event_the_feed_put_on_the_map_stays_a_place_as_on_the_map() -> None:
    listing = make_listing(location="Zoom", lat=53.48, lon=-2.24, place_precision="exact")
    data = _schema(listing)
    assert data["location"]["@type"] == "Place" and "geo" in data["location"]
