"""The outbox: every e-mail the hub sends, built whole and recorded once before it goes to the relay.

    queue (one row per `key`: a second build of the same message is a no-op)
      -> claim (pending and due, or sending with its lease run out; a conditional UPDATE, so one sender at a time)
      -> sent | retry (back-off: `next_at`) | failed (refused for good)

A message is claimed (committed) before its SMTP transaction and marked sent (committed) the moment the relay
accepts it, so a crash or a relay failure mid-run loses nothing (the claim runs out and the message goes again)
and sends nothing twice that the relay had accepted.  Functions take a keyword-only `session`; none commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, func, select

from calendar_hub.store.models import UTCDateTime

__all__ = ["PENDING", "SENDING", "SENT", "FAILED", "NewMessage", "OutboxMessage", "claim_message", "due_messages",
           "forget_messages_of", "mark_failed", "mark_retry", "mark_sent", "outbox_counts", "prune_sent",
           "queue_message", "queue_messages", "queued_keys", "sent_since"]

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"


class OutboxMessage(SQLModel, table=True):
    """One message as it will be sent (`body`, RFC 5322 text), with where it stands.

    `key` names what it is ("confirm:12:1", "digest:12:2026-12-03", "alert:12:refugee-week") so building the
    same message twice queues it once.
    """

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True, index=True)
    follower_id: int | None = Field(default=None, index=True)
    kind: str = Field(max_length=20)
    recipient: str = Field(max_length=320)
    message_id: str = Field(max_length=200)
    body: str = Field(sa_type=sa.Text)
    status: str = Field(default=PENDING, max_length=10, index=True)
    attempts: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    next_at: datetime = Field(sa_type=UTCDateTime, index=True)      # due from; while sending, when the claim runs out
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    error: str = Field(default="", max_length=500)


def queue_message(message: OutboxMessage, *, session: Session) -> bool:
    """Add `message` unless one with its key is already queued; True when added."""
    if session.exec(select(OutboxMessage.id).where(OutboxMessage.key == message.key)).first() is not None:
        return False
    session.add(message)
    session.flush()
    return True


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to queue with `queue_messages` (a plain record: building thousands of models is slow)."""

    key: str
    follower_id: int | None
    kind: str
    recipient: str
    message_id: str
    body: str
    created_at: datetime

    def row(self) -> dict[str, object]:
        return {"key": self.key, "follower_id": self.follower_id, "kind": self.kind, "recipient": self.recipient,
                "message_id": self.message_id, "body": self.body, "status": PENDING, "attempts": 0,
                "created_at": self.created_at, "next_at": self.created_at, "sent_at": None, "error": ""}


def queue_messages(messages: Sequence[NewMessage], *, session: Session) -> int:
    """Add each of `messages` whose key is not queued yet (nor earlier in `messages`), due at once, in one insert;
    how many were added."""
    keys = [message.key for message in messages]
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        known.update(session.exec(select(OutboxMessage.key).where(
            col(OutboxMessage.key).in_(keys[start:start + 500]))).all())
    rows = []
    for message in messages:
        if message.key not in known:
            known.add(message.key)
            rows.append(message.row())
    if rows:
        session.execute(sa.insert(OutboxMessage), rows)
    return len(rows)


def queued_keys(prefix: str, *, session: Session) -> set[str]:
    """The keys starting with `prefix` already in the outbox."""
    return set(session.exec(select(OutboxMessage.key).where(col(OutboxMessage.key).startswith(prefix))).all())


def due_messages(*, now: datetime, limit: int, session: Session) -> list[int]:
    """Ids of messages to send now: pending and due, or left sending by a run whose claim ran out."""
    rows = session.exec(select(OutboxMessage.id).where(
        col(OutboxMessage.status).in_([PENDING, SENDING]), col(OutboxMessage.next_at) <= now)
        .order_by(col(OutboxMessage.next_at), col(OutboxMessage.id)).limit(limit)).all()
    return [row for row in rows if row is not None]


def claim_message(message_id: int, *, now: datetime, lease: timedelta, session: Session) -> OutboxMessage | None:
    """Take the message for sending until `now + lease`; None when another sender took it or it is not due."""
    claimed = session.execute(
        sa.update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status).in_([PENDING, SENDING]),
               col(OutboxMessage.next_at) <= now)
        .values(status=SENDING, next_at=now + lease, attempts=OutboxMessage.attempts + 1))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(OutboxMessage, message_id, populate_existing=True)


def mark_sent(message_id: int, *, at: datetime, session: Session) -> None:
    session.execute(sa.update(OutboxMessage).where(col(OutboxMessage.id) == message_id)
                    .values(status=SENT, sent_at=at, error=""))


def mark_retry(message_id: int, *, at: datetime, error: str, session: Session) -> None:
    session.execute(sa.update(OutboxMessage).where(col(OutboxMessage.id) == message_id)
                    .values(status=PENDING, next_at=at, error=error[:500]))


def mark_failed(message_id: int, *, error: str, session: Session) -> None:
    session.execute(sa.update(OutboxMessage).where(col(OutboxMessage.id) == message_id)
                    .values(status=FAILED, error=error[:500]))


def sent_since(since: datetime, *, session: Session) -> list[datetime]:
    """When each message sent since `since` went, oldest first (for the rate limit, across processes)."""
    rows = session.exec(select(OutboxMessage.sent_at).where(col(OutboxMessage.sent_at) >= since)
                        .order_by(col(OutboxMessage.sent_at))).all()
    return [row for row in rows if row is not None]


def forget_messages_of(follower_id: int, *, session: Session) -> None:
    """Drop every message of a follower who left: those waiting are never sent, those sent leave no address."""
    # One being sent right now may still reach the relay; its row is gone, so it is never sent again.
    session.execute(sa.delete(OutboxMessage).where(col(OutboxMessage.follower_id) == follower_id))


def prune_sent(*, before: datetime, session: Session) -> None:
    """Forget sent and failed messages older than `before` (their keys are no longer needed)."""
    session.execute(sa.delete(OutboxMessage).where(col(OutboxMessage.status).in_([SENT, FAILED]),
                                                   col(OutboxMessage.created_at) < before))


def outbox_counts(*, session: Session) -> dict[str, int]:
    """Messages per status."""
    rows: Sequence[tuple[str, int]] = session.exec(
        select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))).all()
    return {status: int(n) for status, n in rows}
