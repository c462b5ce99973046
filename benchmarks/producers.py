"""A corpus of every kind of producer the hub reads, templated from real exports: `write_producer_corpus`.

Each producer is given by one or more real files (benchmarks/data/realworld/, copied from other projects'
test data, see its ORIGINS.md) or the producer fixtures in tests/data/, each imitating one producer's
export.  A generated feed keeps its template's frame byte for byte in form (header properties,
VTIMEZONE blocks, line endings, folding or none, encoding, final line break or none) and repeats its
events (a VEVENT with its overrides and alarms, or an RSS item / Atom entry) with a new UID, a new title,
a description made unique, and every date moved by whole days so that it falls around the hub's clock.
So the escapes, HTML descriptions, vendors' X- lines, series with EXDATE and moved instances, floating,
UTC and all-day times of the real files are all there, in their producers' proportions.

    write_producer_corpus(folder, feeds=200, records=20_000, today=..., site="http://127.0.0.1:8797")

`records` counts VEVENTs and feed items.  Items of the WordPress feed whose dates are only in its text
link to event pages (`pages/`, The Events Calendar's single-event page, JSON-LD) under `site`, which the
hub reads when it may follow links to loopback addresses.  `restamp(body, when)` is the same body as
Google and Office 365 serve it again an hour later: every DTSTAMP (RSS: lastBuildDate, Atom: updated,
RSS 1.0: the channel's dc:date) set to `when`, nothing else changed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from benchmarks.corpus import TOWNS
from benchmarks.templating import DAYS, MONTHS, ics_feed, split_name, xml_feed

__all__ = ["PRODUCERS", "Feed", "Producer", "restamp", "write_feed", "write_producer_corpus"]

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "benchmarks" / "data" / "realworld"
FIXTURES = ROOT / "tests" / "data"
PAGE_TEMPLATE = FIXTURES / "eventpages" / "wordpress_tec_single_event.html"


@dataclass(frozen=True, slots=True)
class Producer:
    """A kind of feed: its templates, how the hub is told to read it, its share of feeds, and a final touch."""

    name: str
    kind: str                               # "ical" or "rss", as the registry names it
    templates: tuple[Path, ...]
    weight: int                             # feeds of this producer per 100
    most_records: int = 0                   # 0: no limit; the WordPress text-only feed stays within follow_links
    touch: Callable[[list[str]], list[str]] | None = None   # hand-made sloppiness, on the unfolded lines
    line_end: str = ""                      # "" keeps the template's
    pages: bool = False                     # its items link to event pages written beside the feeds


@dataclass(slots=True)
class Feed:
    """One generated feed: where it was written, which producer, how many records it holds."""

    path: Path
    producer: Producer
    records: int
    pages: list[Path] = field(default_factory=list)


def _lower_names(lines: list[str]) -> list[str]:
    """A hand-typed calendar: property names (and BEGIN/END values) in lower case."""
    out = []
    for line in lines:
        name, sep, rest = split_name(line)
        if name in ("BEGIN", "END"):
            rest = rest.lower()
        out.append(name.lower() + sep + rest if sep else line)
    return out


def _no_version(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.upper().startswith("VERSION:")]


def _p(*names: str, real: bool = False) -> tuple[Path, ...]:
    return tuple((REAL / n) if real else (FIXTURES / n) for n in names)


PRODUCERS: tuple[Producer, ...] = (
    Producer("google", "ical", _p("calagator__google_calendar.ics", real=True)
             + _p("producers/google_calendar_series_overrides.ics", "ics/google_weekly_with_moved_instance.ics"), 28),
    Producer("office365", "ical", _p("allenporter-ical__office365_custom_timezone.ics",
                                     "node-ical__office2012_owa.ics", real=True)
             + _p("producers/outlook_office365_gmt_standard_time.ics", "ics/outlook_gmt_standard_time.ics"), 14),
    Producer("outlook-desktop", "ical", _p("producers/outlook_desktop_customized_time_zone_cp1252.ics",
                                           "ics/outlook_customized_time_zone_uk.ics"), 3),
    Producer("apple", "ical", _p("ical4j__apple_ical_spurs_fixtures.ics", real=True)
             + _p("producers/icloud_public_calendar.ics"), 5),
    Producer("events-calendar", "ical", _p("producers/wordpress_the_events_calendar.ics",
                                           "ics/wordpress_events_calendar.ics"), 10),
    Producer("meetup", "ical", _p("node-ical__meetup_timed_tz.ics", real=True), 5),
    Producer("lanyrd", "ical", _p("node-ical__lanyrd_multi_event.ics", real=True), 1),
    Producer("mobilizon", "ical", _p("producers/mobilizon_ics_export.ics"), 3),
    Producer("gancio", "ical", _p("producers/gancio_ics_export.ics"), 2),
    Producer("nextcloud", "ical", _p("producers/nextcloud_sabre_export.ics"), 2),
    Producer("floating", "ical", _p("calagator__upcoming_many.ics", "ical4j__lastfm_event_feed.ics", real=True)
             + _p("producers/thunderbird_lightning_floating.ics", "ics/floating_times_no_xwr.ics"), 4),
    Producer("utc-only", "ical", _p("node-ical__tripit_location_escaping.ics", "calagator__eventful_many.ics",
                                    "node-ical__tvcountdown_episodes.ics", real=True), 4),
    Producer("hand-made", "ical", _p("producers/latin1_club_php_export.ics", "ics/windows1252_lf_only.ics"), 2),
    Producer("hand-made-lf-no-version", "ical", _p("ics/floating_times_no_xwr.ics"), 2, touch=_no_version,
             line_end="\n"),
    Producer("hand-made-lower-case", "ical", _p("producers/latin1_club_php_export.ics"), 1, touch=_lower_names),
    Producer("rss-event-module", "rss", _p("rss/rss_georss_point.xml",
                                           "rss/rss_iso8859_1_event_module.xml"), 4),
    Producer("rss10-event-module", "rss", _p("producers/rss10_event_module_georss.xml", "rss/rss_event_module.xml"),
             2),
    Producer("atom-xcal", "rss", _p("producers/atom_xcal_georss_gml.xml"), 3),
    Producer("wordpress-text-dates", "rss", _p("producers/wordpress_events_manager_rss.xml"), 5, most_records=30,
             pages=True),
)


def write_producer_corpus(folder: Path, *, feeds: int = 200, records: int = 20_000, today: date,
                          site: str = "http://127.0.0.1:8797", seed: int = 17) -> list[Feed]:
    """Write `feeds` feeds holding about `records` records in all, in the producers' shares; see the module."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    chosen = _allot(feeds, rng)
    sizes = _sizes(chosen, records, rng)
    written = []
    for number, (producer, size) in enumerate(zip(chosen, sizes, strict=True)):
        template = producer.templates[number // len(PRODUCERS) % len(producer.templates)]
        written.append(write_feed(folder, number, producer, template, records=size, today=today, site=site, rng=rng))
    return written


def _allot(feeds: int, rng: random.Random) -> list[Producer]:
    """Producers for `feeds` feeds in proportion to their weights (largest remainders), in a shuffled order."""
    total = sum(p.weight for p in PRODUCERS)
    exact = [feeds * p.weight / total for p in PRODUCERS]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(PRODUCERS)), key=lambda i: counts[i] - exact[i])[:feeds - sum(counts)]:
        counts[i] += 1
    chosen = [p for p, n in zip(PRODUCERS, counts, strict=True) for _ in range(n)]
    rng.shuffle(chosen)
    return chosen


