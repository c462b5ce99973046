"""Coverage of a week of action, for organisers: where and when there is action, where there is none, who to nudge.

Plain functions over the catalogue's listings and groups (no web, no SQL): counts by nation, by
region (all twelve UK ITL1 regions, in the ONS order, zeros included) and by day of the week in the
hub's zone; the regions, and the towns the participating groups call home, with no action; the
participating groups with no event yet; and the week's listings as CSV and JSON exports.

What counts is the hub's one definition (`catalogue.counts`), which the public week page uses too:
cancelled events are not counted anywhere but in `Coverage.cancelled` (a called-off action covers no
place and no day, and a group whose only event was cancelled is still one to nudge); online events
are counted apart, under "Online", not as a region.  The exports keep every listing, with its status
and how it is counted, since they list what was published.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from calendar_hub.catalogue import Catalogue, GroupInfo, WeekInfo
from calendar_hub.catalogue.counts import ONLINE, Tally, credited, kind, tally
from calendar_hub.catalogue.listing import Listing
from calendar_hub.publish import api

NATIONS = ("England", "Scotland", "Wales", "Northern Ireland")
# ITL1 regions in the ONS order (north to south in England, then the other nations).
REGIONS = (
    "North East", "North West", "Yorkshire and The Humber", "East Midlands", "West Midlands", "East of England",
    "London", "South East", "South West", "Wales", "Scotland", "Northern Ireland",
)
UNPLACED = "Online or not placed"
ONLINE_ROW = "Online"          # the by-region chart's row for online events, after the regions
NO_REGION = "Region not given"  # ...and for local actions the hub could not place
CSV_COLUMNS = ("date", "start", "end", "title", "town", "region", "nation", "location", "groups", "url", "status",
               "counted_as")
# OWASP "CSV Injection": a spreadsheet reads a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Town:
    """A town some participating group calls home, and its region."""

    name: str
    region: str


@dataclass(frozen=True, slots=True)
class Coverage:
    """A week's coverage: `actions` are its listings that were not cancelled, in time order.

    The count tuples are (label, number) in display order; `days` has every day of the week.  `tally` is the
    hub's count of local actions, online events and regions (`catalogue.counts.tally`).
    """

    week: WeekInfo
    actions: tuple[Listing, ...]
    cancelled: int
    nations: tuple[tuple[str, int], ...]
    regions: tuple[tuple[str, int], ...]
    days: tuple[tuple[date, int], ...]
    quiet_regions: tuple[str, ...]
    quiet_towns: tuple[Town, ...]
    quiet_groups: tuple[GroupInfo, ...]
    towns: int
    groups: int
    tally: Tally = Tally()

    @property
    def regions_with_action(self) -> int:
        """The named regions with a local action: online events and unplaced ones are in none."""
        return self.tally.regions


def week_coverage(catalogue: Catalogue, week: WeekInfo) -> Coverage:
    """The coverage of `week` from the catalogue's listings and groups, days in the catalogue's zone."""
    listings = catalogue.find(week=week.slug)
    actions = [item for item in listings if not item.cancelled]
    participants = participating(week, catalogue.groups)
    regions = by_region(item for item in actions if kind(item) != ONLINE)
    regions = [(NO_REGION if name == UNPLACED else name, count) for name, count in regions]
    online_count = sum(1 for item in actions if kind(item) == ONLINE)
    if online_count:
        regions.append((ONLINE_ROW, online_count))
    return Coverage(
        week=week, actions=tuple(actions), cancelled=len(listings) - len(actions),
        nations=tuple(by_nation(actions)), regions=tuple(regions),
        days=tuple(by_day(actions, week.start, week.end, catalogue.zone)),
        quiet_regions=tuple(name for name, count in regions if not count and name in REGIONS),
        quiet_towns=tuple(quiet_towns(actions, participants)), quiet_groups=tuple(quiet_groups(actions, participants)),
        towns=len({item.town.casefold() for item in actions if item.town}),
        groups=len(credited(actions)),
        tally=tally(listings),
    )


def participating(week: WeekInfo, groups: Iterable[GroupInfo]) -> list[GroupInfo]:
    """The groups taking part in `week`: those it names, or every group when it names none."""
    if not week.groups:
        return list(groups)
    named = set(week.groups)
    return [group for group in groups if group.slug in named]


def by_nation(listings: Iterable[Listing]) -> list[tuple[str, int]]:
    """[(nation, count)] for the four nations in a fixed order, then any other, then the unplaced when there are any."""
    return _fixed_order(Counter(item.nation for item in listings), NATIONS)


def by_region(listings: Iterable[Listing]) -> list[tuple[str, int]]:
    """[(region, count)] for the twelve ITL1 regions in order, zeros included.

    A region the registry names that is not an ITL1 name follows them, then the unplaced, rather than being dropped.
    """
    return _fixed_order(Counter(item.region for item in listings), REGIONS)


def _fixed_order(counts: Counter[str], names: Sequence[str]) -> list[tuple[str, int]]:
    folded = {name.casefold(): name for name in names}
    merged: Counter[str] = Counter()
    for name, count in counts.items():
        merged[folded.get(name.casefold(), name) if name else UNPLACED] += count
    rows = [(name, merged.pop(name, 0)) for name in names]
    unplaced = merged.pop(UNPLACED, 0)
    rows.extend(sorted(merged.items()))
    if unplaced:
        rows.append((UNPLACED, unplaced))
    return rows


def by_day(listings: Iterable[Listing], start: date, end: date, zone: ZoneInfo) -> list[tuple[date, int]]:
    """[(day, count)] for every day from `start` to `end` inclusive; an event counts on each day it runs."""
    counts: Counter[date] = Counter()
    for item in listings:
        first, last = days_of(item, zone)
        day = max(first, start)
        while day <= min(last, end):
            counts[day] += 1
            day += timedelta(days=1)
    return [(start + timedelta(days=n), counts[start + timedelta(days=n)]) for n in range((end - start).days + 1)]


def days_of(listing: Listing, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last day (inclusive) a listing runs on, in `zone`.

    All-day events run from their start date to the day before their end date (RFC 5545 3.6.1: DTEND is
    exclusive); a timed event that ends at midnight does not run on the day it ends.
    """
    if listing.all_day:
        first, after = api.days(listing)
        return first, after - timedelta(days=1)
    first = listing.start.astimezone(zone).date()
    end = listing.end.astimezone(zone)
    if listing.end <= listing.start:
        return first, first
    last = end.date() - timedelta(days=1) if end.time() == time.min else end.date()
    return first, max(first, last)


