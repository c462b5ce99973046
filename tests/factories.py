"""Deterministic test data: `make_listing(**overrides) -> Listing`, parse contexts, UTC instants, fixed catalogues."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from calendar_hub.catalogue import Catalogue, WeekInfo
from calendar_hub.catalogue.hub import Hub
from calendar_hub.catalogue.listing import GroupRef, Listing
from calendar_hub.occurrence import ParseContext
from calendar_hub.settings import Settings

LONDON = ZoneInfo("Europe/London")
HOSTILE = '<script>alert("feed")</script><img src=x onerror=alert(2)>'


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware UTC datetime for a wall-clock time in Europe/London."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def parse_context(url: str) -> ParseContext:
    """The context the parser tests read with: London, a window from June 2026 to June 2027."""
    return ParseContext(url=url, zone=LONDON, window_start=utc(2026, 6, 1), window_end=utc(2027, 6, 1))


def make_group(slug: str = "riverside-greens", name: str = "Riverside Greens", **overrides: Any) -> GroupRef:
    """A credited group."""
    return GroupRef(slug=slug, name=name, **{"website": f"https://{slug}.example.org/", **overrides})


def make_listing(**overrides: Any) -> Listing:
    """A listing with fixed defaults (a Saturday morning in June, in London); keywords replace fields.

    For `all_day=True` with `start_date` (and optionally `end_date`, exclusive) and no `start`/`end`,
    the UTC `start`/`end` are derived from London midnights, as the normaliser does.
    """
    if overrides.get("all_day"):
        start_date: date = overrides.setdefault("start_date", date(2026, 6, 13))
        end_date: date = overrides.setdefault("end_date", start_date + timedelta(days=1))
        overrides.setdefault("start", datetime.combine(start_date, time(), LONDON).astimezone(UTC))
        overrides.setdefault("end", datetime.combine(end_date, time(), LONDON).astimezone(UTC))
    values: dict[str, Any] = {
        "uid": "riverside-greens-litter-pick-20260613@hub.example.org",
        "sequence": 0,
        "title": "Litter pick on the towpath",
        "start": london(2026, 6, 13, 10, 0),
        "end": london(2026, 6, 13, 12, 0),
        "all_day": False,
        "start_date": None,
        "end_date": None,
        "status": "CONFIRMED",
        "description_html": "<p>Bring gloves. Tea afterwards.</p>",
        "description_text": "Bring gloves. Tea afterwards.",
        "location": "Canal Basin, Wharf Road, Riverside RV1 2AB",
        "url": "https://riverside-greens.example.org/events/litter-pick",
        "categories": ("Clean-up", "Family friendly"),
        "lat": 51.501234,
        "lon": -0.123456,
        "place_precision": "exact",
        "placed_by": "coordinates",
        "place_note": "Exact place given by the group's calendar",
        "nation": "England",
        "region": "London",
        "town": "Riverside",
        "groups": (make_group(),),
        "weeks": ("great-green-week-2026",),
        "created": datetime(2026, 5, 1, 8, 30, tzinfo=UTC),
        "updated": datetime(2026, 5, 2, 9, 45, tzinfo=UTC),
    }
    unknown = set(overrides) - set(values)
    if unknown:
        raise TypeError(f"make_listing: unknown fields {sorted(unknown)}")
    values.update(overrides)
    return Listing(**values)


def many_listings(n: int) -> list[Listing]:
    """`n` distinct listings spread over a year, for timing and ordering tests."""
    base = london(2026, 1, 5, 9, 0)
    groups = tuple(make_group(f"group-{i}", f"Group {i}") for i in range(3))
    out = []
    for i in range(n):
        start = base + timedelta(hours=7 * i % (24 * 365))
        out.append(make_listing(
            uid=f"event-{i:06d}@hub.example.org",
            title=f"Event {i}: repair café, talk; walk",
            start=start,
            end=start + timedelta(hours=2),
            description_text=f"Event number {i}.\nBring a friend; all welcome, really.\n" + "x" * (i % 200),
            groups=groups[: 1 + i % 3],
            lat=None if i % 5 == 0 else 51.0 + (i % 1000) / 1000,
            lon=None if i % 5 == 0 else -1.0 + (i % 700) / 1000,
            place_precision="none" if i % 5 == 0 else ("exact" if i % 2 else "approximate"),
        ))
    return out


class FixedHub(Hub):
    """A hub that serves a catalogue made in the test instead of one read from the database."""

    def __init__(self, settings: Settings, catalogue: Catalogue) -> None:
        super().__init__(settings)
        self.fixed = catalogue

    def fresh(self) -> Catalogue:
        return self.fixed

    def catalogue(self) -> Catalogue:
        return self.fixed


def fixed_catalogue(listings: Sequence[Listing], *, week: str = "great-green-week-2026") -> Catalogue:
    """A catalogue of `listings` with one week of action, `week`, in June 2026 (the factories' default)."""
    weeks = [WeekInfo(slug=week, name="Great Green Week", start=date(2026, 6, 6), end=date(2026, 6, 14),
                      tags=(), description="", groups=())]
    return Catalogue(version=1, built_at=datetime(2026, 6, 1, tzinfo=UTC), zone=LONDON, listings=listings,
                     groups=[], weeks=weeks)


def hostile_listings() -> list[Listing]:
    """Feed text that is markup in every field a map page or popup shows, on a placed and an online event."""
    group = make_group("riverside-greens", "<em>Riverside</em> Greens")
    placed = dataclasses.replace(
        make_listing(title=HOSTILE, location=f"Hall {HOSTILE}", groups=(group,)),
        place_note=f"Placed by {HOSTILE}", place_precision="approximate", placed_by="group")
    online = make_listing(uid="online@hub.example.org", title=f"Online {HOSTILE}", location="Online",
                          lat=None, lon=None, place_precision="none")
    return [placed, online]


T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Ordered:
    """Puts rows in one of the `ORDERS`: "as given" or "reversed" (the `ordered` fixture runs a test in each)."""

    order: str

    def __call__(self, rows: Iterable[T]) -> list[T]:
        """The rows, as a new list, in this order."""
        items = list(rows)
        return items[::-1] if self.order == "reversed" else items


ORDERS = ["as given", "reversed"]
