"""The ICS publisher: parsed back with icalendar, field by field, including hostile text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from calendar_hub.catalogue.listing import Listing
from calendar_hub.publish.ics import PRODID, build_calendar, describe, duration, fold, text, uri
from tests.factories import london, make_group, make_listing, many_listings

NOW = datetime(2026, 5, 3, 12, 0, tzinfo=UTC)
BASE = "https://hub.example.org"

# Everything RFC 5545 text escaping has to survive (3.3.11), and what XML/HTML consumers fear.
HOSTILE = (
    'Repair café; bring tools, cables \\ and "plugs" <script>alert(1)</script> "; ]]> '
    "line one\nline two\r\nline three\rline four\ttabbed 🌍🏳️‍🌈👩🏽‍🔧 "
    + "ñ€😀" * 40
    + " end"
)


def build(listings: list[Listing], **kwargs: object) -> bytes:
    """The calendar with fixed arguments."""
    args: dict[str, object] = {
        "name": "Great Green Week, all events",
        "description": "Events; from every group, in one calendar",
        "self_url": BASE + "/calendar.ics",
        "base_url": BASE,
        "now": NOW,
    } | kwargs
    return build_calendar(listings, **args)  # type: ignore[arg-type]


def parse(data: bytes) -> Calendar:
    """icalendar's reading of the bytes."""
    return Calendar.from_ical(data)


def events(data: bytes) -> dict[str, object]:
    """VEVENTs by UID."""
    return {str(e["UID"]): e for e in parse(data).walk("VEVENT")}


def expected_text(value: str) -> str:
    """What a TEXT value should read as: newlines normalised, forbidden control characters gone."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub("[\x00-\x08\x0b-\x1f\x7f]", "", value)


def unescape(value: object) -> str:
    """RFC 5545 3.3.11 unescaping of a TEXT value icalendar kept raw."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], str(value))


def hostile_listings() -> list[Listing]:
    """Listings with hostile text in every text field."""
    return [
        make_listing(
            uid="odd,uid;with\\chars@hub.example.org",
            title=HOSTILE,
            description_text=HOSTILE + "\x00\x07\x1b control characters",
            location="Hall; Room 2, Upper Street\nIslington " + "🏳️‍🌈" * 30,
            url="https://example.org/events/a b?x=1,2;3&q=\"quoted\"\r\nSTATUS:CANCELLED",
            categories=("Repair, reuse", "Talks; panels", "back\\slash", "new\nline"),
            groups=(make_group("a-b", 'Friends of "the" Park; North, East'), make_group("c", "Café ☕")),
            sequence=3,
        ),
        make_listing(uid="plain@hub.example.org", start=london(2026, 12, 3, 10), end=london(2026, 12, 3, 12)),
    ]


def test_every_field_round_trips_through_icalendar() -> None:
    listings = hostile_listings()
    parsed = events(build(listings))
    assert set(parsed) == {item.uid for item in listings}
    for item in listings:
        event = parsed[item.uid]
        assert event["SEQUENCE"] == item.sequence
        assert event["DTSTAMP"].dt == NOW
        assert event["CREATED"].dt == item.created
        assert event["LAST-MODIFIED"].dt == item.updated
        assert event["DTSTART"].dt == item.start
        assert event["DTEND"].dt == item.end
        assert str(event["SUMMARY"]) == expected_text(item.title)
        assert str(event["DESCRIPTION"]) == expected_text(describe(item))
        assert str(event["LOCATION"]) == expected_text(item.location)
        assert (event["GEO"].latitude, event["GEO"].longitude) == (item.lat, item.lon)
        assert str(event["URL"]) == uri(item.url)
        assert [str(c) for c in event["CATEGORIES"].cats] == [expected_text(c) for c in item.categories]
        assert str(event["STATUS"]) == "CONFIRMED"
        contacts = event["CONTACT"] if isinstance(event["CONTACT"], list) else [event["CONTACT"]]
        assert [str(c) for c in contacts] == [g.name for g in item.groups]
        assert [c.params["ALTREP"] for c in contacts] == [f"{BASE}/groups/{g.slug}" for g in item.groups]


def test_description_is_text_then_organisers_then_link() -> None:
    item = make_listing(groups=(make_group("a", "Alpha"), make_group("b", "Beta")))
    assert describe(item) == (
        "Bring gloves. Tea afterwards.\n\nOrganised by: Alpha, Beta\n"
        "https://riverside-greens.example.org/events/litter-pick"
    )
    assert describe(make_listing(description_text="  ", url="")) == "Organised by: Riverside Greens"


def test_hostile_url_cannot_inject_a_property() -> None:
    data = build(hostile_listings())
    assert b"\r\nSTATUS:CANCELLED" not in data
    url = str(events(data)["odd,uid;with\\chars@hub.example.org"]["URL"])  # type: ignore[index]
    assert " " not in url and '"' not in url and "\r" not in url and "\n" not in url
    assert url.startswith("https://example.org/events/a%20b?x=1,2;3&q=%22quoted%22")


