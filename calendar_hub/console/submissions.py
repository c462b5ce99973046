"""Single events sent through /submit by groups without a calendar: checked, held, then approved or rejected.

    form -> check_form (problems in words, times from the hub's zone to UTC) -> submit (rate limits; pending)
         -> approve (an event of the group's "submitted" feed; every output changes at once) | reject (kept, with why)

A submitted feed (origin "submitted", url "submitted:<group slug>") is never fetched: the refresh does not
claim it, so its events stay until an organiser takes them out.  The description is untrusted plain text:
it reaches pages only escaped.  Functions take a keyword-only `session`, audit every change and commit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub import clock, store
from calendar_hub.catalogue.weeks import local_midnight, normalise_tag
from calendar_hub.console import accounts
from calendar_hub.console import groups as console
from calendar_hub.console.joining import EMAIL, free_slug
from calendar_hub.errors import ConfigError
from calendar_hub.identity import content_hash, published_uid
from calendar_hub.ingest import sanitize
from calendar_hub.occurrence import EventIn
from calendar_hub.store.models import Event, Feed, Group, SubmittedEvent, Week

FEED_ORIGIN = "submitted"           # store.claim_feeds never leases these: there is nothing to fetch
PER_ADDRESS_PER_HOUR = 5
PENDING_PER_CONTACT = 20
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


class FormProblems(ConfigError):
    """What is wrong with the form, field by field, each in a sentence; the message is all of them."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = dict(problems)


class TooMany(ConfigError):
    """Over a rate limit: too many events from one address this hour, or waiting from one contact."""


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


# ---------------------------------------------------------------- the public form

def open_weeks(*, session: Session, today: date) -> list[Week]:
    """The active weeks of action that have not ended before `today`: the choices the form offers."""
    return [week for week in store.active_weeks(session=session) if week.end_date >= today]


def check_form(typed: Mapping[str, str], *, weeks: Sequence[Week], zone: ZoneInfo, now: datetime) -> Checked:
    """The form's fields checked; raises FormProblems saying, field by field, what to put right.

    Days and times are as typed in `zone` (the hub's); `weeks` are the choices offered (`open_weeks`).
    """
    values = {name: _text(typed.get(name, ""), multiline=name == "description") for name in FIELDS}
    problems: dict[str, str] = {}
    for name, most in LIMITS.items():
        if len(values[name]) > most:
            problems[name] = f"Please keep the {_NAMES[name]} under {most:,} characters."
    if not values["group_name"]:
        problems["group_name"] = "Please give your group's name."
    contact = values["contact"].lower()
    if not EMAIL.match(contact):
        problems["contact"] = "Please give an e-mail address we can reach you at, such as hello@yourgroup.org."
    if not values["title"]:
        problems["title"] = "Please give the event a title."
    when = _when(values, zone=zone, now=now, problems=problems)
    if not values["location"]:
        problems["location"] = "Please say where it happens: the venue and its postcode, or Online."
    url = _link(values["url"])
    if url is None:
        problems["url"] = "The link must be a web address starting with https:// (or http://)."
    categories = _week_categories(values["week"], weeks, when, zone, problems)
    if problems or when is None or url is None:
        raise FormProblems(problems)
    start, end, start_date, end_date = when
    return Checked(group_name=values["group_name"], contact=contact, title=values["title"], start=start, end=end,
                   all_day=start_date is not None, start_date=start_date, end_date=end_date,
                   location=values["location"], description=values["description"], url=url,
                   categories=categories)


