"""Merging duplicates: one event that several groups publish is shown once, crediting each.

Two occurrences from different feeds are the same event when they carry the same source UID
and start, or when they start at the same instant with near-identical titles at the same
place.  Clusters are found with union-find, so a chain of three co-hosts merges into one.
Organisers' decisions (`Decisions`, by published UID) come first: a "merge" pair is joined
whatever it looks like, and an "apart" pair never ends up in one cluster.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from typing import Any

from calendar_hub.identity import fold as fold
from calendar_hub.places.data import km_between
from calendar_hub.store.decisions import NO_DECISIONS as NO_DECISIONS
from calendar_hub.store.decisions import Decisions as Decisions
from calendar_hub.store.decisions import pair as pair

TITLE_SIMILARITY = 0.85
PLACE_SIMILARITY = 0.6
SAME_PLACE_KM = 0.3

# How strong the evidence for joining two occurrences is: stronger edges are tried first when an
# "apart" decision means that the order of joining matters.
BY_ORGANISER, BY_SOURCE_UID, BY_TITLE_AND_PLACE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Candidate:
    """What merging looks at in one stored occurrence."""

    key: int                   # the caller's index for it
    feed_id: int
    source_uid: str
    start: datetime
    title: str
    location: str
    lat: float | None
    lon: float | None
    uid: str = ""              # its published UID: what organisers' decisions name


def candidate(index: int, row: Any) -> Candidate:
    """The candidate for a stored occurrence (a row of `store.occurrence_rows`), keyed by `index`."""
    return Candidate(key=index, feed_id=row.feed_id, source_uid=row.source_uid, start=row.start_at,
                     title=row.title, location=row.location, lat=row.lat, lon=row.lon, uid=row.uid)


def similar(a: str, b: str, threshold: float) -> bool:
    """Whether two folded strings are near-identical."""
    return a == b or likeness(a, b, threshold) >= threshold > 0


def likeness(a: str, b: str, threshold: float) -> float:
    """The share of letters two folded strings have in common (difflib's ratio, 1.0 when equal), or 0.0 as soon
    as cheap bounds show that it is below `threshold`."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    # Cheap rejections first: very different lengths, or few words in common, cannot be near-identical.
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < threshold:
        return 0.0
    words_a, words_b = set(a.split()), set(b.split())
    if len(words_a & words_b) * 2 < min(len(words_a), len(words_b)):
        return 0.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # The cheap upper bounds first: most pairs fail them without the full comparison.
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= threshold else 0.0


def same_place(a: Candidate, b: Candidate) -> bool:
    """Same venue: coordinates within 300 m, or similar location text (both blank counts as the same)."""
    if a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None:
        return km_between(a.lat, a.lon, b.lat, b.lon) <= SAME_PLACE_KM
    la, lb = fold(a.location), fold(b.location)
    if la == lb or (la and lb and (la in lb or lb in la)):
        return True
    return similar(la, lb, PLACE_SIMILARITY)


def clusters(candidates: Sequence[Candidate], decisions: Decisions = NO_DECISIONS) -> list[list[int]]:
    """Groups of candidate keys that are one event; every candidate is in exactly one group.

    The result does not depend on the order of `candidates` (groups and members are sorted).
    Work stays near-linear: titles are compared once per distinct folded title at a start time,
    and places only for the members of similar-title groups.  With "apart" decisions, joins that
    would put an apart pair in one group are refused, trying the strongest evidence first in an
    order taken from the candidates' contents, so the answer stays independent of input order.
    """
    edges = _edges(candidates, decisions)
    partition = _Partition(candidates, decisions.apart)
    if decisions.apart and edges:
        joined = {k for _strength, a, b in edges for k in (a, b)}
        rank = {c.key: i for i, c in enumerate(sorted((c for c in candidates if c.key in joined), key=_content))}
        edges.sort(key=lambda e: (e[0], *sorted((rank[e[1]], rank[e[2]]))))
    for _strength, a, b in edges:
        partition.union(a, b)
    members: dict[int, list[int]] = defaultdict(list)
    for c in candidates:
        members[partition.find(c.key)].append(c.key)
    return sorted(sorted(m) for m in members.values())


def _edges(candidates: Sequence[Candidate], decisions: Decisions) -> list[tuple[int, int, int]]:
    """Every reason to join two candidates, as (strength, key, key); the set does not depend on input order."""
    edges: list[tuple[int, int, int]] = []
    if decisions.merge:
        by_published: dict[str, list[Candidate]] = defaultdict(list)
        for c in candidates:
            if c.uid:
                by_published[c.uid].append(c)
        for a, b in sorted(decisions.merge):
            edges.extend(_star(BY_ORGANISER, by_published.get(a, []) + by_published.get(b, [])))
    by_uid: dict[tuple[str, datetime], list[Candidate]] = defaultdict(list)
    by_start: dict[datetime, dict[str, list[Candidate]]] = defaultdict(lambda: defaultdict(list))
    folded: dict[str, str] = {}
    for c in candidates:
        by_uid[(c.source_uid, c.start)].append(c)
        title = folded.get(c.title)
        if title is None:
            title = folded[c.title] = fold(c.title)
        by_start[c.start][title].append(c)
    for same in by_uid.values():
        if len(same) > 1:
            first, *others = sorted(same, key=_content)
            edges.extend((BY_SOURCE_UID, first.key, other.key) for other in others if other.feed_id != first.feed_id)
    for titles in by_start.values():
        if sum(len(members) for members in titles.values()) < 2:
            continue
        names = sorted(titles)
        for i, a in enumerate(names):
            for b in names[i:]:
                if a is b or similar(a, b, TITLE_SIMILARITY):
                    edges.extend(_same_places(titles[a], titles[b], same_group=a is b))
    return edges


def _content(c: Candidate) -> tuple[Any, ...]:
    """A sort key from what a candidate is, not where it stands in the input (nor its row id, which a refresh may
    change): (published UID, feed) names one stored occurrence."""
    return (c.uid, c.feed_id, c.source_uid, c.start, c.title, c.location, c.key)


def _star(strength: int, members: Sequence[Candidate]) -> Iterable[tuple[int, int, int]]:
    """Edges joining all of `members`: from the first of them by content to each other."""
    ordered = sorted(members, key=_content)
    return ((strength, ordered[0].key, other.key) for other in ordered[1:])


def _same_places(left: list[Candidate], right: list[Candidate], *, same_group: bool) -> Iterable[tuple[int, int, int]]:
    """The pairs from different feeds, one from each list, that are at the same place."""
    for i, a in enumerate(left):
        for b in (left[i + 1:] if same_group else right):
            if a.feed_id != b.feed_id and same_place(a, b):
                yield BY_TITLE_AND_PLACE, a.key, b.key


class _Partition:
    """Union-find over candidate keys with cannot-link pairs: a union that would put both UIDs of an
    "apart" pair in one set is refused.  Only the members named in such pairs are tracked per set."""

    def __init__(self, candidates: Sequence[Candidate], apart: frozenset[tuple[str, str]]) -> None:
        self.parent = {c.key: c.key for c in candidates}
        self.partners = Decisions(apart=apart).partners()
        self.named: dict[int, set[str]] = {c.key: {c.uid} for c in candidates if c.uid in self.partners}

    def find(self, k: int) -> int:
        parent = self.parent
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        named_a, named_b = self.named.get(ra), self.named.get(rb)
        if named_a and named_b:
            small, large = (named_a, named_b) if len(named_a) <= len(named_b) else (named_b, named_a)
            if any(not self.partners[uid].isdisjoint(large) for uid in small):
                return  # an organiser said these are two events
        keep, drop = min(ra, rb), max(ra, rb)
        self.parent[drop] = keep
        if named_a or named_b:
            self.named[keep] = (named_a or set()) | (named_b or set())
            self.named.pop(drop, None)
