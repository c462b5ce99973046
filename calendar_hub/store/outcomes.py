"""What a refresh found, written back: feed state after each fetch, the feed's events replaced, the fetch log.

Functions take a keyword-only `session` (a SQLModel Session) and commit.  Bulk event writes use SQLAlchemy
Core statements so that a refresh of 100,000 occurrences stays fast on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub.identity import content_hash, published_uid
from calendar_hub.occurrence import EventIn, event_from_dict
from calendar_hub.states import Outcome
from calendar_hub.store.accounts import add_audit_entry
from calendar_hub.store.batches import chunks
from calendar_hub.store.held import Hold, forget_held, held_change, save_held
from calendar_hub.store.models import Event, Feed, FetchLog
from calendar_hub.store.succession import carry_over
from calendar_hub.store.version import bump_version


@dataclass(slots=True)
class FeedOutcome:
    """What one fetch of one feed came to; `record_outcomes` writes it.

    kind: STORED (parsed; `events` replace the feed's events), NOT_MODIFIED (HTTP 304), UNCHANGED (same body as
    last time), FAILED (nothing usable: events kept), KEPT (the body parsed but looked broken or empty: events
    kept, the reason in `error`) or HELD (the body would take most upcoming events away: `events` wait, as `hold`
    says, for a fetch that agrees or an organiser's word; the reason in `error`).
    """

    feed_id: int
    kind: Outcome
    at: datetime
    http_status: int | None = None
    error: str = ""
    etag: str = ""
    last_modified: str = ""
    content_hash: str = ""
    events: list[EventIn] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)   # content hashes of `events`, if already computed
    notice: str = ""                                   # what the parse lacked, in one line ("stored", "kept")
    found: int = 0                  # how many events the parse gave (kept after `events` is released)
    skipped: int = 0
    problems: list[str] = field(default_factory=list)
    duration_ms: int = 0
    bytes: int = 0
    retry_after: timedelta | None = None   # how long the server asked the hub to wait (429, 503 Retry-After)
    moved_to: str = ""                     # where the permanent redirects (301, 308) the fetch began with led
    hold: Hold | None = None
    parse_ms: int = 0                      # time spent parsing in workers, for the refresh's log line
    # what storing it did to the feed's events (STORED only), set by `record_outcomes`
    added: int = 0
    changed: int = 0
    removed: int = 0


GONE = 410                                  # RFC 9110 15.5.11: gone for good; no more fetches until resumed
REFUSED = (401, 403, 404)                   # refused or not there: unlikely to mend within hours
LONGEST_REFUSED_WAIT = timedelta(days=7)
MOVED_AFTER = 3                             # fetches in a row answered by one permanent redirect, then it is kept


def record_outcomes(outcomes: Iterable[FeedOutcome], *, session: Session, owner: str,
                    refresh_interval: timedelta) -> int:
    """Write a batch of outcomes in one transaction and release their leases; returns events changed.

    A feed's events are only ever replaced by a successful parse ("stored"); every other outcome
    leaves them as they were.  Commits.
    """
    changed = 0
    settled: list[int] = []   # feeds whose held change is moot: stored, or as they were
    touched: list[int] = []   # feeds whose events changed: the change log names them
    outcomes = list(outcomes)
    feeds = {f.id: f for f in session.exec(
        select(Feed).where(col(Feed.id).in_([o.feed_id for o in outcomes]))).all()}
    for outcome in outcomes:
        feed = feeds.get(outcome.feed_id)
        if feed is None or feed.lease_owner != owner:
            continue  # the lease expired and another process took the feed over
        feed.last_attempt_at = outcome.at
        feed.fetch_count += 1
        feed.lease_owner = ""
        feed.lease_until = None
        if outcome.http_status is not None:
            feed.http_status = outcome.http_status
        events_after = None
        if outcome.kind in (Outcome.FAILED, Outcome.KEPT):
            feed.consecutive_failures += 1
            feed.error = outcome.error[:2000]
            _back_off(feed, outcome, refresh_interval)
            if outcome.kind == Outcome.KEPT:
                feed.items_skipped = outcome.skipped
                feed.problems = outcome.problems[:20]
                feed.notice = outcome.notice[:2000]
        else:
            feed.consecutive_failures = 0
            feed.error = ""
            feed.last_success_at = outcome.at
            feed.next_attempt_at = outcome.at + refresh_interval
            feed.wait_until = None
            if outcome.kind in (Outcome.NOT_MODIFIED, Outcome.UNCHANGED):
                # Both found nothing new to read: a 304, or a body the same but for its stamps (Google's,
                # Office 365's); the console shows the share of such checks.
                feed.not_modified_count += 1
            # A held body's validators are not kept: the next fetch must read the body again to agree with it.
            if (outcome.etag or outcome.last_modified or outcome.kind == Outcome.STORED) \
                    and outcome.kind != Outcome.HELD:
                feed.etag = outcome.etag[:500]
                feed.last_modified = outcome.last_modified[:100]
            if outcome.kind == Outcome.STORED:
                before = changed
                changed += _store(feed, outcome, outcome.events, outcome.hashes, digest=outcome.content_hash,
                                  skipped=outcome.skipped, problems=outcome.problems, notice=outcome.notice,
                                  at=outcome.at, session=session)
                events_after = len(outcome.events)
                if changed > before:
                    touched.append(outcome.feed_id)
            if outcome.kind == Outcome.HELD and outcome.hold is not None:
                save_held(feed.id, outcome.hold, outcome.events, at=outcome.at,  # type: ignore[arg-type]
                          body_hash=outcome.content_hash, skipped=outcome.skipped, problems=outcome.problems,
                          notice=outcome.notice, session=session)
                events_after = len(outcome.events)
            elif feed.id is not None:
                settled.append(feed.id)
        _note_move(feed, outcome, session=session)
        session.add(FetchLog(feed_id=outcome.feed_id, at=outcome.at, outcome=outcome.kind,
                             http_status=outcome.http_status, duration_ms=outcome.duration_ms,
                             bytes=outcome.bytes, events=events_after or 0, message=outcome.error[:2000]))
    forget_held(settled, session=session)
    if changed:
        bump_version(session=session, feeds=touched)
    session.commit()
    return changed


def _back_off(feed: Feed, outcome: FeedOutcome, refresh_interval: timedelta) -> None:
    """When a failing feed is fetched next: a passing failure (a time-out, a 500) soon, a refusal (401, 403,
    404) later each time, never before the server's Retry-After; a 410 Gone not until an organiser resumes it."""
    failures = feed.consecutive_failures
    if outcome.http_status == GONE:
        feed.gone_at = outcome.at
        feed.next_attempt_at = None
        return
    if outcome.http_status in REFUSED:
        wait = min(LONGEST_REFUSED_WAIT, refresh_interval * 2 ** min(failures - 1, 16))
    else:
        wait = min(timedelta(hours=24), timedelta(minutes=5) * 2 ** min(failures - 1, 10), refresh_interval * 4)
    feed.next_attempt_at = outcome.at + wait
    feed.wait_until = outcome.at + outcome.retry_after if outcome.retry_after else None
    if feed.wait_until is not None:
        feed.next_attempt_at = max(feed.next_attempt_at, feed.wait_until)


def _note_move(feed: Feed, outcome: FeedOutcome, *, session: Session) -> None:
    """Count fetches in a row that a permanent redirect answered; at MOVED_AFTER, keep its target as the address.

    The change is written to the audit log.  A target the group already has as another feed is not taken.
    """
    target = outcome.moved_to[:2000]
    if not target or target == feed.url:
        feed.moved_to, feed.moved_count = "", 0
        return
    feed.moved_count = feed.moved_count + 1 if feed.moved_to == target else 1
    feed.moved_to = target
    if feed.moved_count < MOVED_AFTER:
        return
    taken = session.scalar(sa.select(col(Feed.id)).where(col(Feed.group_id) == feed.group_id,
                                                         col(Feed.url) == target))
    if taken is not None:
        return
    add_audit_entry(session=session, actor="refresh", action="feed.moved", target=target,
                    detail={"from": feed.url, "fetches": feed.moved_count, "status": "moved permanently"})
    feed.moved_from, feed.url = feed.url, target
    feed.moved_to, feed.moved_count = "", 0


def accept_held(feed_id: int, *, session: Session, at: datetime) -> int | None:
    """Store the change held for the feed as if the fetch had agreed; returns events changed, None when nothing was
    held.  The caller audits and commits."""
    held = held_change(feed_id, session=session)
    feed = session.get(Feed, feed_id)
    if held is None or feed is None:
        return None
    events = [event_from_dict(values) for values in held.events]
    changed = _store(feed, None, events, [], digest=held.body_hash, skipped=held.skipped, problems=held.problems,
                     notice=held.notice, at=at, session=session)
    feed.etag, feed.last_modified = "", ""  # the next fetch reads the body whatever the server says of the old one
    session.delete(held)
    bump_version(session=session, feeds=[feed_id])
    return changed


def _store(feed: Feed, outcome: FeedOutcome | None, events: Sequence[EventIn], hashes: Sequence[str], *,
           digest: str, skipped: int, problems: Sequence[str], notice: str, at: datetime, session: Session) -> int:
    """Make `events` the feed's stored occurrences and say so on the feed (and on `outcome`, how many were added,
    changed and removed); returns rows changed."""
    added, updated, removed = _replace_events(feed.id, feed.group_id, events, hashes,  # type: ignore[arg-type]
                                              session=session, now=at)
    changed = added + updated + removed
    if outcome is not None:
        outcome.added, outcome.changed, outcome.removed = added, updated, removed
    feed.content_hash = digest
    feed.parsed_at = at
    feed.events_found = len(events)
    feed.items_skipped = skipped
    feed.problems = list(problems)[:20]
    feed.notice = notice[:2000]
    return changed


def _event_values(event: EventIn, *, digest: str) -> dict[str, Any]:
    return {
        "title": event.title[:1000], "description_html": event.description_html,
        "description_text": event.description_text, "location": event.location[:1000],
        "url": event.url[:2000], "categories": list(event.categories), "status": event.status,
        "start_at": event.start, "end_at": event.end, "all_day": event.all_day,
        "start_date": event.start_date, "end_date": event.end_date, "lat": event.lat, "lon": event.lon,
        "source_sequence": event.sequence, "source_stamp": event.stamp, "source_modified": event.modified,
        "content_hash": digest,
    }


def _replace_events(feed_id: int, group_id: int, events: Sequence[EventIn], hashes: Sequence[str], *,
                    session: Session, now: datetime) -> tuple[int, int, int]:
    """Make the feed's stored occurrences equal to `events`; returns how many rows were added, changed and removed
    (an occurrence carried over to a new source UID counts as changed).

    `hashes` are the events' content hashes when the parse worker computed them, else empty.  An occurrence
    that appears under a new source UID as one with its trace vanishes keeps that one's row, and so its
    published UID (`succession.carry_over`).
    """
    existing = {
        (uid, rid): (row_id, digest, sequence)
        for row_id, uid, rid, digest, sequence in session.execute(
            sa.select(col(Event.id), col(Event.source_uid), col(Event.recurrence_id), col(Event.content_hash),
                      col(Event.sequence))
            .where(col(Event.feed_id) == feed_id)
        )
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for index, event in enumerate(events):
        key = (event.source_uid[:1000], event.recurrence_id)
        if key in seen:
            continue  # parsers de-duplicate; this guards the unique constraint all the same
        seen.add(key)
        digest = hashes[index] if hashes else content_hash(event)
        old = existing.get(key)
        if old is None:
            inserts.append({"feed_id": feed_id, "source_uid": key[0], "recurrence_id": key[1],
                            "uid": published_uid(*key), "sequence": event.sequence,
                            "created_at": now, "updated_at": now, **_event_values(event, digest=digest)})
        elif old[1] != digest:
            # RFC 5545 3.8.7.4: a revision must carry a higher SEQUENCE than the last one published.
            updates.append({"id": old[0], "sequence": max(old[2] + 1, event.sequence), "updated_at": now,
                            **_event_values(event, digest=digest)})
    gone = [row_id for key, (row_id, _d, _s) in existing.items() if key not in seen]
    moves, gone = carry_over(feed_id, group_id, inserts, gone, now=now, session=session)
    event_table = Event.__table__  # type: ignore[attr-defined]
    for moved in chunks(moves):
        session.execute(sa.update(Event), moved)
    _insert_many(session, event_table, inserts)
    for chunk in chunks(updates):
        session.execute(sa.update(Event), chunk)
    for ids in chunks(gone):
        session.execute(sa.delete(Event).where(col(Event.id).in_(ids)))
    return len(inserts), len(updates) + len(moves), len(gone)


def _insert_many(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """INSERT `rows` (dicts with the same keys) in one executemany, converting values once per column.

    The same as `session.execute(sa.insert(table), rows)`, without SQLAlchemy's per-row statement
    machinery, which cost more than the database itself for a first refresh of 100,000 occurrences.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    statement = sa.insert(table).compile(dialect=dialect, column_keys=keys)
    processors = [(key, _once_per_value(table.c[key].type.dialect_impl(dialect).bind_processor(dialect)))
                  for key in keys]
    converted = [{key: (process(row[key]) if process is not None else row[key]) for key, process in processors}
                 for row in rows]
    if statement.positional:
        order = statement.positiontup or []
        connection.exec_driver_sql(str(statement), [tuple(row[key] for key in order) for row in converted])
    else:
        connection.exec_driver_sql(str(statement), converted)


def _once_per_value(process: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """`process`, converting each distinct value once: a series' instances share their stamps and categories, and
    every row of a refresh its created and updated times, which cost a UTC conversion and formatting each."""
    if process is None:
        return None
    done: dict[tuple[type, Any], Any] = {}

    def convert(value: Any) -> Any:
        key = (value.__class__, tuple(value) if isinstance(value, list) else value)
        try:
            return done[key]
        except KeyError:
            done[key] = converted = process(value)
            return converted
        except TypeError:      # unhashable (a dict, a list holding lists): converted every time
            return process(value)

    return convert


def prune_fetch_log(*, session: Session, older_than: datetime) -> None:
    """Drop fetch-log rows older than `older_than`.  Commits."""
    session.execute(sa.delete(FetchLog).where(col(FetchLog.at) < older_than))
    session.commit()
