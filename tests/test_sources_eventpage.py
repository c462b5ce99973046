"""Tests for calendar_hub.ingest.sources.eventpage: events read from real-shaped event pages; hostile pages survived."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import UTC, date
from pathlib import Path
from typing import Any

import pytest

from calendar_hub.ingest.sources.eventpage import MAX_BYTES, MAX_EVENTS, events_from_page
from calendar_hub.occurrence import UNTITLED, EventIn, ParseContext
from tests.factories import LONDON, parse_context, utc

DATA = Path(__file__).parent / "data" / "eventpages"
CONTEXT = parse_context("https://riverside-greens.example.org/feed/")
PAGE = "https://riverside-greens.example.org/events/towpath-tidy/"
FIXTURES = sorted(path.stem for path in DATA.glob("*.html"))
# Compared for every expected event; the optional fields only where the expectation names them.
ALWAYS = ("title", "start", "end", "all_day", "status", "location", "lat", "lon", "url")
OPTIONAL = ("source_uid", "start_date", "end_date", "categories", "description_text")


def read(html: bytes | str, context: ParseContext = CONTEXT, url: str = PAGE) -> list[EventIn]:
    """events_from_page for a page given as bytes or text."""
    data = html.encode("utf-8") if isinstance(html, str) else html
    return events_from_page(data, url=url, context=context)


def page(*objects: Any, body: str = "") -> str:
    """An HTML page with one JSON-LD script per object ("</" escaped, as producers must inside <script>)."""
    texts = (json.dumps(o).replace("</", "<\\/") for o in objects)
    scripts = "".join(f'<script type="application/ld+json">{text}</script>' for text in texts)
    return f'<!DOCTYPE html><html><head><meta charset="utf-8">{scripts}</head><body>{body}</body></html>'


def event(**fields: Any) -> dict[str, Any]:
    """A schema.org Event in JSON-LD: a Saturday morning in June in London unless fields say otherwise."""
    return {"@context": "https://schema.org", "@type": "Event", "name": "Towpath tidy",
            "startDate": "2026-06-13T10:00:00+01:00", **fields}


def one(html: str | bytes, context: ParseContext = CONTEXT) -> EventIn:
    """The page's only event."""
    (found,) = read(html, context)
    return found


def expected_events(stem: str) -> tuple[str, list[dict[str, Any]]]:
    """The page address and the expected events of a fixture, with absent coordinates as None."""
    expected = tomllib.loads((DATA / f"{stem}.expected.toml").read_text("utf-8"))
    events = []
    for wanted in expected["event"]:
        wanted = {"lat": None, "lon": None, **wanted}
        if "categories" in wanted:
            wanted["categories"] = tuple(wanted["categories"])
        events.append(wanted)
    return expected["page"], events


def test_every_fixture_has_expectations_and_a_line_in_the_readme() -> None:
    names = {path.name for path in DATA.iterdir()}
    assert names == {f"{s}.html" for s in FIXTURES} | {f"{s}.expected.toml" for s in FIXTURES} | {"README.md"}
    readme = (DATA / "README.md").read_text("utf-8")
    assert all(f"`{stem}.html`" in readme for stem in FIXTURES)


@pytest.mark.parametrize("stem", FIXTURES)
def test_fixture_gives_its_events(stem: str) -> None:
    url, wanted = expected_events(stem)
    events = read((DATA / f"{stem}.html").read_bytes(), url=url)
    got = [{key: getattr(e, key) for key in ALWAYS + OPTIONAL if key in ALWAYS or key in w}
           for e, w in zip(events, wanted, strict=False)]
    assert len(events) == len(wanted)
    assert got == wanted
    for e in events:
        assert e.start.tzinfo is UTC and e.end.tzinfo is UTC
        assert e.start <= e.end
        assert e.recurrence_id == ""
        assert e.all_day == (e.start_date is not None) == (e.end_date is not None)
        assert "<script" not in e.description_html.lower()
    assert len({e.source_uid for e in events}) == len(events)


@pytest.mark.parametrize("stem", FIXTURES)
def test_a_fixture_cut_anywhere_never_raises(stem: str) -> None:
    data = (DATA / f"{stem}.html").read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 23)):
        assert isinstance(read(data[:cut]), list)


