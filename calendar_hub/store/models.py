"""The database tables: groups, their feeds (with fetch state), events (one row per occurrence), weeks, the fetch log.

Times are stored as UTC and always come back time-zone aware (`UTCDateTime`), on SQLite too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import JSON, Field, SQLModel

from calendar_hub import clock
from calendar_hub.states import Origin, Review


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A datetime column that refuses naive values and reads back aware UTC on every database."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite keeps no zone: store the UTC wall time so text ordering is time ordering.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class Group(SQLModel, table=True):
    """A member group: a local network, branch or centre that publishes its own calendar."""

    __tablename__ = "hub_group"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True, index=True)
    name: str = Field(max_length=300)
    website: str = Field(default="", max_length=2000)
    home: str = Field(default="", max_length=300)
    region: str = Field(default="", max_length=100)
    lat: float | None = None
    lon: float | None = None
    contact: str = Field(default="", max_length=300)
    services: list[str] = Field(default_factory=list, sa_type=JSON)  # slugs of calendar_hub.services
    description: str = Field(default="", sa_type=sa.Text)
    areas: list[str] = Field(default_factory=list, sa_type=JSON)  # place names it serves
    active: bool = True
    origin: str = Field(default=Origin.REGISTRY, max_length=20)  # "registry" (the files') or "console" (load keeps it)
    created_at: datetime = _when(default_factory=clock.now)
    updated_at: datetime = _when(default_factory=clock.now)


class Feed(SQLModel, table=True):
    """One calendar or news feed of a group, and everything the hub knows about fetching it."""

    __tablename__ = "feed"
    __table_args__ = (sa.UniqueConstraint("group_id", "url", name="uq_feed_group_url"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="hub_group.id", index=True)
    url: str = Field(max_length=2000)
    kind: str = Field(default="", max_length=20)           # "ical", "rss" or "" (sniff)
    origin: str = Field(default=Origin.REGISTRY, max_length=20)  # "registry" may read files; "web" never
    private: bool = False   # a registry feed the operator lets reach private addresses (no SSRF guard)
    active: bool = True
    # conditional GET and change detection
    etag: str = Field(default="", max_length=500)
    last_modified: str = Field(default="", max_length=100)
    content_hash: str = Field(default="", max_length=64)
    parsed_at: datetime | None = _when(default=None)
    # health
    last_attempt_at: datetime | None = _when(default=None)
    last_success_at: datetime | None = _when(default=None)
    http_status: int | None = None
    error: str = Field(default="", max_length=2000)
    events_found: int = 0
    items_skipped: int = 0
    problems: list[str] = Field(default_factory=list, sa_type=JSON)
    notice: str = Field(default="", max_length=2000)        # what the last parse lacked, in one line
    consecutive_failures: int = 0
    fetch_count: int = 0
    not_modified_count: int = 0
    next_attempt_at: datetime | None = _when(default=None, index=True)
    # politeness: a 410 Gone stops fetching until an organiser resumes it; a Retry-After the server sent
    gone_at: datetime | None = _when(default=None)
    wait_until: datetime | None = _when(default=None)
    # a 301 or 308 seen on consecutive fetches: where to, how many fetches in a row; the address before a move
    moved_to: str = Field(default="", max_length=2000)
    moved_count: int = 0
    moved_from: str = Field(default="", max_length=2000)
    # work sharing between processes: a feed being refreshed is leased to one of them
    lease_owner: str = Field(default="", max_length=100)
    lease_until: datetime | None = _when(default=None)
    created_at: datetime = _when(default_factory=clock.now)


class Event(SQLModel, table=True):
    """One occurrence as read from one feed; merging across feeds happens when publishing."""

    __tablename__ = "event"
    __table_args__ = (
        sa.UniqueConstraint("feed_id", "source_uid", "recurrence_id", name="uq_event_occurrence"),
        sa.Index("ix_event_time", "start_at", "end_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True)
    source_uid: str = Field(max_length=1000)
    recurrence_id: str = Field(default="", max_length=40)
    uid: str = Field(max_length=100, index=True)           # the published UID: stable across refreshes
    title: str = Field(max_length=1000)
    description_html: str = Field(default="", sa_type=sa.Text)
    description_text: str = Field(default="", sa_type=sa.Text)
    location: str = Field(default="", max_length=1000)
    url: str = Field(default="", max_length=2000)
    categories: list[str] = Field(default_factory=list, sa_type=JSON)
    status: str = Field(default="CONFIRMED", max_length=20)
    start_at: datetime = _when()
    end_at: datetime = _when()
    all_day: bool = False
    start_date: date | None = None
    end_date: date | None = None
    lat: float | None = None
    lon: float | None = None
    source_sequence: int = 0
    source_stamp: datetime | None = _when(default=None, nullable=True)     # DTSTAMP, as of the last change
    source_modified: datetime | None = _when(default=None, nullable=True)  # LAST-MODIFIED, likewise
    sequence: int = 0                                       # bumped whenever the content changes
    content_hash: str = Field(max_length=64)
    created_at: datetime = _when(default_factory=clock.now)
    updated_at: datetime = _when(default_factory=clock.now)


class Week(SQLModel, table=True):
    """A national week of action: a span of days and the tags that select its events.

    Organisers may also take single events in or out by hand (`included`, `excluded`) and pick some to
    show first (`featured`), each by published UID.
    """

    __tablename__ = "week"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True, index=True)
    name: str = Field(max_length=300)
    start_date: date
    end_date: date                                          # inclusive, as organisers write it
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    description: str = Field(default="", sa_type=sa.Text)
    groups: list[str] = Field(default_factory=list, sa_type=JSON)
    featured: list[str] = Field(default_factory=list, sa_type=JSON)
    included: list[str] = Field(default_factory=list, sa_type=JSON)
    excluded: list[str] = Field(default_factory=list, sa_type=JSON)
    active: bool = True
    origin: str = Field(default=Origin.REGISTRY, max_length=20)  # as for Group
    created_at: datetime = _when(default_factory=clock.now)
    updated_at: datetime = _when(default_factory=clock.now)


class FetchLog(SQLModel, table=True):
    """One fetch of one feed: what happened, how long it took, how much came back."""

    __tablename__ = "fetch_log"

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True)
    at: datetime = _when(default_factory=clock.now)
    outcome: str = Field(max_length=20)                     # stored, not_modified, unchanged, failed, kept
    http_status: int | None = None
    duration_ms: int = 0
    bytes: int = 0
    events: int = 0
    message: str = Field(default="", max_length=2000)


class LinkedPage(SQLModel, table=True):
    """An event page that a feed item links to, as last fetched, with the events read from it.

    Kept so that each page is fetched at most once a day however often its feed changes.
    """

    __tablename__ = "linked_page"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000, unique=True, index=True)
    fetched_at: datetime = _when(default_factory=clock.now)
    etag: str = Field(default="", max_length=500)
    last_modified: str = Field(default="", max_length=100)
    events: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    error: str = Field(default="", max_length=2000)


class HubState(SQLModel, table=True):
    """Counters shared by every process; `version` grows with every change that alters the outputs."""

    __tablename__ = "hub_state"

    key: str = Field(primary_key=True, max_length=50)
    value: int = Field(default=0, sa_type=sa.BigInteger)  # 64 bits: "geocoder_next_at" holds epoch milliseconds


class PlaceLookup(SQLModel, table=True):
    """A location line looked up with the online geocoder: where it is, that nothing was found, or why it failed.

    `query` is the line as `places.geocode.lookup_key` normalises it.  No coordinates and no error means
    the geocoder knows no such place, which is kept; an error (the network, the server) is tried again later.
    """

    __tablename__ = "place_lookup"

    id: int | None = Field(default=None, primary_key=True)
    query: str = Field(max_length=1000, unique=True, index=True)
    lat: float | None = None
    lon: float | None = None
    display_name: str = Field(default="", max_length=1000)
    looked_up_at: datetime = _when(default_factory=clock.now)
    error: str = Field(default="", max_length=2000)


class User(SQLModel, table=True):
    """Someone who signs in to the organisers' console.

    `role` is "admin" (everything, including accounts), "organiser" (groups, feeds, weeks,
    moderation) or "editor" (only the group `group_id`).
    """

    __tablename__ = "hub_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True, index=True)     # stored lower-case
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    group_id: int | None = Field(default=None, foreign_key="hub_group.id")
    active: bool = True
    created_at: datetime = _when(default_factory=clock.now)
    last_login_at: datetime | None = _when(default=None)
    # Carried by the session cookie and compared on every request: signing out or a new password moves it
    # on, so every cookie issued before is refused at once (a signed cookie cannot be taken back otherwise).
    session_generation: int = 0


class LoginFailure(SQLModel, table=True):
    """The attempts counted under one key (a sign-in's account and address, an address, a form's client).

    One row per key, locked while an attempt is counted and checked, so parallel attempts each count.
    """

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400, unique=True, index=True)  # "pair:203.0.113.5 x@y", "ip:...", "join:..."
    attempts: int = 0
    first_at: datetime = _when(default_factory=clock.now)          # when this count began
    last_at: datetime = _when(default_factory=clock.now, index=True)
    wait_until: datetime | None = _when(default=None)             # no attempt is checked before this


class AuditEntry(SQLModel, table=True):
    """One change made through the console or the CLI: who, what, to what, when."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(default_factory=clock.now, index=True)
    actor: str = Field(max_length=320)                              # an e-mail address, or "cli"
    action: str = Field(max_length=100)                             # "group.add", "feed.pause", ...
    target: str = Field(default="", max_length=2000)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class HiddenEvent(SQLModel, table=True):
    """A published event an organiser took out of every output, with why; deleting the row brings it back."""

    __tablename__ = "hidden_event"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=100, unique=True, index=True)      # the published UID (stable across refreshes)
    title: str = Field(default="", max_length=1000)                # as it was, for the list of hidden events
    reason: str = Field(max_length=1000)
    actor: str = Field(max_length=320)
    at: datetime = _when(default_factory=clock.now)


