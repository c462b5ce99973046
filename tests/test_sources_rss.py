"""Tests for calendar_hub.ingest.sources.rss: feeds that say when their events happen, and feeds that do not."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from calendar_hub.errors import ParseError
from calendar_hub.ingest.sources import parse_body, rss
from calendar_hub.occurrence import EventIn, ParseContext, ParseResult
from tests.factories import parse_context, utc

DATA = Path(__file__).parent / "data" / "rss"
LONDON = ZoneInfo("Europe/London")

CONTEXT = parse_context("https://riverside-greens.example.org/events/feed/")


def parse_file(name: str, context: ParseContext = CONTEXT) -> ParseResult:
    """Parse one fixture file."""
    return rss.parse((DATA / name).read_bytes(), context=context)


def one(result: ParseResult, title: str) -> EventIn:
    """The only event with this exact title."""
    (event,) = [e for e in result.events if e.title == title]
    return event


# file -> (events in CONTEXT's window, skipped, items left for their linked pages)
EXPECTED: dict[str, tuple[int, int, int]] = {
    "atom_xcal.xml": (2, 1, 0),
    "google_calendar_atom_gd_when.xml": (3, 0, 0),
    "rss_event_module.xml": (4, 0, 1),
    "rss_georss_point.xml": (3, 0, 0),
    "rss_iso8859_1_event_module.xml": (1, 0, 0),
    "rss_no_event_dates.xml": (0, 0, 2),
    # Hostile or broken items cost only themselves (feedparser raised for the whole feed before).
    "rss_encoding_name_with_null.xml": (2, 0, 0),
    "rss_gml_pos_outside_georss_where.xml": (2, 1, 0),
    "rss_lone_surrogate_reference.xml": (3, 0, 0),
    "rss_year_9999_event_date.xml": (2, 1, 0),
}


def test_every_fixture_is_listed() -> None:
    assert sorted(p.name for p in DATA.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_gives_its_events(name: str) -> None:
    result = parse_file(name)
    assert (len(result.events), result.skipped, len(result.linked)) == EXPECTED[name]
    for event in result.events:
        assert event.start.tzinfo is UTC and event.end.tzinfo is UTC
        assert event.start <= event.end
        assert event.recurrence_id == ""
        assert event.all_day == (event.start_date is not None) == (event.end_date is not None)
    assert len({e.source_uid for e in result.events}) == len(result.events)


def test_rss_event_module() -> None:
    result = parse_file("rss_event_module.xml")
    agm = one(result, "Annual general meeting & social")
    assert (agm.start, agm.end) == (utc(2026, 11, 18, 19), utc(2026, 11, 18, 21))
    assert agm.source_uid == "https://hilltown-climate.example.org/events/agm-2026/"
    assert agm.url == "https://hilltown-climate.example.org/events/agm-2026/"
    assert agm.location == "Hilltown Library, Upper Room"
    assert agm.categories == ("Meetings",)
    assert agm.description_html == "Elect the committee, then cake. <b>Members only</b> for the votes."
    assert agm.description_text == "Elect the committee, then cake. Members only for the votes."
    # A date-only ev:startdate is all day; ev:enddate names the last day.
    swap = one(result, "Seed swap")
    assert (swap.all_day, swap.start_date, swap.end_date) == (True, date(2027, 2, 6), date(2027, 2, 7))
    assert (swap.start, swap.end) == (utc(2027, 2, 6), utc(2027, 2, 7))
    # No offset: the hub's zone (BST in October); no end: no length.
    bulbs = one(result, "Autumn bulb planting")
    assert bulbs.start == bulbs.end == utc(2026, 10, 10, 9)
    stall = one(result, "Great Green Week stall")  # 15 to 23 May inclusive
    assert (stall.start_date, stall.end_date) == (date(2027, 5, 15), date(2027, 5, 24))
    assert (stall.start, stall.end) == (utc(2027, 5, 14, 23), utc(2027, 5, 23, 23))


def test_items_without_event_dates_are_never_dated_by_publication_but_left_to_their_pages() -> None:
    result = parse_file("rss_event_module.xml")
    assert "Newsletter: September round-up" not in {e.title for e in result.events}
    [item] = result.linked
    assert item.title == "Newsletter: September round-up" and item.link.startswith("https://")
    assert result.problems == []
    # The 2019 fair is outside the window: left out, not skipped.
    assert "Spring fair 2019" not in {e.title for e in result.events}


def test_blog_feed_without_any_event_dates_gives_only_links_to_follow() -> None:
    result = parse_file("rss_no_event_dates.xml")
    assert result.events == []
    assert [(i.title, i.link) for i in result.linked] == [
        ("Community fridge: one year on", "https://lewes-transition.example.org/2026/09/07/community-fridge-one-year-on/"),
        ("Wreath making is back", "https://lewes-transition.example.org/2026/09/01/wreath-making/"),
    ]


def test_an_item_with_neither_event_date_nor_link_is_skipped() -> None:
    data = (DATA / "rss_no_event_dates.xml").read_bytes()
    data = re.sub(rb"<link>https://lewes-transition[^<]*/</link>", b"", data)
    result = rss.parse(data, context=CONTEXT)
    assert result.linked == [] and result.skipped == 2
    assert result.problems[0] == 'skipped "Community fridge: one year on": it had no event date'


def test_wordpress_rss_with_georss_and_w3c_geo() -> None:
    result = parse_file("rss_georss_point.xml")
    cafe = one(result, "Repair Café – September")
    assert (cafe.start, cafe.end) == (utc(2026, 9, 26, 9, 30), utc(2026, 9, 26, 12))
    assert (cafe.lat, cafe.lon) == (51.4601, -0.3052)  # georss:point is "lat lon"
    assert cafe.categories == ("Repair Café", "Waste")
    assert cafe.source_uid == "https://riverside-greens.example.org/?post_type=tribe_events&p=10482"
    # content:encoded is preferred to the truncated description; the relative link is resolved
    # against the feed's address, and the script and onclick are gone.
    assert cafe.description_html == (
        "<p>Our volunteer fixers will help you mend small electricals, clothes and bikes.</p>\n"
        '<p>Free, <a href="https://riverside-greens.example.org/donate/" rel="noopener nofollow ugc">donations</a>'
        " welcome.</p>")
    assert cafe.description_text == (
        "Our volunteer fixers will help you mend small electricals, clothes and bikes.\n\nFree, donations welcome.")
    wassail = one(result, "Orchard wassail")
    assert (wassail.lat, wassail.lon) == (51.4712, -0.2987)
    bats = one(result, "Bat walk")
    assert (bats.lat, bats.lon) == (None, None)  # "0 0" is no place


def test_atom_with_xcal() -> None:
    result = parse_file("atom_xcal.xml")
    clean = one(result, "Beach clean")
    assert (clean.start, clean.end) == (utc(2026, 12, 5, 10), utc(2026, 12, 5, 12))
    assert clean.location == "North Promenade, Seaside"
    assert clean.categories == ("Beach clean", "Family friendly")
    assert clean.description_html == "<p>Gloves, bags and tea provided.</p>"
    assert clean.url == "https://seaside-beachwatch.example.org/events/beach-clean-december"
    birds = one(result, "Winter bird count")  # xcal:dtend is exclusive, as in iCalendar
    assert (birds.start_date, birds.end_date, birds.status) == (date(2026, 12, 12), date(2026, 12, 14), "CANCELLED")
    assert birds.description_html == "<p>Count the waders on the estuary.<br>Binoculars to lend.</p>"
    assert result.problems == ['skipped "Rock pool ramble": its event date is written in a form the hub cannot read']


def test_google_calendar_atom_gd_when() -> None:
    result = parse_file("google_calendar_atom_gd_when.xml")
    walk = one(result, "Towpath litter pick")
    assert (walk.start, walk.end, walk.status) == (utc(2026, 10, 17, 9), utc(2026, 10, 17, 11), "CONFIRMED")
    assert walk.location == "Canal Basin, Wharf Road, Riverside RV1 2AB"
    assert walk.categories == ()  # Google's "#kind" category is not a topic
    carols = one(result, "Christmas Eve carols for the climate")
    assert (carols.all_day, carols.start_date, carols.end_date) == (True, date(2026, 12, 24), date(2026, 12, 25))
    meeting = one(result, "Winter planning meeting")
    assert (meeting.status, meeting.start) == ("CANCELLED", utc(2026, 12, 5, 14))


def test_declared_iso_8859_1_is_decoded() -> None:
    (event,) = parse_file("rss_iso8859_1_event_module.xml").events
    assert event.title == "Repair Café à la Guildhall"
    assert event.description_text == "Crêpes for every fixer. Entry £2."
    assert (event.start, event.end) == (utc(2026, 10, 3, 9), utc(2026, 10, 3, 11))


def test_window_leaves_out_events_outside_it() -> None:
    narrow = ParseContext(url=CONTEXT.url, zone=LONDON, window_start=utc(2026, 11, 1), window_end=utc(2026, 12, 1))
    result = parse_file("rss_event_module.xml", narrow)
    assert [e.title for e in result.events] == ["Annual general meeting & social"]
    assert result.skipped == 0 and len(result.linked) == 1


@pytest.mark.parametrize("path", [
    Path(__file__).parent / "data" / "ics" / "html_page.html",
    Path(__file__).parent / "data" / "realworld" / "rss-parser__html_document_moved.rss",
])
def test_web_page_is_not_a_feed(path: Path) -> None:
    with pytest.raises(ParseError) as caught:
        rss.parse(path.read_bytes(), context=CONTEXT)
    assert str(caught.value) == "this address returns a web page, not a calendar or a feed"
    assert caught.value.url == CONTEXT.url


@pytest.mark.parametrize(("body", "message"), [
    (b"", "the server sent an empty body instead of a feed"),
    (b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
     "this address returns something that is neither a calendar (ICS) nor a feed (RSS/Atom)"),
])
def test_other_bodies_that_are_not_feeds(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=f"^{message}$".replace("(", r"\(").replace(")", r"\)")):
        rss.parse(body, context=CONTEXT)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-05", date(2026, 12, 5)),
    ("20261205", date(2026, 12, 5)),
    ("2026-12-05T10:00:00Z", utc(2026, 12, 5, 10)),
    ("20261205T100000Z", utc(2026, 12, 5, 10)),
    ("2026-07-04 10:00", utc(2026, 7, 4, 9)),
    ("2026-12-05T10:00:00.000+01:00", utc(2026, 12, 5, 9)),
    ("Sat, 05 Dec 2026 10:00:00 GMT", utc(2026, 12, 5, 10)),
    ("Sat, 04 Jul 2026 10:00:00 -0000", utc(2026, 7, 4, 9)),
])
def test_read_time_forms(text: str, expected: date | datetime) -> None:
    value = rss.read_time(text, LONDON)
    if isinstance(expected, datetime):
        assert isinstance(value, datetime) and value.astimezone(UTC) == expected
    else:
        assert value == expected and not isinstance(value, datetime)


@pytest.mark.parametrize("text", ["next Saturday", "2026-13-45", "Saturday 10 October at 10am"])
def test_read_time_refuses_prose_and_impossible_dates(text: str) -> None:
    with pytest.raises(rss.Unusable):
        rss.read_time(text, LONDON)


def test_item_without_guid_or_link_gets_a_stable_id() -> None:
    body = (b'<rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel><title>T</title>'
            b"<item><title>Picnic</title><ev:startdate>2026-08-01T12:00:00+01:00</ev:startdate></item>"
            b"</channel></rss>")
    first = rss.parse(body, context=CONTEXT).events
    again = rss.parse(body, context=CONTEXT).events
    assert [e.source_uid for e in first] == [e.source_uid for e in again]
    assert first[0].source_uid.startswith("no-id-") and first[0].url == ""


def test_parse_body_sniffs_a_feed() -> None:
    result = parse_body((DATA / "rss_event_module.xml").read_bytes(), kind="", context=CONTEXT)
    assert len(result.events) == 4


def test_an_item_feedparser_cannot_read_costs_only_itself() -> None:
    result = parse_file("rss_gml_pos_outside_georss_where.xml")
    assert sorted(e.title for e in result.events) == ["Film night", "Litter pick"]
    assert result.reasons == {"it could not be read": 1}
    assert any("KeyError" in problem for problem in result.problems)


def test_a_bad_encoding_name_is_left_to_detection() -> None:
    result = parse_file("rss_encoding_name_with_null.xml")
    assert sorted(e.title for e in result.events) == ["Litter pick", "Seed swap"]


def test_references_to_no_character_become_replacement_characters() -> None:
    result = parse_file("rss_lone_surrogate_reference.xml")
    (pick,) = [e for e in result.events if e.title.startswith("Litter pick")]
    assert pick.title == "Litter pick \ufffd on the towpath"
    (swap,) = [e for e in result.events if e.title == "Seed swap"]
    assert swap.description_text == "Bring seeds \ufffd and pots"


def test_an_event_date_in_the_year_9999_costs_only_its_item() -> None:
    result = parse_file("rss_year_9999_event_date.xml")
    assert sorted(e.title for e in result.events) == ["Film night", "Litter pick"]
    assert result.reasons == {"its dates are out of range": 1}
