"""The work waiting in the console, counted for its navigation and its dashboard.

`waiting` runs the store's few COUNT queries (`store.waiting_work`) in the worker thread that reads who is
signed in, before the handler; suspected duplicates need the catalogue, so they are counted once per
catalogue (data version) by the dashboard and the duplicates page, and the navigation shows that count.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from calendar_hub import clock, store
from calendar_hub.catalogue import Catalogue
from calendar_hub.catalogue.hub import Hub
from calendar_hub.console import duplicates

__all__ = ["Waiting", "counted_suspects", "remember_suspects", "suspects_of", "waiting"]

_SUSPECTS: WeakKeyDictionary[Catalogue, int] = WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class Waiting:
    """Counts of the work waiting; None where the account does not see that kind (or it is not counted yet)."""

    join_requests: int | None
    submissions: int | None
    failing_feeds: int
    duplicates: int | None

    @property
    def total(self) -> int:
        return sum(n or 0 for n in (self.join_requests, self.submissions, self.failing_feeds, self.duplicates))


def waiting(hub: Hub, *, staff: bool, group_id: int | None) -> Waiting:
    """The counts for an account (blocking: run it in a worker thread)."""
    with store.Session(hub.engine) as session:
        work = store.waiting_work(session=session, staff=staff, group_id=group_id)
    catalogue = hub.fresh()
    return Waiting(work.join_requests, work.submissions, work.failing_feeds,
                   _SUSPECTS.get(catalogue) if staff and catalogue is not None else None)


def remember_suspects(catalogue: Catalogue, count: int) -> None:
    """Keep the number of suspected pairs among `catalogue`'s upcoming listings, for the navigation."""
    _SUSPECTS[catalogue] = count


def counted_suspects(catalogue: Catalogue) -> int | None:
    return _SUSPECTS.get(catalogue)


def suspects_of(catalogue: Catalogue, session: store.Session) -> list[duplicates.Suspect]:
    """The suspected pairs among the upcoming listings (blocking), remembered as a count for the navigation."""
    found = duplicates.review(catalogue.find(after=clock.now()), session=session, zone=catalogue.zone).suspects
    remember_suspects(catalogue, len(found))
    return found