# ---------------------------------------------------------------- times


def test_times_without_offset_are_london_time_across_the_2027_clock_change() -> None:
    # Europe/London goes from GMT to BST at 01:00 GMT on Sunday 28 March 2027.
    html = page(
        event(name="Saturday", startDate="2027-03-27T10:00", endDate="2027-03-27T12:00"),
        event(name="Sunday", startDate="2027-03-28T10:00", endDate="2027-03-28T12:00"),
        event(name="Overnight", startDate="2027-03-28T00:30", endDate="2027-03-28T03:00"),
    )
    saturday, sunday, overnight = read(html)
    assert (saturday.start, saturday.end) == (utc(2027, 3, 27, 10), utc(2027, 3, 27, 12))
    assert (sunday.start, sunday.end) == (utc(2027, 3, 28, 9), utc(2027, 3, 28, 11))
    assert (overnight.start, overnight.end) == (utc(2027, 3, 28, 0, 30), utc(2027, 3, 28, 2))


def test_a_time_with_an_offset_keeps_it() -> None:
    found = one(page(event(startDate="2026-06-13T10:00:00-04:00", endDate="2026-06-13T12:00:00Z")))
    assert (found.start, found.end) == (utc(2026, 6, 13, 14), utc(2026, 6, 13, 14))  # the end is before: no length


def test_date_only_is_all_day_and_its_end_date_is_the_last_day() -> None:
    found = one(page(event(startDate="2026-06-13", endDate="2026-06-14")))
    assert (found.all_day, found.start_date, found.end_date) == (True, date(2026, 6, 13), date(2026, 6, 15))
    # Local midnights: BST, so 23:00 UTC the evening before.
    assert (found.start, found.end) == (utc(2026, 6, 12, 23), utc(2026, 6, 14, 23))


def test_date_only_without_an_end_or_ending_before_it_lasts_one_day() -> None:
    no_end, backwards = read(page(event(name="A", startDate="2026-12-05"),
                                  event(name="B", startDate="2026-12-05", endDate="2026-12-01")))
    for found in (no_end, backwards):
        assert (found.start_date, found.end_date) == (date(2026, 12, 5), date(2026, 12, 6))
        assert (found.start, found.end) == (utc(2026, 12, 5), utc(2026, 12, 6))  # GMT in December


def test_a_timed_event_without_an_end_has_no_length_and_a_duration_gives_one() -> None:
    bare, timed = read(page(event(name="A"), event(name="B", startDate="2026-06-20T10:00:00+01:00",
                                                   duration="PT2H30M")))
    assert bare.start == bare.end == utc(2026, 6, 13, 9)
    assert (timed.start, timed.end) == (utc(2026, 6, 20, 9), utc(2026, 6, 20, 11, 30))


def test_events_outside_the_window_are_dropped() -> None:
    html = page(
        event(name="Before", startDate="2026-05-09T10:00:00+01:00", endDate="2026-05-09T12:00:00+01:00"),
        event(name="Across the start", startDate="2026-05-31T22:00:00Z", endDate="2026-06-01T02:00:00Z"),
        event(name="After", startDate="2027-07-03T10:00:00+01:00"),
    )
    assert [e.title for e in read(html)] == ["Across the start"]


def test_prose_and_unreadable_dates_are_never_guessed() -> None:
    html = page(event(name="A", startDate="Saturday 13 June 2026, 10am"), event(name="B", startDate="13/06/2026"),
                event(name="C", startDate="TBC"), event(name="D", startDate=""), event(name="E", startDate=None),
                event(name="F", startDate="2026-02-30"))
    assert read(html) == []


# ---------------------------------------------------------------- what the event says


@pytest.mark.parametrize(("status", "expected"), [
    ("https://schema.org/EventCancelled", "CANCELLED"),
    ("http://schema.org/EventPostponed", "TENTATIVE"),
    ("EventRescheduled", "CONFIRMED"),
    ("https://schema.org/EventScheduled", "CONFIRMED"),
    ("https://schema.org/EventMovedOnline", "CONFIRMED"),
    ({"@id": "schema:EventCancelled"}, "CANCELLED"),
])
def test_event_status(status: Any, expected: str) -> None:
    assert one(page(event(eventStatus=status))).status == expected


