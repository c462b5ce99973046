"""The registry in the database: groups, feeds and weeks upserted from the TOML files, and read back as a registry.

Functions take a keyword-only `session` (a SQLModel Session); `apply_registry` commits.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from calendar_hub import clock
from calendar_hub.registry import FeedSpec, GroupSpec, Registry, WeekSpec
from calendar_hub.states import Origin
from calendar_hub.store.models import Feed, Group, Week
from calendar_hub.store.site import save_site, stored_site
from calendar_hub.store.version import bump_version


@dataclass(slots=True)
class RegistryChanges:
    """What loading a registry changed (all zero when it was loaded before unchanged)."""

    added: int = 0
    updated: int = 0
    deactivated: int = 0
    # The same changes by what changed: ("added", "group"), ("updated", "feed"), ("deactivated", "week")...
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    kept: list[str] = field(default_factory=list)  # "group x", "week y": changed in the console, left as they are
    # Active groups the registry no longer names: deactivated when told to prune, else listed here and left active.
    unnamed: list[str] = field(default_factory=list)
    pruned: bool = False
    site: bool = False   # the hub's identity ([hub]) changed

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deactivated or self.site)

    def note(self, change: str, kind: str) -> None:
        """Count one change ("added", "updated" or "deactivated") of a "group", "feed" or "week"."""
        setattr(self, change, getattr(self, change) + 1)
        self.counts[change, kind] += 1


def _assign(row: Any, values: dict[str, Any]) -> bool:
    """Set attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def apply_registry(registry: Registry, *, session: Session, now: datetime | None = None,
                   overwrite_console: bool = False, prune: bool = False) -> RegistryChanges:
    """Upsert the registry's groups, feeds and weeks; feeds a named group no longer lists are deactivated.

    A group of the files' that the registry no longer names (a file left out, a slug renamed) is listed in
    `unnamed` and deactivated (never deleted) only with `prune`: a registry missing one file would otherwise
    take a dozen groups off the hub unasked.

    A group or week made or changed in the console (origin "console") is the console's: it is left as it
    is and listed in `kept`, unless `overwrite_console`, which hands it back to the files.  A feed keeps the
    origin it was made with ("web" for one that came through /join or the console, whatever the files say).
    The registry's identity (`[hub]`, the defaults without one) replaces the stored one.
    Idempotent: applying the same registry twice changes nothing and does not move the version.
    Commits.
    """
    now = now or clock.now()
    changes = RegistryChanges()
    groups = {g.slug: g for g in session.exec(select(Group)).all()}
    named: set[str] = set()
    for spec in registry.groups:
        named.add(spec.slug)
        values: dict[str, Any] = {"name": spec.name, "website": spec.website, "home": spec.home, "region": spec.region,
                  "lat": spec.lat, "lon": spec.lon, "contact": spec.contact, "services": list(spec.services),
                  "description": spec.description, "areas": list(spec.areas), "active": True,
                  "origin": Origin.REGISTRY}
        group = groups.get(spec.slug)
        if group is not None and group.origin == Origin.CONSOLE and not overwrite_console:
            changes.kept.append(f"group {spec.slug}")
            continue
        if group is None:
            group = Group(slug=spec.slug, created_at=now, updated_at=now, **values)
            session.add(group)
            session.flush()
            groups[spec.slug] = group
            changes.note("added", "group")
        elif _assign(group, values):
            group.updated_at = now
            changes.note("updated", "group")
        assert group.id is not None
        feeds = {f.url: f for f in session.exec(select(Feed).where(Feed.group_id == group.id)).all()}
        # A feed whose server moved it for good (three permanent redirects) is still the one the registry names
        # by its old address, until the registry is brought up to date.
        moved = {f.moved_from: f for f in feeds.values() if f.moved_from and f.moved_from not in feeds}
        listed = set()
        for feed_spec in spec.feeds:
            feed = feeds.get(feed_spec.url) or moved.get(feed_spec.url)
            listed.add(feed.url if feed is not None else feed_spec.url)
            # A feed's origin is set once, when it is made: loading never turns a web feed (whose address
            # someone outside chose) into the registry's, which would take its SSRF guard away; nor is a
            # web feed ever private.
            if feed is None:
                session.add(Feed(group_id=group.id, url=feed_spec.url, kind=feed_spec.kind, origin=feed_spec.origin,
                                 private=feed_spec.private, next_attempt_at=now, created_at=now))
                changes.note("added", "feed")
            elif _assign(feed, {"kind": feed_spec.kind, "active": True,
                                "private": feed_spec.private and feed.origin == Origin.REGISTRY}):
                feed.next_attempt_at = now
                changes.note("updated", "feed")
        for url, feed in feeds.items():
            if url not in listed and feed.origin == Origin.REGISTRY and feed.active:
                feed.active = False
                changes.note("deactivated", "feed")
    changes.pruned = prune
    for slug, group in sorted(groups.items()):
        if slug not in named and group.active and group.origin == Origin.REGISTRY:
            changes.unnamed.append(slug)
            if prune:
                group.active = False
                group.updated_at = now
                changes.note("deactivated", "group")

    weeks = {w.slug: w for w in session.exec(select(Week)).all()}
    for week_spec in registry.weeks:
        week_values: dict[str, Any] = {"name": week_spec.name, "start_date": week_spec.start, "end_date": week_spec.end,
                  "tags": list(week_spec.tags), "description": week_spec.description,
                  "groups": list(week_spec.groups), "featured": list(week_spec.featured),
                  "included": list(week_spec.include), "excluded": list(week_spec.exclude), "active": True,
                  "origin": Origin.REGISTRY}
        week = weeks.get(week_spec.slug)
        if week is not None and week.origin == Origin.CONSOLE and not overwrite_console:
            changes.kept.append(f"week {week_spec.slug}")
            continue
        if week is None:
            session.add(Week(slug=week_spec.slug, created_at=now, updated_at=now, **week_values))
            changes.note("added", "week")
        elif _assign(week, week_values):
            week.updated_at = now
            changes.note("updated", "week")
    changes.site = save_site(registry.site, session=session)
    if changes.changed:
        bump_version(session=session)
    session.commit()
    return changes


