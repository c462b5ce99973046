"""Moderation: organisers hide a published event, or every date of a series, from every output (with a reason)
and can bring it back.

An event is hidden by its published UID, which stays the same across refreshes, so a hidden event stays
hidden however often its feed is fetched again.  A series is hidden by the catalogue's key of it (`Listing.series`:
its feed and source UID), not by the UIDs of today's dates, so dates a later refresh adds stay hidden too.
Nothing is deleted.  The rows are read and written through
`store` (its `hidden`), with keyword-only `session` as there; each change is audited and bumps the data
version.  Commits.
"""

from __future__ import annotations

from calendar_hub import store
from calendar_hub.console import accounts
from calendar_hub.errors import InputError
from calendar_hub.store import HiddenSeries, Session
from calendar_hub.store.models import HiddenEvent


def hide(uid: str, *, title: str, reason: str, session: Session, actor: str) -> None:
    """Hide the event `uid`; raises InputError without a reason (others will want to know why)."""
    reason = checked_reason(reason)
    if store.hidden_event(uid, session=session) is not None:
        return
    store.add_hidden(HiddenEvent(uid=uid, title=title[:1000], reason=reason, actor=actor), session=session)
    accounts.record(session=session, actor=actor, action="event.hide", target=uid,
                    detail={"title": title[:200], "reason": reason})
    store.bump_version(session=session)
    session.commit()


def unhide(uid: str, *, session: Session, actor: str) -> bool:
    """Bring the event `uid` back into the outputs; returns whether it was hidden."""
    if not store.delete_hidden(uid, session=session):
        session.rollback()
        return False
    accounts.record(session=session, actor=actor, action="event.unhide", target=uid)
    store.bump_version(session=session)
    session.commit()
    return True


def hidden_uids(*, session: Session) -> frozenset[str]:
    """The published UIDs of every hidden event."""
    return store.hidden_uids(session=session)


def hidden_events(*, session: Session) -> list[HiddenEvent]:
    """Every hidden event, newest first."""
    return store.hidden_events(session=session)


def checked_reason(reason: str) -> str:
    """The reason given for hiding, tidied; raises InputError when there is none (others will want to know why)."""
    reason = " ".join(reason.split())[:1000]
    if not reason:
        raise InputError("Say why the event is hidden: other organisers will see it.", field="reason")
    return reason


def hide_series(series: str, *, title: str, dates: int, reason: str, session: Session, actor: str) -> HiddenSeries:
    """Hide every date of the series `series` (a `Listing.series`), those a later refresh adds included; `dates` is
    how many it has now, for the list.  Returns the hiding (the one already there when it was hidden before);
    raises InputError without a reason or a series."""
    reason = checked_reason(reason)
    if not series:
        raise InputError("That event is not part of a series.", field="uid")
    already = store.hidden_series_of(series, session=session)
    if already is not None:
        return already
    hidden = HiddenSeries(series=series, title=title[:1000], dates=dates, reason=reason, actor=actor)
    store.add_hidden_series(hidden, session=session)
    session.flush()
    accounts.record(session=session, actor=actor, action="series.hide", target=title[:200],
                    detail={"series": series, "dates": dates, "reason": reason})
    store.bump_version(session=session)
    session.commit()
    session.refresh(hidden)
    return hidden


def show_series(hidden_id: int, *, session: Session, actor: str) -> HiddenSeries | None:
    """Bring every date of a hidden series back; returns the hiding undone, or None when it was not hidden."""
    hidden = store.delete_hidden_series(hidden_id, session=session)
    if hidden is None:
        session.rollback()
        return None
    accounts.record(session=session, actor=actor, action="series.show", target=hidden.title[:200],
                    detail={"series": hidden.series})
    store.bump_version(session=session)
    session.commit()
    return hidden


def hidden_series(*, session: Session) -> list[HiddenSeries]:
    """Every hidden series, newest first."""
    return store.hidden_series(session=session)