def test_script_in_the_name_and_description_does_not_survive() -> None:
    found = one(page(event(
        name='<script>alert("x")</script><b>Towpath</b> &amp;amp; <img src=x onerror=alert(1)>canal tidy',
        description='<p onclick="alert(1)">Bring gloves.</p><script>document.cookie</script>'
                    '<a href="javascript:alert(1)">more</a>',
    )))
    assert found.title == "Towpath & canal tidy"
    assert "<" not in found.title and "alert" not in found.title
    assert "<script" not in found.description_html and "document.cookie" not in found.description_html
    assert "onclick" not in found.description_html and "javascript:" not in found.description_html
    assert found.description_text.startswith("Bring gloves.")
    assert "document.cookie" not in found.description_text


def test_escaped_script_in_a_name_does_not_come_back_when_decoded() -> None:
    found = one(page(event(name="&lt;script&gt;alert(1)&lt;/script&gt;Towpath tidy")))
    assert found.title == "Towpath tidy"


def test_controls_and_lone_surrogates_from_json_escapes_are_dropped() -> None:
    script = '{"@type": "Event", "name": "Towpath\\u0000 tidy\\ud800", "startDate": "2026-06-13T10:00:00Z",' \
             ' "description": "Bring\\u0007 gloves\\udfff", "location": "Canal\\u0000 Basin"}'
    found = one(f'<script type="application/ld+json">{script}</script>')
    assert (found.title, found.description_text, found.location) == ("Towpath tidy", "Bring gloves", "Canal Basin")


def test_an_empty_name_is_untitled() -> None:
    assert one(page(event(name="  <br> "))).title == UNTITLED


def test_javascript_urls_are_dropped() -> None:
    found = one(page(event(url="javascript:alert(document.domain)", **{"@id": "javascript:alert(1)"})))
    assert found.url == PAGE
    assert "javascript" not in found.source_uid


def test_a_relative_url_is_read_against_the_page() -> None:
    found = one(page(event(url="/events/towpath-tidy-june/")))
    assert found.url == found.source_uid == "https://riverside-greens.example.org/events/towpath-tidy-june/"


@pytest.mark.parametrize("geo", [
    {"@type": "GeoCoordinates", "latitude": 123.4, "longitude": -0.12},
    {"@type": "GeoCoordinates", "latitude": 51.5, "longitude": 200},
    {"@type": "GeoCoordinates", "latitude": 0, "longitude": 0},
    {"@type": "GeoCoordinates", "latitude": "0.0", "longitude": "0.0"},
    {"@type": "GeoCoordinates", "latitude": "NaN", "longitude": "1"},
    {"@type": "GeoCoordinates", "latitude": "51,5", "longitude": "-0,12"},
    {"@type": "GeoCoordinates", "latitude": True, "longitude": True},
])
def test_absurd_or_blank_coordinates_are_dropped(geo: dict[str, Any]) -> None:
    found = one(page(event(location={"@type": "Place", "name": "Canal Basin", "geo": geo})))
    assert (found.lat, found.lon, found.location) == (None, None, "Canal Basin")


def test_coordinates_as_strings_are_read() -> None:
    found = one(page(event(location={"@type": "Place", "name": "Canal Basin",
                                     "geo": {"latitude": " 51.501234", "longitude": "-0.123456"}})))
    assert (found.lat, found.lon) == (51.501234, -0.123456)


@pytest.mark.parametrize(("location", "expected"), [
    ("Canal Basin, Wharf Road", "Canal Basin, Wharf Road"),
    ({"@type": "Place", "name": "Canal Basin", "address": "Wharf Road\nRiverside RV1 2AB"},
     "Canal Basin, Wharf Road, Riverside RV1 2AB"),
    ({"@type": "PostalAddress", "streetAddress": "Wharf Road", "addressLocality": "Riverside"},
     "Wharf Road, Riverside"),
    ({"@type": "VirtualLocation", "url": "https://meet.example.org/towpath"}, "Online"),
    ("https://meet.example.org/towpath", "Online"),
    ([{"@type": "VirtualLocation", "url": "https://meet.example.org/t"}, {"@type": "Place", "name": "Canal Basin"}],
     "Canal Basin"),
])
def test_location_on_one_line(location: Any, expected: str) -> None:
    assert one(page(event(location=location))).location == expected


