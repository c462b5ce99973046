"""The figures an operator's monitoring reads from the database (/metrics): feeds by the outcome of their last
fetch, events stored, the work waiting. Counts only: never a feed's address, a group's name or anything a visitor
sent.

Every figure is an aggregate query over the feed table (one joins the fetch log), so a scrape costs a handful of
queries; the web layer keeps the answer for a few seconds on top of that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from calendar_hub.states import Origin, Outcome, Review
from calendar_hub.store.models import Event, Feed, FetchLog, Group, JoinRequest, SubmittedEvent
from calendar_hub.store.outbox import PENDING, SENDING, OutboxMessage

__all__ = ["FETCH_BUCKETS_MS", "HubFigures", "hub_figures"]

# Upper bounds (milliseconds) of the buckets each feed's last fetch duration is counted in.
FETCH_BUCKETS_MS: tuple[int, ...] = (100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000)


@dataclass(frozen=True, slots=True)
class HubFigures:
    """What the database holds now, in counts.

    `feeds` counts the feeds a refresh fetches (active, of an active group, not sent through /submit) by the
    outcome of their last fetch, every `Outcome` present; `never_fetched` those not fetched yet. `fetch_buckets`
    counts those whose last fetch got an answer (`fetch_timed` of them; a fetch that failed before one is not timed)
    by its duration: (bound in ms, feeds at or under it), cumulative, with `fetch_ms_sum` the durations' sum.
    """

    feeds: dict[Outcome, int]
    never_fetched: int
    feeds_gone: int       # answered 410 Gone: not fetched until an organiser resumes them
    feeds_paused: int     # paused by an organiser (or their group is)
    feeds_due: int        # due now and not being refreshed: the refresh's queue
    events: int           # occurrences stored, every feed's
    join_requests: int    # waiting for an organiser
    submitted_events: int
    outbox: int           # messages waiting to be sent
    fetch_buckets: Sequence[tuple[int, int]] = field(default_factory=tuple)
    fetch_ms_sum: int = 0
    fetch_timed: int = 0


def hub_figures(*, session: Session, now: datetime) -> HubFigures:
    """The figures as of `now`; read-only."""
    fetched = (col(Group.active), col(Feed.active), col(Feed.origin) != Origin.SUBMITTED)
    # Each feed's last fetch is its fetch-log row at its last attempt. PostgreSQL reads the whole fetch log for it
    # (a hash join): about half a second at 10,000 feeds and 2,000,000 rows, which the web layer's cache amortises.
    last = (sa.select(col(FetchLog.outcome), col(FetchLog.duration_ms))
            .select_from(Feed).join(Group, col(Group.id) == Feed.group_id)
            .join(FetchLog, sa.and_(col(FetchLog.feed_id) == Feed.id, col(FetchLog.at) == Feed.last_attempt_at))
            .where(*fetched).subquery())
    timed = last.c.duration_ms > 0
    buckets = [sa.func.sum(sa.case((sa.and_(timed, last.c.duration_ms <= bound), 1), else_=0))
               for bound in FETCH_BUCKETS_MS]
    by_outcome: dict[Outcome, int] = dict.fromkeys(Outcome, 0)
    fetch_counts = [0] * len(FETCH_BUCKETS_MS)
    fetch_sum = fetch_timed = 0
    for outcome, count, total, answered, *in_buckets in session.execute(
            sa.select(last.c.outcome, sa.func.count(), sa.func.sum(last.c.duration_ms),
                      sa.func.sum(sa.case((timed, 1), else_=0)), *buckets)
            .group_by(last.c.outcome)):
        if outcome in by_outcome:
            by_outcome[Outcome(outcome)] += int(count)
        fetch_sum += int(total or 0)
        fetch_timed += int(answered or 0)
        fetch_counts = [a + int(b or 0) for a, b in zip(fetch_counts, in_buckets, strict=True)]
    of_groups = sa.select(sa.func.count()).select_from(Feed).join(Group, col(Group.id) == Feed.group_id)
    return HubFigures(
        feeds=by_outcome,
        never_fetched=_count(session, of_groups.where(*fetched, col(Feed.last_attempt_at).is_(None))),
        feeds_gone=_count(session, of_groups.where(*fetched, col(Feed.gone_at).is_not(None))),
        feeds_paused=_count(session, of_groups.where(
            col(Feed.origin) != Origin.SUBMITTED, sa.or_(sa.not_(col(Feed.active)), sa.not_(col(Group.active))))),
        feeds_due=_count(session, of_groups.where(
            *fetched, col(Feed.gone_at).is_(None),
            sa.or_(col(Feed.next_attempt_at).is_(None), col(Feed.next_attempt_at) <= now),
            sa.or_(col(Feed.wait_until).is_(None), col(Feed.wait_until) <= now),
            sa.or_(col(Feed.lease_until).is_(None), col(Feed.lease_until) < now))),
        events=_count(session, sa.select(sa.func.count()).select_from(Event)),
        join_requests=_count(session, sa.select(sa.func.count()).select_from(JoinRequest)
                             .where(col(JoinRequest.status) == Review.PENDING)),
        submitted_events=_count(session, sa.select(sa.func.count()).select_from(SubmittedEvent)
                                .where(col(SubmittedEvent.status) == Review.PENDING)),
        outbox=_count(session, sa.select(sa.func.count()).select_from(OutboxMessage)
                      .where(col(OutboxMessage.status).in_([PENDING, SENDING]))),
        fetch_buckets=tuple(zip(FETCH_BUCKETS_MS, fetch_counts, strict=True)),
        fetch_ms_sum=fetch_sum,
        fetch_timed=fetch_timed,
    )


def _count(session: Session, query: sa.Select[Any]) -> int:
    return int(session.scalar(query) or 0)
