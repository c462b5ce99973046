"""Moderation: organisers hide a published event from every output (with a reason) and can bring it back.

An event is hidden by its published UID, which stays the same across refreshes, so a hidden event stays
hidden however often its feed is fetched again.  Nothing is deleted.  SQL for the table is here, with
keyword-only `session` as in `store`; each change is audited and bumps the data version.  Commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub import store
from calendar_hub.console import accounts
from calendar_hub.errors import ConfigError
from calendar_hub.store.models import HiddenEvent


def hide(uid: str, *, title: str, reason: str, session: Session, actor: str) -> None:
    """Hide the event `uid`; raises ConfigError without a reason (others will want to know why)."""
    reason = " ".join(reason.split())[:1000]
    if not reason:
        raise ConfigError("Say why the event is hidden: other organisers will see it.")
    if session.exec(select(HiddenEvent).where(HiddenEvent.uid == uid)).first() is not None:
        return
    session.add(HiddenEvent(uid=uid, title=title[:1000], reason=reason, actor=actor))
    accounts.record(session=session, actor=actor, action="event.hide", target=uid,
                    detail={"title": title[:200], "reason": reason})
    store.bump_version(session=session)
    session.commit()


def unhide(uid: str, *, session: Session, actor: str) -> bool:
    """Bring the event `uid` back into the outputs; returns whether it was hidden."""
    removed = session.execute(sa.delete(HiddenEvent).where(col(HiddenEvent.uid) == uid))
    if not removed.rowcount:  # type: ignore[attr-defined]
        session.rollback()
        return False
    accounts.record(session=session, actor=actor, action="event.unhide", target=uid)
    store.bump_version(session=session)
    session.commit()
    return True


def hidden_uids(*, session: Session) -> frozenset[str]:
    return frozenset(session.exec(select(HiddenEvent.uid)).all())


def hidden_events(*, session: Session) -> list[HiddenEvent]:
    """Every hidden event, newest first."""
    return list(session.exec(select(HiddenEvent).order_by(col(HiddenEvent.at).desc())).all())