def test_online_attendance_mode_is_online_whatever_place_is_given() -> None:
    office = {"@type": "Place", "name": "Our office", "geo": {"latitude": 51.5, "longitude": 0.1}}
    found = one(page(event(eventAttendanceMode="https://schema.org/OnlineEventAttendanceMode", location=office)))
    assert (found.location, found.lat, found.lon) == ("Online", None, None)


def test_keywords_become_categories() -> None:
    text, listed = read(page(event(name="A", keywords="litter, canal , litter"),
                             event(name="B", keywords=["litter", "https://example.org/tag/x", " canal "])))
    assert text.categories == listed.categories == ("litter", "canal")


# ---------------------------------------------------------------- several events, several syntaxes


def test_subevents_and_containers_are_followed_but_not_a_superevent() -> None:
    festival = event(name="Green festival", startDate="2026-07-04", endDate="2026-07-05", subEvent=[
        event(name="Seed swap", startDate="2026-07-04T10:00:00+01:00", url="https://g.example.org/seed-swap"),
        {"name": "Bike repair", "startDate": "2026-07-05T10:00:00+01:00"},  # a subEvent is an Event, typed or not
    ])
    talk = event(name="Talk", startDate="2026-07-06T19:00:00+01:00",
                 superEvent=event(name="Lecture series", startDate="2026-07-01"))
    listing = {"@type": "ItemList", "itemListElement": [
        {"@type": "ListItem", "item": event(name="Listed", startDate="2026-07-07T10:00:00+01:00")}]}
    titles = [e.title for e in read(page(festival, talk, listing))]
    assert titles == ["Green festival", "Seed swap", "Bike repair", "Talk", "Listed"]


def test_events_without_ids_are_numbered_and_shared_ids_made_unique() -> None:
    html = page(event(name="A", url="https://g.example.org/e"), event(name="B", url="https://g.example.org/e"),
                event(name="C"))
    assert [e.source_uid for e in read(html)] == [
        "https://g.example.org/e", "https://g.example.org/e#event-2", f"{PAGE}#event-3"]


def test_the_same_event_in_json_ld_and_microdata_is_read_once() -> None:
    body = ('<div itemscope itemtype="https://schema.org/Event"><span itemprop="name">Towpath tidy</span>'
            '<meta itemprop="startDate" content="2026-06-13T10:00">'
            '<span itemprop="location" itemscope itemtype="https://schema.org/Place">'
            '<span itemprop="name">Canal Basin</span></span></div>')
    found = one(page(event(url="https://g.example.org/tidy"), body=body))
    assert (found.source_uid, found.location, found.start) == ("https://g.example.org/tidy", "Canal Basin",
                                                              utc(2026, 6, 13, 9))


def test_one_event_in_two_syntaxes_with_different_precision_is_read_once() -> None:
    # An old theme's hCalendar gives the day; the plugin's JSON-LD the time.
    body = ('<div class="vevent"><span class="summary">Towpath tidy</span>'
            '<abbr class="dtstart" title="2026-06-13">13 June</abbr>'
            '<span class="location">Canal Basin</span></div>')
    found = one(page(event(endDate="2026-06-13T12:00:00+01:00"), body=body))
    assert (found.start, found.end, found.all_day, found.location) == (
        utc(2026, 6, 13, 9), utc(2026, 6, 13, 11), False, "Canal Basin")


def test_two_events_of_one_name_on_one_day_stay_two() -> None:
    tours = read(page(event(name="Guided tour", startDate="2026-06-13T11:00:00+01:00"),
                      event(name="Guided tour", startDate="2026-06-13T14:00:00+01:00")))
    assert [e.start for e in tours] == [utc(2026, 6, 13, 10), utc(2026, 6, 13, 13)]


