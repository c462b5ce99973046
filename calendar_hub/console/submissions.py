"""Single events sent through /submit by groups without a calendar: checked, held, then approved or rejected.

    form -> check_form (`submission_form`: problems in words, times from the hub's zone to UTC)
         -> submit (rate limits; pending)
         -> approve (an event of the group's "submitted" feed; every output changes at once) | reject (kept, with why)

A submitted feed (origin "submitted", url "submitted:<group slug>") is never fetched: the refresh does not
claim it, so its events stay until an organiser takes them out.  The description is untrusted plain text:
it reaches pages only escaped.  Functions take a keyword-only `session`, audit every change and commit;
the rows are read and written through `store`.  The form's checks are offered here too, by the same names.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from calendar_hub import clock, store
from calendar_hub.catalogue.weeks import local_midnight, normalise_tag
from calendar_hub.console import accounts
from calendar_hub.console import groups as console
from calendar_hub.console.joining import free_slug
from calendar_hub.console.submission_form import (
    AHEAD,
    FIELDS,
    LIMITS,
    LONGEST,
    Checked,
    FormProblems,
    When,
    check_form,
    field_text,
)
from calendar_hub.errors import Conflict, InputError
from calendar_hub.errors import TooMany as TooMany
from calendar_hub.identity import content_hash, published_uid
from calendar_hub.ingest import sanitize
from calendar_hub.occurrence import EventIn
from calendar_hub.states import Origin, Review
from calendar_hub.store import Session
from calendar_hub.store.models import Feed, Group, SubmittedEvent, Week

__all__ = [
    "AHEAD", "FEED_ORIGIN", "FIELDS", "LIMITS", "LONGEST", "PENDING_PER_CONTACT", "PER_ADDRESS_PER_HOUR",
    "Checked", "FormProblems", "TooMany", "When",
    "HUB_ZONE", "approve", "as_event", "check_form", "chosen_weeks", "field_text", "matching_group", "open_weeks",
    "pending", "recent_decisions", "reject", "submit",
]

FEED_ORIGIN = Origin.SUBMITTED          # store.claim_feeds never leases these: there is nothing to fetch
PER_ADDRESS_PER_HOUR = 5
PENDING_PER_CONTACT = 20
HUB_ZONE = ZoneInfo("Europe/London")   # the days a week runs on, unless the caller names the hub's zone


# ---------------------------------------------------------------- the public form

def open_weeks(*, session: Session, today: date) -> list[Week]:
    """The active weeks of action that have not ended before `today`: the choices the form offers."""
    return [week for week in store.active_weeks(session=session) if week.end_date >= today]


def submit(checked: Checked, *, address: str, session: Session, now: datetime | None = None) -> SubmittedEvent:
    """Keep a checked event for an organiser; raises TooMany when its address or contact is over a limit.

    The limits are counted in the database, so they hold across processes (two at the very same
    moment may both slip in: a limit of 5 may let 6 through, which is no flood).
    """
    now = now or clock.now()
    address = address[:100]
    # Senders' addresses are kept for the hourly limit only: older ones are forgotten.
    store.forget_sender_addresses(session=session, before=now - timedelta(days=1))
    if store.sent_from_address(address, session=session, since=now - timedelta(hours=1)) >= PER_ADDRESS_PER_HOUR:
        raise TooMany(f"{PER_ADDRESS_PER_HOUR} events have been sent from your connection in the last hour, "
                      "which is as many as we take. Please wait an hour and send this one again.")
    if store.waiting_from_contact(checked.contact, session=session) >= PENDING_PER_CONTACT:
        raise TooMany(f"{PENDING_PER_CONTACT} events from {checked.contact} already wait for an organiser. "
                      "Please send more once they have been looked at.")
    made = SubmittedEvent(group_name=checked.group_name, contact=checked.contact, title=checked.title,
                          start_at=checked.start, end_at=checked.end, all_day=checked.all_day,
                          start_date=checked.start_date, end_date=checked.end_date, location=checked.location,
                          description=checked.description, url=checked.url, categories=list(checked.categories),
                          address=address, created_at=now)
    store.add_submitted_event(made, session=session)
    accounts.record(session=session, actor=checked.contact, action="submission.send", target=checked.title,
                    detail={"group": checked.group_name, "start": checked.start.isoformat()})
    session.commit()
    session.refresh(made)
    return made


# ---------------------------------------------------------------- organisers

def pending(*, session: Session) -> list[SubmittedEvent]:
    """Events waiting for an organiser, oldest first."""
    return store.pending_submitted_events(session=session)


def recent_decisions(*, session: Session, days: int = 30) -> list[SubmittedEvent]:
    """Events approved or rejected in the last `days` days, newest first."""
    return store.decided_submitted_events(session=session, since=clock.now() - timedelta(days=days))


def matching_group(name: str, groups: Sequence[Group]) -> Group | None:
    """The group whose name is `name`, ignoring case and spacing: the one to credit, most likely."""
    wanted = _same(name)
    return next((group for group in groups if _same(group.name) == wanted), None)


def approve(submission_id: int, *, group_id: int | None, session: Session, actor: str,
            zone: ZoneInfo = HUB_ZONE) -> SubmittedEvent:
    """Publish a pending event as an event of the group `group_id` (None: a new group from the name given).

    The event joins the group's "submitted" feed (made on first approval) with a stable source UID,
    and the data version moves so every output has it at once.  One transaction.  Raises InputError, or
    Conflict when it was decided already.
    """
    submission = _decide(submission_id, Review.APPROVED, actor=actor, session=session)
    group = _credited(submission, group_id, session=session, actor=actor)
    feed = _submitted_feed(group, session=session, actor=actor)
    assert feed.id is not None and submission.id is not None
    now = clock.now()
    event = as_event(submission)
    digest = content_hash(event)
    uid = published_uid(event.source_uid, event.recurrence_id)
    store.add_event(event, feed_id=feed.id, uid=uid, digest=digest, now=now, session=session)
    submission.group_id, submission.event_uid = group.id, uid  # the row `_decide` read: saved with the commit
    _take_into_chosen_weeks(submission, group, uid, session=session, zone=zone)
    accounts.record(session=session, actor=actor, action="submission.approve", target=group.slug,
                    detail={"title": submission.title, "uid": uid, "contact": submission.contact})
    store.bump_version(session=session)
    session.commit()
    session.refresh(submission)
    return submission


def reject(submission_id: int, note: str, *, session: Session, actor: str) -> None:
    """Turn a pending event down, keeping it with the reason; raises InputError without a reason."""
    note = " ".join(field_text(note).split())[:1000]
    if not note:
        raise InputError("Please say why it is rejected: the reason is kept with it.", field="note")
    submission = _decide(submission_id, Review.REJECTED, actor=actor, session=session)
    submission.note = note
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

def _same(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _decide(submission_id: int, status: str, *, actor: str, session: Session) -> SubmittedEvent:
    """Claim the waiting event for this decision (no other organiser can decide it meanwhile)."""
    submission = store.decide_pending(SubmittedEvent, submission_id, status, actor=actor, session=session)
    if submission is None:
        raise Conflict("That event has already been dealt with.")
    submission.address = ""  # kept only for the hourly limit: no longer needed once decided
    return submission


def _take_into_chosen_weeks(submission: SubmittedEvent, group: Group, uid: str, *, session: Session,
                            zone: ZoneInfo) -> None:
    """A week that names its groups takes only theirs: the sender chose it, so the event is taken in by hand."""
    for week in chosen_weeks(submission, store.active_weeks(session=session), zone=zone):
        if week.groups and group.slug not in week.groups:
            store.change_week(week, {"included": [*week.included, uid], "origin": Origin.CONSOLE}, session=session)


def chosen_weeks(submission: SubmittedEvent, weeks: Sequence[Week], *, zone: ZoneInfo) -> list[Week]:
    """The weeks the sender chose: each carries one of the event's categories as its first tag AND runs on the
    event's days (two weeks, a year's and the next's, often share their tag; only the dates tell them apart)."""
    chosen = {normalise_tag(c) for c in submission.categories}
    return [week for week in weeks
            if week.tags and normalise_tag(week.tags[0]) in chosen and _on_days_of(submission, week, zone)]


