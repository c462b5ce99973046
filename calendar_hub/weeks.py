"""Week-of-action membership: which events belong to which national week.

An event belongs to a week when it overlaps the week's days (in the hub's zone) and one of
the week's tags matches one of its categories or a #hashtag in its title or description
(case-insensitive, a leading # ignored).  A week without tags takes every event in its days;
a week that lists groups takes only those groups' events.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HASHTAG = re.compile(r"#(\w+)", re.UNICODE)


@dataclass(frozen=True, slots=True)
class WeekRule:
    """A week reduced to what matching needs: its span as UTC instants and its normalised selectors."""

    slug: str
    starts: datetime           # local midnight of the first day, aware
    ends: datetime             # local midnight after the last day, aware
    tags: frozenset[str]
    groups: frozenset[str]

    @classmethod
    def of(cls, slug: str, first: date, last: date, tags: Iterable[str], groups: Iterable[str],
           zone: ZoneInfo) -> WeekRule:
        """Build the rule for a week whose days run from `first` to `last` inclusive."""
        return cls(slug=slug, starts=local_midnight(first, zone), ends=local_midnight(last + timedelta(days=1), zone),
                   tags=frozenset(normalise_tag(t) for t in tags if normalise_tag(t)),
                   groups=frozenset(groups))


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a day begins in `zone`."""
    return datetime.combine(day, time(0), tzinfo=zone)


def normalise_tag(tag: str) -> str:
    """'#CT4R ' -> 'ct4r'."""
    return tag.strip().lstrip("#").strip().casefold()


def selectors(title: str, description: str, categories: Sequence[str]) -> frozenset[str]:
    """The tags an event carries: its categories and the hashtags in its title and description."""
    found = {normalise_tag(c) for c in categories}
    found.update(m.casefold() for m in HASHTAG.findall(title))
    found.update(m.casefold() for m in HASHTAG.findall(description))
    found.discard("")
    return frozenset(found)


def overlaps(start: datetime, end: datetime, rule: WeekRule) -> bool:
    """Whether [start, end) touches the week; an instant event counts when it falls inside."""
    if end <= start:
        return rule.starts <= start < rule.ends
    return start < rule.ends and end > rule.starts


def weeks_of(start: datetime, end: datetime, tags: frozenset[str], group_slugs: Iterable[str],
             rules: Sequence[WeekRule]) -> tuple[str, ...]:
    """The slugs of the weeks an event belongs to, in the order of `rules`."""
    slugs = set(group_slugs)
    return tuple(
        rule.slug for rule in rules
        if overlaps(start, end, rule)
        and (not rule.tags or not rule.tags.isdisjoint(tags))
        and (not rule.groups or not rule.groups.isdisjoint(slugs))
    )
