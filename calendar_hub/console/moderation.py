"""Moderation: organisers hide a published event from every output (with a reason) and can bring it back.

An event is hidden by its published UID, which stays the same across refreshes, so a hidden event stays
hidden however often its feed is fetched again.  Nothing is deleted.  The rows are read and written through
`store` (its `hidden`), with keyword-only `session` as there; each change is audited and bumps the data
version.  Commits.
"""

from __future__ import annotations

from calendar_hub import store
from calendar_hub.console import accounts
from calendar_hub.errors import InputError
from calendar_hub.store import Session
from calendar_hub.store.models import HiddenEvent


def hide(uid: str, *, title: str, reason: str, session: Session, actor: str) -> None:
    """Hide the event `uid`; raises InputError without a reason (others will want to know why)."""
    reason = " ".join(reason.split())[:1000]
    if not reason:
        raise InputError("Say why the event is hidden: other organisers will see it.", field="reason")
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
