"""What waits for an organiser: groups' requests to join and single events sent through /submit.

Functions take a keyword-only `session` (a SQLModel Session); none of them commits, so a decision and
what follows from it (a group, a feed, an event) are stored in the caller's one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub import clock
from calendar_hub.states import Review
from calendar_hub.store.models import JoinRequest, SubmittedEvent

Waiting = TypeVar("Waiting", JoinRequest, SubmittedEvent)


def decide_pending(model: type[Waiting], row_id: int, status: str, *, actor: str, session: Session) -> Waiting | None:
    """Mark a waiting join request or sent event decided, if it still waits; the row, or None when it did not.

    One conditional UPDATE, so two organisers deciding at once cannot both win: the second finds it decided.
    Does not commit: the row stays locked until the caller's transaction ends, and a rollback undoes this.
    """
    table = model.__table__  # type: ignore[attr-defined]
    done = session.execute(sa.update(table).where(table.c.id == row_id, table.c.status == Review.PENDING)
                           .values(status=status, decided_by=actor, decided_at=clock.now()))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(model, row_id, populate_existing=True)


# ---------------------------------------------------------------- requests to join

def add_join_request(request: JoinRequest, *, session: Session) -> None:
    """Stage a new request to join; the caller commits."""
    session.add(request)


def join_request(request_id: int, *, session: Session) -> JoinRequest | None:
    """The request `request_id`, decided or not."""
    return session.get(JoinRequest, request_id)


def join_requests_waiting_for(feed_url: str, *, session: Session) -> int:
    """How many requests for the calendar at `feed_url` wait for an organiser."""
    return len(session.exec(select(JoinRequest).where(JoinRequest.feed_url == feed_url,
                                                      JoinRequest.status == Review.PENDING)).all())


def pending_join_requests(*, session: Session) -> list[JoinRequest]:
    """Requests waiting for an organiser, oldest first."""
    return list(session.exec(select(JoinRequest).where(JoinRequest.status == Review.PENDING)
                             .order_by(col(JoinRequest.created_at))).all())


def decided_join_requests(*, session: Session, since: datetime) -> list[JoinRequest]:
    """Requests approved or rejected at or after `since`, newest first."""
    return list(session.exec(select(JoinRequest).where(JoinRequest.status != Review.PENDING,
                                                       col(JoinRequest.decided_at) >= since)
                             .order_by(col(JoinRequest.decided_at).desc())).all())


# ---------------------------------------------------------------- events sent through /submit

def forget_sender_addresses(*, session: Session, before: datetime) -> None:
    """Blank the senders' connection addresses kept with events sent before `before`."""
    session.execute(sa.update(SubmittedEvent).where(col(SubmittedEvent.created_at) < before,
                                                    col(SubmittedEvent.address) != "").values(address=""))


def sent_from_address(address: str, *, session: Session, since: datetime) -> int:
    """How many events were sent from the connection `address` after `since`."""
    count = session.scalar(sa.select(sa.func.count()).select_from(SubmittedEvent).where(
        col(SubmittedEvent.address) == address, col(SubmittedEvent.created_at) > since))
    return int(count or 0)


def waiting_from_contact(contact: str, *, session: Session) -> int:
    """How many events sent by `contact` wait for an organiser."""
    count = session.scalar(sa.select(sa.func.count()).select_from(SubmittedEvent).where(
        col(SubmittedEvent.contact) == contact, col(SubmittedEvent.status) == Review.PENDING))
    return int(count or 0)


def add_submitted_event(made: SubmittedEvent, *, session: Session) -> None:
    """Stage a newly sent event; the caller commits."""
    session.add(made)


def pending_submitted_events(*, session: Session) -> list[SubmittedEvent]:
    """Sent events waiting for an organiser, oldest first."""
    return list(session.exec(select(SubmittedEvent).where(SubmittedEvent.status == Review.PENDING)
                             .order_by(col(SubmittedEvent.created_at), col(SubmittedEvent.id))).all())


def decided_submitted_events(*, session: Session, since: datetime) -> list[SubmittedEvent]:
    """Sent events approved or rejected at or after `since`, newest first."""
    return list(session.exec(select(SubmittedEvent).where(SubmittedEvent.status != Review.PENDING,
                                                          col(SubmittedEvent.decided_at) >= since)
                             .order_by(col(SubmittedEvent.decided_at).desc())).all())
