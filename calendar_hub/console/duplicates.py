"""Duplicates the automatic merge missed, and organisers' decisions on them.

`suspected(entries, ...)` finds pairs of published listings that look like one event although
`merge.clusters` kept them apart (same local day, overlapping times, titles alike at a lower bar than
the automatic merge, or the same start at the same place under different titles), each with its
reason in words.  Organisers decide each pair: "merge" (one listing crediting every group, under the
UID of the occurrence seen first; the other UID leaves the feeds) or "apart" (never joined, which also
splits a wrong automatic merge).  Decisions are kept by published UID in `merge_decision`, read and written
through `store` (its `decisions`); each change here is audited, bumps the data version and commits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rapidfuzz.distance import Indel

from calendar_hub import clock, store
from calendar_hub.catalogue.listing import Listing
from calendar_hub.catalogue.merge import (
    PLACE_SIMILARITY,
    SAME_PLACE_KM,
    candidate,
    clusters,
    fold,
    likeness,
    neighbouring,
    sharing_rare_words,
    similar,
)
from calendar_hub.console import accounts
from calendar_hub.errors import InputError
from calendar_hub.identity import title_key
from calendar_hub.places.data import km_between
from calendar_hub.states import Decision
from calendar_hub.store import Session
from calendar_hub.store.decisions import Decisions, pair
from calendar_hub.store.models import MergeDecision

SUSPECT_TITLE_SIMILARITY = 0.6   # below merge.TITLE_SIMILARITY: a person looks before anything is joined
NEAR_KM = 2.0                    # exact places this close may be one venue geocoded twice
FAR_KM = 15.0                    # places this far apart, however rough, are other towns
DECISIONS = tuple(Decision)
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Source:
    """One stored occurrence behind a listing: its own published UID and title, its feed and the feed's group."""

    uid: str
    feed_id: int
    feed_url: str
    group: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Entry:
    """A published listing with the stored occurrences it was made of (the primary's first)."""

    listing: Listing
    sources: tuple[Source, ...]

    @property
    def uids(self) -> frozenset[str]:
        return frozenset(s.uid for s in self.sources) | {self.listing.uid}

    @property
    def feeds(self) -> frozenset[int]:
        return frozenset(s.feed_id for s in self.sources)

    @property
    def others(self) -> tuple[Source, ...]:
        """The merged-in occurrences an organiser can keep apart (those under another UID than the listing's)."""
        seen: set[str] = {self.listing.uid}
        found = []
        for s in self.sources:
            if s.uid not in seen:
                seen.add(s.uid)
                found.append(s)
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Suspect:
    """Two listings that may be one event, and why the hub thinks so.

    `a` is the one the hub saw first (then the smaller UID): merged, the event keeps its UID.
    """

    a: Entry
    b: Entry
    reason: str


@dataclass(frozen=True, slots=True)
class Review:
    """What the duplicates page shows: suspected pairs, listings made of several occurrences, decisions made."""

    suspects: list[Suspect]
    merged: list[Entry]
    decisions: list[MergeDecision]


# ---------------------------------------------------------------- finding suspected pairs (pure)

