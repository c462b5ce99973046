"""The /submit form's checks: what a group typed, tidied and checked, or what to put right, field by field.

    typed fields -> check_form (problems in words, times from the hub's zone to UTC) -> Checked | FormProblems

No database here: `submissions` keeps a checked event for an organiser.  The description is untrusted
plain text: it reaches pages only escaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from calendar_hub.catalogue.weeks import local_midnight
from calendar_hub.console.joining import EMAIL
from calendar_hub.errors import InputError
from calendar_hub.ingest import sanitize
from calendar_hub.language import babel_locale, gettext
from calendar_hub.store.models import Week

AHEAD = timedelta(days=731)         # about two years
LONGEST = timedelta(days=31)
FIELDS = ("group_name", "contact", "title", "day", "all_day", "start_time", "end_time", "last_day",
          "location", "description", "url", "week")
LIMITS = {"group_name": 300, "contact": 320, "title": 200, "location": 300, "description": 5000, "url": 2000}

_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")                 # 5/12/2026, as people write it here
_CLOCK = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(?:([ap])\.?m\.?)?$", re.IGNORECASE)
_BARE_SITE = re.compile(r"^[\w-]+(\.[\w-]+)+(/\S*)?$")                       # www.group.org/event, no scheme
_CONTROLS = {c: None for c in range(32) if chr(c) not in "\n\t"} | {127: None}
When = tuple[datetime, datetime, date | None, date | None]   # start, end (UTC); all-day: first day, day after


class FormProblems(InputError):
    """What is wrong with the form, field by field, each in a sentence; the message is all of them."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(" ".join(problems.values()), field=next(iter(problems), ""))
        self.problems = dict(problems)


@dataclass(frozen=True, slots=True)
class Checked:
    """The form's fields tidied and checked: times as aware UTC, all-day days end-exclusive (RFC 5545 3.6.1)."""

    group_name: str
    contact: str
    title: str
    start: datetime
    end: datetime
    all_day: bool
    start_date: date | None
    end_date: date | None
    location: str
    description: str
    url: str
    categories: tuple[str, ...] = field(default=())


def check_form(typed: Mapping[str, str], *, weeks: Sequence[Week], zone: ZoneInfo, now: datetime) -> Checked:
    """The form's fields checked; raises FormProblems saying, field by field, what to put right.

    Days and times are as typed in `zone` (the hub's); `weeks` are the choices offered (`open_weeks`).
    """
    values = {name: field_text(typed.get(name, ""), multiline=name == "description") for name in FIELDS}
    problems: dict[str, str] = {}
    for name, most in LIMITS.items():
        if len(values[name]) > most:
            problems[name] = gettext("Please keep the %(field)s under %(most)s characters.") % {
                "field": _names()[name], "most": f"{most:,}"}
    if not values["group_name"]:
        problems["group_name"] = gettext("Please give your group's name.")
    contact = values["contact"].lower()
    if not EMAIL.match(contact):
        problems["contact"] = gettext("Please give an e-mail address we can reach you at, such as hello@yourgroup.org.")
    if not values["title"]:
        problems["title"] = gettext("Please give the event a title.")
    when = _when(values, zone=zone, now=now, problems=problems)
    if not values["location"]:
        problems["location"] = gettext("Please say where it happens: the venue and its postcode, or Online.")
    url = _link(values["url"])
    if url is None:
        problems["url"] = gettext("The link must be a web address starting with https:// (or http://).")
    categories = _week_categories(values["week"], weeks, when, zone, problems)
    if problems or when is None or url is None:
        raise FormProblems(problems)
    start, end, start_date, end_date = when
    return Checked(group_name=values["group_name"], contact=contact, title=values["title"], start=start, end=end,
                   all_day=start_date is not None, start_date=start_date, end_date=end_date,
                   location=values["location"], description=values["description"], url=url,
                   categories=categories)


