"""Templating real calendars and feeds: a file's frame kept, its events repeated with new UIDs, titles and dates.

    ics_feed(text, number, size, today, town, rng)   an iCalendar body: VEVENTs grouped by UID (a master with
                                                     its overrides) repeated, every date moved by whole days
    xml_feed(text, number, size, today, town, ...)   an RSS or Atom body: items repeated the same way

Dates move by whole days, so local times stay as the producer wrote them; a UTC UNTIL keeps its last
instance across a change of UTC offset.  Line endings, folding (or none), and the text around the events are
the template's.  Used by `benchmarks.producers`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from benchmarks.corpus import KINDS

__all__ = ["DAYS", "MONTHS", "WELSH", "ics_feed", "split_name", "title_for", "xml_feed"]

WELSH = ["Bore coffi", "Noson gwis", "Taith gerdded", "Gweithdy", "Cyfarfod"]   # non-ASCII titles too
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()
_DATE_PROPS = {"DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE", "DUE"}
_ICS_DATE = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?=T\d{6}|(?!\d))")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_DMY_DATE = re.compile(r"(?<!\d)(\d{2})/(\d{2})/(\d{4})(?!\d)")
_RFC822 = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                     r" (\d{4})")
_XML_ITEM = re.compile(r"<(item|entry)[\s>].*?</\1>", re.DOTALL)
_XML_TITLE = re.compile(r"<title([^>]*)>.*?</title>", re.DOTALL)
_XML_LINKS = re.compile(r"(<link>|<guid[^>]*>|<id>|rdf:about=\"|<link [^>]*href=[\"'])([^<\"']+)")
_UNTIL = re.compile(r"UNTIL=(\d{8})(T\d{6}Z)?")
_PAGE_START = re.compile(r'"startDate":"(\d{4})-(\d{2})-(\d{2})')
_PAGE_NAME = re.compile(r'("@type":"Event","name":")[^"]*(")')
_ANCHOR = re.compile(r"(?:startdate>|dtstart>|dtstart [^>]*>|startTime=['\"])([^<'\"]+)")
_PUBLISHED = re.compile(r"<pubDate>([^<]+)")


def title_for(rng: random.Random, town: str, n: int) -> str:
    kind = rng.choice(KINDS) if rng.random() < 0.9 else rng.choice(WELSH)
    return f"{kind} ({town} {n})" + (" #CT4R" if rng.random() < 0.125 else "")


def _shift(day: date, delta: int) -> date:
    return day + timedelta(days=delta)

# ---- iCalendar

def split_name(line: str) -> tuple[str, str, str]:
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
        name, _sep, rest = split_name(line)
        if block is None and name == "BEGIN" and rest.upper() == "VEVENT":
            block, depth = [line], 1
            continue
        if block is not None:
            block.append(line)
            depth += (name == "BEGIN") - (name == "END")
            if depth == 0:
                uid = next((split_name(x)[2].partition(":")[2] if split_name(x)[1] == ";" else split_name(x)[2]
                            for x in block if split_name(x)[0] == "UID"), f"no-uid-{len(units)}")
                units.setdefault(uid, []).append(block)
                block = None
            continue
        (after if units else before).append(line)
    if block is not None:   # a truncated template: its cut-off event is left out
        pass
    return before, after, list(units.values())


def _first_day(unit: list[list[str]]) -> date | None:
    for line in unit[0]:
        name, sep, rest = split_name(line)
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
            name, sep, rest = split_name(line)
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


def ics_feed(text: str, number: int, size: int, today: date, town: str, rng: random.Random, *,
             touch: Callable[[list[str]], list[str]] | None = None, line_end: str = "") -> tuple[str, int]:
    """The calendar `text` with its events repeated to `size` VEVENTs (see benchmarks.producers); and how many."""
    lines, end, fold, final = _unfold(text)
    before, after, units = _ics_units(lines)
    body: list[str] = []
    count = n = 0
    while count < size:
        unit = units[n % len(units)]
        first = _first_day(unit)
        target = today + timedelta(days=rng.randrange(-20, 330))
        delta = (target - first).days if first else 0
        body += _ics_copy(unit, number, n, delta, title_for(rng, town, n), f"{rng.getrandbits(32):08x}")
        count += len(unit)
        n += 1
    every = before + body + after
    if touch is not None:
        every = touch(every)
    end = line_end or end
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
        day = _shift(date(int(m[3]), MONTHS.index(m[2]) + 1, int(m[1])), delta)
        return f"{DAYS[day.weekday()]}, {day:%d} {MONTHS[day.month - 1]} {day:%Y}"

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
    return date(int(match[3]), MONTHS.index(match[2]) + 1, int(match[1])) if match else None


def xml_feed(text: str, number: int, size: int, today: date, town: str, site: str, rng: random.Random,
             folder: Path, page: str) -> tuple[str, int, list[Path]]:
    """The feed `text` with its items repeated to `size`, each linking to its page under `site` (written
    into `folder` when `page`, an event page, is given); the feed, its items and the pages written."""
    items = list(_XML_ITEM.finditer(text))
    head, tail = text[:items[0].start()], text[items[-1].end():]
    # A feed says when it was built (RSS 2.0 lastBuildDate, RSS 1.0 the channel's dc:date), as most do.
    if "<channel" in head and "<lastBuildDate>" not in head and "<rss" in head:
        head = re.sub(r"(<channel[^>]*>)", r"\1<lastBuildDate>Sun, 01 Nov 2026 09:00:00 +0000</lastBuildDate>",
                      head, count=1)
    elif "<channel" in head and "<dc:date>" not in head and "<rdf:RDF" in head:
        head = re.sub(r"(<channel[^>]*>)", r"\1<dc:date>2026-11-01T09:00:00Z</dc:date>", head, count=1)
    out, pages = [], []
    for n in range(size):
        item = items[n % len(items)].group(0)
        first = _xml_anchor(item)
        target = today + timedelta(days=rng.randrange(0, 330))
        delta = (target - first).days if first else 0
        title = title_for(rng, town, n)
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
