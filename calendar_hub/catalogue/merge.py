"""Merging duplicates: one event that several groups publish is shown once, crediting each.

Two occurrences from different feeds are the same event when they are copies of one calendar entry
(one published UID, or one source UID and start), or when they start at the same instant with alike
titles at the same place.  Titles are compared on their normal form (`identity.title_key`, a leading
group name ignored) with rapidfuzz; titles whose numbers differ ("Session 1", "Session 2") are two events.

Clusters are found with union-find, so a chain of three co-hosts merges into one, under cannot-link
rules: two occurrences of one feed are two events (that feed said so, by giving them two UIDs or two
RECURRENCE-IDs), and a join that would put them in one cluster, directly or through a chain of other
feeds' events, is refused.  Joins are tried strongest evidence first, in an order taken from the
candidates' contents, so the answer does not depend on the order of the input.

Organisers' decisions (`Decisions`, by published UID) come first: a "merge" pair is joined whatever it
looks like (even two events of one feed), and an "apart" pair never ends up in one cluster.

Only candidates starting at one instant are compared (blocking by start), and among those only titles
that share a word few of them hold (blocking by rare words: `COMMON_WORD`), so thousands of alike
titles at one start cost near-linear time.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz.distance import Indel

from calendar_hub.identity import fold as fold
from calendar_hub.identity import title_key
from calendar_hub.places.data import km_between
from calendar_hub.store.decisions import NO_DECISIONS as NO_DECISIONS
from calendar_hub.store.decisions import Decisions as Decisions
from calendar_hub.store.decisions import pair as pair

TITLE_SIMILARITY = 0.85
PLACE_SIMILARITY = 0.6
SAME_PLACE_KM = 0.3
# A word that more than this many distinct titles (or location lines) at one start share is no evidence that
# two of them are one event ("local", "action" among 10,000 "Local action N"): pairs are only compared when they
# share a rarer word.  Below this many titles at one start every pair that shares a word is compared.
COMMON_WORD = 32
# Above this many pairs of occurrences under two alike titles at one start, places are compared through
# blocking too (the same location line, a shared rare word of it, or coordinates in neighbouring cells).
PAIRWISE_PLACES = 4096

# How strong the evidence for joining two occurrences is: stronger edges are tried first.
BY_ORGANISER, BY_PUBLISHED_UID, BY_SOURCE_UID, BY_SAME_TITLE, BY_ALIKE_TITLE = 0, 1, 2, 3, 4
# Edges of these strengths join whatever the feeds: an organiser said so, or they are copies of one entry
# (published under one UID, so they must be one listing).
FORCED = frozenset({BY_ORGANISER, BY_PUBLISHED_UID})

_NUMBER = re.compile(r"\d+")
_CELL_DEGREES = 0.01  # cells of 1.1 km north-south, 0.55-0.7 km east-west in the UK: neighbours hold every 300 m


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
    names: tuple[str, ...] = ()  # its group's names: a title that starts with one is compared without it


def candidate(index: int, row: Any, names: tuple[str, ...] = ()) -> Candidate:
    """The candidate for a stored occurrence (a row of `store.occurrence_rows`), keyed by `index`; `names` are
    its group's names (name, slug)."""
    return Candidate(key=index, feed_id=row.feed_id, source_uid=row.source_uid, start=row.start_at,
                     title=row.title, location=row.location, lat=row.lat, lon=row.lon, uid=row.uid, names=names)


def similar(a: str, b: str, threshold: float) -> bool:
    """Whether two folded strings are near-identical."""
    return a == b or likeness(a, b, threshold) >= threshold > 0


