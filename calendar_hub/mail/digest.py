"""What is due for whom: the weekly digest of coming events that match, and the alert before a followed week.

    confirmed followers x catalogue -> matches (new since the last digest) -> outbox (one row per follower and week)

A digest is due once the week's digest moment (`digest_weekday` at `digest_hour`, the hub's zone) has passed
and none was built since; it lists the events of the next `AHEAD_DAYS` that match and were never sent to the
follower, and nothing goes when nothing new matches.  A week's alert goes `alert_days` before it starts.  Every
message is keyed (`digest:<id>:<day>`, `alert:<id>:<week>`), so building twice queues once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from calendar_hub import store
from calendar_hub.catalogue import Catalogue, Near, WeekInfo
from calendar_hub.catalogue.listing import Listing
from calendar_hub.mail import compose, links
from calendar_hub.places import km_between
from calendar_hub.settings import Settings
from calendar_hub.store import Follower, NewMessage, Session

__all__ = ["AHEAD_DAYS", "MOST", "BuildReport", "Index", "build_due", "digest_moment", "matches"]

AHEAD_DAYS = 28
MOST = 30          # events listed in one message; the rest are a link away
BATCH = 200        # followers per transaction
CELL = 0.5         # degrees: the grid the coming events are bucketed in, so a place looks at its cells only


@dataclass(slots=True)
class BuildReport:
    digests: int = 0
    alerts: int = 0
    nothing_new: int = 0


def digest_moment(now: datetime, settings: Settings) -> datetime:
    """The latest digest moment at or before `now` (aware UTC)."""
    local = now.astimezone(settings.zone)
    day = local.date() - timedelta(days=(local.weekday() - settings.digest_weekday) % 7)
    moment = datetime.combine(day, time(settings.digest_hour), tzinfo=settings.zone)
    if moment > local:
        moment -= timedelta(days=7)
    return moment


class Index:
    """The coming events of a catalogue bucketed by place, by group and by week, built once per run."""

    def __init__(self, catalogue: Catalogue, *, now: datetime) -> None:
        until = now + timedelta(days=AHEAD_DAYS)
        self.coming = [item for item in catalogue.find(after=now) if item.start < until and not item.cancelled]
        self.uids = frozenset(item.uid for item in self.coming)
        self.cells: dict[tuple[int, int], list[Listing]] = defaultdict(list)
        self.by_group: dict[str, list[Listing]] = defaultdict(list)
        self.by_week: dict[str, list[Listing]] = defaultdict(list)
        for item in self.coming:
            if item.lat is not None and item.lon is not None:
                self.cells[(int(item.lat // CELL), int(item.lon // CELL))].append(item)
            for group in item.groups:
                self.by_group[group.slug].append(item)
            for week in item.weeks:
                self.by_week[week].append(item)

    def near(self, lat: float, lon: float, km: float) -> list[Listing]:
        """Coming events within `km` of the point, in time order."""
        test = Near(lat, lon, km)
        rows, cols = int(km / 111 / CELL) + 1, int(km / 55 / CELL) + 1
        row, col = int(lat // CELL), int(lon // CELL)
        found = [item for r in range(row - rows, row + rows + 1) for c in range(col - cols, col + cols + 1)
                 for item in self.cells.get((r, c), ()) if test.holds(item)]
        return sorted(found, key=lambda item: (item.start, item.uid))


def matches(follower: Follower, index: Index) -> list[Listing]:
    """The coming events a follower follows (every filter it set), in time order."""
    items: Iterable[Listing]
    if follower.lat is not None and follower.lon is not None:
        items = index.near(follower.lat, follower.lon, follower.km or 10.0)
    elif follower.week_slug:
        items = index.by_week.get(follower.week_slug, [])
    elif follower.group_slug:
        items = index.by_group.get(follower.group_slug, [])
    else:
        items = index.coming
    if follower.group_slug and items is not index.by_group.get(follower.group_slug):
        items = [item for item in items if any(g.slug == follower.group_slug for g in item.groups)]
    if follower.week_slug and items is not index.by_week.get(follower.week_slug):
        items = [item for item in items if follower.week_slug in item.weeks]
    return list(items)


def build_due(catalogue: Catalogue, settings: Settings, *, now: datetime, session: Session) -> BuildReport:
    """Queue every digest and week alert due at `now` (commits every `BATCH` followers, with their messages)."""
    run = _Run(catalogue, settings, now)
    after = 0
    # Read a batch at a time: a commit expires what the session holds, and reading it again row by row is slow.
    while batch := store.confirmed_followers(session=session, after=after, limit=BATCH):
        messages = [message for follower in batch for message in run.due(follower)]
        session.add_all(batch)
        store.queue_messages(messages, session=session)
        after = batch[-1].id or after
        session.commit()   # a follower's messages and its digest_at are committed together
    return run.report


class _Run:
    """One build: the catalogue's coming events indexed, and what is shared across followers."""

    def __init__(self, catalogue: Catalogue, settings: Settings, now: datetime) -> None:
        self.settings, self.now, self.report = settings, now, BuildReport()
        self.index = Index(catalogue, now=now)
        self.fragments = compose.Fragments(settings)
        self.moment = digest_moment(now, settings)
        self.today = now.astimezone(settings.zone).date()
        self.soon = [week for week in catalogue.weeks
                     if self.today < week.start <= self.today + timedelta(days=settings.alert_days)]
        self.names = _Names(catalogue, self.index)
        self.shared: dict[tuple[str, str], list[Listing]] = {}   # followers of a group or week (no place) share one

    def due(self, follower: Follower) -> list[NewMessage]:
        """The messages due to `follower` now (and what it was sent recorded on it)."""
        assert follower.confirmed_at is not None
        settings, now, report, fragments = self.settings, self.now, self.report, self.fragments
        if follower.lat is None or follower.lon is None:
            spec = (follower.group_slug, follower.week_slug)
            found = self.shared.get(spec) or self.shared.setdefault(spec, matches(follower, self.index))
        else:
            found = matches(follower, self.index)
        messages = []
        week = next((w for w in self.soon if w.slug == follower.week_slug and w.slug not in follower.alerted), None)
        if week is not None:
            messages.append(_message(settings, follower, "alert", f"alert:{follower.id}:{week.slug}", now, self.names,
                                     week=week, events=_entries(fragments, follower, _in_week(found, week)),
                                     days=(week.start - self.today).days))
            follower.alerted = [*follower.alerted, week.slug]
            report.alerts += 1
        if (follower.digest_at or follower.confirmed_at) < self.moment:
            sent = set(follower.mailed)
            new = [item for item in found if item.uid not in sent]
            if new:
                messages.append(_message(settings, follower, "digest",
                                         f"digest:{follower.id}:{self.moment.date().isoformat()}", now, self.names,
                                         events=_entries(fragments, follower, new[:MOST]),
                                         more=max(len(new) - MOST, 0)))
                report.digests += 1
            else:
                report.nothing_new += 1
            kept = {uid for uid in sent if uid in self.index.uids}
            follower.mailed = sorted(kept | {item.uid for item in new[:MOST]})
            follower.digest_at = now
        return messages