def _on_days_of(submission: SubmittedEvent, week: Week, zone: ZoneInfo) -> bool:
    if submission.all_day and submission.start_date is not None:
        last = submission.end_date - timedelta(days=1) if submission.end_date else submission.start_date
        return submission.start_date <= week.end_date and last >= week.start_date
    return (submission.start_at < local_midnight(week.end_date + timedelta(days=1), zone)
            and submission.end_at > local_midnight(week.start_date, zone))


def _credited(submission: SubmittedEvent, group_id: int | None, *, session: Session, actor: str) -> Group:
    """The existing active group `group_id`, or a new one (origin "console") from the name the sender gave."""
    if group_id is None:
        values = {"slug": free_slug(submission.group_name, session=session), "name": submission.group_name,
                  "contact": submission.contact}
        return console.add_group(values, session=session, actor=actor, commit=False)
    group = store.group_by_id(group_id, session=session)
    if group is None:
        raise InputError("There is no such group: choose another, or make a new one.", field="group")
    if not group.active:
        raise InputError(f"{group.name} is paused, so the event would not be seen: resume the group first, "
                          "or choose another.")
    return group


def _submitted_feed(group: Group, *, session: Session, actor: str) -> Feed:
    """The group's feed of events sent through /submit, made (and audited) on its first approval."""
    assert group.id is not None
    url = f"submitted:{group.slug}"
    feed = store.group_feed(group.id, url, session=session)
    if feed is None:
        feed = Feed(group_id=group.id, url=url, kind="", origin=FEED_ORIGIN, next_attempt_at=None,
                    created_at=clock.now())
        store.add_feed(feed, session=session)
        accounts.record(session=session, actor=actor, action="feed.add", target=url,
                        detail={"group": group.slug, "kind": FEED_ORIGIN})
        session.flush()
    elif not feed.active:
        raise InputError(f"{group.name}'s events sent through /submit are paused: resume them on the group's "
                          "page first, or choose another group.")
    return feed
