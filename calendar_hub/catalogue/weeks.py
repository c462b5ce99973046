"""Week-of-action membership: which events belong to which national week.

An event belongs to a week when it overlaps the week's days (in the hub's zone) and one of
the week's tags matches one of its categories or a #hashtag in its title or description
(case-insensitive, a leading # ignored).  A week without tags takes every event in its days;
a week that lists groups takes only those groups' events.  Organisers may also include or
exclude single events by hand (by published UID), which overrides the rule either way.
`explain` says in words why an event is in a week or not, for the planning preview.
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
    included: frozenset[str] = frozenset()   # published UIDs taken in by hand, whatever the rule says
    excluded: frozenset[str] = frozenset()   # published UIDs kept out by hand

    @classmethod
    def of(cls, slug: str, first: date, last: date, tags: Iterable[str], groups: Iterable[str],
           zone: ZoneInfo, *, included: Iterable[str] = (), excluded: Iterable[str] = ()) -> WeekRule:
        """Build the rule for a week whose days run from `first` to `last` inclusive."""
        return cls(slug=slug, starts=local_midnight(first, zone), ends=local_midnight(last + timedelta(days=1), zone),
                   tags=frozenset(normalise_tag(t) for t in tags if normalise_tag(t)),
                   groups=frozenset(groups), included=frozenset(included), excluded=frozenset(excluded))

    def matches(self, start: datetime, end: datetime, tags: frozenset[str], group_slugs: Iterable[str]) -> bool:
        """Whether the rule itself (days, tags, groups) takes the event, before any choice made by hand."""
        return (overlaps(start, end, self)
                and (not self.tags or not self.tags.isdisjoint(tags))
                and (not self.groups or not self.groups.isdisjoint(group_slugs)))


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
             rules: Sequence[WeekRule], *, uid: str = "") -> tuple[str, ...]:
    """The slugs of the weeks an event belongs to, in the order of `rules`; `uid` is its published UID."""
    slugs = set(group_slugs)
    return tuple(
        rule.slug for rule in rules
        if uid not in rule.excluded and (uid in rule.included or rule.matches(start, end, tags, slugs))
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether an event is in a week, and why, in words for organisers."""

    member: bool
    reasons: tuple[str, ...]
    by_hand: str = ""          # "included" or "excluded" when an organiser decided it


def explain(rule: WeekRule, *, uid: str, start: datetime, end: datetime, title: str, description: str,
            categories: Sequence[str], group_slugs: Iterable[str]) -> Verdict:
    """Why the event is in the week or not: its days, the tag that matched (and where), its groups, a choice by hand."""
    slugs = set(group_slugs)
    reasons: list[str] = []
    in_days = overlaps(start, end, rule)
    reasons.append("in the week's days" if in_days else "outside the week's days")
    if rule.tags:
        found = _tag_sources(rule.tags, title, description, categories)
        reasons.append("; ".join(found) if found else "carries none of the week's tags")
    else:
        reasons.append("the week takes every event in its days (no tags set)")
    if rule.groups:
        taking_part = sorted(slugs & rule.groups)
        reasons.append(f"by {', '.join(taking_part)}, taking part" if taking_part
                       else "not by a group taking part")
    rule_says = rule.matches(start, end, selectors(title, description, categories), slugs)
    if uid in rule.excluded:
        return Verdict(False, ("left out by hand", *reasons), by_hand="excluded")
    if uid in rule.included:
        return Verdict(True, ("taken in by hand", *reasons), by_hand="included")
    return Verdict(rule_says, tuple(reasons))


def _tag_sources(tags: frozenset[str], title: str, description: str, categories: Sequence[str]) -> list[str]:
    """Where each of the week's tags appears: "category CT4R", "#ct4r in the title", "#ct4r in the description"."""
    found: list[str] = []
    for category in categories:
        if normalise_tag(category) in tags:
            found.append(f"category {category.strip()}")
    for where, text in (("title", title), ("description", description)):
        for tag in dict.fromkeys(m.casefold() for m in HASHTAG.findall(text)):
            if tag in tags:
                found.append(f"#{tag} in the {where}")
    return found
