"""Bytes to icalendar Calendars for the ICS parser: decoding, the whole-file parse, and salvage block by block.

`load_calendars(data, context, result) -> list[Calendar]` raises ParseError only when nothing
at all can be read; every other failure becomes a skip or a problem on `result`.
"""

from __future__ import annotations

import re

import icalendar
from icalendar import Calendar
from icalendar.timezone import tzp

from calendar_hub.errors import ParseError
from calendar_hub.ingest.sources.kinds import wide_encoding
from calendar_hub.occurrence import ParseContext, ParseResult

_HTML_START = re.compile(r"\A\s*<(?:!doctype\s+html|html|head|body|title|!--|\?xml[^>]*>\s*<!doctype\s+html)",
                         re.IGNORECASE)
_HAS_CALENDAR = re.compile(r"^BEGIN:(?:VCALENDAR|VEVENT)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
# A component from its BEGIN line to the END line of the same name; nested VALARMs come along.
_BLOCK = re.compile(r"^BEGIN:(VEVENT|VTIMEZONE)[ \t]*\r?\n.*?^END:\1[ \t]*(?:\r?\n|\Z)",
                    re.IGNORECASE | re.MULTILINE | re.DOTALL)
_ALARM = re.compile(r"^BEGIN:VALARM[ \t]*\r?\n.*?^END:VALARM[ \t]*(?:\r?\n|\Z)",
                    re.IGNORECASE | re.MULTILINE | re.DOTALL)
_END_CALENDAR = re.compile(r"^END:VCALENDAR[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_BEGIN_CALENDAR = re.compile(r"^BEGIN:VCALENDAR[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
# The calendar object around bare components: what a calendar holds when its exporter wrote none (RFC 5545 3.4).
_WRAPPER = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calendar-hub//bare components//EN\r\n"
_SUMMARY = re.compile(r"^SUMMARY[;:](?:[^:\r\n]*:)?(.*)$", re.IGNORECASE | re.MULTILINE)
_X_WR_TIMEZONE = re.compile(r"^X-WR-TIMEZONE(?:;[^:\r\n]*)?:(.+?)\r?$", re.IGNORECASE | re.MULTILINE)
_TIMEZONE = re.compile(r"^BEGIN:VTIMEZONE[ \t]*\r?\n.*?^END:VTIMEZONE[ \t]*\r?$",
                       re.IGNORECASE | re.MULTILINE | re.DOTALL)
_OBSERVANCE = re.compile(r"^BEGIN:(STANDARD|DAYLIGHT)[ \t]*\r?\n.*?^END:\1[ \t]*\r?$",
                         re.IGNORECASE | re.MULTILINE | re.DOTALL)
_ANCIENT_ONSET = re.compile(r"^(DTSTART[;:](?:[^:\r\n]*:)?)(1[0-9]{3})(\d{4}T)", re.IGNORECASE | re.MULTILINE)
_OPEN_RULE = re.compile(r"^RRULE:(?![^\r\n]*(?:UNTIL|COUNT)=)", re.IGNORECASE | re.MULTILINE)
# An observance's rule that is not yearly, or whose INTERVAL is not a positive integer (RFC 5545 3.3.10):
# time zones change their offsets once or twice a year, dateutil never gets past INTERVAL=0, and a
# secondly rule from 1601 is billions of onsets; the time zone is built before any event is read.
_BAD_ZONE_RULE = re.compile(r"^RRULE:(?=[^\r\n]*\bINTERVAL=(?!0*[1-9])|(?![^\r\n]*\bFREQ=YEARLY\b))"
                            r"[^\r\n]*(?:\r?\n|\Z)", re.IGNORECASE | re.MULTILINE)
# Properties the hub never reads (RFC 5545 bookkeeping, attendees, vendors' own), with their folded
# continuation lines, and alarms: dropped before parsing, as a quarter to a half of a real export's
# lines are these, and a malformed one (an alarm's TRIGGER, an attendee's parameters) must not cost
# the calendar.  X-MICROSOFT-CDO-ALLDAYEVENT stays: it tells Outlook's all-day events apart.
_UNREAD = re.compile(
    r"^(?:ATTENDEE|ORGANIZER|CLASS|CREATED|TRANSP|PRIORITY|ATTACH|COMMENT|RESOURCES|CONTACT"
    r"|REQUEST-STATUS|RELATED-TO|X-MICROSOFT-(?!CDO-ALLDAYEVENT)[A-Z0-9-]*|X-MS-[A-Z0-9-]*|X-MOZ-[A-Z0-9-]*"
    r"|X-LIC-[A-Z0-9-]*|X-GOOGLE-[A-Z0-9-]*)[;:][^\n]*(?:\n|\Z)(?:[ \t][^\n]*(?:\n|\Z))*",
    re.IGNORECASE | re.MULTILINE)
# A yearly rule's onsets are the same from 2000 on, whatever year the rule starts in.
_RECENT_ONSET_YEAR = "2000"


_FOLD = re.compile(rb"\r?\n[ \t]")
_TEXT_FOLD = re.compile(r"\r?\n[ \t]")


def decode(data: bytes) -> str:
    """Text from an ICS body: unfolded, then UTF-8 (RFC 5545 3.1.4) without a BOM, UTF-16 or UTF-32, else Windows-1252.

    RFC 5545 3.1 folds lines by octets, so a fold may split a UTF-8 character (WordPress's Events
    Manager does): the lines are unfolded on the bytes, before decoding.
    """
    wide = wide_encoding(data)
    if wide is not None:
        # Exported from Windows tools now and then: UTF-16 (or UTF-32), with or without its byte-order mark.
        codec, mark = wide
        return _TEXT_FOLD.sub("", data[mark:].decode(codec, errors="replace"))
    data = _FOLD.sub(b"", data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # A file server that sends no charset and a Windows editor that saved the file:
        # Windows-1252 covers Latin-1's printable characters and the curly quotes.
        return data.decode("cp1252", errors="replace")


def check_is_calendar(text: str, context: ParseContext) -> None:
    """Raise ParseError in plain words if the body is not a calendar at all (a web page, nothing, other)."""
    if _HAS_CALENDAR.search(text):
        return
    if not text.strip():
        raise ParseError("the server sent an empty body instead of a calendar", url=context.url)
    if _HTML_START.match(text) or "<html" in text[:4096].lower():
        raise ParseError("this address returns a web page, not a calendar", url=context.url)
    if text.lstrip().startswith("<"):
        raise ParseError("this address returns an XML document (perhaps a feed), not a calendar",
                         url=context.url)
    raise ParseError("this address does not return a calendar: there is no BEGIN:VCALENDAR in it",
                     url=context.url)


def load_calendars(text: str, context: ParseContext, result: ParseResult) -> list[Calendar]:
    """The calendars in `text`: parsed whole if possible, else rebuilt from the components that do parse."""
    # icalendar keeps custom VTIMEZONEs in a process-wide cache and the first one seen for a
    # TZID wins, so two Outlook feeds that both say "Customized Time Zone" would share the first
    # feed's offsets.  Start every feed with an empty cache (this only drops cached lookups).
    tzp.use_zoneinfo()
    text = recent_onsets(_ALARM.sub("", _UNREAD.sub("", wrap_bare(text))))
    try:
        parsed = Calendar.from_ical(text, multiple=True)
    except Exception as e:  # icalendar raises ValueError, AttributeError, KeyError, InvalidCalendar...
        return [_salvage(text, context, result, reason=describe(e))]
    calendars = [c for c in parsed if isinstance(c, Calendar) and c.name == "VCALENDAR"]
    if not calendars:
        # icalendar returns nothing at all for a body cut off before END:VCALENDAR.
        cut_off = not _END_CALENDAR.search(text)
        reason = "it is cut off: there is no END:VCALENDAR line" if cut_off else "no complete VCALENDAR"
        return [_salvage(text, context, result, reason=reason)]
    return calendars


def wrap_bare(text: str) -> str:
    """The text inside a VCALENDAR when it is bare VEVENTs (and VTIMEZONEs) without one, else as it is.

    Some exporters write a calendar's events with no BEGIN:VCALENDAR and END:VCALENDAR around them;
    icalendar reads each component, and wrapped they read as the calendar they were meant to be.
    """
    if _BEGIN_CALENDAR.search(text) or not _BLOCK.search(text):
        return text
    body = text.lstrip("\ufeff \t\r\n")
    return _WRAPPER + body + ("" if body.endswith("\n") else "\r\n") + "END:VCALENDAR\r\n"


def recent_onsets(text: str) -> str:
    """The text with each custom time zone's open-ended yearly rules starting in 2000 instead of centuries ago.

    (A rule that is not yearly, or whose interval is not a positive number, is dropped from its observance,
    which keeps its onset.)

    Outlook and Exchange write every VTIMEZONE observance (RFC 5545 3.6.5) as starting on
    1 January 1601.  The library that turns them into tzinfo objects walks every onset from there
    on each lookup, so each time conversion of such a feed cost over 400 steps.  The rule gives
    the same onsets from 2000 onwards, and the hub reads no time before then.  Observances with
    UNTIL or COUNT, or without a rule, are left exactly as written.
    """
    if "BEGIN:VTIMEZONE" not in text and "begin:vtimezone" not in text.lower():
        return text

    def observance(match: re.Match[str]) -> str:
        block = _BAD_ZONE_RULE.sub("", match.group(0))
        if not _OPEN_RULE.search(block):
            return block
        return _ANCIENT_ONSET.sub(lambda m: m.group(1) + _RECENT_ONSET_YEAR + m.group(3), block)

    return _TIMEZONE.sub(lambda m: _OBSERVANCE.sub(observance, m.group(0)), text)


def _salvage(text: str, context: ParseContext, result: ParseResult, *, reason: str) -> Calendar:
    """Parse the VTIMEZONE and VEVENT blocks one by one so one bad component costs only itself."""
    tzp.use_zoneinfo()
    note(result, f"the calendar as a whole could not be read ({reason}); its events were read one by one")
    calendar = Calendar()
    match = _X_WR_TIMEZONE.search(text.split("BEGIN:VEVENT", 1)[0])
    if match:
        calendar.add("X-WR-TIMEZONE", match.group(1).strip())
    blocks = [(m.group(1).upper(), m.group(0)) for m in _BLOCK.finditer(text)]
    # Time zones first: parsing one puts it in icalendar's cache, where the events' TZIDs find it.
    for name, block in blocks:
        if name != "VTIMEZONE":
            continue
        try:
            _parse_block(block)
        except Exception as e:  # a VTIMEZONE with two TZIDs raises AttributeError (WordPress TEC)
            note(result, f"a time zone definition could not be read ({describe(e)})")
    read = failed = 0
    for name, block in blocks:
        if name != "VEVENT":
            continue
        try:
            # Alarms mean nothing to the hub, and a malformed TRIGGER (NS rail tickets'
            # "TRIGGER;RELATED=START:PT-2H") raises InvalidCalendar for its whole event.
            components = _parse_block(_ALARM.sub("", block))
        except Exception as e:
            failed += 1
            result.skip(f'could not read the event "{_summary_of(block)}": {describe(e)}', "it could not be read")
            continue
        for component in components:
            calendar.add_component(component)
            read += 1
    if read == 0:
        if failed == 1:
            raise ParseError(f"the only event in this calendar could not be read ({reason})", url=context.url)
        if failed:
            raise ParseError(f"none of the {failed} events in this calendar could be read ({reason})",
                             url=context.url)
        raise ParseError(f"this calendar is damaged and no event in it could be read ({reason})",
                         url=context.url)
    return calendar


def _parse_block(block: str) -> list[icalendar.Component]:
    """The components of one BEGIN/END block, parsed inside a calendar wrapper."""
    wrapped = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calendar-hub//salvage//EN\r\n" + block
    if not wrapped.endswith("\n"):
        wrapped += "\r\n"
    calendar = Calendar.from_ical(wrapped + "END:VCALENDAR\r\n")
    return list(calendar.subcomponents)


def _summary_of(block: str) -> str:
    """The SUMMARY of a block that did not parse, for the skip reason."""
    match = _SUMMARY.search(block)
    title = match.group(1).strip() if match else ""
    return (title[:80] or "(untitled event)").replace("\\,", ",").replace("\\;", ";")


def describe(error: BaseException) -> str:
    """A short description of a library error for an organiser's feed status; raises a MemoryError again.

    Every parser's "this event (or item) costs only itself" catch words its error here. Running out of
    memory is the parse worker's limit, not the event's fault, and what was read before it is not the whole
    calendar: so it is not counted against one event but raised on, and the worker fails the feed.
    """
    if isinstance(error, MemoryError):
        raise error
    message = " ".join(str(error).split())
    if len(message) > 160:
        message = message[:157] + "..."
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def note(result: ParseResult, problem: str) -> None:
    """Record a problem that did not cost an event (kept to the first 20, each once)."""
    if problem not in result.problems and len(result.problems) < 20:
        result.problems.append(problem)
