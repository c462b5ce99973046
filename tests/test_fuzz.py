"""Fuzzing every parser entry point with hypothesis: mutated real fixtures and generated calendars.

Entry points: `parse_body` for each kind (and sniffing), `events_from_page`, `kinds.classify` and `sniff`.
Each either returns what it promises (a ParseResult of clean, ordered, aware events; a list of such
events; a kind) or raises ParseError, never anything else.  Inputs are the fixtures in tests/data
with bytes flipped, cut, spliced, duplicated or with hostile snippets put in (huge numbers, year 9999,
0000 dates, repeat rules, deep nesting, invalid UTF-8, surrogates, NUL), and calendars built from
random VEVENT properties.  Every crash found is kept in tests/data/fuzz and read back by
`test_a_kept_crash_input_is_read`.

Profiles: "ci" (the default: derandomized, a few hundred inputs per test) and "long"
(HYPOTHESIS_PROFILE=long: 100,000 inputs over the tests).  Nothing here is timed as a test: with
FUZZ_REPORT=DIR set, the run counts inputs, keeps crash inputs instead of stopping at the first and
writes DIR/summary.json with the slowest input of each test (and DIR/slow/ for any over a second).
"""

from __future__ import annotations

import json
import os
import re
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendar_hub.errors import ParseError
from calendar_hub.ingest.sources import kinds, parse_body, sniff
from calendar_hub.ingest.sources.eventpage import events_from_page
from calendar_hub.occurrence import EventIn, LinkedItem, ParseContext, ParseResult

DATA = Path(__file__).parent / "data"
KEPT = DATA / "fuzz"
TESTS = 8  # the @given tests below, among which the long profile shares its inputs
LONG_EXAMPLES = 100_000

_QUIET = (HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
          HealthCheck.large_base_example)
settings.register_profile("ci", derandomize=True, max_examples=150, deadline=None, database=None,
                          suppress_health_check=_QUIET, print_blob=True)
