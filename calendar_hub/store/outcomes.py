"""All SQL lives here: registry upserts, feed leases and state, event replacement, catalogue reads.

Functions take a keyword-only `session` (a SQLModel Session) and plain objects; callers own
the transaction unless a function says it commits.  Bulk event writes use SQLAlchemy Core
statements so that a refresh of 100,000 occurrences stays fast on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub import clock
from calendar_hub.catalogue.merge import Decisions, pair
from calendar_hub.identity import content_hash, published_uid
from calendar_hub.ingest.sources import EventIn
from calendar_hub.registry import FeedSpec, GroupSpec, Registry, WeekSpec
from calendar_hub.store.models import (
    Event,
    Feed,
    FetchLog,
    Group,
    HubState,
    JoinRequest,
    LinkedPage,
    MergeDecision,
    SubmittedEvent,
    Week,
)

VERSION_KEY = "version"
Waiting = TypeVar("Waiting", JoinRequest, SubmittedEvent)


# ---------------------------------------------------------------- change counter

def bump_version(*, session: Session) -> None:
    """Record that the published outputs changed; web processes rebuild on their next check."""
    updated = session.execute(
        sa.update(HubState).where(col(HubState.key) == VERSION_KEY).values(value=HubState.value + 1)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(HubState(key=VERSION_KEY, value=1))


def current_version(*, session: Session) -> int:
    """The change counter: any change to groups, feeds, weeks or events moves it."""
    value = session.scalar(select(HubState.value).where(HubState.key == VERSION_KEY))
    return int(value or 0)


# ---------------------------------------------------------------- registry

@dataclass(slots=True)
class RegistryChanges:
    """What loading a registry changed (all zero when it was loaded before unchanged)."""

    added: int = 0
    updated: int = 0
    deactivated: int = 0
    kept: list[str] = field(default_factory=list)  # "group x", "week y": changed in the console, left as they are

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deactivated)


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def apply_registry(registry: Registry, *, session: Session, now: datetime | None = None,
                   overwrite_console: bool = False) -> RegistryChanges:
    """Upsert the registry's groups, feeds and weeks; rows it no longer names are deactivated, not deleted.

    A group or week made or changed in the console (origin "console") is the console's: it is left as it
    is and listed in `kept`, unless `overwrite_console`, which hands it back to the files.
    Idempotent: applying the same registry twice changes nothing and does not move the version.
    Commits.
    """
    now = now or clock.now()
    changes = RegistryChanges()
    groups = {g.slug: g for g in session.exec(select(Group)).all()}
    named: set[str] = set()
    for spec in registry.groups:
        named.add(spec.slug)
        values: dict[str, Any] = {"name": spec.name, "website": spec.website, "home": spec.home, "region": spec.region,
                  "lat": spec.lat, "lon": spec.lon, "contact": spec.contact, "active": True, "origin": "registry"}
        group = groups.get(spec.slug)
        if group is not None and group.origin == "console" and not overwrite_console:
            changes.kept.append(f"group {spec.slug}")
            continue
        if group is None:
            group = Group(slug=spec.slug, created_at=now, updated_at=now, **values)
            session.add(group)
            session.flush()
            groups[spec.slug] = group
            changes.added += 1
        elif _assign(group, values):
            group.updated_at = now
            changes.updated += 1
        assert group.id is not None
        feeds = {f.url: f for f in session.exec(select(Feed).where(Feed.group_id == group.id)).all()}
        listed = set()
        for feed_spec in spec.feeds:
            listed.add(feed_spec.url)
            feed = feeds.get(feed_spec.url)
            if feed is None:
                session.add(Feed(group_id=group.id, url=feed_spec.url, kind=feed_spec.kind,
                                 origin="registry", next_attempt_at=now, created_at=now))
                changes.added += 1
            elif _assign(feed, {"kind": feed_spec.kind, "active": True, "origin": "registry"}):
                feed.next_attempt_at = now
                changes.updated += 1
        for url, feed in feeds.items():
            if url not in listed and feed.origin == "registry" and feed.active:
                feed.active = False
                changes.deactivated += 1
    for slug, group in groups.items():
        if slug not in named and group.active and group.origin == "registry":
            group.active = False
            group.updated_at = now
            changes.deactivated += 1

    weeks = {w.slug: w for w in session.exec(select(Week)).all()}
    for week_spec in registry.weeks:
        week_values: dict[str, Any] = {"name": week_spec.name, "start_date": week_spec.start, "end_date": week_spec.end,
                  "tags": list(week_spec.tags), "description": week_spec.description,
                  "groups": list(week_spec.groups), "featured": list(week_spec.featured),
                  "included": list(week_spec.include), "excluded": list(week_spec.exclude), "active": True,
                  "origin": "registry"}
        week = weeks.get(week_spec.slug)
        if week is not None and week.origin == "console" and not overwrite_console:
            changes.kept.append(f"week {week_spec.slug}")
            continue
        if week is None:
            session.add(Week(slug=week_spec.slug, created_at=now, updated_at=now, **week_values))
            changes.added += 1
        elif _assign(week, week_values):
            week.updated_at = now
            changes.updated += 1
    if changes.changed:
        bump_version(session=session)
    session.commit()
    return changes


def current_registry(*, session: Session) -> Registry:
    """Everything the hub now holds as a registry: active groups with their fetched feeds, and every week.

    Feeds paused or made from /submit are left out; a week naming a group that is not active drops that name.
    """
    feeds: dict[int, list[FeedSpec]] = {}
    for feed in session.exec(select(Feed).where(col(Feed.active), col(Feed.origin).in_(["registry", "web"]))
                             .order_by(col(Feed.id))).all():
        feeds.setdefault(feed.group_id, []).append(FeedSpec(url=feed.url, kind=feed.kind))
    groups = [GroupSpec(slug=g.slug, name=g.name, website=g.website, home=g.home, region=g.region, lat=g.lat,
                        lon=g.lon, contact=g.contact, feeds=tuple(feeds.get(g.id or 0, ())))
              for g in session.exec(select(Group).where(col(Group.active)).order_by(Group.slug)).all()]
    active = {g.slug for g in groups}
    weeks = [WeekSpec(slug=w.slug, name=w.name, start=w.start_date, end=w.end_date, tags=tuple(w.tags),
                      description=w.description, groups=tuple(s for s in w.groups if s in active),
                      featured=tuple(w.featured), include=tuple(w.included), exclude=tuple(w.excluded))
             for w in session.exec(select(Week).where(col(Week.active))
                                   .order_by(col(Week.start_date), col(Week.slug))).all()]
    return Registry(groups=tuple(groups), weeks=tuple(weeks))


# ---------------------------------------------------------------- feeds and leases

@dataclass(frozen=True, slots=True)
class FeedJob:
    """A feed leased to one refresh process, with what a conditional fetch needs."""

    id: int
    url: str
    kind: str
    origin: str
    etag: str
    last_modified: str
    content_hash: str
    parsed_at: datetime | None
    group_slug: str
    events_stored: int


def claim_feeds(*, session: Session, owner: str, now: datetime, lease_for: timedelta,
                due_only: bool = True, feed_ids: Sequence[int] | None = None) -> list[FeedJob]:
    """Lease active feeds to `owner` so that no other process refreshes them at the same time.

    A lease that was not released (its process died) expires after `lease_for`.  Commits.
    """
    def claimable(query: Any) -> Any:
        query = query.where(col(Feed.active), sa.or_(col(Feed.lease_until).is_(None), col(Feed.lease_until) < now))
        query = query.where(col(Feed.origin) != "submitted")  # events sent through /submit: nothing to fetch
        if due_only:
            query = query.where(sa.or_(col(Feed.next_attempt_at).is_(None), col(Feed.next_attempt_at) <= now))
        if feed_ids is not None:
            query = query.where(col(Feed.id).in_(list(feed_ids)))
        return query

    candidates = claimable(sa.select(col(Feed.id)).join(Group, col(Group.id) == Feed.group_id)
                           .where(col(Group.active)))
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(of=Feed, skip_locked=True)
    ids = list(session.scalars(candidates))
    if not ids:
        session.commit()
        return []
    # The conditions are repeated on the UPDATE so a concurrent claimer that won the race is seen.
    session.execute(claimable(sa.update(Feed).where(col(Feed.id).in_(ids)))
                    .values(lease_owner=owner, lease_until=now + lease_for))
    counts: dict[int, int] = dict(session.execute(
        sa.select(col(Event.feed_id), sa.func.count()).where(col(Event.feed_id).in_(ids)).group_by(col(Event.feed_id))
    ).all())
    rows = session.execute(
        sa.select(Feed, col(Group.slug)).join(Group, col(Group.id) == Feed.group_id)
        .where(col(Feed.lease_owner) == owner, col(Feed.id).in_(ids)).order_by(col(Feed.id))
    ).all()
    jobs = [FeedJob(id=f.id, url=f.url, kind=f.kind, origin=f.origin, etag=f.etag,
                    last_modified=f.last_modified, content_hash=f.content_hash, parsed_at=f.parsed_at,
                    group_slug=slug, events_stored=counts.get(f.id, 0)) for f, slug in rows]
    session.commit()
    return jobs


# ---------------------------------------------------------------- refresh outcomes

@dataclass(slots=True)
class FeedOutcome:
    """What one fetch of one feed came to; `record_outcomes` writes it.

    kind: "stored" (parsed; `events` replace the feed's events), "not_modified" (HTTP 304),
    "unchanged" (same body as last time), "failed" (nothing usable: events kept) or
    "kept" (the body parsed but looked broken or empty: events kept, the reason in `error`).
    """

    feed_id: int
    kind: str
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


def record_outcomes(outcomes: Iterable[FeedOutcome], *, session: Session, owner: str,
                    refresh_interval: timedelta) -> int:
    """Write a batch of outcomes in one transaction and release their leases; returns events changed.

    A feed's events are only ever replaced by a successful parse ("stored"); every other outcome
    leaves them as they were.  Commits.
    """
    changed = 0
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
        if outcome.kind in ("failed", "kept"):
            feed.consecutive_failures += 1
            feed.error = outcome.error[:2000]
            backoff = min(timedelta(hours=24), timedelta(minutes=5) * 2 ** min(feed.consecutive_failures - 1, 10))
            feed.next_attempt_at = outcome.at + min(backoff, refresh_interval * 4)
            if outcome.kind == "kept":
                feed.items_skipped = outcome.skipped
                feed.problems = outcome.problems[:20]
                feed.notice = outcome.notice[:2000]
        else:
            feed.consecutive_failures = 0
            feed.error = ""
            feed.last_success_at = outcome.at
            feed.next_attempt_at = outcome.at + refresh_interval
            if outcome.kind == "not_modified":
                feed.not_modified_count += 1
            if outcome.etag or outcome.last_modified or outcome.kind == "stored":
                feed.etag = outcome.etag[:500]
                feed.last_modified = outcome.last_modified[:100]
            if outcome.kind == "stored":
                changed += _replace_events(feed.id, outcome.events, outcome.hashes,  # type: ignore[arg-type]
                                           session=session, now=outcome.at)
                feed.content_hash = outcome.content_hash
                feed.parsed_at = outcome.at
                feed.events_found = len(outcome.events)
                feed.items_skipped = outcome.skipped
                feed.problems = outcome.problems[:20]
                feed.notice = outcome.notice[:2000]
                events_after = len(outcome.events)
        session.add(FetchLog(feed_id=outcome.feed_id, at=outcome.at, outcome=outcome.kind,
                             http_status=outcome.http_status, duration_ms=outcome.duration_ms,
                             bytes=outcome.bytes, events=events_after or 0, message=outcome.error[:2000]))
    if changed:
        bump_version(session=session)
    session.commit()
    return changed


def _event_values(event: EventIn, *, digest: str) -> dict[str, Any]:
    return {
        "title": event.title[:1000], "description_html": event.description_html,
        "description_text": event.description_text, "location": event.location[:1000],
        "url": event.url[:2000], "categories": list(event.categories), "status": event.status,
        "start_at": event.start, "end_at": event.end, "all_day": event.all_day,
        "start_date": event.start_date, "end_date": event.end_date, "lat": event.lat, "lon": event.lon,
        "source_sequence": event.sequence, "content_hash": digest,
    }


def _chunks(items: list[Any], size: int = 500) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _replace_events(feed_id: int, events: Sequence[EventIn], hashes: Sequence[str], *, session: Session,
                    now: datetime) -> int:
    """Make the feed's stored occurrences equal to `events`; returns how many rows changed.

    `hashes` are the events' content hashes when the parse worker computed them, else empty.
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
    event_table = Event.__table__  # type: ignore[attr-defined]
    _insert_many(session, event_table, inserts)
    for chunk in _chunks(updates):
        session.execute(sa.update(Event), chunk)
    for chunk in _chunks(gone):
        session.execute(sa.delete(Event).where(col(Event.id).in_(chunk)))
    return len(inserts) + len(updates) + len(gone)


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
    processors = [(key, table.c[key].type.dialect_impl(dialect).bind_processor(dialect)) for key in keys]
    converted = [{key: (process(row[key]) if process is not None else row[key]) for key, process in processors}
                 for row in rows]
    if statement.positional:
        order = statement.positiontup or []
        connection.exec_driver_sql(str(statement), [tuple(row[key] for key in order) for row in converted])
    else:
        connection.exec_driver_sql(str(statement), converted)


def linked_pages(urls: Iterable[str], *, session: Session) -> dict[str, LinkedPage]:
    """The cached event pages among `urls`, by URL."""
    wanted = list(dict.fromkeys(urls))
    found: dict[str, LinkedPage] = {}
    for chunk in _chunks(wanted):
        for page in session.exec(select(LinkedPage).where(col(LinkedPage.url).in_(chunk))).all():
            found[page.url] = page
    return found


def save_linked_pages(pages: Iterable[LinkedPage], *, session: Session) -> None:
    """Insert or update cached event pages by URL (detached objects are fine).  Commits.

    Two refreshes may fetch the same page at once; the later write wins, which is harmless.
    """
    pages = list(pages)
    existing = linked_pages((p.url for p in pages), session=session)
    for page in pages:
        row = existing.get(page.url)
        if row is None:
            session.add(LinkedPage(url=page.url, fetched_at=page.fetched_at, etag=page.etag,
                                   last_modified=page.last_modified, events=page.events, error=page.error))
        else:
            row.fetched_at, row.etag, row.last_modified = page.fetched_at, page.etag, page.last_modified
            row.events, row.error = page.events, page.error
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()  # another process cached the same page first; its copy is as good


def prune_linked_pages(*, session: Session, older_than: datetime) -> None:
    """Forget cached event pages not fetched since `older_than`.  Commits."""
    session.execute(sa.delete(LinkedPage).where(col(LinkedPage.fetched_at) < older_than))
    session.commit()


def release_leases(*, session: Session, owner: str) -> None:
    """Give back every lease `owner` still holds (after an interrupted refresh).  Commits."""
    session.execute(sa.update(Feed).where(col(Feed.lease_owner) == owner).values(lease_owner="", lease_until=None))
    session.commit()


def prune_fetch_log(*, session: Session, older_than: datetime) -> None:
    """Drop fetch-log rows older than `older_than`.  Commits."""
    session.execute(sa.delete(FetchLog).where(col(FetchLog.at) < older_than))
    session.commit()


# ---------------------------------------------------------------- reads

@dataclass(frozen=True, slots=True)
class FeedHealth:
    """A feed's state as organisers see it."""

    feed: Feed
    group_slug: str
    group_name: str
    events_stored: int


def feed_health(*, session: Session) -> list[FeedHealth]:
    """Every feed with its group and stored event count, failing feeds first."""
    counts: dict[int, int] = dict(session.execute(
        sa.select(col(Event.feed_id), sa.func.count()).group_by(col(Event.feed_id))).all())
    rows = session.execute(
        sa.select(Feed, col(Group.slug), col(Group.name)).join(Group, col(Group.id) == Feed.group_id)
        .order_by(col(Feed.consecutive_failures).desc(), Group.slug, Feed.url)
    ).all()
    return [FeedHealth(feed=f, group_slug=slug, group_name=name, events_stored=counts.get(f.id, 0))
            for f, slug, name in rows]


def active_groups(*, session: Session) -> list[Group]:
    """Active groups, by name."""
    return list(session.exec(select(Group).where(col(Group.active)).order_by(Group.name)).all())


def active_weeks(*, session: Session) -> list[Week]:
    """Active weeks of action, by start date."""
    return list(session.exec(select(Week).where(col(Week.active)).order_by(col(Week.start_date), col(Week.slug))).all())


def occurrence_rows(*, session: Session, since: datetime) -> list[sa.Row[Any]]:
    """Stored occurrences of active feeds of active groups ending at or after `since`, as light rows.

    Rows (not ORM objects) because a catalogue build reads up to hundreds of thousands of them.
    """
    event = Event.__table__  # type: ignore[attr-defined]
    return list(session.execute(
        sa.select(event, col(Feed.group_id)).join(Feed, col(Feed.id) == event.c.feed_id)
        .join(Group, col(Group.id) == Feed.group_id)
        .where(col(Feed.active), col(Group.active), event.c.end_at >= since)
        .order_by(event.c.start_at, event.c.id)
    ).all())


def merge_decisions(*, session: Session) -> Decisions:
    """Every organiser's decision on a suspected duplicate pair, as merging takes them."""
    rows = session.execute(sa.select(col(MergeDecision.uid_a), col(MergeDecision.uid_b), col(MergeDecision.decision)))
    merge: set[tuple[str, str]] = set()
    apart: set[tuple[str, str]] = set()
    for uid_a, uid_b, decision in rows:
        (merge if decision == "merge" else apart).add(pair(uid_a, uid_b))
    return Decisions(merge=frozenset(merge), apart=frozenset(apart))


def decide_pending(model: type[Waiting], row_id: int, status: str, *, actor: str, session: Session) -> Waiting | None:
    """Mark a waiting join request or sent event decided, if it still waits; the row, or None when it did not.

    One conditional UPDATE, so two organisers deciding at once cannot both win: the second finds it decided.
    Does not commit: the row stays locked until the caller's transaction ends, and a rollback undoes this.
    """
    table = model.__table__  # type: ignore[attr-defined]
    done = session.execute(sa.update(table).where(table.c.id == row_id, table.c.status == "pending")
                           .values(status=status, decided_by=actor, decided_at=clock.now()))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(model, row_id, populate_existing=True)