def suspected(entries: Sequence[Entry], *, zone: ZoneInfo, decisions: Decisions) -> list[Suspect]:
    """Pairs of `entries` that look like one event, in time order; none that an organiser already decided.

    A pair is from different feeds (a feed that lists both means two events) on the same local day, and
    either overlaps in time with alike titles (on their normal form, without little words or a leading group
    name: `SUSPECT_TITLE_SIMILARITY`, or one inside the other) at a place not known to be elsewhere, or starts at
    the same time at the same place.  Near-linear: entries are bucketed by day, and only titles sharing a rare
    word (`merge.sharing_rare_words`), or, at one start, places sharing one or close by, are compared.
    """
    partners = decisions.partners()
    titles_read: dict[tuple[str, tuple[str, ...]], str] = {}
    places_read: dict[str, str] = {}
    days: dict[date, list[_Seen]] = defaultdict(list)
    for entry in entries:
        item = entry.listing
        names = tuple(sorted({s.group for s in entry.sources if s.group}))
        title = titles_read.get((item.title, names))
        if title is None:
            title = titles_read[(item.title, names)] = _title_words(item.title, names)
        days[_local_day(item, zone)].append(_Seen(
            entry, item.start, item.end, title, _cached(places_read, item.location, fold), entry.feeds, entry.uids))
    likeness: dict[tuple[str, str], float] = {}  # titles repeat (series, co-hosts): each pair is compared once
    found: list[Suspect] = []
    for day in days.values():
        day.sort(key=lambda seen: (seen.start, seen.entry.listing.uid))
        for i, j in sorted(_compared(day)):
            a, b = day[i], day[j]
            if b.start >= a.end and b.start != a.start:
                continue  # one after the other
            if not a.feeds.isdisjoint(b.feeds) or (partners and _decided(a.uids, b.uids, partners)):
                continue
            titles = (a.title, b.title) if a.title <= b.title else (b.title, a.title)
            alike = likeness.get(titles)
            if alike is None:
                alike = likeness[titles] = _title_likeness(*titles)
            reason = _reason(a, b, alike)
            if reason:
                first, second = sorted((a.entry, b.entry), key=lambda e: (e.listing.created, e.listing.uid))
                found.append(Suspect(first, second, reason))
    return sorted(found, key=lambda s: (min(s.a.listing.start, s.b.listing.start), s.a.listing.uid, s.b.listing.uid))


def _compared(day: Sequence[_Seen]) -> set[tuple[int, int]]:
    """The pairs (i < j) of one day's entries worth comparing: one title, or titles sharing a rare word; at one
    start, also one location line, lines sharing a rare word, or coordinates close by."""
    pairs: set[tuple[int, int]] = set()
    _join_alike(pairs, [seen.title for seen in day], range(len(day)))
    starts: dict[datetime, list[int]] = defaultdict(list)
    for i, seen in enumerate(day):
        starts[seen.start].append(i)
    for members in starts.values():
        if len(members) < 2:
            continue
        placed = [i for i in members if day[i].place]
        _join_alike(pairs, [day[i].place for i in placed], placed)
        listings = [day[i].entry.listing for i in members]
        pairs.update(_ordered(members[x], members[y]) for x, y in neighbouring([(item.lat, item.lon)
                                                                                 for item in listings]))
    return pairs


def _join_alike(pairs: set[tuple[int, int]], texts: Sequence[str], indexes: Sequence[int]) -> None:
    """Add to `pairs` the indexes (in `indexes`, one per text) holding one text, or texts that share a rare word."""
    holders: dict[str, list[int]] = defaultdict(list)
    for text, i in zip(texts, indexes, strict=True):
        holders[text].append(i)
    distinct = sorted(holders)
    for same in holders.values():
        pairs.update(_ordered(a, b) for x, a in enumerate(same) for b in same[x + 1:])
    for x, y in sharing_rare_words(distinct):
        pairs.update(_ordered(a, b) for a in holders[distinct[x]] for b in holders[distinct[y]])


def _ordered(i: int, j: int) -> tuple[int, int]:
    return (i, j) if i < j else (j, i)


@dataclass(frozen=True, slots=True)
class _Seen:
    """An entry with what the comparison reads, worked out once."""

    entry: Entry
    start: datetime
    end: datetime
    title: str          # folded, little words dropped
    place: str          # folded location line
    feeds: frozenset[int]
    uids: frozenset[str]


LITTLE_WORDS = frozenset("a an and at for in of on our the to with".split())