def submit(checked: Checked, *, address: str, session: Session, now: datetime | None = None) -> SubmittedEvent:
    """Keep a checked event for an organiser; raises TooMany when its address or contact is over a limit.

    The limits are counted in the database, so they hold across processes (two at the very same
    moment may both slip in: a limit of 5 may let 6 through, which is no flood).
    """
    now = now or clock.now()
    address = address[:100]
    # Senders' addresses are kept for the hourly limit only: older ones are forgotten.
    session.execute(sa.update(SubmittedEvent).where(col(SubmittedEvent.created_at) < now - timedelta(days=1),
                                                    col(SubmittedEvent.address) != "").values(address=""))
    this_hour = session.scalar(sa.select(sa.func.count()).select_from(SubmittedEvent).where(
        col(SubmittedEvent.address) == address, col(SubmittedEvent.created_at) > now - timedelta(hours=1)))
    if (this_hour or 0) >= PER_ADDRESS_PER_HOUR:
        raise TooMany(f"{PER_ADDRESS_PER_HOUR} events have been sent from your connection in the last hour, "
                      "which is as many as we take. Please wait an hour and send this one again.")
    waiting = session.scalar(sa.select(sa.func.count()).select_from(SubmittedEvent).where(
        col(SubmittedEvent.contact) == checked.contact, col(SubmittedEvent.status) == "pending"))
    if (waiting or 0) >= PENDING_PER_CONTACT:
        raise TooMany(f"{PENDING_PER_CONTACT} events from {checked.contact} already wait for an organiser. "
                      "Please send more once they have been looked at.")
    made = SubmittedEvent(group_name=checked.group_name, contact=checked.contact, title=checked.title,
                          start_at=checked.start, end_at=checked.end, all_day=checked.all_day,
                          start_date=checked.start_date, end_date=checked.end_date, location=checked.location,
                          description=checked.description, url=checked.url, categories=list(checked.categories),
                          address=address, created_at=now)
    session.add(made)
    accounts.record(session=session, actor=checked.contact, action="submission.send", target=checked.title,
                    detail={"group": checked.group_name, "start": checked.start.isoformat()})
    session.commit()
    session.refresh(made)
    return made


# ---------------------------------------------------------------- organisers

def pending(*, session: Session) -> list[SubmittedEvent]:
    """Events waiting for an organiser, oldest first."""
    return list(session.exec(select(SubmittedEvent).where(SubmittedEvent.status == "pending")
                             .order_by(col(SubmittedEvent.created_at), col(SubmittedEvent.id))).all())


def recent_decisions(*, session: Session, days: int = 30) -> list[SubmittedEvent]:
    """Events approved or rejected in the last `days` days, newest first."""
    since = clock.now() - timedelta(days=days)
    return list(session.exec(select(SubmittedEvent).where(SubmittedEvent.status != "pending",
                                                          col(SubmittedEvent.decided_at) >= since)
                             .order_by(col(SubmittedEvent.decided_at).desc())).all())


def matching_group(name: str, groups: Sequence[Group]) -> Group | None:
    """The group whose name is `name`, ignoring case and spacing: the one to credit, most likely."""
    wanted = _same(name)
    return next((group for group in groups if _same(group.name) == wanted), None)


def approve(submission_id: int, *, group_id: int | None, session: Session, actor: str) -> SubmittedEvent:
    """Publish a pending event as an event of the group `group_id` (None: a new group from the name given).

    The event joins the group's "submitted" feed (made on first approval) with a stable source UID,
    and the data version moves so every output has it at once.  One transaction.  Raises ConfigError.
    """
    submission = _decide(submission_id, "approved", actor=actor, session=session)
    group = _credited(submission, group_id, session=session, actor=actor)
    feed = _submitted_feed(group, session=session, actor=actor)
    assert feed.id is not None and submission.id is not None
    now = clock.now()
    event = as_event(submission)
    digest = content_hash(event)
    uid = published_uid(event.source_uid, event.recurrence_id)
    # The fields store._replace_events sets for an occurrence read from a feed.
    session.add(Event(feed_id=feed.id, source_uid=event.source_uid, recurrence_id=event.recurrence_id, uid=uid,
                      title=event.title, description_html=event.description_html,
                      description_text=event.description_text, location=event.location, url=event.url,
                      categories=list(event.categories), status=event.status, start_at=event.start,
                      end_at=event.end, all_day=event.all_day, start_date=event.start_date,
                      end_date=event.end_date, lat=event.lat, lon=event.lon, source_sequence=event.sequence,
                      sequence=event.sequence, content_hash=digest, created_at=now, updated_at=now))
    submission.group_id, submission.event_uid = group.id, uid
    session.add(submission)
    _take_into_chosen_weeks(submission, group, uid, session=session)
    accounts.record(session=session, actor=actor, action="submission.approve", target=group.slug,
                    detail={"title": submission.title, "uid": uid, "contact": submission.contact})
    store.bump_version(session=session)
    session.commit()
    session.refresh(submission)
    return submission