def test_lines_are_crlf_folded_at_75_octets_on_character_boundaries() -> None:
    data = build(hostile_listings())
    assert data.endswith(b"END:VCALENDAR\r\n")
    physical = data.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(physical) and b"\r" not in b"".join(physical)
    for line in physical:
        assert len(line) <= 75
        line.decode("utf-8")  # RFC 5545 3.1: never split a multi-octet character
    assert any(line.startswith(b" ") for line in physical)


@pytest.mark.parametrize("line", ["", "x" * 75, "x" * 76, "é" * 38, "x" + "😀" * 50, "a\\" * 100, "🏳️‍🌈" * 40])
def test_fold_undoes_to_the_same_line(line: str) -> None:
    folded = fold(line)
    assert folded.endswith(b"\r\n")
    parts = folded[:-2].split(b"\r\n")
    assert all(len(p) <= 75 for p in parts)
    assert all(p.startswith(b" ") for p in parts[1:])
    assert b"".join([parts[0], *(p[1:] for p in parts[1:])]).decode("utf-8") == line


def test_text_escaping_follows_rfc5545() -> None:
    assert text('a\\b;c,d\ne\r\nf\rg"h:i') == 'a\\\\b\\;c\\,d\\ne\\nf\\ng"h:i'
    assert text("bell\x07 nul\x00 tab\t") == "bell nul tab\t"


def test_calendar_properties() -> None:
    cal = parse(build([], refresh=timedelta(hours=12)))
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]) == PRODID
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    # No METHOD: METHOD:PUBLISH would make it an iTIP message (RFC 5546 3.2.1), whose events need an ORGANIZER.
    assert "METHOD" not in cal and "ORGANIZER" not in cal
    # icalendar 7.3 leaves NAME (a type it does not know) escaped, so unescape it here; X-WR-CALNAME, like
    # X-WR-CALDESC, is written to need no escape at all.
    assert unescape(cal["NAME"]) == "Great Green Week, all events"
    assert str(cal["X-WR-CALNAME"]) == unescape(cal["X-WR-CALNAME"]) == "Great Green Week, all events"
    description = "Events; from every group, in one calendar"
    assert str(cal["DESCRIPTION"]) == description
    # X-WR-CALDESC is read as it stands by icalendar and ical.js, and unescaped by others: it needs no escape at all
    assert str(cal["X-WR-CALDESC"]) == unescape(cal["X-WR-CALDESC"]) == description
    assert cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert cal["REFRESH-INTERVAL"].dt == timedelta(hours=12)
    assert str(cal["SOURCE"]) == BASE + "/calendar.ics"
    raw = build([], refresh=timedelta(hours=12))
    assert b"X-PUBLISHED-TTL:PT12H\r\n" in raw and b"SOURCE;VALUE=URI:" in raw


def test_hostile_calendar_name_is_escaped() -> None:
    data = build([], name="Week, of; action\\\nEND:VCALENDAR", description="<b>bold</b>\r\nX-EVIL:1")
    assert b"\r\nEND:VCALENDAR\r\n" not in data[:-15] and b"\r\nX-EVIL" not in data
    cal = parse(data)
    assert unescape(cal["NAME"]) == "Week, of; action\\\nEND:VCALENDAR"
    assert str(cal["DESCRIPTION"]) == "<b>bold</b>\nX-EVIL:1"


def test_summer_and_winter_london_times_are_written_in_utc() -> None:
    summer = make_listing(uid="summer", start=london(2026, 6, 13, 10), end=london(2026, 6, 13, 12))
    winter = make_listing(uid="winter", start=london(2026, 12, 3, 10), end=london(2026, 12, 3, 12, 30))
    data = build([summer, winter])
    parsed = events(data)
    assert parsed["summer"]["DTSTART"].dt == datetime(2026, 6, 13, 9, 0, tzinfo=UTC)  # type: ignore[index]
    assert parsed["winter"]["DTSTART"].dt == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # type: ignore[index]
    assert parsed["winter"]["DTEND"].dt == datetime(2026, 12, 3, 12, 30, tzinfo=UTC)  # type: ignore[index]
    assert b"DTSTART:20260613T090000Z\r\n" in data
    # FIELD-NOTES: no TZID anywhere, so no VTIMEZONE is needed (and ical.js cannot misread one).
    assert b"TZID" not in data and b"VTIMEZONE" not in data


def test_all_day_events_use_dates_with_exclusive_end() -> None:
    one = make_listing(uid="one", all_day=True, start_date=date(2026, 6, 13), end_date=date(2026, 6, 14))
    three = make_listing(uid="three", all_day=True, start_date=date(2026, 10, 24),
                         end_date=date(2026, 10, 27))
    data = build([one, three])
    parsed = events(data)
    assert parsed["one"]["DTSTART"].dt == date(2026, 6, 13)  # type: ignore[index]
    assert parsed["one"]["DTEND"].dt == date(2026, 6, 14)  # type: ignore[index]
    assert parsed["three"]["DTEND"].dt == date(2026, 10, 27)  # type: ignore[index]
    assert b"DTSTART;VALUE=DATE:20261024\r\nDTEND;VALUE=DATE:20261027\r\n" in data


