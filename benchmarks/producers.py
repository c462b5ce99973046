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
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from benchmarks.corpus import KINDS, TOWNS

__all__ = ["PRODUCERS", "Feed", "Producer", "restamp", "write_feed", "write_producer_corpus"]

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "benchmarks" / "data" / "realworld"
FIXTURES = ROOT / "tests" / "data"
PAGE_TEMPLATE = FIXTURES / "eventpages" / "wordpress_tec_single_event.html"
WELSH = ["Bore coffi", "Noson gwis", "Taith gerdded", "Gweithdy", "Cyfarfod"]   # non-ASCII titles too
_DATE_PROPS = {"DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE", "DUE"}
_ICS_DATE = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?=T\d{6}|(?!\d))")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DMY_DATE = re.compile(r"(?<!\d)(\d{2})/(\d{2})/(\d{4})(?!\d)")
_RFC822 = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                     r" (\d{4})")
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
_DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()
_XML_ITEM = re.compile(r"<(item|entry)[\s>].*?</\1>", re.DOTALL)
_XML_TITLE = re.compile(r"<title([^>]*)>.*?</title>", re.DOTALL)
_XML_LINKS = re.compile(r"(<link>|<guid[^>]*>|<id>|rdf:about=\"|<link [^>]*href=[\"'])([^<\"']+)")
_UNTIL = re.compile(r"UNTIL=(\d{8})(T\d{6}Z)?")
_PAGE_START = re.compile(r'"startDate":"(\d{4})-(\d{2})-(\d{2})')
_PAGE_NAME = re.compile(r'("@type":"Event","name":")[^"]*(")')
_ANCHOR = re.compile(r"(?:startdate>|dtstart>|dtstart [^>]*>|startTime=['\"])([^<'\"]+)")
_PUBLISHED = re.compile(r"<pubDate>([^<]+)")


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
        name, sep, rest = _split_name(line)
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
        body, count = _ics_feed(text, producer, number, size, today, town, rng)
    else:
        page = PAGE_TEMPLATE.read_text(encoding="utf-8") if producer.pages else ""
        body, count, pages = _xml_feed(text, number, size, today, town, site, rng, folder, page)
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


def _title(rng: random.Random, town: str, n: int) -> str:
    kind = rng.choice(KINDS) if rng.random() < 0.9 else rng.choice(WELSH)
    return f"{kind} ({town} {n})" + (" #CT4R" if rng.random() < 0.125 else "")


def _shift(day: date, delta: int) -> date:
    return day + timedelta(days=delta)


# ---- iCalendar

def _split_name(line: str) -> tuple[str, str, str]:
    """(NAME upper-cased, the separator ';' or ':', the rest); ('', '', line) for a line with neither."""
    match = re.match(r"([A-Za-z0-9-]+)([;:])(.*)", line, re.DOTALL)
    if not match:
        return "", "", line
    return match.group(1).upper(), match.group(2), match.group(3)


def _unfold(text: str) -> tuple[list[str], str, str, bool]:
    """(logical lines, line end, folding continuation or '', whether the body ends with a line end)."""
    end = "\r\n" if "\r\n" in text else "\n"
    physical = text.replace("\r\n", "\n").split("\n")
    final = physical[-1] == ""
    if final:
        physical.pop()
    fold = next((p[0] for p in physical if p[:1] in (" ", "\t")), "")
    lines: list[str] = []
    for p in physical:
        if p[:1] in (" ", "\t") and lines:
            lines[-1] += p[1:]
        else:
            lines.append(p)
    return lines, end, fold, final


def _fold(line: str, fold: str) -> list[str]:
    """RFC 5545 3.1 folding at 75 octets (of UTF-8), never inside a character."""
    if not fold or len(line.encode()) <= 75:
        return [line]
    out: list[str] = []
    current, size = "", 0
    for ch in line:
        width = len(ch.encode())
        if size + width > (75 if not out else 74):
            out.append(current)
            current, size = "", 0
        current += ch
        size += width
    out.append(current)
    return [out[0]] + [fold + part for part in out[1:]]