def _title_words(title: str, names: Sequence[str] = ()) -> str:
    """'Film night in the Park!' -> 'film night park': shared little words make unrelated titles look alike.
    Compared on their normal form (`identity.title_key`: hashtags, emoji, '&' and a leading group name go)."""
    words = title_key(title, names).split()
    return " ".join(w for w in words if w not in LITTLE_WORDS) or " ".join(words)


def _cached(cache: dict[str, str], text: str, how: Callable[[str], str]) -> str:
    found = cache.get(text)
    if found is None:
        found = cache[text] = how(text)
    return found


def _local_day(item: Listing, zone: ZoneInfo) -> date:
    if item.all_day and item.start_date:
        return item.start_date
    return item.start.astimezone(zone).date()


def _decided(uids_a: frozenset[str], uids_b: frozenset[str], partners: Mapping[str, set[str]]) -> bool:
    """Whether an organiser decided about any occurrence of one with any of the other (either may be merged)."""
    return any(not partners[uid].isdisjoint(uids_b) for uid in uids_a if uid in partners)


def _title_likeness(a: str, b: str) -> float:
    """1.0 for the same title or one inside the other ('walk' is too short: five letters or more), else the
    share of letters in common, or 0.0 when it is below `SUSPECT_TITLE_SIMILARITY` or the numbers differ."""
    if a == b:
        return 1.0
    if sorted(_NUMBER.findall(a)) != sorted(_NUMBER.findall(b)):
        return 0.0  # "Local action 17", "Local action 18": two events, however alike
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 5 and f" {short} " in f" {long} ":
        return 1.0
    return likeness(a, b, SUSPECT_TITLE_SIMILARITY)


def _reason(a: _Seen, b: _Seen, alike: float) -> str:
    """Why `a` and `b` (overlapping in time) may be one event, in words; "" when they look like two."""
    same_start = a.start == b.start
    if not alike and not same_start:
        return ""
    place, where = _compare_places(a, b)
    if place == "far" or (not alike and place != "same"):
        return ""
    when = "same start" if same_start else "times overlap"
    if a.title == b.title:
        titles = "same title"
    elif alike == 1.0:
        titles = "one title contains the other"
    else:  # below the bar the cheap bounds gave up early: the real figure, for the few pairs that get here
        alike = alike or Indel.normalized_similarity(a.title, b.title)
        titles = f"titles {round(alike * 100)}% alike"
    return f"{when}, {titles}, {where}"


def _compare_places(one: _Seen, other: _Seen) -> tuple[str, str]:
    """("same" | "near" | "far" | "unknown", in words): how sure it is that the two are at one place."""
    la, lb = one.place, other.place
    if la and lb and (la == lb or la in lb or lb in la or similar(la, lb, PLACE_SIMILARITY)):
        return "same", "same place"
    a, b = one.entry.listing, other.entry.listing
    km = None
    if a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None:
        km = km_between(a.lat, a.lon, b.lat, b.lon)
    if km is not None and a.place_precision == b.place_precision == "exact":
        if km <= SAME_PLACE_KM:
            return "same", "same place"
        if km <= NEAR_KM:
            return "near", f"places {km:.1f} km apart"
        return "far", f"places {km:.0f} km apart"
    if km is not None and km > FAR_KM:
        return "far", f"places {km:.0f} km apart"
    if not la and not lb:
        return "unknown", "no place given"
    if not la or not lb:
        return "unknown", "a place given by one only"
    return "unknown", "places named differently"


# ---------------------------------------------------------------- listings with their occurrences

