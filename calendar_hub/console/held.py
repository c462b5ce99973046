"""Changes the hub held back because they would take most of a feed's upcoming events away: what organisers read
about them, and accepting one at once.

`notes` never changes anything; `accept` records an audit entry, bumps the data version and commits.
"""

from __future__ import annotations

from calendar_hub import clock, store
from calendar_hub.console import accounts
from calendar_hub.ingest.judge import held_words
from calendar_hub.store import Session
from calendar_hub.store.models import Feed, Group, HeldChange

__all__ = ["accept", "note", "notes"]


def note(held: HeldChange) -> str:
    """The sentence organisers read about a held change ("this calendar suddenly lists 1 upcoming event ...")."""
    words = held_words(held.upcoming_before, held.upcoming_after)
    return words[0].upper() + words[1:] + "."


def notes(*, session: Session) -> dict[int, str]:
    """The sentence about each held change, by feed id."""
    return {feed_id: note(held) for feed_id, held in store.held_changes(session=session).items()}


def accept(feed: Feed, *, session: Session, actor: str, group: Group) -> bool:
    """Store the change held for `feed` now, as if the next fetch had agreed; False when nothing was held."""
    held = store.held_change(feed.id, session=session) if feed.id is not None else None
    if held is None or feed.id is None:
        return False
    before, after = held.upcoming_before, held.upcoming_after
    store.accept_held(feed.id, session=session, at=clock.now())
    accounts.record(session=session, actor=actor, action="feed.accept", target=feed.url,
                    detail={"group": group.slug, "upcoming_before": before, "upcoming_after": after})
    session.commit()
    return True
