"""Tests for calendar_hub.ingest.sources.ics: real-shaped exports in, occurrences in UTC out."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from calendar_hub.errors import ParseError
from calendar_hub.ingest.sources import ics, kinds, parse_body
from calendar_hub.ingest.sources._ics_event import lenient_duration
from calendar_hub.occurrence import EventIn, ParseContext, ParseResult
from tests.factories import parse_context, utc

DATA = Path(__file__).parent / "data" / "ics"
REALWORLD = Path(__file__).parent / "data" / "realworld"
LONDON = ZoneInfo("Europe/London")

CONTEXT = parse_context("https://riverside-greens.example.org/events/?ical=1")


def window(start: datetime, end: datetime) -> ParseContext:
    """CONTEXT with another window."""
    return ParseContext(url=CONTEXT.url, zone=LONDON, window_start=start, window_end=end)


def parse_file(name: str, context: ParseContext = CONTEXT, folder: Path = DATA) -> ParseResult:
    """Parse one fixture file."""
    return ics.parse((folder / name).read_bytes(), context=context)


def titled(result: ParseResult, title: str) -> list[EventIn]:
    """The events with this exact title, in order of start."""
    return sorted((e for e in result.events if e.title == title), key=lambda e: e.start)


# file -> (events in CONTEXT's window, skipped), or the ParseError message.
EXPECTED: dict[str, tuple[int, int] | str] = {
    "allday_multiday.ics": (3, 0),
    "bare_vevents_without_vcalendar.ics": (6, 0),
    "cancelled_event.ics": (2, 0),
    "duplicate_uid_sequence.ics": (2, 0),
    "duration_instead_of_dtend.ics": (3, 0),
    "end_before_start.ics": (2, 0),
    "floating_times_no_xwr.ics": (2, 0),
    "google_utc_series_with_x_wr_timezone.ics": (4, 0),
    "google_weekly_with_moved_instance.ics": (7, 0),
    "html_page.html": "this address returns a web page, not a calendar",
    "no_uid_events.ics": (2, 0),
    "one_bad_series_among_good.ics": (4, 4),
    "outlook_customized_time_zone_uk.ics": (1, 0),
    "outlook_customized_time_zone_us.ics": (1, 0),
    "outlook_gmt_standard_time.ics": (5, 0),
    "salvage_one_unreadable_event.ics": (2, 1),
    "thunderbird_monthly_rules.ics": (11, 0),
    "truncated_download.ics": (5, 0),
    "two_vcalendars_concatenated.ics": (3, 0),
    "unsafe_fields_and_bad_geo.ics": (3, 0),
    "utf8_bom.ics": (1, 0),
    "windows1252_lf_only.ics": (1, 0),
    "wordpress_events_calendar.ics": (2, 0),
    "utf16_le_bom.ics": (2, 0),
    "utf16_be_no_bom.ics": (2, 0),
    "utf32_le_bom.ics": (2, 0),
    "utf32_be_no_bom.ics": (2, 0),
    # Hostile calendars, named .ical so the comparison with recurring-ical-events (which globs *.ics
    # and expands as the library does, for minutes on some of these) leaves them out.
    "repeat_ends_centuries_before_start.ical": (313, 0),
    "repeat_hourly_from_a_date_centuries_ago.ical": (366, 0),
    "repeat_lasting_centuries.ical": (1, 1),
    "repeat_monthly_and_yearly_from_centuries_ago.ical": (12, 0),
    "repeat_rules_that_give_no_date.ical": (12, 0),
    "repeat_starts_centuries_ago_hourly.ical": (1001, 0),
    "x_wr_timezone_too_long.ical": (2, 0),
    "year_9999_dates_among_good_events.ical": (2, 4),
}


def test_every_fixture_is_listed() -> None:
    assert sorted(p.name for p in DATA.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_gives_its_events_or_the_right_error(name: str) -> None:
    expected = EXPECTED[name]
    if isinstance(expected, str):
        with pytest.raises(ParseError) as caught:
            parse_file(name)
        assert str(caught.value) == expected
        assert caught.value.url == CONTEXT.url
        return
    result = parse_file(name)
    assert (len(result.events), result.skipped) == expected
    for event in result.events:
        assert event.start.tzinfo is UTC and event.end.tzinfo is UTC
        assert event.start <= event.end
        assert CONTEXT.window_start <= event.end and event.start <= CONTEXT.window_end
        assert event.all_day == (event.start_date is not None) == (event.end_date is not None)
    keys = [(e.source_uid, e.recurrence_id) for e in result.events]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("name", sorted(n for n, v in EXPECTED.items() if not isinstance(v, str)))
def test_parsing_twice_gives_the_same_identities(name: str) -> None:
    first = [(e.source_uid, e.recurrence_id, e.start) for e in parse_file(name).events]
    again = [(e.source_uid, e.recurrence_id, e.start) for e in parse_file(name).events]
    assert first == again


def test_google_weekly_series_with_moved_excluded_and_cancelled_instances() -> None:
    result = parse_file("google_weekly_with_moved_instance.ics")
    uid = "4ql0f7o5m9p2c1s3vb8hd6j0kn@google.com"
    series = sorted((e for e in result.events if e.source_uid == uid), key=lambda e: e.start)
    # 10:00 Europe/London: BST until 25 October 2026, GMT after; 7 November is an EXDATE.
    assert [(e.start, e.end) for e in series] == [
        (utc(2026, 10, 17, 9), utc(2026, 10, 17, 11)),
        (utc(2026, 10, 24, 9), utc(2026, 10, 24, 11)),
        (utc(2026, 11, 1, 14), utc(2026, 11, 1, 16)),
        (utc(2026, 11, 14, 10), utc(2026, 11, 14, 12)),
        (utc(2026, 11, 21, 10), utc(2026, 11, 21, 12)),
    ]
    assert [e.recurrence_id for e in series] == [
        "2026-10-17T09:00:00+00:00",
        "2026-10-24T09:00:00+00:00",
        "2026-10-31T10:00:00+00:00",  # the moved instance keeps its original start
        "2026-11-14T10:00:00+00:00",
        "2026-11-21T10:00:00+00:00",
    ]
    moved = series[2]
    assert moved.title == "Towpath litter pick (moved to Sunday)"
    assert moved.description_text == "Moved to Sunday afternoon because of the half-marathon."
    assert [e.status for e in series] == ["CONFIRMED", "CONFIRMED", "CONFIRMED", "CANCELLED", "CONFIRMED"]
    first = series[0]
    assert first.location == "Canal Basin, Wharf Road, Riverside RV1 2AB, UK"
    assert first.description_text == (
        "Weekly litter pick on the towpath.\nGloves and grabbers provided. Details and risk assessment"
        "\n\nMeet by the lock."
    )
    assert '<a href="https://riverside-greens.example.org/litter" rel="noopener nofollow ugc">' \
        in first.description_html


def test_google_single_and_all_day_events() -> None:
    result = parse_file("google_weekly_with_moved_instance.ics")
    (meeting,) = titled(result, "Winter planning meeting")
    assert (meeting.start, meeting.end, meeting.recurrence_id) == (utc(2026, 12, 5, 14), utc(2026, 12, 5, 15, 30), "")
    assert meeting.description_text == (
        "Plan the spring programme. Agenda:\n\n- bulb planting\n- the Great Green Week stall")
    (stall,) = titled(result, "Great Green Week stall")
    assert (stall.all_day, stall.start_date, stall.end_date) == (True, date(2027, 3, 13), date(2027, 3, 14))
    assert (stall.start, stall.end, stall.status) == (utc(2027, 3, 13), utc(2027, 3, 14), "TENTATIVE")


def test_google_utc_series_follows_x_wr_timezone_across_daylight_saving() -> None:
    result = parse_file("google_utc_series_with_x_wr_timezone.ics")
    # 10:00 in New York: EDT until 1 November 2026, then EST; not a fixed 14:00 UTC.
    assert [e.start for e in titled(result, "Transatlantic climate call")] == [
        utc(2026, 10, 24, 14), utc(2026, 10, 31, 14), utc(2026, 11, 7, 15)]
    # A floating time is in the calendar's X-WR-TIMEZONE, not the hub's zone.
    (breakfast,) = titled(result, "Floating-time breakfast")
    assert (breakfast.start, breakfast.end) == (utc(2026, 11, 28, 14), utc(2026, 11, 28, 16))


def test_floating_times_without_x_wr_timezone_are_in_the_hub_zone() -> None:
    result = parse_file("floating_times_no_xwr.ics")
    assert [(e.start, e.end) for e in sorted(result.events, key=lambda e: e.start)] == [
        (utc(2026, 7, 4, 9), utc(2026, 7, 4, 10, 30)),  # BST
        (utc(2026, 12, 5, 10), utc(2026, 12, 5, 12, 30)),  # GMT
    ]


def test_unknown_x_wr_timezone_is_reported_and_the_hub_zone_used() -> None:
    body = (DATA / "floating_times_no_xwr.ics").read_bytes().replace(
        b"X-WR-CALNAME:", b"X-WR-TIMEZONE:Europe/Atlantis\r\nX-WR-CALNAME:")
    result = ics.parse(body, context=CONTEXT)
    assert [e.start for e in result.events] == [utc(2026, 7, 4, 9), utc(2026, 12, 5, 10)]
    assert any("Europe/Atlantis" in p for p in result.problems)


def test_outlook_windows_zone_names_monthly_rule_and_html_description() -> None:
    result = parse_file("outlook_gmt_standard_time.ics")
    meetings = titled(result, "Open meeting")
    # BYDAY=1WE until 6 January 2027 19:00Z inclusive; 19:00 GMT Standard Time (BST in October).
    assert [e.start for e in meetings] == [
        utc(2026, 10, 7, 18), utc(2026, 11, 4, 19), utc(2026, 12, 2, 19), utc(2027, 1, 6, 19)]
    first = meetings[0]
    assert first.end == utc(2026, 10, 7, 19, 30)
    # X-ALT-DESC (HTML) gives the page's HTML, without Outlook's <head>, <title> and <style>.
    assert first.description_html == (
        '<p>Monthly open meeting. <b>Everyone welcome</b>, no need to book.</p>\n'
        '<p>Agenda and minutes: <a href="https://hilltown-climate.example.org/meetings" '
        'rel="noopener nofollow ugc">on our site</a></p>')
    assert first.description_text == (
        "Monthly open meeting. Everyone welcome, no need to book.\n\n"
        "Agenda and minutes: https://hilltown-climate.example.org/meetings")
    (call,) = titled(result, "Twinning call with Utrecht")
    assert (call.start, call.end) == (utc(2026, 11, 12, 18), utc(2026, 11, 12, 19))


def test_custom_vtimezone_of_one_feed_does_not_leak_into_the_next() -> None:
    # icalendar caches custom VTIMEZONEs process-wide by TZID, first one wins.
    for _ in range(2):
        (uk,) = parse_file("outlook_customized_time_zone_uk.ics").events
        (us,) = parse_file("outlook_customized_time_zone_us.ics").events
        assert (uk.title, uk.start) == ("Seed swap", utc(2026, 12, 5, 10))
        assert (us.title, us.start) == ("Seed swap (New England)", utc(2026, 12, 5, 15))


def test_wordpress_events_calendar_fields() -> None:
    result = parse_file("wordpress_events_calendar.ics")
    (cafe,) = titled(result, "Repair Café – bring your broken toasters")
    assert (cafe.start, cafe.end) == (utc(2026, 9, 26, 9, 30), utc(2026, 9, 26, 12))
    assert cafe.location == "St Mark's Church Hall, 12 Mill Lane, Riverside, RV2 3EF, United Kingdom"
    assert cafe.url == "https://riverside-greens.example.org/event/repair-cafe-september/"
    assert cafe.categories == ("Repair Café", "Family friendly", "Waste")
    assert (cafe.lat, cafe.lon) == (51.4601, -0.3052)
    assert cafe.description_html == (
        "<p>Our volunteer fixers will help you mend small electricals, clothes and bikes. "
        "Free, donations welcome.</p><p>Please arrive before 12:30.</p>")
    (apple,) = titled(result, "Apple Day weekend")
    assert apple.categories == ("Food", "Family friendly")
    assert (apple.start_date, apple.end_date) == (date(2026, 10, 17), date(2026, 10, 19))
    # The 2019 fair is outside the window: left out, not counted as skipped.
    assert titled(result, "Spring fair 2019") == [] and result.skipped == 0


def test_all_day_events_are_local_midnights_and_keep_their_days() -> None:
    result = parse_file("allday_multiday.ics")
    (week,) = titled(result, "Great Green Week")
    assert (week.all_day, week.start_date, week.end_date) == (True, date(2026, 6, 13), date(2026, 6, 21))
    assert (week.start, week.end) == (utc(2026, 6, 12, 23), utc(2026, 6, 20, 23))  # BST midnights
    (bike,) = titled(result, "Bike to work day")  # RFC 5545: a DATE start alone lasts one day
    assert (bike.start_date, bike.end_date, bike.start) == (date(2026, 6, 17), date(2026, 6, 18), utc(2026, 6, 16, 23))
    (survey,) = titled(result, "Winter wildlife survey")  # DURATION:P2D
    assert (survey.start_date, survey.end_date, survey.start) == (date(2027, 1, 30), date(2027, 2, 1), utc(2027, 1, 30))


def test_duration_instead_of_dtend_and_no_end_at_all() -> None:
    result = parse_file("duration_instead_of_dtend.ics")
    (poppies,) = titled(result, "Remembrance Sunday wreath of recycled poppies")
    assert (poppies.start, poppies.end) == (utc(2026, 11, 8, 11), utc(2026, 11, 8, 12, 30))
    (bus,) = titled(result, "Bus to the climate march leaves")  # a DATE-TIME alone lasts no time
    assert bus.start == bus.end == utc(2026, 11, 21, 9, 30)
    (week,) = titled(result, "Compost awareness week")  # Synology's DURATION:PT1W
    assert (week.all_day, week.start_date, week.end_date) == (True, date(2027, 2, 1), date(2027, 2, 8))


def test_end_before_start_is_published_with_no_length() -> None:
    result = parse_file("end_before_start.ics")
    (quiz,) = titled(result, "Climate quiz night")
    assert quiz.start == quiz.end == utc(2026, 10, 15, 19)
    (car_free,) = titled(result, "Car-free day")  # DTEND equal to DTSTART: still one day
    assert (car_free.start_date, car_free.end_date) == (date(2026, 10, 20), date(2026, 10, 21))


def test_bare_vevents_without_a_vcalendar_are_sniffed_and_read_as_one_calendar() -> None:
    body = (DATA / "bare_vevents_without_vcalendar.ics").read_bytes()
    assert kinds.classify(body) == "ical"
    result = parse_body(body, kind="", context=CONTEXT)
    assert result.problems == []   # read whole, not salvaged as a calendar cut off
    (cafe,) = titled(result, "Millbrook Repair Café")
    assert (cafe.start, cafe.end, cafe.sequence) == (utc(2026, 7, 11, 9), utc(2026, 7, 11, 12), 2)
    assert cafe.location == "St Mark's Church Hall, Millbrook Road, Southampton, SO15 3ET"
    series = titled(result, "Repair Café: second Saturdays")  # its VTIMEZONE read: GMT from 25 October
    assert [e.start for e in series] == [utc(2026, 8, 8, 9), utc(2026, 9, 12, 9), utc(2026, 10, 10, 9),
                                         utc(2026, 11, 14, 10)]
    (fair,) = titled(result, "Southampton Climate Fair (stall)")
    assert (fair.all_day, fair.start_date, fair.end_date) == (True, date(2026, 9, 19), date(2026, 9, 20))


def test_concatenated_calendars_give_each_event_once() -> None:
    result = parse_file("two_vcalendars_concatenated.ics")
    assert sorted(e.title for e in result.events) == [
        "Bike repair pop-up: Lewes", "Film night: Brighton", "Sussex climate march"]


def test_cancelled_event_and_other_components_ignored() -> None:
    result = parse_file("cancelled_event.ics")
    (cancelled,) = titled(result, "Tree planting at Hill Farm")
    assert (cancelled.status, cancelled.sequence, cancelled.start) == ("CANCELLED", 3, utc(2026, 10, 10, 13))
    (workshop,) = titled(result, "Hedge laying workshop")
    assert workshop.status == "CONFIRMED"  # "confirmed" in the file
    assert sorted(e.title for e in result.events) == ["Hedge laying workshop", "Tree planting at Hill Farm"]


def test_bom_and_utf8_text() -> None:
    (event,) = parse_file("utf8_bom.ics").events
    assert event.title == "Caffi Trwsio / Repair Café – Gŵyl yr Hydref"
    assert event.description_text == "Dewch â’ch pethau wedi torri. Bring your broken things."


def test_windows_1252_bytes_and_lf_line_endings() -> None:
    (event,) = parse_file("windows1252_lf_only.ics").events
    assert event.title == "Repair Café – “Fix it, don’t ditch it”"
    assert event.description_text == "Crêpes and tea for every fixer. Entry £2."
    assert event.start == utc(2026, 10, 3, 9)


def test_utf16_with_byte_order_mark() -> None:
    text = (DATA / "utf8_bom.ics").read_bytes()[3:].decode("utf-8")
    (event,) = ics.parse(text.encode("utf-16"), context=CONTEXT).events
    assert event.title == "Caffi Trwsio / Repair Café – Gŵyl yr Hydref"


@pytest.mark.parametrize(("text", "seconds"), [
    ("PT1W", 7 * 86400), ("P2W", 14 * 86400), ("P1DT2H", 93600), ("PT90M", 5400), ("-PT15M", -900),
    ("P1M", None), ("soon", None), ("P", None),
])
def test_lenient_duration(text: str, seconds: int | None) -> None:
    value = lenient_duration(text)
    assert (value.total_seconds() if value is not None else None) == seconds


def test_duplicate_uid_keeps_highest_sequence_then_latest_dtstamp() -> None:
    result = parse_file("duplicate_uid_sequence.ics")
    assert sorted((e.title, e.start, e.sequence) for e in result.events) == [
        ("Beach clean (new time)", utc(2026, 10, 17, 13), 2),
        ("Rock pool ramble (low tide at 11)", utc(2026, 10, 24, 10), 0),
    ]
    assert any("appears 2 times with the same UID" in p for p in result.problems)


def test_rrule_count_until_bysetpos_rdate_and_exdate() -> None:
    result = parse_file("thunderbird_monthly_rules.ics")
    assert [e.start for e in titled(result, "Repair café")] == [  # BYDAY=1SA;COUNT=4
        utc(2026, 10, 3, 9), utc(2026, 11, 7, 10), utc(2026, 12, 5, 10), utc(2027, 1, 2, 10)]
    assert [e.start for e in titled(result, "Committee (last weekday of the month)")] == [  # BYSETPOS=-1
        utc(2026, 9, 30, 18), utc(2026, 10, 30, 19), utc(2026, 11, 30, 19), utc(2026, 12, 31, 19)]
    assert [e.start for e in titled(result, "Fortnightly wildlife walk")] == [  # EXDATE 15th, RDATE 26th
        utc(2026, 11, 1, 11), utc(2026, 11, 29, 11), utc(2026, 12, 26, 11)]


def test_series_partly_outside_the_window_gives_only_the_occurrences_inside() -> None:
    result = parse_file("thunderbird_monthly_rules.ics", window(utc(2026, 11, 1), utc(2026, 12, 1)))
    assert sorted((e.title, e.start) for e in result.events) == [
        ("Committee (last weekday of the month)", utc(2026, 11, 30, 19)),
        ("Fortnightly wildlife walk", utc(2026, 11, 1, 11)),
        ("Fortnightly wildlife walk", utc(2026, 11, 29, 11)),
        ("Repair café", utc(2026, 11, 7, 10)),
    ]
    assert result.skipped == 0


def test_one_bad_series_costs_only_itself() -> None:
    result = parse_file("one_bad_series_among_good.ics")
    assert sorted((e.title, e.start) for e in result.events) == [
        ("Bike maintenance class", utc(2026, 11, 7, 10)),
        ("Solar panel open house", utc(2026, 11, 21, 14)),  # unknown TZID: read as London time
        ("Weekly community garden", utc(2026, 11, 5, 16)),
        ("Weekly community garden", utc(2026, 11, 12, 16)),
    ]
    assert result.skipped == 4
    assert result.problems[0] == "unknown time zone 'GMT Summer Time': its times were read as Europe/London time"
    assert result.problems[1:] == [
        "skipped \"Fortnightly swap shop\": its repeat rule 'FREQ=FORTNIGHTLY;BYDAY=SA' could not be read",
        'skipped "Talk with no date yet": it has no start time',
        "skipped \"Film night\": its start time '2026-11-14 19:00' could not be read",
        'skipped "Every minute alarm": it repeats every minute or second',
    ]


def test_salvage_reads_events_one_by_one_when_the_calendar_does_not_parse() -> None:
    result = parse_file("salvage_one_unreadable_event.ics")
    assert sorted(e.title for e in result.events) == ["Members' meeting", "Save our branch line rally"]
    assert result.skipped == 1
    # The malformed alarm TRIGGER is dropped before parsing; the unreadable GEO sinks the whole file.
    assert result.problems[0].startswith("the calendar as a whole could not be read (ValueError")
    assert result.problems[1].startswith('could not read the event "Walk the old trackbed"')


def test_a_malformed_alarm_costs_nothing() -> None:
    # The same calendar without its unreadable GEO: the rally's malformed VALARM alone.
    text = (DATA / "salvage_one_unreadable_event.ics").read_text()
    walk = text.index("BEGIN:VEVENT\nUID:cru-2026-11-21")
    end = text.index("END:VEVENT\n", walk) + len("END:VEVENT\n")
    result = ics.parse((text[:walk] + text[end:]).encode(), context=CONTEXT)
    assert sorted(e.title for e in result.events) == ["Members' meeting", "Save our branch line rally"]
    assert result.skipped == 0
    assert result.problems == []


def test_truncated_download_keeps_complete_events_and_says_it_is_cut_off() -> None:
    result = parse_file("truncated_download.ics")
    assert {e.title for e in result.events} == {"Towpath litter pick", "Towpath litter pick (moved to Sunday)"}
    assert "cut off" in result.problems[0]


def test_nothing_readable_raises_parse_error() -> None:
    body = (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Walk\r\nBEGIN:VLOCATION\r\nGEO:north\r\n"
            b"END:VLOCATION\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    with pytest.raises(ParseError, match="^the only event in this calendar could not be read"):
        ics.parse(body, context=CONTEXT)


@pytest.mark.parametrize(("body", "message"), [
    (b"", "the server sent an empty body instead of a calendar"),
    (b"\xef\xbb\xbf \r\n", "the server sent an empty body instead of a calendar"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>',
     "this address returns an XML document (perhaps a feed), not a calendar"),
    (b"Error 500: database unavailable", "this address does not return a calendar: there is no BEGIN:VCALENDAR in it"),
])
def test_bodies_that_are_not_calendars(body: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        ics.parse(body, context=CONTEXT)
    assert (str(caught.value), caught.value.url) == (message, CONTEXT.url)


def test_events_without_uid_get_a_stable_distinct_identity() -> None:
    first = parse_file("no_uid_events.ics").events
    again = parse_file("no_uid_events.ics").events
    assert [e.source_uid for e in first] == [e.source_uid for e in again]
    assert len({e.source_uid for e in first}) == 2
    assert all(e.source_uid.startswith("no-uid-") for e in first)


def test_untrusted_fields_are_cleaned() -> None:
    result = parse_file("unsafe_fields_and_bad_geo.ics")
    (seeds,) = titled(result, "Wild flower seed bombing")  # SUMMARY had an escaped newline and spaces
    assert seeds.description_html == (
        '<p>Bring <b>old</b> compost.</p><a rel="noopener nofollow ugc">click</a> '
        '<a href="https://townsville-greens.example.org/seeds" rel="noopener nofollow ugc">Seed list</a>')
    assert seeds.description_text == "Bring old compost.\n\nclick Seed list"
    assert (seeds.url, seeds.lat, seeds.lon) == ("", None, None)  # javascript: URL, GEO 0;0
    assert seeds.categories == ("Nature", "Family friendly")
    assert (seeds.status, seeds.sequence) == ("CONFIRMED", 0)  # NEEDS-ACTION, SEQUENCE:not-a-number
    (pruning,) = titled(result, "Orchard pruning")
    assert (pruning.url, pruning.lat, pruning.lon) == (
        "https://townsville-greens.example.org/events/pruning", None, None)  # latitude 95.5
    (allotment,) = titled(result, "Allotment open day")
    assert (allotment.url, allotment.lat, allotment.lon, allotment.sequence) == ("", 52.205337, 0.121817, 4)


def test_single_events_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("recurring_ical_events used for an event that does not repeat")

    monkeypatch.setattr(recurring_ical_events, "of", refuse)
    assert len(parse_file("wordpress_events_calendar.ics").events) == 2
    assert len(parse_file("allday_multiday.ics").events) == 3


def test_parse_body_sniffs_an_ics_body() -> None:
    result = parse_body((DATA / "cancelled_event.ics").read_bytes(), kind="", context=CONTEXT)
    assert len(result.events) == 2


# Real exports (tests/data/realworld/README.md): (file, window, events, skipped, one event's title and start).
REAL: list[tuple[str, tuple[datetime, datetime], int, int, str, datetime]] = [
    ("node-ical__tec_wordpress_multiple_tzids.ics", (utc(2024, 1, 1), utc(2025, 1, 1)), 1, 0,
     "Possible Snow Makeup Day", utc(2024, 6, 26, 23)),
    ("khal__ns_international_ticket.ics", (utc(2023, 1, 1), utc(2023, 3, 1)), 2, 0,
     "Trip from Utrecht to Bruxelles Central/Brussel Centraal", utc(2023, 2, 3, 14, 15)),
    ("ical4j__exchange2010_blank_tzid.ics", (utc(2015, 1, 1), utc(2016, 1, 1)), 1, 0,
     "(untitled event)", utc(2015, 8, 26, 8)),
    ("node-ical__exchange2010_ms_timezones.ics", (utc(2020, 6, 1), utc(2020, 6, 13)), 4, 0,
     "Log Yesterday's Jira time", utc(2020, 6, 9, 7)),
    ("icaljs__google_birthday.ics", (utc(2012, 1, 1), utc(2015, 1, 1)), 6, 0,
     "PErson #2's birthday", utc(2012, 12, 10)),
    ("node-ical__lanyrd_multi_event.ics", (utc(2011, 1, 1), utc(2012, 1, 1)), 8, 1,
     "JSConf US 2011", utc(2011, 5, 1, 23)),
    ("node-ical__synology_duration_pt1w.ics", (utc(2024, 2, 1), utc(2024, 3, 1)), 1, 0,
     "period test2", utc(2024, 2, 15)),
]


@pytest.mark.parametrize(("name", "span", "count", "skipped", "title", "start"), REAL, ids=[r[0] for r in REAL])
def test_real_exports(name: str, span: tuple[datetime, datetime], count: int, skipped: int,
                      title: str, start: datetime) -> None:
    result = parse_file(name, window(*span), folder=REALWORLD)
    assert (len(result.events), result.skipped) == (count, skipped)
    assert start in [e.start for e in result.events if e.title == title]


def test_exchange_value_swallowed_into_tzid_parameter_is_read() -> None:
    result = parse_file("node-ical__exchange2010_ms_timezones.ics", window(utc(2020, 6, 1), utc(2020, 6, 13)),
                        folder=REALWORLD)
    jira = [e for e in result.events if e.title == "Log Yesterday's Jira time"]
    # Weekly Monday to Saturday from Tuesday 9 June, 09:00 W. Europe (CEST); the window ends on the 13th.
    assert sorted(e.start for e in jira) == [utc(2020, 6, day, 7) for day in (9, 10, 11, 12)]
    assert all(e.recurrence_id == e.start.isoformat() for e in jira)


def test_synology_week_long_duration_is_seven_days() -> None:
    (event,) = parse_file("node-ical__synology_duration_pt1w.ics", window(utc(2024, 2, 1), utc(2024, 3, 1)),
                          folder=REALWORLD).events
    assert (event.all_day, event.start_date, event.end_date) == (True, date(2024, 2, 15), date(2024, 2, 22))


def test_outlook_time_zones_from_1601_start_in_2000_and_keep_their_times() -> None:
    from calendar_hub.ingest.sources._ics_load import recent_onsets

    text = (DATA / "outlook_gmt_standard_time.ics").read_text()
    moved = recent_onsets(text)
    assert "DTSTART:1601" not in moved and "DTSTART:2000" in moved
    # The hub (which reads the rules from 2000) agrees with the libraries reading them from 1601.
    as_written = recurring_ical_events.of(icalendar.Calendar.from_ical(text)).between(
        CONTEXT.window_start, CONTEXT.window_end)
    expected = sorted(o["DTSTART"].dt.astimezone(UTC) for o in as_written)
    assert len(expected) > 3
    assert sorted(e.start for e in ics.parse(text.encode(), context=CONTEXT).events) == expected


def test_time_zone_observances_with_an_end_are_left_as_written() -> None:
    from calendar_hub.ingest.sources._ics_load import recent_onsets

    text = ("BEGIN:VCALENDAR\nBEGIN:VTIMEZONE\nTZID:Old rules\nBEGIN:DAYLIGHT\nDTSTART:19670430T020000\n"
            "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=-1SU;UNTIL=19730429T070000Z\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0400\n"
            "END:DAYLIGHT\nBEGIN:STANDARD\nDTSTART:19671029T020000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\n"
            "TZOFFSETFROM:-0400\nTZOFFSETTO:-0500\nEND:STANDARD\nEND:VTIMEZONE\nEND:VCALENDAR\n")
    moved = recent_onsets(text)
    assert "DTSTART:19670430T020000" in moved          # UNTIL: as written
    assert "DTSTART:20001029T020000" in moved          # open-ended: from 2000



@pytest.mark.parametrize("name", ["utf16_le_bom.ics", "utf16_be_no_bom.ics", "utf32_le_bom.ics", "utf32_be_no_bom.ics"])
def test_utf16_and_utf32_calendars_are_read(name: str) -> None:
    result = parse_file(name)
    assert sorted(e.title for e in result.events) == ["Litter pick on the towpath", "Seed swap"]
    assert parse_body((DATA / name).read_bytes(), kind="", context=CONTEXT).events == result.events


def test_dates_in_the_year_9999_cost_only_their_events() -> None:
    result = parse_file("year_9999_dates_among_good_events.ical")
    assert sorted(e.title for e in result.events) == ["Litter pick on the towpath", "Seed swap"]
    assert result.reasons == {"its dates are out of range": 4}


def test_an_over_long_x_wr_timezone_is_an_unknown_zone() -> None:
    result = parse_file("x_wr_timezone_too_long.ical")
    (pick,) = titled(result, "Litter pick on the towpath")
    assert pick.start == utc(2026, 12, 5, 10)
    assert any("is not a known time zone" in problem for problem in result.problems)


def test_a_repeat_ending_centuries_before_its_start_has_no_length_and_stays_in_the_window() -> None:
    data = (DATA / "repeat_ends_centuries_before_start.ical").read_bytes()
    assert len(data) < 300
    result = ics.parse(data, context=CONTEXT)
    # Six days a week from 1 June 2026 to 1 June 2027, each lasting no time.
    assert len(result.events) == 313
    assert all(e.start == e.end for e in result.events)
    assert min(e.start for e in result.events) == utc(2026, 6, 1, 10)
    assert max(e.start for e in result.events) == utc(2027, 5, 31, 10)
    assert any("ends before it starts" in problem for problem in result.problems)


def test_a_rule_that_gives_no_date_is_read_as_one_event_and_rare_rules_still_repeat() -> None:
    result = parse_file("repeat_rules_that_give_no_date.ical")
    # dateutil would look for a date of these until the year 9999 on every query.
    never = ["Every 31 February", "The 366th-last of one day", "The 31st of short months", "The 181st-last of one hour"]
    for title in never:
        assert len(titled(result, title)) == 1
        assert any(f'"{title}" repeats by a rule that gives no date at all' in p for p in result.problems)
    assert len(result.problems) == len(never)
    # Rules that give dates seldom, or on other days than their start, are not mistaken for them.
    assert [e.start for e in titled(result, "Month-end social")] == [
        utc(2026, 7, 31, 18), utc(2026, 8, 31, 18), utc(2026, 10, 31, 18), utc(2026, 12, 31, 18)]
    assert len(titled(result, "Every other day walk")) == 4
    assert not titled(result, "Leap day picnic")   # its next 29 February is in 2028, past the window


def test_an_hourly_rule_from_centuries_ago_keeps_its_hours_and_the_cap() -> None:
    result = parse_file("repeat_starts_centuries_ago_hourly.ical")
    bells = titled(result, "Hourly bell")
    assert len(bells) == ics.MAX_OCCURRENCES_PER_SERIES
    assert bells[0].start == utc(2026, 6, 1, 0)
    assert all(b.start.minute == 0 and b.start.second == 0 for b in bells)
    assert titled(result, "Litter pick on the towpath")


def test_an_hourly_rule_on_a_date_from_centuries_ago_gives_each_day_of_the_window_once() -> None:
    # Its start could only be moved by whole periods that are whole days too (every 5 hours: 5 days at a time);
    # before, it was not moved at all, and dateutil walked three centuries of hours on every query.
    events = parse_file("repeat_hourly_from_a_date_centuries_ago.ical").events
    days = [e.start_date for e in events]
    assert all(e.all_day for e in events) and days == sorted(set(days))
    assert days[0] == date(2026, 6, 1) and days[-1] == date(2027, 6, 1) and len(days) == 366


def test_a_vevent_swallowed_by_another_is_never_expanded_with_that_series() -> None:
    # A fuzz input: a weekly series lost its END:VEVENT, so the next VEVENT (repeating every minute) sat inside
    # it; expanding the series expanded that one too, unchecked, into 1,000 events of an "Every minute alarm".
    data = (DATA.parent / "fuzz" / "ics-a-minutely-vevent-inside-a-weekly-one.bin").read_bytes()
    titles = Counter(e.title for e in ics.parse(data, context=CONTEXT).events)
    assert titles == {"Weekly community garden": 2, "Bike maintenance class": 1, "Solar panel open house": 1}


def test_monthly_and_yearly_rules_from_centuries_ago_give_the_dates_of_their_rule_in_the_window() -> None:
    # Their starts move forward by whole 400-year cycles, in which weekdays and leap days fall as they did.
    events = parse_file("repeat_monthly_and_yearly_from_centuries_ago.ical").events
    mondays = [e.start.astimezone(ZoneInfo("Europe/London")) for e in titled_in(events, "First Monday moot")]
    expected = [datetime(y, m, 1 + (7 - date(y, m, 1).weekday()) % 7, 10, tzinfo=ZoneInfo("Europe/London"))
                for y, m in [(2026, n) for n in range(6, 13)] + [(2027, n) for n in range(1, 6)]]
    assert mondays == expected
    # Every fourth 29 February from 1600: 2028 is the next, past the window; the moved start is still a 29 February.
    assert titled_in(events, "Leap day feast") == []


def titled_in(events: list[EventIn], prefix: str) -> list[EventIn]:
    return [e for e in events if e.title.startswith(prefix)]


def test_a_repeat_lasting_centuries_is_skipped_with_its_reason() -> None:
    result = parse_file("repeat_lasting_centuries.ical")
    assert [e.title for e in result.events] == ["Litter pick on the towpath"]
    assert result.reasons == {"each of its repeats lasts more than a year": 1}