def likeness(a: str, b: str, threshold: float) -> float:
    """The share of letters two folded strings have in common (rapidfuzz's normalised Indel similarity, as
    difflib's ratio; 1.0 when equal), or 0.0 when it is below `threshold` or the strings share fewer than half
    the words of the shorter one."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < threshold:
        return 0.0
    words_a, words_b = set(a.split()), set(b.split())
    if len(words_a & words_b) * 2 < min(len(words_a), len(words_b)):
        return 0.0
    return Indel.normalized_similarity(a, b, score_cutoff=threshold)


def alike_titles(a: str, b: str, threshold: float = TITLE_SIMILARITY) -> float:
    """`likeness` of two title keys, 0.0 when the numbers in them differ ("local action 17", "local action 18")."""
    if a == b:
        return 1.0
    if sorted(_NUMBER.findall(a)) != sorted(_NUMBER.findall(b)):
        return 0.0
    return likeness(a, b, threshold)


def sharing_rare_words(texts: Sequence[str], common: int = COMMON_WORD) -> Iterator[tuple[int, int]]:
    """Each pair (i < j) of `texts` (distinct strings) that shares a word at most `common` of them hold, once.

    Pairs that share only common words are left out; with `common` at least len(texts), every pair sharing a
    word is given.  Work is linear in the number of texts times the pairs per rare word (at most `common`).
    """
    holders: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(texts):
        for word in set(text.split()):
            holders[word].append(i)
    seen: set[tuple[int, int]] = set()
    for word in sorted(holders):
        held = holders[word]
        if len(held) < 2 or len(held) > common:
            continue
        for x, i in enumerate(held):
            for j in held[x + 1:]:
                if (i, j) not in seen:
                    seen.add((i, j))
                    yield i, j


def neighbouring(points: Sequence[tuple[float | None, float | None]]) -> Iterator[tuple[int, int]]:
    """Each pair (i < j) of `points` (lat, lon; None when unplaced) in one cell or neighbouring cells of at least
    550 m: every pair within `SAME_PLACE_KM` is among them."""
    cells: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, (lat, lon) in enumerate(points):
        if lat is not None and lon is not None:
            cells[(int(lat // _CELL_DEGREES), int(lon // _CELL_DEGREES))].append(i)
    for (y, x), here in cells.items():
        for dy, dx in ((0, 0), (0, 1), (1, -1), (1, 0), (1, 1)):
            there = here if (dy, dx) == (0, 0) else cells.get((y + dy, x + dx), [])
            for n, i in enumerate(here):
                for j in (here[n + 1:] if there is here else there):
                    yield (i, j) if i < j else (j, i)


def same_place(a: Candidate, b: Candidate) -> bool:
    """Same venue: coordinates within 300 m, or similar location text (both blank counts as the same)."""
    if a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None:
        return km_between(a.lat, a.lon, b.lat, b.lon) <= SAME_PLACE_KM
    return same_place_text(fold(a.location), fold(b.location))


def same_place_text(la: str, lb: str) -> bool:
    """Whether two folded location lines name one place: equal, one inside the other, or similar."""
    if la == lb or (la and lb and (la in lb or lb in la)):
        return True
    return similar(la, lb, PLACE_SIMILARITY)


def clusters(candidates: Sequence[Candidate], decisions: Decisions = NO_DECISIONS) -> list[list[int]]:
    """Groups of candidate keys that are one event; every candidate is in exactly one group.

    No group holds two candidates of one feed unless an organiser's "merge" decision joined them; none holds
    both of an "apart" pair.  The result does not depend on the order of `candidates` (groups and members
    are sorted, and joins are tried in an order taken from the candidates' contents).
    """
    edges = _edges(candidates, decisions)
    partition = _Partition(candidates, decisions.apart)
    if edges:
        joined = {k for _strength, a, b in edges for k in (a, b)}
        rank = {c.key: i for i, c in enumerate(sorted((c for c in candidates if c.key in joined), key=_content))}
        edges.sort(key=lambda e: (e[0], *sorted((rank[e[1]], rank[e[2]]))))
    for strength, a, b in edges:
        partition.union(a, b, forced=strength in FORCED)
    members: dict[int, list[int]] = defaultdict(list)
    for c in candidates:
        members[partition.find(c.key)].append(c.key)
    return sorted(sorted(m) for m in members.values())


def _edges(candidates: Sequence[Candidate], decisions: Decisions) -> list[tuple[int, int, int]]:
    """Every reason to join two candidates, as (strength, key, key); the set does not depend on input order."""
    edges: list[tuple[int, int, int]] = []
    by_published: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        if c.uid:
            by_published[c.uid].append(c)
    for a, b in sorted(decisions.merge):
        edges.extend(_star(BY_ORGANISER, by_published.get(a, []) + by_published.get(b, [])))
    # Copies of one calendar entry in several feeds: one published UID (one source UID and RECURRENCE-ID),
    # or one source UID at one start.
    for copies in by_published.values():
        if len({c.feed_id for c in copies}) > 1:
            edges.extend(_star(BY_PUBLISHED_UID, copies))
    by_uid: dict[tuple[str, datetime], list[Candidate]] = defaultdict(list)
    by_start: dict[datetime, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_uid[(c.source_uid, c.start)].append(c)
        by_start[c.start].append(c)
    for same in by_uid.values():
        if len({c.feed_id for c in same}) > 1:
            edges.extend(_star(BY_SOURCE_UID, same))
    keys: dict[tuple[str, tuple[str, ...]], str] = {}
    for starting in by_start.values():
        if len(starting) > 1:
            edges.extend(_title_edges(starting, keys))
    return edges


def _title_edges(starting: Sequence[Candidate], keys: dict[tuple[str, tuple[str, ...]], str],
                 ) -> Iterator[tuple[int, int, int]]:
    """Edges between candidates of different feeds starting at one instant with alike titles at one place."""
    by_key: dict[str, list[Candidate]] = defaultdict(list)
    for c in starting:
        key = keys.get((c.title, c.names))
        if key is None:
            key = keys[(c.title, c.names)] = title_key(c.title, c.names)
        by_key[key].append(c)
    for members in by_key.values():
        if len({c.feed_id for c in members}) > 1:
            yield from _same_places(BY_SAME_TITLE, members, members)
    titles = sorted(by_key)
    for i, j in sharing_rare_words(titles):
        if alike_titles(titles[i], titles[j]):
            yield from _same_places(BY_ALIKE_TITLE, by_key[titles[i]], by_key[titles[j]])


def _content(c: Candidate) -> tuple[Any, ...]:
    """A sort key from what a candidate is, not where it stands in the input (nor its row id, which a refresh may
    change): (published UID, feed) names one stored occurrence."""
    return (c.uid, c.feed_id, c.source_uid, c.start, c.title, c.location, c.key)


def _star(strength: int, members: Sequence[Candidate]) -> Iterable[tuple[int, int, int]]:
    """Edges joining all of `members`: from the first of them by content to each other."""
    ordered = sorted(members, key=_content)
    return ((strength, ordered[0].key, other.key) for other in ordered[1:])


def _same_places(strength: int, left: Sequence[Candidate], right: Sequence[Candidate],
                 ) -> Iterator[tuple[int, int, int]]:
    """The pairs of candidates of different feeds, one from each list (or two of one list), at the same place."""
    pairs: Iterable[tuple[Candidate, Candidate]]
    if len(left) * len(right) <= PAIRWISE_PLACES:
        pairs = ((a, b) for i, a in enumerate(left) for b in (left[i + 1:] if left is right else right))
    else:
        pairs = _near_pairs(left if left is right else [*left, *right])
    for a, b in pairs:
        if a.feed_id != b.feed_id and same_place(a, b):
            yield strength, a.key, b.key


def _near_pairs(members: Sequence[Candidate]) -> Iterator[tuple[Candidate, Candidate]]:
    """Pairs of `members` that may be at one place, found by blocking: coordinates in neighbouring cells, else the
    same folded location line or one sharing a rare word of it."""
    lines: dict[str, list[Candidate]] = defaultdict(list)
    for c in members:
        lines[fold(c.location)].append(c)
    for i, j in neighbouring([(c.lat, c.lon) for c in members]):
        yield members[i], members[j]
    for same in lines.values():
        unplaced = [c for c in same if c.lat is None or c.lon is None]
        yield from _one_of_each_feed(unplaced)
        if unplaced:  # placed ones are compared with each other by coordinates, and by this line with the others
            lead = min(unplaced, key=_content)
            yield from ((lead, c) for c in same if c.lat is not None and c.lon is not None)
    texts = sorted(lines)
    for i, j in sharing_rare_words(texts):
        yield from ((a, b) for a in lines[texts[i]] for b in lines[texts[j]])


def _one_of_each_feed(same: Sequence[Candidate]) -> Iterator[tuple[Candidate, Candidate]]:
    """Pairs enough to join, among candidates all at one place, the n-th of each feed (by content) with the n-th of
    every other: linear however many share the place, where every pair would be quadratic."""
    by_feed: dict[int, list[Candidate]] = defaultdict(list)
    for c in sorted(same, key=_content):
        by_feed[c.feed_id].append(c)
    ranks: dict[int, list[Candidate]] = defaultdict(list)
    for listed in by_feed.values():
        for n, c in enumerate(listed):
            ranks[n].append(c)
    for ranked in ranks.values():
        ranked.sort(key=_content)
        yield from ((ranked[0], other) for other in ranked[1:])


class _Partition:
    """Union-find over candidate keys with cannot-link rules: a union that would put two candidates of one feed in
    one set, or both UIDs of an "apart" pair, is refused (`forced` unions are refused only for "apart")."""

    def __init__(self, candidates: Sequence[Candidate], apart: frozenset[tuple[str, str]]) -> None:
        self.parent = {c.key: c.key for c in candidates}
        self.feeds: dict[int, set[int]] = {c.key: {c.feed_id} for c in candidates}
        self.partners = Decisions(apart=apart).partners()
        self.named: dict[int, set[str]] = {c.key: {c.uid} for c in candidates if c.uid in self.partners}

    def find(self, k: int) -> int:
        parent = self.parent
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def union(self, a: int, b: int, *, forced: bool = False) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        feeds_a, feeds_b = self.feeds[ra], self.feeds[rb]
        if not forced and not feeds_a.isdisjoint(feeds_b):
            return  # one feed lists both: two events
        named_a, named_b = self.named.get(ra), self.named.get(rb)
        if named_a and named_b:
            small, large = (named_a, named_b) if len(named_a) <= len(named_b) else (named_b, named_a)
            if any(not self.partners[uid].isdisjoint(large) for uid in small):
                return  # an organiser said these are two events
        keep, drop = min(ra, rb), max(ra, rb)
        self.parent[drop] = keep
        small_feeds, large_feeds = sorted((feeds_a, feeds_b), key=len)
        large_feeds |= small_feeds
        self.feeds[keep] = large_feeds
        del self.feeds[drop]
        if named_a or named_b:
            self.named[keep] = (named_a or set()) | (named_b or set())
            self.named.pop(drop, None)