def test_all_day_without_dates_or_with_empty_span_still_lasts_a_day() -> None:
    item = make_listing(uid="x", all_day=True, start_date=date(2026, 6, 13), end_date=date(2026, 6, 13))
    assert events(build([item]))["x"]["DTEND"].dt == date(2026, 6, 14)  # type: ignore[index]


def test_timed_event_ending_at_its_start_has_no_dtend() -> None:
    start = london(2026, 6, 13, 10)
    event = events(build([make_listing(uid="x", start=start, end=start)]))["x"]
    assert "DTEND" not in event  # type: ignore[operator]


def test_cancelled_listing_stays_with_status_cancelled() -> None:
    item = make_listing(uid="gone", status="CANCELLED", sequence=2)
    event = events(build([item]))["gone"]
    assert str(event["STATUS"]) == "CANCELLED"  # type: ignore[index]
    assert event["SEQUENCE"] == 2  # type: ignore[index]
    assert str(event["SUMMARY"]) == item.title  # type: ignore[index]


def test_tentative_status_and_unknown_status_left_out() -> None:
    parsed = events(build([make_listing(uid="t", status="tentative"), make_listing(uid="u", status="")]))
    assert str(parsed["t"]["STATUS"]) == "TENTATIVE"  # type: ignore[index]
    assert "STATUS" not in parsed["u"]  # type: ignore[operator]


@pytest.mark.parametrize("precision", ["approximate", "none"])
def test_no_geo_for_a_place_known_only_roughly_or_not_at_all(precision: str) -> None:
    event = events(build([make_listing(uid="x", place_precision=precision)]))["x"]
    assert "GEO" not in event  # type: ignore[operator]
    assert "GEO" not in events(build([make_listing(uid="x", lat=None, lon=None)]))["x"]  # type: ignore[operator]


@pytest.mark.parametrize("placed_by", ["postcode", "town", "geocoder"])
def test_a_place_found_from_a_postcode_or_town_has_geo_saying_how_it_was_placed(placed_by: str) -> None:
    listing = make_listing(uid="x", place_precision="area", placed_by=placed_by, lat=53.448312, lon=-2.229876)
    data = build([listing])
    geo = events(data)["x"]["GEO"]  # type: ignore[index]
    assert (geo.latitude, geo.longitude) == (53.448, -2.230)  # three decimals: as near as the area is known
    assert geo.params["X-CALENDAR-HUB-PLACED-BY"] == placed_by.upper()
    assert f"GEO;X-CALENDAR-HUB-PLACED-BY={placed_by.upper()}:53.448;-2.230\r\n".encode() in data
    exact = events(build([make_listing(uid="x")]))["x"]["GEO"]  # type: ignore[index]
    assert "X-CALENDAR-HUB-PLACED-BY" not in exact.params


@pytest.mark.parametrize("description", [
    "Events of Sanctuary Stockport, via Calendar Hub", "a; b, c", "back\\slash\\, and \\n", "two\nlines\r\nthree",
])
def test_x_wr_caldesc_needs_no_unescaping_whatever_the_description(description: str) -> None:
    shown = str(parse(build([], description=description))["X-WR-CALDESC"])
    assert shown == unescape(shown)   # the same whether a reader unescapes it or not
    assert "\\" not in shown and "\n" not in shown
    assert shown.split() == description.replace("\\", "/").split()


def test_optional_fields_left_out_when_empty() -> None:
    event = events(build([make_listing(uid="x", location="", url="", categories=(), groups=())]))["x"]
    for name in ("LOCATION", "URL", "CATEGORIES", "CONTACT"):
        assert name not in event  # type: ignore[operator]


def test_same_input_same_bytes_in_any_order() -> None:
    listings = [*hostile_listings(), *many_listings(50)]
    # Two listings with the same start are ordered by uid.
    listings += [make_listing(uid="zzz-same-start"), make_listing(uid="aaa-same-start")]
    first = build(listings)
    assert build(list(listings)) == first
    assert build(list(reversed(listings))) == first
    uids = [str(e["UID"]) for e in parse(first).walk("VEVENT")]
    starts = [e["DTSTART"].dt for e in parse(first).walk("VEVENT")]
    assert starts == sorted(starts)
    assert uids.index("aaa-same-start") < uids.index("zzz-same-start")


def test_every_event_has_what_rfc5545_requires() -> None:
    for event in parse(build(many_listings(30))).walk("VEVENT"):
        # RFC 5545 3.6.1: UID and DTSTAMP required; DTSTART required when METHOD is absent (we add it anyway).
        assert {"UID", "DTSTAMP", "DTSTART"} <= set(event)


@pytest.mark.parametrize(
    ("span", "value"),
    [(timedelta(hours=6), "PT6H"), (timedelta(days=1), "P1D"), (timedelta(days=1, minutes=30), "P1DT30M"),
     (timedelta(seconds=90), "PT1M30S")],
)
def test_duration(span: timedelta, value: str) -> None:
    assert duration(span) == value


def test_refresh_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        build([], refresh=timedelta(0))