class _Names:
    """What a follower's group and week are called (their slugs when the catalogue no longer has them)."""

    def __init__(self, catalogue: Catalogue, index: Index) -> None:
        self.groups = {group.slug: group.name for group in catalogue.groups}
        for slug, items in index.by_group.items():
            if slug not in self.groups:
                self.groups[slug] = next(g.name for g in items[0].groups if g.slug == slug)
        self.weeks = {week.slug: week.name for week in catalogue.weeks}

    def of(self, follower: Follower) -> dict[str, str]:
        return {"group_name": self.groups.get(follower.group_slug, follower.group_slug),
                "week_name": self.weeks.get(follower.week_slug, follower.week_slug)}


def _message(settings: Settings, follower: Follower, kind: str, key: str, now: datetime, names: _Names,
             **context: object) -> NewMessage:
    code = follower.language
    manage = links.manage_url(settings, follower.token, code)
    unsubscribe = links.unsubscribe_url(settings, follower.token, code)
    composed = compose.render(settings, kind, code, follower=follower, manage_url=manage, unsubscribe_url=unsubscribe,
                              base_url=settings.base_url.rstrip("/"), **names.of(follower), **context)
    message_id, body = compose.message(settings, to=follower.email, composed=composed, now=now,
                                       unsubscribe=unsubscribe, manage=manage)
    return NewMessage(key=key, follower_id=follower.id, kind=kind, recipient=follower.email, message_id=message_id,
                      body=body, created_at=now)


def _entries(fragments: compose.Fragments, follower: Follower, found: Sequence[Listing]) -> list[compose.Entry]:
    """The listed events as the templates take them, each with its distance from the follower's place."""
    return [fragments.entry(item, _km(follower, item), follower.language) for item in found]


def _in_week(found: Sequence[Listing], week: WeekInfo) -> list[Listing]:
    return [item for item in found if week.slug in item.weeks][:MOST]


def _km(follower: Follower, item: Listing) -> float | None:
    if follower.lat is None or follower.lon is None or item.lat is None or item.lon is None:
        return None
    return km_between(follower.lat, follower.lon, item.lat, item.lon)