def _ics_units(lines: list[str]) -> tuple[list[str], list[str], list[list[list[str]]]]:
    """(frame before the events, frame after, events grouped by UID: a master with its overrides)."""
    before: list[str] = []
    after: list[str] = []
    units: dict[str, list[list[str]]] = {}
    block: list[str] | None = None
    depth = 0
    for line in lines:
        name, _sep, rest = _split_name(line)
        if block is None and name == "BEGIN" and rest.upper() == "VEVENT":
            block, depth = [line], 1
            continue
        if block is not None:
            block.append(line)
            depth += (name == "BEGIN") - (name == "END")
            if depth == 0:
                uid = next((_split_name(x)[2].partition(":")[2] if _split_name(x)[1] == ";" else _split_name(x)[2]
                            for x in block if _split_name(x)[0] == "UID"), f"no-uid-{len(units)}")
                units.setdefault(uid, []).append(block)
                block = None
            continue
        (after if units else before).append(line)
    if block is not None:   # a truncated template: its cut-off event is left out
        pass
    return before, after, list(units.values())


def _first_day(unit: list[list[str]]) -> date | None:
    for line in unit[0]:
        name, sep, rest = _split_name(line)
        if name == "DTSTART":
            match = _ICS_DATE.search(rest.rpartition(":")[2] if sep == ";" else rest)
            if match:
                return _ymd(match)
    return None


def _ymd(match: re.Match[str]) -> date | None:
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _moved_ics(value: str, delta: int) -> str:
    def move(m: re.Match[str]) -> str:
        day = _ymd(m)
        return m.group(0) if day is None else f"{_shift(day, delta):%Y%m%d}"
    return _ICS_DATE.sub(move, value)


def _moved_until(match: re.Match[str], delta: int) -> str:
    """UNTIL moved with its series; a UTC one two hours later, so that its last instance, moved across a change
    of UTC offset, is not lost (no daily or weekly rule has an instance in those two hours)."""
    if not match[2]:
        return "UNTIL=" + _moved_ics(match[1], delta)
    until = datetime.strptime(match[1] + match[2], "%Y%m%dT%H%M%SZ") + timedelta(days=delta, hours=2)
    return f"UNTIL={until:%Y%m%dT%H%M%SZ}"


def _ics_copy(unit: list[list[str]], number: int, n: int, delta: int, title: str, ref: str) -> list[str]:
    out = []
    for block in unit:
        for line in block:
            name, sep, rest = _split_name(line)
            params, colon, value = (rest.partition(":") if sep == ";" else ("", ":", rest))
            head = line[:len(name)] + (sep + params if sep == ";" else "")
            if name in _DATE_PROPS:
                line = f"{head}{colon}{_moved_ics(value, delta)}"
            elif name == "RRULE":
                line = head + colon + _UNTIL.sub(lambda m: _moved_until(m, delta), value)
            elif name == "UID":
                line = f"{head}{colon}b{number:04d}-{n:05d}-{value}"
            elif name == "SUMMARY":
                line = f"{head}{colon}{title.replace(',', chr(92) + ',')}"
            elif name == "DESCRIPTION":
                line = f"{head}{colon}{value}\\n\\nRef {ref}"
            out.append(line)
    return out


def _ics_feed(text: str, producer: Producer, number: int, size: int, today: date, town: str,
              rng: random.Random) -> tuple[str, int]:
    lines, end, fold, final = _unfold(text)
    before, after, units = _ics_units(lines)
    body: list[str] = []
    count = n = 0
    while count < size:
        unit = units[n % len(units)]
        first = _first_day(unit)
        target = today + timedelta(days=rng.randrange(-20, 330))
        delta = (target - first).days if first else 0
        body += _ics_copy(unit, number, n, delta, _title(rng, town, n), f"{rng.getrandbits(32):08x}")
        count += len(unit)
        n += 1
    every = before + body + after
    if producer.touch is not None:
        every = producer.touch(every)
    end = producer.line_end or end
    folded = [part for line in every for part in _fold(line, fold)]
    return end.join(folded) + (end if final else ""), count


# ---- RSS and Atom