def test_hcalendar_is_read_as_h_event() -> None:
    body = ('<div class="vevent"><span class="summary">Towpath tidy</span>'
            '<abbr class="dtstart" title="2026-06-13T10:00:00+01:00">13 June</abbr>'
            '<span class="location">Canal Basin</span></div>')
    found = one(page(body=body))
    assert (found.title, found.start, found.location) == ("Towpath tidy", utc(2026, 6, 13, 9), "Canal Basin")


def test_page_in_windows_1252_is_decoded() -> None:
    html = page(event(name="Café social")).replace('charset="utf-8"', 'charset="windows-1252"')
    assert one(html.encode("cp1252")).title == "Café social"


def test_module_import_leaves_the_heavy_libraries_unloaded() -> None:
    code = ("import sys, calendar_hub.ingest.sources.eventpage; "
            "print(sorted({'extruct', 'mf2py', 'bs4'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- hostile pages


@pytest.mark.parametrize("data", [
    b"",
    b"   \r\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
    bytes(range(256)) * 64,
    b"<",
    b"<script type='application/ld+json'>",
    b"<?xml version='1.0' encoding='utf-8'?><rss><channel><item/></channel></rss>",
    "\ufeff<html>\x00\x01\x02<script type=application/ld+json>{\x00}</script>".encode(),
    b"\xff\xfe<\x00h\x00t\x00m\x00l\x00>\x00",
])
def test_garbage_gives_nothing(data: bytes) -> None:
    assert read(data) == []


def test_deep_nesting_is_survived() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    nested: dict[str, Any] = event()
    for _ in range(200):
        nested = {"@type": "WebPage", "mainEntity": nested}
    html = page(nested) + f'<script type="application/ld+json">{deep}</script>'
    assert read(html) == []


def test_only_the_first_2_mb_are_read() -> None:
    early = page(event(name="Early"))
    filler = "<p>" + "x" * 1000 + "</p>"
    late = f'<script type="application/ld+json">{json.dumps(event(name="Late"))}</script>'
    html = early + filler * (MAX_BYTES // len(filler) + 1) + late
    assert len(html) > MAX_BYTES
    assert [e.title for e in read(html)] == ["Early"]


def test_at_most_50_events_are_returned() -> None:
    many = [event(name=f"Event {i}", startDate=f"2026-07-{1 + i % 28:02d}T{8 + i % 12:02d}:00:00Z") for i in range(120)]
    found = read(page({"@graph": many}))
    assert len(found) == MAX_EVENTS
    assert found[0].title == "Event 0"


def test_a_huge_hostile_page_is_read_within_its_limits() -> None:
    item = ('<div itemscope itemtype="https://schema.org/Event" class="h-event">'
            '<span itemprop="name" class="p-name">x</span></div>')
    html = page(*[event(name=f"E{i}") for i in range(40)], body=item * (MAX_BYTES // len(item)))
    assert len(read(html)) <= MAX_EVENTS


@pytest.mark.parametrize("script", [
    '"\\' * (MAX_BYTES // 4),           # an escaped quote after another: no string ever closes
    "{" + "/* " * (MAX_BYTES // 6),       # comments that never close
    "[" + "1," * (MAX_BYTES // 4),        # a list that never ends
])
def test_a_huge_unreadable_script_is_given_up_and_the_rest_read(script: str) -> None:
    assert read(page(event()).replace("</head>", f'<script type="application/ld+json">{script}</script></head>'))


def test_an_h_event_on_the_body_of_a_huge_page_is_read() -> None:
    html = ('<html><body class="h-event"><h1 class="p-name">Towpath tidy</h1>'
            '<time class="dt-start" datetime="2026-06-13T10:00:00+01:00">13 June</time>'
            + "<p>Bring <b>gloves</b> and <a href='/tea'>a flask</a>.</p>" * (MAX_BYTES // 50) + "</body></html>")
    assert [(e.title, e.start) for e in read(html)] == [("Towpath tidy", utc(2026, 6, 13, 9))]


def test_context_zone_is_used_for_floating_times() -> None:
    new_york = ParseContext(url=CONTEXT.url, zone=LONDON.__class__("America/New_York"),
                            window_start=CONTEXT.window_start, window_end=CONTEXT.window_end)
    assert one(page(event(startDate="2026-06-13T10:00")), new_york).start == utc(2026, 6, 13, 14)
