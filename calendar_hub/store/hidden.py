"""Events organisers hid from every output: one by its published UID (`hidden_event`), or every date of a series
by the catalogue's key of it (`hidden_series`); nothing else is deleted.

Functions take a keyword-only `session` (a SQLModel Session); none of them commits.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

from calendar_hub import clock
from calendar_hub.store.models import HiddenEvent, UTCDateTime


class HiddenSeries(SQLModel, table=True):
    """Every date of one source event (a series) an organiser took out of every output, with why; dates a later
    refresh adds to the series stay out too.  Deleting the row brings the series back."""

    __tablename__ = "hidden_series"

    id: int | None = Field(default=None, primary_key=True)
    # The catalogue's key of the series (`Listing.series`: the feed and the source UID), kept as it gives it.
    series: str = Field(max_length=1100, unique=True, index=True)
    title: str = Field(default="", max_length=1000)                # as it was, for the list of hidden events
    dates: int = 0                                                 # how many dates it had when it was hidden
    reason: str = Field(max_length=1000)
    actor: str = Field(max_length=320)
    at: datetime = Field(default_factory=clock.now, sa_type=UTCDateTime)


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


def hidden_series_of(series: str, *, session: Session) -> HiddenSeries | None:
    """The hiding of the series whose catalogue key is `series`, if it is hidden."""
    return session.exec(select(HiddenSeries).where(HiddenSeries.series == series)).first()


def add_hidden_series(hidden: HiddenSeries, *, session: Session) -> None:
    """Stage the hiding of a series; the caller commits (and flushes first for its id)."""
    session.add(hidden)


def delete_hidden_series(hidden_id: int, *, session: Session) -> HiddenSeries | None:
    """Stage bringing the hidden series `hidden_id` back; returns its row as it was, or None when it was not hidden."""
    hidden = session.get(HiddenSeries, hidden_id)
    if hidden is not None:
        session.delete(hidden)
    return hidden


def hidden_series_keys(*, session: Session) -> frozenset[str]:
    """The catalogue's keys of every hidden series."""
    return frozenset(session.exec(select(HiddenSeries.series)).all())


def hidden_series(*, session: Session) -> list[HiddenSeries]:
    """Every hidden series, newest first."""
    return list(session.exec(select(HiddenSeries).order_by(col(HiddenSeries.at).desc())).all())
