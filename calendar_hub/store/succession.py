"""Occurrences that vanish from a feed while others with their trace appear: the new ones keep the old identity.

Office 365 writes every event of a calendar again under new UIDs from time to time, and a group that moves its
calendar to a new feed does the same.  Everything organisers decided hangs on the published UID (hidden events,
merge decisions, the events taken into a week or featured in it) and subscribers' calendars know an event by it,
so an occurrence that appears with the start, title (in `identity.title_key`'s normal form) and place of one that
vanished continues it: the stored row of the old one is moved onto the new source UID, keeping its published UID
and its SEQUENCE history, and on every later refresh the new source UID finds that row as any other.

The vanished occurrence may be in the same fetch, or in a paused feed of the same group (the group's old address,
deactivated when the new one was added); and an upcoming occurrence that leaves a feed hands its identity on to
the same occurrence in another active feed of the group (the group's new address, read while the old one still
listed its events).  A published UID is only ever carried on by one row of an active feed.
Functions take a keyword-only `session`; none of them commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from calendar_hub.identity import published_uid, successors, trace
from calendar_hub.states import Decision
from calendar_hub.store.batches import chunks
from calendar_hub.store.decisions import pair
from calendar_hub.store.models import Event, Feed, Group, MergeDecision

__all__ = ["carry_over"]


def carry_over(feed_id: int, group_id: int, inserts: list[dict[str, Any]], gone: list[int], *, now: datetime,
               session: Session) -> tuple[list[dict[str, Any]], list[int]]:
    """Let the occurrences about to be inserted (`inserts`, rows as `Event` columns) continue those about to be
    deleted (`gone`, row ids) or those of the group's paused feeds; and let the upcoming ones about to be deleted
    hand their identity on to the same occurrence in another feed of the group.

    Returns the updates that move vanished rows onto appeared occurrences and the row ids still to delete;
    `inserts` loses the occurrences so moved, and those left that continue a paused feed's occurrence take its
    published UID, SEQUENCE and first-seen time.
    """
    if not inserts and not gone:
        return [], gone
    names = _names(group_id, session=session)
    moves: list[dict[str, Any]] = []
    old = [row for chunk in chunks(gone) for row in session.execute(
        sa.select(*_COLUMNS, col(Event.id), col(Event.updated_at), col(Event.end_at)).where(col(Event.id).in_(chunk)))]
    if old and inserts:
        pairs = successors([_item(row, names) for row in old], [_appeared(row, names) for row in inserts])
        for j, i in pairs.items():
            row, new = old[i], inserts[j]
            same = row.content_hash == new["content_hash"]
            moves.append({**{k: v for k, v in new.items() if k not in ("feed_id", "created_at")}, "id": row.id,
                          "uid": row.uid, "sequence": _sequence(row, new),
                          "updated_at": row.updated_at if same else new["updated_at"]})
        moved = {old[i].id for i in pairs.values()}
        gone = [row_id for row_id in gone if row_id not in moved]
        old = [row for row in old if row.id not in moved]
        inserts[:] = [row for j, row in enumerate(inserts) if j not in pairs]
    if inserts:
        _from_paused_feeds(group_id, inserts, names, session=session)
        _unique_in_feed(feed_id, inserts, gone, session=session)
    upcoming = [row for row in old if row.end_at >= now]  # past ones leave the window: nobody looks for them
    if upcoming:
        _hand_on(feed_id, group_id, upcoming, names, session=session)
    return moves, gone


_COLUMNS = (col(Event.uid), col(Event.start_at), col(Event.title), col(Event.location), col(Event.content_hash),
            col(Event.sequence), col(Event.created_at))


def _names(group_id: int, *, session: Session) -> tuple[str, ...]:
    """The names a group's titles may begin with ("WAST: ..."): its name and its short name."""
    found = session.execute(sa.select(col(Group.name), col(Group.slug)).where(col(Group.id) == group_id)).first()
    return tuple(found) if found is not None else ()


def _item(row: Any, names: tuple[str, ...]) -> tuple[str, Any, str]:
    return (row.uid, trace(row.start_at, row.title, row.location, names), row.content_hash)


def _appeared(row: dict[str, Any], names: tuple[str, ...]) -> tuple[str, Any, str]:
    return (f"{row['source_uid']}\x1f{row['recurrence_id']}",
            trace(row["start_at"], row["title"], row["location"], names), row["content_hash"])