def quiet_towns(actions: Iterable[Listing], groups: Iterable[GroupInfo]) -> list[Town]:
    """The towns the groups call home (by `GroupInfo.place`) where none of `actions` happens, by region then name."""
    active = {item.town.casefold() for item in actions if item.town}
    found: dict[str, Town] = {}
    for group in groups:
        if group.place is None or not group.place.town or group.place.town.casefold() in active:
            continue
        found.setdefault(group.place.town.casefold(), Town(group.place.town, group.home_region))
    order = {name: n for n, name in enumerate(REGIONS)}
    return sorted(found.values(), key=lambda town: (order.get(town.region, len(order)), town.region, town.name))


def quiet_groups(actions: Iterable[Listing], groups: Iterable[GroupInfo]) -> list[GroupInfo]:
    """The groups credited on none of `actions`, by name."""
    credited = {group.slug for item in actions for group in item.groups}
    return sorted((group for group in groups if group.slug not in credited), key=lambda g: (g.name.casefold(), g.slug))


def safe_cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run: one starting like a formula gets a leading single quote (OWASP)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_row(listing: Listing, zone: ZoneInfo) -> list[str]:
    """One listing as the CSV export's cells (see `CSV_COLUMNS`), local times, before `safe_cell`."""
    if listing.all_day:
        first, last = days_of(listing, zone)
        day, start, end = first.isoformat(), "all day", last.isoformat() if last > first else ""
    else:
        begins, ends = listing.start.astimezone(zone), listing.end.astimezone(zone)
        day, start = begins.date().isoformat(), f"{begins:%H:%M}"
        end = f"{ends:%H:%M}" if ends.date() == begins.date() else f"{ends:%Y-%m-%d %H:%M}"
    groups = "; ".join(group.name for group in listing.groups)
    return [day, start, end, listing.title, listing.town, listing.region, listing.nation, listing.location, groups,
            listing.url, listing.status, kind(listing)]


def csv_export(listings: Iterable[Listing], zone: ZoneInfo) -> bytes:
    """The listings as CSV (RFC 4180, a header row, CRLF), UTF-8 with a BOM so Excel reads the accents right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in api.in_order(listings):
        writer.writerow([safe_cell(cell) for cell in csv_row(item, zone)])
    return out.getvalue().encode("utf-8-sig")


def json_export(week: WeekInfo, listings: Sequence[Listing], *, base_url: str) -> bytes:
    """{"week": {...}, "events": [the public listing shape], "count": n} as UTF-8 JSON."""
    return api.dumps({
        "week": {"slug": week.slug, "name": week.name, "start": week.start.isoformat(), "end": week.end.isoformat(),
                 "tags": list(week.tags), "groups": list(week.groups), "description": week.description},
        "events": [api.listing_to_dict(item, base_url=base_url) for item in api.in_order(listings)],
        "count": len(listings),
    })