def reject(submission_id: int, note: str, *, session: Session, actor: str) -> None:
    """Turn a pending event down, keeping it with the reason; raises ConfigError without a reason."""
    note = " ".join(_text(note).split())[:1000]
    if not note:
        raise ConfigError("Please say why it is rejected: the reason is kept with it.")
    submission = _decide(submission_id, "rejected", actor=actor, session=session)
    submission.note = note
    session.add(submission)
    accounts.record(session=session, actor=actor, action="submission.reject", target=submission.title,
                    detail={"group": submission.group_name, "contact": submission.contact, "note": note})
    session.commit()


def as_event(submission: SubmittedEvent) -> EventIn:
    """The submission as an occurrence read from a feed: its description escaped into paragraphs, then sanitised."""
    text = submission.description.strip()
    return EventIn(source_uid=f"submitted-{submission.id}", recurrence_id="", title=submission.title,
                   start=submission.start_at, end=submission.end_at, all_day=submission.all_day,
                   start_date=submission.start_date, end_date=submission.end_date,
                   description_html=sanitize.clean_html(sanitize.text_to_html(text)), description_text=text,
                   location=submission.location, url=sanitize.clean_url(submission.url),
                   categories=tuple(submission.categories))


# ---------------------------------------------------------------- helpers

_NAMES = {"group_name": "group's name", "contact": "e-mail address", "title": "title", "location": "place",
          "description": "description", "url": "link"}


