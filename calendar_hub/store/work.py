"""What waits for someone in the console, as counts: requests to join, sent events, failing feeds; and who
follows a week or a group by e-mail, for the console to say whom a change reaches before it is made.

One small set of COUNT queries, cheap enough to run on every console page for its navigation.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col

from calendar_hub.states import Origin, Review
from calendar_hub.store.followers import Follower
from calendar_hub.store.models import Feed, Group, JoinRequest, SubmittedEvent

__all__ = ["WaitingWork", "followers_of", "waiting_work"]


@dataclass(frozen=True, slots=True)
class WaitingWork:
    """How many of each kind of work wait (requests and sent events are None for an account that cannot see them)."""

    join_requests: int | None
    submissions: int | None
    failing_feeds: int


def waiting_work(*, session: Session, group_id: int | None = None, staff: bool = True) -> WaitingWork:
    """The counts of waiting work; for an editor (`staff` false) only their own group's failing feeds."""
    failing = (sa.select(sa.func.count()).select_from(Feed).join(Group, col(Group.id) == Feed.group_id)
               .where(col(Feed.active), col(Group.active), col(Feed.origin) != Origin.SUBMITTED,
                      sa.or_(col(Feed.error) != "", col(Feed.consecutive_failures) > 0)))
    if not staff:
        failing = failing.where(col(Feed.group_id) == group_id)
        return WaitingWork(None, None, int(session.execute(failing).scalar_one()))
    joins = sa.select(sa.func.count()).select_from(JoinRequest).where(col(JoinRequest.status) == Review.PENDING)
    sent = sa.select(sa.func.count()).select_from(SubmittedEvent).where(col(SubmittedEvent.status) == Review.PENDING)
    row = session.execute(sa.select(joins.scalar_subquery(), sent.scalar_subquery(),
                                    failing.scalar_subquery())).one()
    return WaitingWork(int(row[0]), int(row[1]), int(row[2]))


def followers_of(*, session: Session, week_slug: str = "", group_slug: str = "") -> int:
    """How many confirmed followers by e-mail follow the week `week_slug` or the group `group_slug`."""
    query = sa.select(sa.func.count()).select_from(Follower).where(col(Follower.confirmed_at).is_not(None))
    if week_slug:
        query = query.where(col(Follower.week_slug) == week_slug)
    if group_slug:
        query = query.where(col(Follower.group_slug) == group_slug)
    return int(session.execute(query).scalar_one())
