"""Updating the catalogue for the feeds whose events changed, instead of building it again from every event.

Merging (`merge.clusters`) only ever joins occurrences that share a published UID, a source UID and start, a start
instant (alike titles at one place) or an organiser's decision, and it answers each connected component of that
"shares a key" relation by itself, in an order taken from the candidates' contents.  So when feeds F change, only
the occurrences reachable from F's old and new ones through shared keys and through the clusters they were in can
cluster differently: those are clustered again (with the same function), their listings made again, and every
other listing is kept as it was, the same object.  The answer is the one a full build gives
(tests/test_catalogue_update.py checks it over random sequences of feed changes).

`Basis` is what a catalogue was built from, kept for the next version: it is handed on from catalogue to catalogue
and changed in place (only the process's one updater touches it; readers never do).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from calendar_hub.catalogue.listing import Listing
from calendar_hub.catalogue.merge import Decisions, candidate, clusters

__all__ = ["Basis", "Make"]

Make = Callable[[Sequence[Any]], Listing | None]   # a cluster's stored rows -> its listing, None when not shown
Members = tuple[int, ...]


class Basis:
    """The stored rows a catalogue was built from, indexed by the keys merging joins on, with its clusters.

    `since` is the start of the window the rows were read for: updates read the changed feeds' rows for the same
    window (the hub builds whole now and then, so the window moves on).
    """

    def __init__(self, rows: Iterable[Any], made: Iterable[tuple[Members, Listing | None]], *, make: Make,
                 names: Mapping[int | None, tuple[str, ...]], decided: Decisions, since: datetime,
                 built: float) -> None:
        self.make, self.names, self.decided, self.since, self.built = make, names, decided, since, built
        self.partners = decided.partners()
        self.rows: dict[int, Any] = {}
        self.by_feed: dict[int, set[int]] = defaultdict(set)
        self.by_key: dict[Hashable, set[int]] = defaultdict(set)
        for row in rows:
            self._add(row)
        self.cluster_of: dict[int, Members] = {}
        self.listing_of: dict[Members, Listing | None] = {}
        for members, item in made:
            self.listing_of[members] = item
            for i in members:
                self.cluster_of[i] = members

    def _keys(self, row: Any) -> list[Hashable]:
        keys: list[Hashable] = [("start", row.start_at), ("uid", row.uid), ("source", row.source_uid, row.start_at)]
        keys.extend(("uid", other) for other in self.partners.get(row.uid, ()))
        return keys

    def _add(self, row: Any) -> None:
        self.rows[row.id] = row
        self.by_feed[row.feed_id].add(row.id)
        for key in self._keys(row)[:3]:
            self.by_key[key].add(row.id)

    def _remove(self, row: Any) -> None:
        del self.rows[row.id]
        self.by_feed[row.feed_id].discard(row.id)
        for key in self._keys(row)[:3]:
            held = self.by_key[key]
            held.discard(row.id)
            if not held:
                del self.by_key[key]

    def update(self, feeds: Collection[int], fresh: Sequence[Any]) -> tuple[list[Listing], list[Listing]]:
        """Replace the rows of `feeds` by `fresh` (their rows as stored now); returns the listings to take out of
        the catalogue and those to put in (a listing that comes out the same is neither)."""
        old = [self.rows[i] for f in feeds for i in self.by_feed.get(f, ())]
        for row in old:
            self._remove(row)
        for row in fresh:
            self._add(row)
        affected, dirty = self._reach([*old, *fresh])
        fresh_ids = {row.id for row in fresh}
        before = {members: self.listing_of.pop(members) for members in dirty}
        for members in dirty:
            for i in members:
                if self.cluster_of.get(i) == members:
                    del self.cluster_of[i]
        rows = self.rows
        found = clusters([candidate(i, rows[i], self.names.get(rows[i].group_id, ())) for i in sorted(affected)],
                         self.decided)
        removed: list[Listing] = []
        added: list[Listing] = []
        for listed in found:
            members = tuple(listed)
            if members in before and fresh_ids.isdisjoint(members):
                item = before.pop(members)   # the same rows as before: the same listing
            else:
                item = self.make([rows[i] for i in members])
                earlier = before.pop(members, None)
                if earlier is not None and earlier == item:
                    item = earlier
                else:
                    if earlier is not None:
                        removed.append(earlier)
                    if item is not None:
                        added.append(item)
            self.listing_of[members] = item
            for i in members:
                self.cluster_of[i] = members
        removed.extend(item for item in before.values() if item is not None)
        return removed, added

    def _reach(self, seeds: Sequence[Any]) -> tuple[set[int], set[Members]]:
        """The rows stored now that may cluster differently after the seeds changed, and the old clusters they
        were in: everything reachable from the seeds through shared keys and through old clusters."""
        affected: set[int] = set()
        dirty: set[Members] = set()
        seen: set[Hashable] = set()
        work = list(seeds)
        while work:
            row = work.pop()
            for key in self._keys(row):
                if key in seen:
                    continue
                seen.add(key)
                for i in self.by_key.get(key, ()):
                    if i not in affected:
                        affected.add(i)
                        work.append(self.rows[i])
            members = self.cluster_of.get(row.id)
            if members is not None and members not in dirty:
                dirty.add(members)
                for i in members:
                    if i in self.rows and i not in affected:
                        affected.add(i)
                        work.append(self.rows[i])
        return affected, dirty