def _text(value: object, *, multiline: bool = False) -> str:
    """A field as text without control characters (PostgreSQL refuses NUL); one line unless `multiline`."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)
    if multiline:
        return "\n".join(line.rstrip() for line in text.split("\n")).strip()
    return " ".join(text.split())


def _when(values: Mapping[str, str], *, zone: ZoneInfo, now: datetime, problems: dict[str, str]) -> When | None:
    """Start and end (aware UTC) and, for an all-day event, its days (end exclusive); None after a problem."""
    first = _day(values["day"], "day", problems, missing="Please give the day of the event.")
    last = _day(values["last_day"], "last_day", problems) if values["last_day"] else first
    all_day = values["all_day"] not in ("", "no", "off", "false")
    start_clock = end_clock = None
    if not all_day:
        start_clock = _clock(values["start_time"], "start_time", problems,
                             missing="Please give a start time, or tick “All day”.")
        end_clock = _clock(values["end_time"], "end_time", problems,
                           missing="Please give an end time, or tick “All day”.")
    if first is None or last is None or (not all_day and (start_clock is None or end_clock is None)):
        return None
    if last < first:
        problems["last_day"] = "The last day is before the first day."
        return None
    if all_day:
        start, end = _midnight(first, zone), _midnight(last + timedelta(days=1), zone)
        if first < now.astimezone(zone).date():
            problems["day"] = "That day has passed: please check the day."
    else:
        assert start_clock is not None and end_clock is not None
        try:
            start = _instant(first, start_clock, zone, "start_time")
            end = _instant(last, end_clock, zone, "end_time")
        except FormProblems as e:
            problems.update(e.problems)
            return None
        if end <= start:
            problems["end_time"] = ("The event must end after it starts. For one that goes on past midnight, "
                                    "give the next day as its last day.")
            return None
        if start <= now:
            problems["day"] = "That time has passed: please check the day and the start time."
    if start > now + AHEAD:
        problems["day"] = "We take events up to two years ahead: please check the year."
    if end - start > LONGEST + timedelta(hours=2):  # hours: a day may be 25 hours long when the clocks change
        problems["last_day"] = "Please send events of at most a month; for a longer one, send each of its days."
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
        problems[name] = f"“{typed[:40]}” is not a day we can read: please write it like 5/12/2026."
        return None


def _clock(typed: str, name: str, problems: dict[str, str], *, missing: str) -> time | None:
    """A time of day typed as 19:30 (what time inputs send), 19.30, 7:30pm or 7pm."""
    unreadable = f"“{typed[:40]}” is not a time we can read: please write it like 19:30."
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
        raise FormProblems({name: f"There is no {clock:%H:%M} on {day:%-d %B %Y}: the clocks go forward an hour "
                                  "that night. Please check the time."})
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
        problems["week"] = "Please choose a week of action from the list, or “Not part of a week of action”."
        return ()
    if when is not None:
        start, end = when[0], when[1]
        if not (start < _midnight(week.end_date + timedelta(days=1), zone) and end > _midnight(week.start_date, zone)):
            problems["week"] = (f"{week.name} runs from {week.start_date:%-d %B} to {week.end_date:%-d %B %Y}, "
                                "and this event is not on those days. Please check the day, or choose "
                                "“Not part of a week of action”.")
    return (week.tags[0],) if week.tags else ()


def _same(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _decide(submission_id: int, status: str, *, actor: str, session: Session) -> SubmittedEvent:
    """Claim the waiting event for this decision (no other organiser can decide it meanwhile)."""
    submission = store.decide_pending(SubmittedEvent, submission_id, status, actor=actor, session=session)
    if submission is None:
        raise ConfigError("That event has already been dealt with.")
    submission.address = ""  # kept only for the hourly limit: no longer needed once decided
    return submission


def _take_into_chosen_weeks(submission: SubmittedEvent, group: Group, uid: str, *, session: Session) -> None:
    """A week that names its groups takes only theirs: the sender chose it, so the event is taken in by hand."""
    chosen = {normalise_tag(c) for c in submission.categories}
    for week in store.active_weeks(session=session):
        if week.groups and group.slug not in week.groups and week.tags and normalise_tag(week.tags[0]) in chosen:
            week.included, week.origin = [*week.included, uid], "console"
            session.add(week)


def _credited(submission: SubmittedEvent, group_id: int | None, *, session: Session, actor: str) -> Group:
    """The existing active group `group_id`, or a new one (origin "console") from the name the sender gave."""
    if group_id is None:
        values = {"slug": free_slug(submission.group_name, session=session), "name": submission.group_name,
                  "contact": submission.contact}
        return console.add_group(values, session=session, actor=actor, commit=False)
    group = session.get(Group, group_id)
    if group is None:
        raise ConfigError("There is no such group: choose another, or make a new one.")
    if not group.active:
        raise ConfigError(f"{group.name} is paused, so the event would not be seen: resume the group first, "
                          "or choose another.")
    return group


def _submitted_feed(group: Group, *, session: Session, actor: str) -> Feed:
    """The group's feed of events sent through /submit, made (and audited) on its first approval."""
    assert group.id is not None
    url = f"submitted:{group.slug}"
    feed = session.exec(select(Feed).where(Feed.group_id == group.id, Feed.url == url)).first()
    if feed is None:
        feed = Feed(group_id=group.id, url=url, kind="", origin=FEED_ORIGIN, next_attempt_at=None,
                    created_at=clock.now())
        session.add(feed)
        accounts.record(session=session, actor=actor, action="feed.add", target=url,
                        detail={"group": group.slug, "kind": FEED_ORIGIN})
        session.flush()
    elif not feed.active:
        raise ConfigError(f"{group.name}'s events sent through /submit are paused: resume them on the group's "
                          "page first, or choose another group.")
    return feed
