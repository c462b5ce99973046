"""The ingest benchmark's corpus (benchmarks/producers.py): every producer's generated feeds read as intended.

Each template of each producer is written as a small feed around a fixed day and read by the hub's own
parser: every event written comes back (one per UID, series expanded), nothing is skipped but what the
real file itself has wrong, the text-only WordPress items are passed on to pages the hub can read, and a
stamps-only copy changes nothing the hub publishes.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import icalendar
import pytest

from benchmarks.producers import PRODUCERS, Producer, restamp, write_feed, write_producer_corpus
from calendar_hub.identity import content_hash
from calendar_hub.ingest.sources import parse_body
from calendar_hub.ingest.worker import read_page_in_worker
from calendar_hub.occurrence import ParseContext, ParseResult

TODAY = date(2026, 12, 2)
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
SITE = "http://127.0.0.1:8797"
CASES = [pytest.param(producer, template, id=f"{producer.name}-{template.stem}")
         for producer in PRODUCERS for template in producer.templates]
# Real files' own faults, kept in the corpus: lanyrd's "DTSTART;VALUE=DATE:Next Year".
_UNREADABLE = re.compile(rb"^DTSTART;VALUE=DATE:Next Year", re.MULTILINE)


def _parse(body: bytes, kind: str) -> ParseResult:
    context = ParseContext(url="https://bench.example/", zone=ZoneInfo("Europe/London"),
                           window_start=NOW - timedelta(days=30), window_end=NOW + timedelta(days=400))
    return parse_body(body, kind=kind, context=context)


def _uids(body: bytes) -> set[str]:
    """The UIDs of the calendar's VEVENTs (not of its alarms, to-dos or journal entries)."""
    return {str(event["UID"]) for event in icalendar.Calendar.from_ical(body).walk("VEVENT") if "UID" in event}


@pytest.mark.parametrize(("producer", "template"), CASES)
def test_every_generated_feed_reads_as_its_template_does(tmp_path: Path, producer: Producer, template: Path) -> None:
    feed = write_feed(tmp_path, 3, producer, template, records=24, today=TODAY, site=SITE, rng=random.Random(5))
    body = feed.path.read_bytes()
    result = _parse(body, producer.kind)
    if producer.kind == "ical":
        broken = len(_UNREADABLE.findall(body))
        assert result.skipped == broken
        written, found = _uids(body), {event.source_uid for event in result.events}   # icalendar reads it too
        if written:
            assert found <= written
            assert len(found) == len(written) - broken      # every event written, in the window, comes back
        else:
            assert len(found) == feed.records                # no UIDs: the hub makes one for each
    elif producer.pages:
        assert not result.events and len(result.linked) == feed.records == len(feed.pages)
    else:
        assert not feedparser.parse(body).bozo
        assert result.skipped == 0
        assert len(result.events) + len(result.linked) == feed.records


def test_text_only_items_link_to_pages_the_hub_reads(tmp_path: Path) -> None:
    producer = next(p for p in PRODUCERS if p.pages)
    feed = write_feed(tmp_path, 0, producer, producer.templates[0], records=5, today=TODAY, site=SITE,
                      rng=random.Random(2))
    result = _parse(feed.path.read_bytes(), "rss")
    for item, page in zip(result.linked, feed.pages, strict=True):
        assert item.link == f"{SITE}/{page.relative_to(tmp_path).as_posix()}"
        events = read_page_in_worker(page.read_bytes(), item.link, "Europe/London", NOW - timedelta(days=30),
                                     NOW + timedelta(days=400))
        assert len(events) == 1
        assert events[0].title == item.title
        written = re.search(r"(\d{2})/(\d{2})/(\d{4})", item.description_text)
        assert written is not None
        day = date(int(written[3]), int(written[2]), int(written[1]))
        assert events[0].start.astimezone(ZoneInfo("Europe/London")).date() == day


def test_a_stamps_only_copy_changes_stamps_and_nothing_the_hub_publishes(tmp_path: Path) -> None:
    feeds = write_producer_corpus(tmp_path, feeds=200, records=600, today=TODAY, site=SITE)
    later = NOW + timedelta(hours=1)
    for feed in feeds:
        body = feed.path.read_bytes()
        again = restamp(body, later)
        if feed.producer.name == "lanyrd":   # its export carries no DTSTAMP: served again the same
            assert again == body
            continue
        assert again != body, feed.path.name
        changed = [(a, b) for a, b in zip(body.splitlines(), again.splitlines(), strict=True) if a != b]
        assert changed
        for before, after in changed:
            assert re.match(rb"(?i)dtstamp|.*<(lastBuildDate|updated|dc:date)>", before), before
            assert re.split(rb"[:>]", before)[0] == re.split(rb"[:>]", after)[0]
        first, second = _parse(body, feed.producer.kind), _parse(again, feed.producer.kind)
        assert [content_hash(e) for e in first.events] == [content_hash(e) for e in second.events]


def test_the_corpus_is_the_same_every_time_and_has_every_producer(tmp_path: Path) -> None:
    one = write_producer_corpus(tmp_path / "a", feeds=200, records=2_000, today=TODAY)
    two = write_producer_corpus(tmp_path / "b", feeds=200, records=2_000, today=TODAY)
    assert [f.path.read_bytes() for f in one] == [f.path.read_bytes() for f in two]
    assert {f.producer.name for f in one} == {p.name for p in PRODUCERS}
    assert 1_800 <= sum(f.records for f in one) <= 2_400