def _moved_xml(item: str, delta: int) -> str:
    def iso(m: re.Match[str]) -> str:
        day = _ymd(m)
        return m.group(0) if day is None else f"{_shift(day, delta):%Y-%m-%d}"

    def dmy(m: re.Match[str]) -> str:
        try:
            day = date(int(m[3]), int(m[2]), int(m[1]))
        except ValueError:
            return m.group(0)
        return f"{_shift(day, delta):%d/%m/%Y}"

    def rfc822(m: re.Match[str]) -> str:
        day = _shift(date(int(m[3]), _MONTHS.index(m[2]) + 1, int(m[1])), delta)
        return f"{_DAYS[day.weekday()]}, {day:%d} {_MONTHS[day.month - 1]} {day:%Y}"

    item = _ISO_DATE.sub(iso, item)
    item = _DMY_DATE.sub(dmy, item)
    item = _RFC822.sub(rfc822, item)
    return re.sub(r"(?<=>)\d{8}(?=(T\d{6}Z?)?<)", lambda m: _moved_ics(m[0], delta), item)


def _xml_anchor(item: str) -> date | None:
    found = _ANCHOR.search(item) or _PUBLISHED.search(item)   # the event's own date, else the item's
    text = found.group(1) if found else item
    for pattern in (_ISO_DATE, _ICS_DATE):
        match = pattern.search(text)
        if match:
            return _ymd(match)
    match = _RFC822.search(text)
    return date(int(match[3]), _MONTHS.index(match[2]) + 1, int(match[1])) if match else None


def _xml_feed(text: str, number: int, size: int, today: date, town: str, site: str, rng: random.Random,
              folder: Path, page: str) -> tuple[str, int, list[Path]]:
    items = list(_XML_ITEM.finditer(text))
    head, tail = text[:items[0].start()], text[items[-1].end():]
    if "<channel" in head and "<lastBuildDate>" not in head and "<rss" in head:
        head = re.sub(r"(<channel[^>]*>)", r"\1<lastBuildDate>Sun, 01 Nov 2026 09:00:00 +0000</lastBuildDate>",
                      head, count=1)
    out, pages = [], []
    for n in range(size):
        item = items[n % len(items)].group(0)
        first = _xml_anchor(item)
        target = today + timedelta(days=rng.randrange(0, 330))
        delta = (target - first).days if first else 0
        title = _title(rng, town, n)
        link = f"{site}/pages/{number:04d}/{n:05d}.html"
        item = _moved_xml(item, delta)
        item = _XML_TITLE.sub(f"<title\\1>{_literal(escape(title))}</title>", item, count=1)
        item = _XML_LINKS.sub(f"\\1{_literal(link)}", item)
        item = item.replace("</description>", f" Ref {rng.getrandbits(32):08x}</description>", 1)
        out.append(item)
        if page:
            pages.append(_write_page(folder, page, number, n, title, target, rng))
    return head + "\n".join(out) + tail, size, pages


def _literal(text: str) -> str:
    """`text` as a replacement template for re.sub that stands for itself."""
    return text.replace("\\", "\\\\")


def _write_page(folder: Path, page: str, number: int, n: int, title: str, day: date,
                rng: random.Random) -> Path:
    """The Events Calendar's single-event page for one item, its JSON-LD and text moved to `day`."""
    start = _PAGE_START.search(page)
    first = (_ymd(start) if start else None) or day
    html = _moved_xml(page, (day - first).days)
    html = _PAGE_NAME.sub(lambda m: m[1] + escape(title).replace('"', "") + m[2], html, count=1)
    path = folder / "pages" / f"{number:04d}" / f"{n:05d}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html.replace("</body>", f"<!-- {rng.getrandbits(32):08x} --></body>"), encoding="utf-8")
    return path


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
    stamps = {0: f"<lastBuildDate>{_DAYS[when.weekday()]}, {when:%d} {_MONTHS[when.month - 1]} {when:%Y %H:%M:%S}"
                 " +0000</lastBuildDate>", 1: f"<updated>{when:%Y-%m-%dT%H:%M:%SZ}</updated>",
              2: f"<dc:date>{when:%Y-%m-%dT%H:%M:%SZ}</dc:date>"}
    for i, pattern in enumerate(_XML_STAMPS):
        if pattern.search(head):
            return pattern.sub(stamps[i].encode(), head, count=1) + rest
    return body