class JoinRequest(SQLModel, table=True):
    """A group asking to join through the public form, waiting for an organiser to approve or reject it.

    The address the group gave was checked (SSRF guard) and the calendar behind it found before the
    request was stored: `feed_url`, `feed_kind` and `found_how` are what the hub will read.
    """

    __tablename__ = "join_request"

    id: int | None = Field(default=None, primary_key=True)
    group_name: str = Field(max_length=300)
    home: str = Field(default="", max_length=300)
    contact: str = Field(max_length=320)
    address: str = Field(max_length=2000)                    # as the group typed it
    feed_url: str = Field(max_length=2000)
    feed_kind: str = Field(default="", max_length=20)
    found_how: str = Field(default="", max_length=500)
    status: str = Field(default=Review.PENDING, max_length=20, index=True)  # pending, approved, rejected
    created_at: datetime = _when(default_factory=clock.now)
    decided_by: str = Field(default="", max_length=320)
    decided_at: datetime | None = _when(default=None)
    note: str = Field(default="", max_length=1000)           # why it was rejected
    group_slug: str = Field(default="", max_length=100)      # the group made on approval


class SubmittedEvent(SQLModel, table=True):
    """A single event sent through the public /submit form by a group without a calendar, held for approval.

    Approving it stores it as an event of its group's "submitted" feed (`event_uid` is its published UID).
    """

    __tablename__ = "submitted_event"

    id: int | None = Field(default=None, primary_key=True)
    group_name: str = Field(max_length=300)
    group_id: int | None = Field(default=None, foreign_key="hub_group.id")   # set on approval
    contact: str = Field(max_length=320)
    title: str = Field(max_length=1000)
    start_at: datetime = _when()
    end_at: datetime = _when()
    all_day: bool = False
    start_date: date | None = None
    end_date: date | None = None
    location: str = Field(default="", max_length=1000)
    description: str = Field(default="", sa_type=sa.Text)                  # plain text as typed
    url: str = Field(default="", max_length=2000)
    categories: list[str] = Field(default_factory=list, sa_type=JSON)
    address: str = Field(default="", max_length=100, index=True)          # the sender's IP, for rate limiting
    status: str = Field(default=Review.PENDING, max_length=20, index=True)     # pending, approved, rejected
    created_at: datetime = _when(default_factory=clock.now, index=True)
    decided_by: str = Field(default="", max_length=320)
    decided_at: datetime | None = _when(default=None)
    note: str = Field(default="", max_length=1000)                        # why it was rejected
    event_uid: str = Field(default="", max_length=100)

    @property
    def start(self) -> datetime:
        """As events name it (`web.present.when` reads it)."""
        return self.start_at

    @property
    def end(self) -> datetime:
        return self.end_at


