"""Merging duplicates: one event that several groups publish is shown once, crediting each.

Two occurrences from different feeds are the same event when they carry the same source UID
and start, or when they start at the same instant with near-identical titles at the same
place.  Clusters are found with union-find, so a chain of three co-hosts merges into one.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher

from calendar_hub.places.data import km_between

TITLE_SIMILARITY = 0.85
PLACE_SIMILARITY = 0.6
SAME_PLACE_KM = 0.3


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


def fold(text: str) -> str:
    """Lower case, accents and punctuation dropped, spaces collapsed.

    'Welcome Walk – Sefton Park' -> 'welcome walk sefton park'
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def similar(a: str, b: str, threshold: float) -> bool:
    """Whether two folded strings are near-identical."""
    if a == b:
        return True
    if not a or not b:
        return False
    # Cheap rejections first: very different lengths, or few words in common, cannot be near-identical.
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < threshold:
        return False
    words_a, words_b = set(a.split()), set(b.split())
    if len(words_a & words_b) * 2 < min(len(words_a), len(words_b)):
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # The cheap upper bounds first: most pairs fail them without the full comparison.
    return (matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold
            and matcher.ratio() >= threshold)


def same_place(a: Candidate, b: Candidate) -> bool:
    """Same venue: coordinates within 300 m, or similar location text (both blank counts as the same)."""
    if a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None:
        return km_between(a.lat, a.lon, b.lat, b.lon) <= SAME_PLACE_KM
    la, lb = fold(a.location), fold(b.location)
    if la == lb or (la and lb and (la in lb or lb in la)):
        return True
    return similar(la, lb, PLACE_SIMILARITY)


def clusters(candidates: Sequence[Candidate]) -> list[list[int]]:
    """Groups of candidate keys that are one event; every candidate is in exactly one group.

    The result does not depend on the order of `candidates` (groups and members are sorted).
    Work stays near-linear: titles are compared once per distinct folded title at a start time,
    and places only for the members of similar-title groups.
    """
    parent = {c.key: c.key for c in candidates}

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

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
        for other in same[1:]:
            if other.feed_id != same[0].feed_id:
                union(same[0].key, other.key)
    for titles in by_start.values():
        if sum(len(members) for members in titles.values()) < 2:
            continue
        names = sorted(titles)
        for i, a in enumerate(names):
            for b in names[i:]:
                if a is b or similar(a, b, TITLE_SIMILARITY):
                    _join_same_places(titles[a], titles[b], same_group=a is b, union=union)
    members: dict[int, list[int]] = defaultdict(list)
    for c in candidates:
        members[find(c.key)].append(c.key)
    return sorted(sorted(m) for m in members.values())


def _join_same_places(left: list[Candidate], right: list[Candidate], *, same_group: bool,
                      union: Callable[[int, int], None]) -> None:
    """Union the pairs from different feeds, one from each list, that are at the same place."""
    for i, a in enumerate(left):
        for b in (left[i + 1:] if same_group else right):
            if a.feed_id != b.feed_id and same_place(a, b):
                union(a.key, b.key)
