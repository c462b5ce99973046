"""Events organisers hid from every output, by published UID (`hidden_event`); nothing else is deleted.

Functions take a keyword-only `session` (a SQLModel Session); none of them commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub.store.models import HiddenEvent


def hidden_event(uid: str, *, session: Session) -> HiddenEvent | None:
    """The hiding of the event published as `uid`, if it is hidden."""
    return session.exec(select(HiddenEvent).where(HiddenEvent.uid == uid)).first()


def add_hidden(hidden: HiddenEvent, *, session: Session) -> None:
    """Stage the hiding of an event; the caller commits."""
    session.add(hidden)


def delete_hidden(uid: str, *, session: Session) -> bool:
    """Stage bringing the event `uid` back; returns whether it was hidden."""
    removed = session.execute(sa.delete(HiddenEvent).where(col(HiddenEvent.uid) == uid))
    return bool(removed.rowcount)  # type: ignore[attr-defined]


def hidden_uids(*, session: Session) -> frozenset[str]:
    """The published UIDs of every hidden event."""
    return frozenset(session.exec(select(HiddenEvent.uid)).all())


def hidden_events(*, session: Session) -> list[HiddenEvent]:
    """Every hidden event, newest first."""
    return list(session.exec(select(HiddenEvent).order_by(col(HiddenEvent.at).desc())).all())