def field_text(value: object, *, multiline: bool = False) -> str:
    """A field as text without control characters (PostgreSQL refuses NUL); one line unless `multiline`."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)
    if multiline:
        return "\n".join(line.rstrip() for line in text.split("\n")).strip()
    return " ".join(text.split())


# ---------------------------------------------------------------- helpers

def _names() -> dict[str, str]:
    """The fields as a sentence names them, in the current language."""
    return {"group_name": gettext("group's name"), "contact": gettext("e-mail address"), "title": gettext("title"),
            "location": gettext("place"), "description": gettext("description"), "url": gettext("link")}


def _when(values: Mapping[str, str], *, zone: ZoneInfo, now: datetime, problems: dict[str, str]) -> When | None:
    """Start and end (aware UTC) and, for an all-day event, its days (end exclusive); None after a problem."""
    first = _day(values["day"], "day", problems, missing=gettext("Please give the day of the event."))
    last = _day(values["last_day"], "last_day", problems) if values["last_day"] else first
    all_day = values["all_day"] not in ("", "no", "off", "false")
    start_clock = end_clock = None
    if not all_day:
        start_clock = _clock(values["start_time"], "start_time", problems,
                             missing=gettext("Please give a start time, or tick “All day”."))
        end_clock = _clock(values["end_time"], "end_time", problems,
                           missing=gettext("Please give an end time, or tick “All day”."))
    if first is None or last is None or (not all_day and (start_clock is None or end_clock is None)):
        return None
    if last < first:
        problems["last_day"] = gettext("The last day is before the first day.")
        return None
    if all_day:
        start, end = _midnight(first, zone), _midnight(last + timedelta(days=1), zone)
        if first < now.astimezone(zone).date():
            problems["day"] = gettext("That day has passed: please check the day.")
    else:
        assert start_clock is not None and end_clock is not None
        try:
            start = _instant(first, start_clock, zone, "start_time")
            end = _instant(last, end_clock, zone, "end_time")
        except FormProblems as e:
            problems.update(e.problems)
            return None
        if end <= start:
            problems["end_time"] = gettext("The event must end after it starts. For one that goes on past midnight, "
                                            "give the next day as its last day.")
            return None
        if start <= now:
            problems["day"] = gettext("That time has passed: please check the day and the start time.")
    if start > now + AHEAD:
        problems["day"] = gettext("We take events up to two years ahead: please check the year.")
    if end - start > LONGEST + timedelta(hours=2):  # hours: a day may be 25 hours long when the clocks change
        problems["last_day"] = gettext("Please send events of at most a month; for a longer one, send each of its "
                                       "days.")
    if problems.keys() & {"day", "last_day"}:
        return None
    return (start, end, first, last + timedelta(days=1)) if all_day else (start, end, None, None)


def _day(typed: str, name: str, problems: dict[str, str], *, missing: str = "") -> date | None:
    """A day typed as 2026-12-05 (what date inputs send) or 5/12/2026 (what people write)."""
    if not typed:
        problems[name] = missing
        return None
    try:
        found = _DAY.match(typed)
        if found:
            return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
        return date.fromisoformat(typed)
    except ValueError:
        problems[name] = gettext("“%(typed)s” is not a day we can read: please write it like 5/12/2026.") % {
            "typed": typed[:40]}
        return None


def _clock(typed: str, name: str, problems: dict[str, str], *, missing: str) -> time | None:
    """A time of day typed as 19:30 (what time inputs send), 19.30, 7:30pm or 7pm."""
    unreadable = gettext("“%(typed)s” is not a time we can read: please write it like 19:30.") % {"typed": typed[:40]}
    found = _CLOCK.match(typed)
    if not typed or not found:
        problems[name] = unreadable if typed else missing
        return None
    hour, minute, half = int(found.group(1)), int(found.group(2) or 0), (found.group(3) or "").lower()
    if half and not 1 <= hour <= 12:
        hour = 99
    elif half:
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59:
        problems[name] = unreadable
        return None
    return time(hour, minute)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return local_midnight(day, zone).astimezone(UTC)


def _instant(day: date, clock: time, zone: ZoneInfo, name: str) -> datetime:
    """A local wall-clock time as aware UTC.

    In the hour the clocks go back it happens twice: the first (summer time, fold=0) is taken.  In the
    hour they go forward it does not happen at all: that is said, not guessed.
    """
    local = datetime.combine(day, clock, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise FormProblems({name: gettext("There is no %(time)s on %(day)s: the clocks go forward an hour that "
                                          "night. Please check the time.") % {
            "time": f"{clock:%H:%M}", "day": format_date(day, format="d MMMM y", locale=babel_locale())}})
    return instant


def _link(typed: str) -> str | None:
    """The link as an http(s) address ("" when none was given); None when it is not one.  Never fetched."""
    if not typed:
        return ""
    if "://" not in typed and _BARE_SITE.match(typed):
        typed = "https://" + typed
    return sanitize.clean_url(typed) or None


def _week_categories(slug: str, weeks: Sequence[Week], when: When | None, zone: ZoneInfo,
                     problems: dict[str, str]) -> tuple[str, ...]:
    """The category that makes the event match the chosen week (its first tag); () for none."""
    if not slug:
        return ()
    week = next((w for w in weeks if w.slug == slug), None)
    if week is None:
        problems["week"] = gettext("Please choose a week of action from the list, or “Not part of a week of action”.")
        return ()
    if when is not None:
        start, end = when[0], when[1]
        if not (start < _midnight(week.end_date + timedelta(days=1), zone) and end > _midnight(week.start_date, zone)):
            locale = babel_locale()
            problems["week"] = gettext(
                "%(week)s runs from %(start)s to %(end)s, and this event is not on those days. Please check the day, "
                "or choose “Not part of a week of action”.") % {
                "week": week.name, "start": format_date(week.start_date, format="d MMMM", locale=locale),
                "end": format_date(week.end_date, format="d MMMM y", locale=locale)}
    return (week.tags[0],) if week.tags else ()