def current_registry(*, session: Session) -> Registry:
    """Everything the hub now holds as a registry: active groups with their fetched feeds, every week, the identity.

    Feeds paused or made from /submit are left out; a week naming a group that is not active drops that name.
    """
    feeds: dict[int, list[FeedSpec]] = {}
    for feed in session.exec(select(Feed).where(col(Feed.active), col(Feed.origin).in_([Origin.REGISTRY, Origin.WEB]))
                             .order_by(col(Feed.id))).all():
        feeds.setdefault(feed.group_id, []).append(FeedSpec(url=feed.url, kind=feed.kind, private=feed.private,
                                                            origin=Origin(feed.origin)))
    groups = [GroupSpec(slug=g.slug, name=g.name, website=g.website, home=g.home, region=g.region, lat=g.lat,
                        lon=g.lon, contact=g.contact, feeds=tuple(feeds.get(g.id or 0, ())),
                        services=tuple(g.services), description=g.description, areas=tuple(g.areas))
              for g in session.exec(select(Group).where(col(Group.active)).order_by(Group.slug)).all()]
    active = {g.slug for g in groups}
    weeks = [WeekSpec(slug=w.slug, name=w.name, start=w.start_date, end=w.end_date, tags=tuple(w.tags),
                      description=w.description, groups=tuple(s for s in w.groups if s in active),
                      featured=tuple(w.featured), include=tuple(w.included), exclude=tuple(w.excluded))
             for w in session.exec(select(Week).where(col(Week.active))
                                   .order_by(col(Week.start_date), col(Week.slug))).all()]
    return Registry(groups=tuple(groups), weeks=tuple(weeks), site=stored_site(session=session))