def entries_of(listings: Sequence[Listing], rows: Sequence[Any], feeds: Mapping[int, tuple[str, str]],
               decisions: Decisions) -> list[Entry]:
    """Each of `listings` with its stored occurrences, found by merging `rows` (`store.occurrence_rows`) as the
    catalogue does; `feeds` maps a feed id to (its URL, its group's name).  Listings without rows are left out."""
    published = {item.uid: item for item in listings}
    found: list[Entry] = []
    candidates = [candidate(i, row, (feeds.get(row.feed_id, ("", ""))[1],)) for i, row in enumerate(rows)]
    for members in clusters(candidates, decisions):
        item = next((published[rows[i].uid] for i in members if rows[i].uid in published), None)
        if item is None:
            continue  # hidden, or outside the listings asked about
        sources = {Source(rows[i].uid, rows[i].feed_id, *feeds.get(rows[i].feed_id, ("", "")), title=rows[i].title)
                   for i in members}
        ordered = sorted(sources, key=lambda s: (s.uid != item.uid, s.group, s.feed_url, s.uid))
        found.append(Entry(listing=item, sources=tuple(ordered)))
    return sorted(found, key=lambda e: (e.listing.start, e.listing.uid))


# ---------------------------------------------------------------- decisions

def decide(uid_a: str, uid_b: str, decision: str, *, session: Session, actor: str, title_a: str = "",
           title_b: str = "") -> None:
    """Record that the events published as `uid_a` and `uid_b` are one ("merge") or two ("apart").

    A new decision on a pair replaces the old one.  Raises InputError for an unknown decision or a pair that
    is not two UIDs.  Commits.
    """
    uid_a, uid_b = uid_a.strip()[:100], uid_b.strip()[:100]
    if decision not in DECISIONS:
        raise InputError(f"Unknown decision {decision!r}: merge or apart.", field="decision")
    if not uid_a or not uid_b or uid_a == uid_b:
        raise InputError("A decision is about two different events.", field="uid_b")
    if (uid_a, uid_b) != pair(uid_a, uid_b):
        uid_a, uid_b, title_a, title_b = uid_b, uid_a, title_b, title_a
    found = store.decision_on(uid_a, uid_b, session=session)
    if found is not None and found.decision == decision:
        return
    store.save_decision(uid_a, uid_b, decision, actor=actor, at=clock.now(), title_a=title_a, title_b=title_b,
                        session=session)
    accounts.record(session=session, actor=actor, action=f"duplicates.{decision}", target=f"{uid_a} {uid_b}",
                    detail={"titles": [title_a[:200], title_b[:200]]})
    store.bump_version(session=session)
    store.commit_unless_taken(session)  # another organiser deciding the same pair at the same moment: theirs stands


def undo(uid_a: str, uid_b: str, *, session: Session, actor: str) -> bool:
    """Forget the decision on the pair, so the hub judges it by itself again; returns whether there was one."""
    uid_a, uid_b = pair(uid_a.strip()[:100], uid_b.strip()[:100])
    found = store.decision_on(uid_a, uid_b, session=session)
    if found is None:
        return False
    accounts.record(session=session, actor=actor, action="duplicates.undo", target=f"{uid_a} {uid_b}",
                    detail={"decision": found.decision, "titles": [found.title_a[:200], found.title_b[:200]]})
    store.delete_decision(found, session=session)
    store.bump_version(session=session)
    session.commit()
    return True


def decision_rows(*, session: Session) -> list[MergeDecision]:
    """Every decision, newest first."""
    return store.decision_rows(session=session)


def feed_names(*, session: Session) -> dict[int, tuple[str, str]]:
    """Each feed's id -> (its URL, its group's name)."""
    return store.feed_names(session=session)


def review(listings: Sequence[Listing], *, session: Session, zone: ZoneInfo, now: datetime | None = None) -> Review:
    """The duplicates page's content for `listings` (upcoming ones, or a week's): reads decisions and occurrences."""
    made = decision_rows(session=session)
    decided = store.merge_decisions(session=session)
    since = min((item.end for item in listings), default=now or clock.now())
    rows = store.occurrence_rows(session=session, since=since)
    entries = entries_of(listings, rows, feed_names(session=session), decided)
    return Review(suspects=suspected(entries, zone=zone, decisions=decided),
                  merged=[entry for entry in entries if len(entry.sources) > 1], decisions=made)