class MergeDecision(SQLModel, table=True):
    """An organiser's word on two published events the hub suspected were one: "merge" or "apart".

    Kept by published UID (`uid_a` < `uid_b`), so the decision holds across refreshes; one per pair.
    """

    __tablename__ = "merge_decision"
    __table_args__ = (sa.UniqueConstraint("uid_a", "uid_b", name="uq_merge_decision_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    uid_a: str = Field(max_length=100, index=True)
    uid_b: str = Field(max_length=100, index=True)
    decision: str = Field(max_length=10)                                   # "merge" or "apart"
    title_a: str = Field(default="", max_length=300)                       # as published when decided, to
    title_b: str = Field(default="", max_length=300)                       # show the pair after it has passed
    actor: str = Field(max_length=320)
    at: datetime = _when(default_factory=clock.now)


class HeldChange(SQLModel, table=True):
    """A fetched body that would have taken most of a feed's upcoming events away, held instead of stored.

    It is stored when the next fetch reads the same events (`digest`), or at once when an organiser accepts it.
    """

    __tablename__ = "held_change"

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", unique=True, index=True)
    at: datetime = _when(default_factory=clock.now)
    digest: str = Field(max_length=64)                                     # identity.events_digest of `events`
    body_hash: str = Field(default="", max_length=64)
    upcoming_before: int = 0                                               # upcoming events stored when held
    upcoming_after: int = 0                                                # upcoming events in the held body
    events: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # occurrence.event_to_dict
    skipped: int = 0
    problems: list[str] = Field(default_factory=list, sa_type=JSON)
    notice: str = Field(default="", max_length=2000)
