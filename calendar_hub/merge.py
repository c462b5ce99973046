"""Merging duplicates: one event that several groups publish is shown once, crediting each.

Two occurrences from different feeds are the same event when they carry the same source UID
and start, or when they start at the same instant with near-identical titles at the same
place.  Clusters are found with union-find, so a chain of three co-hosts merges into one.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher

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
    return SequenceMatcher(None, a, b).ratio() >= threshold


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 12742.0 * math.asin(math.sqrt(min(1.0, h)))


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
    by_start: dict[datetime, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_uid[(c.source_uid, c.start)].append(c)
        by_start[c.start].append(c)
    for same in by_uid.values():
        for other in same[1:]:
            if other.feed_id != same[0].feed_id:
                union(same[0].key, other.key)
    for group in by_start.values():
        if len(group) < 2:
            continue
        titles = {c.key: fold(c.title) for c in group}
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if a.feed_id != b.feed_id and similar(titles[a.key], titles[b.key], TITLE_SIMILARITY) \
                        and same_place(a, b):
                    union(a.key, b.key)
    members: dict[int, list[int]] = defaultdict(list)
    for c in candidates:
        members[find(c.key)].append(c.key)
    return sorted(sorted(m) for m in members.values())