def _sequence(row: Any, new: dict[str, Any]) -> int:
    """RFC 5545 3.8.7.4: the SEQUENCE goes on from the old occurrence's, one up when the content changed."""
    return int(row.sequence) if row.content_hash == new["content_hash"] else max(row.sequence + 1, new["sequence"])


def _from_paused_feeds(group_id: int, inserts: list[dict[str, Any]], names: tuple[str, ...], *,
                       session: Session) -> None:
    """Give appeared occurrences the identity of the same occurrence in a paused feed of the group, once."""
    feeds = _feeds(group_id, active=False, session=session)
    if not feeds:
        return
    starts = sorted({row["start_at"] for row in inserts})
    paused = [row for chunk in chunks(starts) for row in session.execute(
        sa.select(*_COLUMNS).where(col(Event.feed_id).in_(feeds), col(Event.start_at).in_(chunk)))]
    if not paused:
        return
    uids = sorted({row.uid for row in paused})
    carried = {uid for chunk in chunks(uids) for uid in session.scalars(
        sa.select(col(Event.uid)).join(Feed, col(Feed.id) == col(Event.feed_id))
        .where(col(Feed.active), col(Event.uid).in_(chunk)))}
    paused = sorted({row.uid: row for row in paused if row.uid not in carried}.values(), key=lambda row: row.uid)
    for j, i in successors([_item(row, names) for row in paused], [_appeared(row, names) for row in inserts]).items():
        row, new = paused[i], inserts[j]
        new.update(uid=row.uid, sequence=_sequence(row, new), created_at=row.created_at)


def _hand_on(feed_id: int, group_id: int, vanished: list[Any], names: tuple[str, ...], *, session: Session) -> None:
    """Give the identity of vanishing occurrences to the same occurrence in another active feed of the group.

    While both feeds carried it, the two copies were published as one under the older copy's UID (the
    catalogue's primary is the row seen first), so the newer copy's own UID was never seen; once the old feed
    lets it go, the newer copy takes the published UID on.  Copies an organiser kept apart keep their own.
    """
    feeds = [other for other in _feeds(group_id, active=True, session=session) if other != feed_id]
    if not feeds:
        return
    starts = sorted({row.start_at for row in vanished})
    others = [row for chunk in chunks(starts) for row in session.execute(
        sa.select(*_COLUMNS, col(Event.id)).where(col(Event.feed_id).in_(feeds), col(Event.start_at).in_(chunk)))]
    if not others:
        return
    uids = sorted({row.uid for row in vanished} | {row.uid for row in others})
    apart = {pair(a, b) for chunk in chunks(uids) for a, b in session.execute(
        sa.select(col(MergeDecision.uid_a), col(MergeDecision.uid_b))
        .where(col(MergeDecision.decision) == Decision.APART, col(MergeDecision.uid_a).in_(chunk)))}
    updates = []
    for j, i in successors([_item(row, names) for row in vanished], [_item(row, names) for row in others]).items():
        old, copy = vanished[i], others[j]
        if copy.uid == old.uid or copy.created_at < old.created_at or pair(old.uid, copy.uid) in apart:
            continue
        sequence = max(old.sequence, copy.sequence) + (0 if old.content_hash == copy.content_hash else 1)
        updates.append({"id": copy.id, "uid": old.uid, "sequence": sequence, "created_at": old.created_at})
    for batch in chunks(updates):
        session.execute(sa.update(Event), batch)


def _feeds(group_id: int, *, active: bool, session: Session) -> list[int]:
    """The ids of the group's active (or paused) feeds."""
    return list(session.scalars(sa.select(col(Feed.id)).where(col(Feed.group_id) == group_id,
                                                              col(Feed.active) == active)))


def _unique_in_feed(feed_id: int, inserts: list[dict[str, Any]], gone: list[int], *, session: Session) -> None:
    """A source UID that comes back while a moved row carries its published UID gets one of its own (derived, as
    every published UID, from what the feed says), so that no feed publishes one UID twice."""
    if session.scalar(sa.select(col(Event.id)).where(col(Event.feed_id) == feed_id).limit(1)) is None:
        return  # nothing stored yet: nothing to clash with
    uids = sorted({row["uid"] for row in inserts})
    dropped = set(gone)
    kept = {uid for chunk in chunks(uids) for row_id, uid in session.execute(
        sa.select(col(Event.id), col(Event.uid)).where(col(Event.feed_id) == feed_id, col(Event.uid).in_(chunk)))
        if row_id not in dropped}
    for row in inserts:
        if row["uid"] in kept:
            row["uid"] = published_uid(f"{feed_id}\x1f{row['source_uid']}", row["recurrence_id"])