def _sizes(chosen: list[Producer], records: int, rng: random.Random) -> list[int]:
    """Records per feed: uneven as real feeds are (a fifth to twice the mean), summing to about `records`."""
    spread = [rng.uniform(0.2, 1.8) for _ in chosen]
    capped = sum(p.most_records for p in chosen if p.most_records)
    free = sum(w for w, p in zip(spread, chosen, strict=True) if not p.most_records) or 1.0
    rest = max(records - capped, 0)
    return [min(p.most_records, max(1, round(records / len(chosen) * w))) if p.most_records
            else max(1, round(rest * w / free)) for w, p in zip(spread, chosen, strict=True)]


def write_feed(folder: Path, number: int, producer: Producer, template: Path, *, records: int, today: date,
               site: str, rng: random.Random) -> Feed:
    """Feed `number` of `producer`, from `template`, holding about `records` records (whole events with their
    overrides), its dates around `today`; its text-only items' pages too (`producer.pages`)."""
    size = records
    folder.mkdir(parents=True, exist_ok=True)
    raw = template.read_bytes()
    codec = _codec(raw)
    text = raw.decode(codec)
    town = TOWNS[number % len(TOWNS)][0]
    pages: list[Path] = []
    if producer.kind == "ical":
        body, count = ics_feed(text, number, size, today, town, rng, touch=producer.touch, line_end=producer.line_end)
    else:
        page = PAGE_TEMPLATE.read_text(encoding="utf-8") if producer.pages else ""
        body, count, pages = xml_feed(text, number, size, today, town, site, rng, folder, page)
    suffix = ".ics" if producer.kind == "ical" else ".xml"
    path = folder / f"feed-{number:04d}-{producer.name}{suffix}"
    path.write_bytes(body.encode(codec, errors="xmlcharrefreplace" if producer.kind == "rss" else "replace"))
    return Feed(path, producer, count, pages)


def _codec(raw: bytes) -> str:
    head = raw[:200].lower()
    if b"iso-8859-1" in head:
        return "latin-1"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"


# ---- stamps

_DTSTAMP = re.compile(rb"^(dtstamp[^:\r\n]*:)\d{8}T\d{6}Z?", re.IGNORECASE | re.MULTILINE)
_XML_STAMPS = (re.compile(rb"<lastBuildDate>[^<]*</lastBuildDate>"), re.compile(rb"<updated>[^<]*</updated>"),
               re.compile(rb"<dc:date>[^<]*</dc:date>"))


def restamp(body: bytes, when: datetime) -> bytes:
    """`body` as its producer serves it again at `when`: every DTSTAMP, or the feed's own build date, is `when`."""
    if _DTSTAMP.search(body):
        return _DTSTAMP.sub(lambda m: m[1] + f"{when:%Y%m%dT%H%M%SZ}".encode(), body)
    cut = re.search(rb"<(item|entry)[\s>]", body)
    head, rest = (body[:cut.start()], body[cut.start():]) if cut else (body, b"")
    stamps = {0: f"<lastBuildDate>{DAYS[when.weekday()]}, {when:%d} {MONTHS[when.month - 1]} {when:%Y %H:%M:%S}"
                 " +0000</lastBuildDate>", 1: f"<updated>{when:%Y-%m-%dT%H:%M:%SZ}</updated>",
              2: f"<dc:date>{when:%Y-%m-%dT%H:%M:%SZ}</dc:date>"}
    for i, pattern in enumerate(_XML_STAMPS):
        if pattern.search(head):
            return pattern.sub(stamps[i].encode(), head, count=1) + rest
    return body
