"""The stamp-free fingerprint (`ingest.fingerprint`) says "unchanged" only when a parse could not tell the bodies
apart: whatever edits are made to a real calendar, two bodies with one fingerprint parse to the same events (but
for the stamps the hub never publishes), the same problems and the same skips; and bodies that differ only in
their stamps share one fingerprint.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendar_hub.errors import ParseError
from calendar_hub.ingest.fingerprint import _FOLD, _unfold, body_fingerprint, stamp_free_ics
from calendar_hub.ingest.sources import ics
from calendar_hub.occurrence import ParseContext

DATA = Path(__file__).parent / "data"
CALENDARS = sorted([*DATA.glob("producers/*.ics"), *DATA.glob("realworld/*.ics"), *DATA.glob("ics/*.ics")])
CONTEXT = ParseContext(url="https://example.org/calendar.ics", zone=ZoneInfo("Europe/London"),
                       window_start=datetime(2012, 1, 1, tzinfo=UTC), window_end=datetime(2028, 1, 1, tzinfo=UTC))
_STAMP_LINE = re.compile(rb"^(DTSTAMP|LAST-MODIFIED):[^\r\n]*", re.MULTILINE)
_EVENT = re.compile(rb"^BEGIN:VEVENT\r?\n.*?^END:VEVENT\r?\n", re.MULTILINE | re.DOTALL)
_UID_LINE = re.compile(rb"^UID[;:][^\r\n]*\r?\n", re.MULTILINE)
_SUMMARY = re.compile(rb"^SUMMARY[;:][^\r\n]*", re.MULTILINE)
_EVENT_LINE = re.compile(rb"^(?!BEGIN:|END:|DTSTAMP|LAST-MODIFIED)[A-Z][A-Z-]*[;:][^\r\n]*", re.MULTILINE)

instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31))
# What a producer may do to its calendar between two fetches, stamps aside.
structural = st.one_of(
    st.tuples(st.just("copy an event, retitled"), st.integers(0, 200), instants),
    st.tuples(st.just("copy an event, described"), st.integers(0, 200), instants),   # the same name: which is kept?
    st.tuples(st.just("copy an event as it is"), st.integers(0, 200), instants),
    st.tuples(st.just("drop a UID"), st.integers(0, 200), st.just(b"")),
    st.tuples(st.just("change a line"), st.integers(0, 2000), st.sampled_from([b"", b"x", b"1", b"\\,"])),
    st.tuples(st.just("drop a line"), st.integers(0, 2000), st.just(b"")),
)
# What moves its stamps: a new time for one, or for all (Google, Office 365), or a stamp the parser cannot read.
stamping = st.one_of(
    st.tuples(st.just("restamp"), st.integers(0, 200), instants),
    st.tuples(st.just("restamp all"), st.just(0), instants),
    st.tuples(st.just("unreadable stamp"), st.integers(0, 200), st.sampled_from(
        [b"20261332T250000Z", b"20260230T100000Z", b"soon", b"00000101T000000Z", b""])),
    st.tuples(st.just("stamp with a parameter"), st.integers(0, 200), st.just(b"")),
)


def stamp_text(when: datetime) -> bytes:
    return f"{when:%Y%m%dT%H%M%S}Z".encode()


def edited(body: bytes, edit: tuple[str, int, object]) -> bytes:
    """`body` with one edit made (an index past the end wraps round; no such line: unchanged)."""
    what, index, value = edit
    if what == "restamp all":
        return _STAMP_LINE.sub(lambda m: m.group(1) + b":" + stamp_text(value), body)  # type: ignore[arg-type]
    if what in ("restamp", "unreadable stamp", "stamp with a parameter"):
        stamps = list(_STAMP_LINE.finditer(body))
        if not stamps:
            return body
        line = stamps[index % len(stamps)]
        name = line.group(1)
        if what == "restamp":
            new = name + b":" + stamp_text(value)  # type: ignore[arg-type]
        elif what == "unreadable stamp":
            new = name + b":" + value  # type: ignore[operator]
        else:
            new = name + b";TZID=Nowhere:" + line.group(0).partition(b":")[2]
        return body[:line.start()] + new + body[line.end():]
    events = list(_EVENT.finditer(body))
    if what.startswith("copy an event") or what == "drop a UID":
        if not events:
            return body
        event = events[index % len(events)]
        block = event.group(0)
        if what.startswith("copy an event"):
            # Which of the two copies the parser keeps may then come down to their DTSTAMPs.
            copy = _STAMP_LINE.sub(lambda m: m.group(1) + b":" + stamp_text(value), block)  # type: ignore[arg-type]
            if what == "copy an event, retitled":
                copy = _SUMMARY.sub(lambda m: m.group(0) + b" (copy)", copy, count=1)
            elif what == "copy an event, described":
                head, _, rest = copy.partition(b"\n")
                copy = head + b"\nDESCRIPTION:the other copy\r\n" + rest
            if b"DTSTAMP" not in copy:
                copy = copy.replace(b"END:VEVENT", b"DTSTAMP:" + stamp_text(value) + b"\r\nEND:VEVENT")  # type: ignore[arg-type]
            return body[:event.end()] + copy + body[event.end():]
        return body[:event.start()] + _UID_LINE.sub(b"", block, count=1) + body[event.end():]
    lines = [m for e in events for m in _EVENT_LINE.finditer(body, e.start(), e.end())]
    if not lines:
        return body
    line = lines[index % len(lines)]
    if what == "drop a line":
        return body[:line.start()] + body[line.end():].lstrip(b"\r\n")
    return body[:line.end()] + value + body[line.end():]  # type: ignore[operator]


def parsed(body: bytes) -> object:
    """What a parse gives, but for the stamps (which no content hash holds)."""
    try:
        result = ics.parse(body, context=CONTEXT)
    except ParseError as e:
        return str(e)
    events = [dataclasses.replace(event, stamp=None, modified=None) for event in result.events]
    return events, result.problems, result.skipped, result.reasons


@pytest.mark.parametrize("path", CALENDARS, ids=lambda p: p.name)
def test_a_body_restamped_throughout_keeps_its_fingerprint_unless_a_stamp_decides(path: Path) -> None:
    body = path.read_bytes()
    later = _STAMP_LINE.sub(lambda m: m.group(1) + b":20991231T235959Z", body)
    same = body_fingerprint(later, "ical") == body_fingerprint(body, "ical")
    # Copies of one UID (Office 365's export, the duplicate files, one UID in two calendars) keep the fingerprint
    # too: stamped alike, the same copy is kept as before (the last of the highest SEQUENCE).
    decides = path.name in (
        "meetup_group_truncated.ics", "truncated_download.ics")   # the last VEVENT has no END
    assert same == (not decides or later == body)
    assert parsed(later) == parsed(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(CALENDARS), changes=st.lists(structural, max_size=3),
       first=st.lists(stamping, max_size=3), second=st.lists(stamping | structural, min_size=1, max_size=4))
def test_one_fingerprint_means_one_parse(path: Path, changes: list[tuple[str, int, object]],
                                         first: list[tuple[str, int, object]],
                                         second: list[tuple[str, int, object]]) -> None:
    """Two fetches of one calendar (as edited by `changes`), stamped differently and perhaps edited again."""
    base = path.read_bytes()
    for change in changes:
        base = edited(base, change)
    one, other = base, base
    for change in first:
        one = edited(one, change)
    for change in second:
        other = edited(other, change)
    if body_fingerprint(one, "ical") == body_fingerprint(other, "ical"):
        assert parsed(one) == parsed(other)


def test_what_is_left_out_is_only_stamps() -> None:
    body = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a@x\r\nDTSTAMP:20261202T101010Z\r\n"
            b"LAST-MODIFIED:20261201T090000Z\r\nDTSTART:20261205T100000Z\r\nSUMMARY:Walk\r\n"
            b"DESCRIPTION:See\r\n  DTSTAMP:20261202T101010Z in the text\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    assert stamp_free_ics(body) == (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a@x\r\n"
                                    b"DTSTART:20261205T100000Z\r\nSUMMARY:Walk\r\n"
                                    b"DESCRIPTION:See DTSTAMP:20261202T101010Z in the text\r\nEND:VEVENT\r\n"
                                    b"END:VCALENDAR\r\n")


def test_a_feed_keeps_its_items_dates_and_leaves_out_its_own() -> None:
    feed = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>Greens</title>"
            b"<lastBuildDate>Wed, 02 Dec 2026 10:00:00 +0000</lastBuildDate><item><title>Walk</title>"
            b"<pubDate>Sat, 05 Dec 2026 10:00:00 +0000</pubDate></item></channel></rss>")
    rebuilt = feed.replace(b"Wed, 02 Dec 2026 10:00:00", b"Wed, 02 Dec 2026 11:00:00")
    republished = feed.replace(b"Sat, 05 Dec 2026 10:00:00", b"Sat, 05 Dec 2026 11:00:00")
    assert body_fingerprint(rebuilt, "rss") == body_fingerprint(feed, "rss") == body_fingerprint(rebuilt, "")
    assert body_fingerprint(republished, "rss") != body_fingerprint(feed, "rss")


def test_where_a_stamp_picks_the_copy_kept_it_stays_in_the_fingerprint() -> None:
    """Two copies of "Rock pool ramble" without SEQUENCE: the parser keeps the one with the newer DTSTAMP."""
    body = (DATA / "ics" / "duplicate_uid_sequence.ics").read_bytes()
    swapped = body.replace(b"DTSTAMP:20260912T080000Z", b"DTSTAMP:20260801T080000Z")
    assert parsed(swapped) != parsed(body)
    assert body_fingerprint(swapped, "ical") != body_fingerprint(body, "ical")
    # An event of its own added: its stamps are left out, the copies' are not.
    single = (b"BEGIN:VEVENT\r\nUID:single@x\r\nDTSTAMP:20261101T080000Z\r\nDTSTART:20261107T100000Z\r\n"
              b"SUMMARY:Dune walk\r\n")
    added = body.replace(b"END:VCALENDAR", single + b"END:VEVENT\r\nEND:VCALENDAR")
    moved = added.replace(b"DTSTAMP:20261101T080000Z", b"DTSTAMP:20261202T080000Z")
    assert body_fingerprint(moved, "ical") == body_fingerprint(added, "ical") != body_fingerprint(body, "ical")


def test_the_order_of_copies_stands_for_their_stamps() -> None:
    """Three copies of one UID, as Office 365 writes them: the parser keeps the newest."""
    def copy(title: bytes, stamp: bytes, start: bytes = b"20261205T100000Z") -> bytes:
        return (b"BEGIN:VEVENT\r\nUID:walk@x\r\nDTSTAMP:" + stamp + b"\r\nDTSTART:" + start + b"\r\nSUMMARY:"
                + title + b"\r\nEND:VEVENT\r\n")

    def calendar(second: bytes, third: bytes) -> bytes:
        return (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + copy(b"Old walk", b"20261101T090000Z")
                + copy(b"Beach walk", second) + copy(b"Dune walk", third) + b"END:VCALENDAR\r\n")

    one = calendar(b"20261202T080000Z", b"20261201T080000Z")
    other = calendar(b"20261201T080000Z", b"20261202T080000Z")
    later = calendar(b"20261203T080000Z", b"20261202T090000Z")   # restamped, the same order
    assert parsed(one) != parsed(other)
    assert body_fingerprint(one, "ical") != body_fingerprint(other, "ical")
    assert parsed(later) == parsed(one)
    assert body_fingerprint(later, "ical") == body_fingerprint(one, "ical")


def test_copies_whose_sequence_is_not_plain_keep_their_stamps() -> None:
    body = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
            b"BEGIN:VEVENT\r\nUID:a@x\r\nSEQUENCE;X-A=1:2\r\nDTSTAMP:20261201T080000Z\r\nDTSTART:20261205T100000Z\r\n"
            b"SUMMARY:One\r\nEND:VEVENT\r\n"
            b"BEGIN:VEVENT\r\nUID:a@x\r\nDTSTAMP:20261202T080000Z\r\nDTSTART:20261205T100000Z\r\n"
            b"SUMMARY:Two\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    restamped = body.replace(b"20261202T080000Z", b"20261203T080000Z")
    assert body_fingerprint(restamped, "ical") != body_fingerprint(body, "ical")


def test_copies_alike_but_for_their_stamps_may_come_in_any_order() -> None:
    """Office 365 writes one UID twice with the same lines, its stamps a second apart, or not, by chance."""
    copy = b"BEGIN:VEVENT\r\nUID:a@x\r\nDTSTAMP:%s\r\nDTSTART:20261205T100000Z\r\nSUMMARY:Walk\r\nEND:VEVENT\r\n"
    def calendar(*stamps: bytes) -> bytes:
        return b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + b"".join(copy % s for s in stamps) + b"END:VCALENDAR\r\n"
    one, other = calendar(b"20261201T165940Z", b"20261201T165939Z"), calendar(b"20261203T080000Z", b"20261203T080000Z")
    assert parsed(one) == parsed(other)
    assert body_fingerprint(one, "ical") == body_fingerprint(other, "ical")


@given(st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b" ", b"\t", b"a", b"DTSTAMP:"]), max_size=40))
def test_lines_are_unfolded_as_the_folding_expression_does(parts: list[bytes]) -> None:
    body = b"".join(parts)
    assert _unfold(body) == _FOLD.sub(b"", body)