settings.register_profile("long", max_examples=LONG_EXAMPLES // TESTS, deadline=None, database=None,
                          suppress_health_check=_QUIET, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

CONTEXT = ParseContext(url="https://fuzz.example.org/feed", zone=ZoneInfo("Europe/London"),
                       window_start=datetime(2026, 1, 1, tzinfo=UTC), window_end=datetime(2027, 1, 1, tzinfo=UTC))
CLASSES = {"ical", "rss", "jsonfeed", "html", "other"}
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def _seeds(*suffixes: str) -> list[bytes]:
    return [p.read_bytes() for p in sorted(DATA.rglob("*")) if p.is_file() and p.suffix in suffixes
            and p.parent != KEPT]


ICS_SEEDS = _seeds(".ics", ".ical")
FEED_SEEDS = _seeds(".xml", ".rss", ".atom")
JSON_SEEDS = _seeds(".json")
PAGE_SEEDS = _seeds(".html")
ALL_SEEDS = ICS_SEEDS + FEED_SEEDS + JSON_SEEDS + PAGE_SEEDS

# What an attacker (or a broken producer) puts in: dates off the calendar, numbers past any type,
# rules that repeat without end, nesting built to exhaust a stack, bytes that are no UTF-8.
HOSTILE: list[bytes] = [s.encode("utf-8", "surrogatepass") for s in [
    "99991231", "99991231T235959Z", "00000000", "00000000T000000", "16010101T000000", "00010101",
    "20260230T250000", "9" * 40, "-" + "9" * 25, "1e309", "NaN", "\x00", "\ud800", "\udfff", "\x7f\x1b",
    "DTSTART:99991231T235959Z\r\n", "DTEND:00010101T000000Z\r\n", "DTSTART;VALUE=DATE:00000000\r\n",
    "DTSTART;TZID=" + "A" * 300 + ":20260601T100000\r\n", "DURATION:P99999999W\r\n", "DURATION:-P400D\r\n",
    "RRULE:FREQ=SECONDLY\r\n", "RRULE:FREQ=DAILY;INTERVAL=0\r\n", "RRULE:FREQ=HOURLY;INTERVAL=-3\r\n",
    "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA\r\n", "RRULE:FREQ=YEARLY;BYSETPOS=-366;BYYEARDAY=366\r\n",
    "RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=999999999\r\n", "RRULE:FREQ=DAILY;UNTIL=99991231T235959Z\r\n",
    "RRULE:FREQ=MINUTELY;BYSECOND=0,1,2,3\r\n", "RRULE:FREQ=;;;\r\n", "RRULE:FREQ=YEARLY;BYWEEKNO=53;BYDAY=-53MO\r\n",
    "RDATE;VALUE=PERIOD:20260601T100000Z/99991231T000000Z\r\n", "EXDATE:00000000T000000Z\r\n",
    "RECURRENCE-ID;RANGE=THISANDFUTURE:16010101T000000Z\r\n", "SEQUENCE:" + "9" * 30 + "\r\n",
    "GEO:91;181\r\n", "GEO:nan;inf\r\n", "X-WR-TIMEZONE:" + "../" * 80 + "\r\n", "X-WR-TIMEZONE:\x00\r\n",
    "BEGIN:VEVENT\r\n" * 60, "BEGIN:VALARM\r\n" * 60, "END:VCALENDAR\r\n", "BEGIN:VCALENDAR\r\n",
    "<div>" * 400, "[" * 3000, '{"a":' * 1000, "<![CDATA[", "]]>", "<!--", "&#xD800;", "&#0;", "&#x110000;",
    "&#99999999999;", '<?xml version="1.0" encoding="\x00"?>', '<?xml version="1.0" encoding="utf-32"?>',
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>&b;',
    "<georss:where><gml:Point><gml:pos>1</gml:pos></gml:Point></georss:where>", "<georss:point>91 181</georss:point>",
    "<ev:startdate>9999-12-31T23:59:59-23:59</ev:startdate>", "<ev:startdate>0000-00-00</ev:startdate>",
    "<gd:when startTime='99991231'/>", '"startDate": "9999-12-31T23:59:59+14:00",', '"startDate": "0000-00-00",',
    '"endDate": "-999999-01-01",', '"@id": "#a", "subEvent": {"@id": "#a"},', '"@graph": ' + "[" * 200,
    '"location": {"geo": {"latitude": "1e309", "longitude": "NaN"}},', '<time datetime="99999-01-01">',
    '<span class="dt-start">9999-12-31T23:59:59Z</span>', "\xef\xbb\xbf", "\ufeff",
]] + [b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xed\xa0\x80", b"\xc3\x28", b"\xf4\x90\x80\x80", b"\x80",
      b"\r", b"\r\n ", b"\n\t", b"\\", b"\\n" * 50]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A fixture with one to four mutations: a flipped byte, a cut, a splice, a hostile snippet, a repeat."""
    data = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["flip", "truncate", "delete", "insert", "line", "splice", "repeat"]))
        at = draw(st.integers(0, len(data)))
        if operation == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
        elif operation == "truncate":
            data = data[:at]
        elif operation == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 64)):]
        elif operation == "insert":
            snippet = draw(st.sampled_from(HOSTILE) | st.binary(min_size=1, max_size=12))
            data = data[:at] + snippet + data[at:]
        elif operation == "line":
            # A hostile line inside the body, where a property or an element would start.
            start = data.rfind(b"\n", 0, at) + 1
            data = data[:start] + draw(st.sampled_from(HOSTILE)) + data[start:]
        elif operation == "splice":
            other = draw(st.sampled_from(ALL_SEEDS))
            begin = draw(st.integers(0, len(other)))
            data = data[:at] + other[begin:begin + draw(st.integers(1, 2048))] + data[at:]
        else:
            length = draw(st.integers(1, 256))
            data = data[:at + length] + data[at:at + length] * draw(st.integers(1, 8)) + data[at + length:]
    return data


# ---------------------------------------------------------------- structured calendars

_ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "UTC", "GMT Standard Time",
          "Customized Time Zone", "(UTC+01:00) Amsterdam", "Not/AZone", "", "A" * 200]
_YEARS = st.one_of(st.sampled_from([2025, 2026, 2026, 2026, 2027]), st.sampled_from([0, 1, 1601, 1970, 9998, 9999]),
                   st.integers(0, 9999))


@st.composite
def ical_date(draw: st.DrawFn, *, timed: bool | None = None) -> str:
    """A DATE or DATE-TIME value as written, valid or not: year 0 to 9999, months 0 to 13, hours to 25."""
    year = draw(_YEARS)
    month = draw(st.integers(1, 12) | st.sampled_from([0, 13]))
    day = draw(st.integers(1, 28) | st.sampled_from([0, 29, 30, 31, 32]))
    text = f"{year:04d}{month:02d}{day:02d}"
    if timed is False or (timed is None and draw(st.booleans())):
        return text
    hour = draw(st.integers(0, 23) | st.sampled_from([24, 25]))
    text += f"T{hour:02d}{draw(st.integers(0, 59)):02d}{draw(st.sampled_from([0, 0, 30, 60])):02d}"
    return text + draw(st.sampled_from(["", "", "Z"]))


@st.composite
def date_property(draw: st.DrawFn, name: str) -> str:
    value = draw(ical_date())
    params = ""
    if "T" not in value:
        params = draw(st.sampled_from([";VALUE=DATE", ""]))
    elif not value.endswith("Z") and draw(st.booleans()):
        params = f";TZID={draw(st.sampled_from(_ZONES))}"
    if name == "RECURRENCE-ID" and draw(st.booleans()):
        params += ";RANGE=THISANDFUTURE"
    return f"{name}{params}:{value}"


@st.composite
def rrule(draw: st.DrawFn) -> str:
    parts = [f"FREQ={draw(st.sampled_from(['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY', 'X']))}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(-2, 1000))}")
    ending = draw(st.sampled_from(["", "count", "until"]))
    if ending == "count":
        parts.append(f"COUNT={draw(st.integers(-1, 10**9))}")
    elif ending == "until":
        parts.append(f"UNTIL={draw(ical_date())}")
    days = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(days), min_size=1, max_size=7, unique=True))
        prefix = draw(st.sampled_from(["", "", "1", "-1", "5", "-53"]))
        parts.append("BYDAY=" + ",".join(prefix + d for d in chosen))
    for name, low, high in (("BYMONTHDAY", -31, 32), ("BYMONTH", 0, 13), ("BYSETPOS", -366, 366),
                            ("BYHOUR", 0, 24), ("BYYEARDAY", -366, 367), ("BYWEEKNO", -53, 54)):
        if draw(st.integers(0, 5)) == 0:
            numbers = draw(st.lists(st.integers(low, high), min_size=1, max_size=4))
            parts.append(f"{name}={','.join(str(n) for n in numbers)}")
    if draw(st.integers(0, 8)) == 0:
        parts.append(f"WKST={draw(st.sampled_from(days + ['XX']))}")
    return "RRULE:" + ";".join(parts)


_TEXT = st.lists(st.characters() | st.sampled_from(["\\n", "\\,", "\\;", "<b>", "&amp;", "\r", "\x00", "\ud800"]),
                 max_size=20).map(lambda parts: "".join(parts).replace("\n", "\\n"))


@st.composite
def vevent(draw: st.DrawFn, uids: list[str]) -> str:
    """A VEVENT of random properties; a UID shared with other events (series and overrides) now and then."""
    lines = ["BEGIN:VEVENT"]
    if draw(st.integers(0, 9)):
        lines.append(f"UID:{draw(st.sampled_from(uids))}")
    if draw(st.integers(0, 9)):
        lines.append(draw(date_property("DTSTART")))
    ending = draw(st.sampled_from(["DTEND", "DURATION", "", "both"]))
    if ending in ("DTEND", "both"):
        lines.append(draw(date_property("DTEND")))
    if ending in ("DURATION", "both"):
        sign = draw(st.sampled_from(["", "-", "+"]))
        length = draw(st.sampled_from(["T1H", "1D", "1W", "T90M", "400D", "T1W", "X", "9999999W"]))
        lines.append(f"DURATION:{sign}P{length}")
    if draw(st.booleans()):
        lines.append(draw(rrule()))
    if draw(st.integers(0, 3)) == 0:
        lines.append(draw(date_property("RECURRENCE-ID")))
    for name in ("EXDATE", "RDATE"):
        if draw(st.integers(0, 4)) == 0:
            lines.append(f"{name}:{','.join(draw(st.lists(ical_date(timed=True), min_size=1, max_size=3)))}")
    for name in ("SUMMARY", "DESCRIPTION", "LOCATION", "CATEGORIES"):
        if draw(st.booleans()):
            lines.append(f"{name}:{draw(_TEXT)}")
    if draw(st.integers(0, 4)) == 0:
        lines.append("X-ALT-DESC;FMTTYPE=text/html:" + draw(st.sampled_from(
            ['<a title="x>y" href="https://e.org">l</a>', "<html><head><title>t</title></head><body>b</body></html>",
             "<div>" * 300, "<![CDATA[<p>c</p>]]>"])))
    optional = {
        "STATUS": st.sampled_from(["CONFIRMED", "CANCELLED", "TENTATIVE", "cancelled", "X"]),
        "SEQUENCE": st.sampled_from(["0", "1", "-1", "9" * 30, "x"]),
        "GEO": st.sampled_from(["53.4;-2.2", "91;181", "0;0", "nan;nan", "x", "1e309;1"]),
        "URL": st.sampled_from(["https://example.org/e", "javascript:alert(1)", "https://\x7f/", "http://[::1"]),
        "DTSTAMP": ical_date(timed=True),
    }
    for name, values in optional.items():
        if draw(st.integers(0, 3)) == 0:
            lines.append(f"{name}:{draw(values)}")
    lines.append("END:VEVENT")
    return "\r\n".join(lines)


@st.composite
def calendar(draw: st.DrawFn) -> bytes:
    """A VCALENDAR of one to six generated VEVENTs, with an X-WR-TIMEZONE now and then."""
    uids = draw(st.lists(st.sampled_from(["a@x", "b@x", "c@x", "", " "]), min_size=1, max_size=3))
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fuzz//EN"]
    if draw(st.integers(0, 3)) == 0:
        head.append(f"X-WR-TIMEZONE:{draw(st.sampled_from(_ZONES))}")
    events = draw(st.lists(vevent(uids), min_size=1, max_size=6))
    text = "\r\n".join(head + events + ["END:VCALENDAR", ""])
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "utf-32-le"])), "surrogatepass")


# ---------------------------------------------------------------- what every entry point promises

def _clean(value: str) -> None:
    assert not CONTROLS.search(value), value


def check_event(event: object) -> None:
    """An EventIn as the store takes it: aware UTC times in order, days for an all-day event, clean text."""
    assert isinstance(event, EventIn)
    assert event.start.utcoffset() == timedelta(0) and event.end.utcoffset() == timedelta(0)
    assert event.end >= event.start
    if event.all_day:
        assert event.start_date is not None and event.end_date is not None and event.end_date > event.start_date
    assert event.title and event.source_uid
    for value in (event.source_uid, event.recurrence_id, event.title, event.status, event.description_html,
                  event.description_text, event.location, event.url, *event.categories):
        assert isinstance(value, str)
        _clean(value)
    assert event.lat is None or -90 <= event.lat <= 90
    assert event.lon is None or -180 <= event.lon <= 180


def check_result(result: object) -> None:
    assert isinstance(result, ParseResult)
    for event in result.events:
        check_event(event)
    for item in result.linked:
        assert isinstance(item, LinkedItem) and item.link.startswith(("http://", "https://"))
        for value in (item.source_uid, item.title, item.description_html, item.description_text, *item.categories):
            _clean(value)
    assert result.skipped >= 0 and sum(result.reasons.values()) <= result.skipped


def check_events(events: object) -> None:
    assert isinstance(events, list)
    for event in events:
        check_event(event)


def check_class(value: object) -> None:
    assert value in CLASSES


# ---------------------------------------------------------------- the run's figures (FUZZ_REPORT=DIR)

@dataclass
class Recorder:
    """Counts inputs per test, keeps the slowest and any crash; writes DIR/summary.json as it goes."""

    folder: Path | None
    runs: dict[str, int] = field(default_factory=dict)
    slowest: dict[str, tuple[float, str]] = field(default_factory=dict)
    crashes: dict[str, list[str]] = field(default_factory=dict)
    _since_written: int = 0

    def run(self, name: str, data: bytes, call: Callable[[], object], check: Callable[[object], None]) -> None:
        """Call one entry point on one input; a ParseError is an answer, anything else a crash."""
        if self.folder is not None:
            self._save("current", _slug(name) + ".bin", data)  # the input a stalled run is stuck on
        started = time.perf_counter()
        try:
            with warnings.catch_warnings():
                # In production a library's warning is only a warning; pytest's "error" filter would make it raise.
                warnings.simplefilter("ignore")
                try:
                    outcome = call()
                except ParseError:
                    return
            check(outcome)
        except Exception as e:
            if self.folder is None:
                raise
            self._keep(name, data, e)
        finally:
            self._time(name, data, time.perf_counter() - started)

    def _time(self, name: str, data: bytes, seconds: float) -> None:
        if self.folder is None:
            return
        self.runs[name] = self.runs.get(name, 0) + 1
        digest = sha256(data).hexdigest()[:16]
        if seconds > self.slowest.get(name, (0.0, ""))[0]:
            self.slowest[name] = (seconds, digest)
            self._save("slowest", f"{_slug(name)}.bin", data)
        if seconds > 1.0:
            self._save("slow", f"{_slug(name)}-{digest}.bin", data)
        self._since_written += 1
        if self._since_written >= 500:
            self.write()

    def _keep(self, name: str, data: bytes, error: Exception) -> None:
        digest = sha256(data).hexdigest()[:16]
        where = traceback.extract_tb(error.__traceback__)[-1]
        self.crashes.setdefault(name, []).append(f"{type(error).__name__} at {where.filename}:{where.lineno} "
                                                 f"({digest}): {str(error)[:200]}")
        self._save("crashes", f"{_slug(name)}-{digest}.bin", data)
        self._save("crashes", f"{_slug(name)}-{digest}.txt", "".join(traceback.format_exception(error)).encode())

    def _save(self, kind: str, name: str, data: bytes) -> None:
        assert self.folder is not None
        (self.folder / kind).mkdir(parents=True, exist_ok=True)
        (self.folder / kind / name).write_bytes(data)

    def write(self) -> None:
        """DIR/summary.json: inputs run, crashes, and the slowest input per test (seconds, file in DIR/slowest)."""
        if self.folder is None:
            return
        self._since_written = 0
        summary = {"inputs": sum(self.runs.values()), "runs": self.runs,
                   "crashes": {name: len(found) for name, found in self.crashes.items()},
                   "crash_details": self.crashes,
                   "slowest": {name: {"seconds": round(s, 3), "input": digest}
                               for name, (s, digest) in self.slowest.items()}}
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")

    def assert_no_crash(self, name: str) -> None:
        self.write()
        assert not self.crashes.get(name), self.crashes.get(name)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


RECORDER = Recorder(Path(os.environ["FUZZ_REPORT"]) if os.environ.get("FUZZ_REPORT") else None)


# ---------------------------------------------------------------- the tests

def _parse(kind: str) -> Callable[[bytes], Callable[[], object]]:
    return lambda data: lambda: parse_body(data, kind=kind, context=CONTEXT)


def _page(data: bytes) -> Callable[[], object]:
    return lambda: events_from_page(data, url="https://fuzz.example.org/event", context=CONTEXT)


ENTRIES: dict[str, tuple[Callable[[bytes], Callable[[], object]], Callable[[object], None]]] = {
    "parse_body[ical]": (_parse("ical"), check_result),
    "parse_body[rss]": (_parse("rss"), check_result),
    "parse_body[jsonfeed]": (_parse("jsonfeed"), check_result),
    "parse_body[sniffed]": (_parse(""), check_result),
    "events_from_page": (_page, check_events),
    "classify": (lambda data: lambda: kinds.classify(data), check_class),
    "sniff": (lambda data: lambda: sniff(data), lambda kind: check_class(kind)),
}


def _survives(name: str, data: bytes) -> None:
    make, check = ENTRIES[name]
    RECORDER.run(name, data, make(data), check)


MUTATED = {
    "parse_body[ical]": ICS_SEEDS,
    "parse_body[rss]": FEED_SEEDS,
    "parse_body[jsonfeed]": JSON_SEEDS,
    "parse_body[sniffed]": ALL_SEEDS,
    "events_from_page": PAGE_SEEDS,
}


@pytest.mark.parametrize("name", list(MUTATED))
def test_a_parser_survives_mutated_fixtures(name: str) -> None:
    @given(data=mutated(MUTATED[name]))
    def run(data: bytes) -> None:
        _survives(name, data)

    run()
    RECORDER.assert_no_crash(name)


def test_the_calendar_parser_survives_generated_calendars() -> None:
    @given(data=calendar())
    def run(data: bytes) -> None:
        _survives("parse_body[ical]", data)

    run()
    RECORDER.assert_no_crash("parse_body[ical]")


def test_classify_and_sniff_survive_anything() -> None:
    @given(data=mutated(ALL_SEEDS) | st.binary(max_size=256) | calendar())
    def run(data: bytes) -> None:
        _survives("classify", data)
        _survives("sniff", data)
        _survives("classify", data[:5])

    run()
    RECORDER.assert_no_crash("classify")
    RECORDER.assert_no_crash("sniff")


def test_the_event_page_reader_survives_hostile_json_ld() -> None:
    node = st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(
            ["Event", "9999-12-31T23:59:59+14:00", "0000-00-00", "2026-06-01T10:00", "P1D", "#a", "\ud800",
             "<p title='x>y'>d</p>", "https://schema.org/EventCancelled"]) | st.text(max_size=12),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(
            ["@type", "@id", "@graph", "name", "startDate", "endDate", "duration", "location", "address", "geo",
             "latitude", "longitude", "subEvent", "url", "description", "eventStatus", "keywords", "@context"]),
            children, max_size=6),
        max_leaves=25)

    @given(value=node)
    def run(value: Any) -> None:
        body = json.dumps({"@context": "https://schema.org", "@type": "Event", "startDate": "2026-06-01",
                           "name": "n", "x": value} if not isinstance(value, dict) else value)
        page = f'<html><head><script type="application/ld+json">{body}</script></head><body></body></html>'
        _survives("events_from_page", page.encode("utf-8", "surrogatepass"))

    run()
    RECORDER.assert_no_crash("events_from_page")


KEPT_INPUTS = sorted(p for p in KEPT.glob("*") if p.suffix != ".md")


@pytest.mark.parametrize("path", KEPT_INPUTS, ids=[p.name for p in KEPT_INPUTS])
def test_a_kept_crash_input_is_read(path: Path) -> None:
    """Each input a fuzz run once crashed on, through every entry point."""
    data = path.read_bytes()
    for name in ENTRIES:
        _survives(name, data)
