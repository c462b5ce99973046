"""Choosing among many groups: by region, sorted by name, a whole region at once; short names made from names.

Pure functions over groups: the week planner's "Groups taking part" and the add-a-group form use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from calendar_hub.registry import slug_for
from calendar_hub.store.models import Group

__all__ = ["NO_REGION", "Region", "by_region", "suggested_slug", "with_regions"]

NO_REGION = "No region"  # the heading for groups whose region is not known, listed last


@dataclass(frozen=True, slots=True)
class Region:
    """One region's heading and its groups, by name."""

    name: str
    groups: tuple[Group, ...]


def by_region(groups: Iterable[Group]) -> list[Region]:
    """`groups` under their regions: regions by name (groups without one last), each region's groups by name."""
    found: dict[str, list[Group]] = {}
    for group in groups:
        found.setdefault(group.region.strip(), []).append(group)
    names = sorted((name for name in found if name), key=str.casefold) + ([""] if "" in found else [])
    return [Region(name or NO_REGION, tuple(sorted(found[name], key=lambda g: (g.name.casefold(), g.slug))))
            for name in names]


def with_regions(chosen: Sequence[str], regions: Iterable[str], groups: Iterable[Group]) -> list[str]:
    """The slugs `chosen` one by one, then every group's in the `regions` chosen whole (each slug once)."""
    wanted = {name.strip() for name in regions}
    slugs = list(dict.fromkeys(chosen))
    for region in by_region(groups):
        if region.name in wanted:
            slugs += [g.slug for g in region.groups if g.slug not in slugs]
    return slugs


def suggested_slug(slug: str, name: str) -> str:
    """`slug` as typed, or when it was left empty one made from `name` (see `registry.slug_for`)."""
    return slug.strip() or (slug_for(name) if name.strip() else "")
