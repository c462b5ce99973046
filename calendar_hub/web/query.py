"""Reading the filters that every listing endpoint accepts: week, group, region, start, end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

from calendar_hub.catalogue import Catalogue
from calendar_hub.listing import Listing


@dataclass(frozen=True, slots=True)
class Filters:
    """The filters of one request, checked against the catalogue."""

    week: str | None = None
    group: str | None = None
    region: str | None = None
    start: date | None = None
    end: date | None = None

    def key(self) -> tuple[object, ...]:
        """A cache key part: two requests with the same filters share one built output."""
        return (self.week, self.group, self.region and self.region.casefold(),
                self.start and self.start.isoformat(), self.end and self.end.isoformat())

    def query(self) -> str:
        """The filters as a query string ("week=x&start=2026-12-05"), for links to other outputs."""
        values = {"week": self.week, "group": self.group, "region": self.region,
                  "start": self.start and self.start.isoformat(), "end": self.end and self.end.isoformat()}
        return urlencode({name: value for name, value in values.items() if value})

    def apply(self, catalogue: Catalogue) -> list[Listing]:
        return catalogue.find(week=self.week, group=self.group, region=self.region, start=self.start,
                              end=self.end)


def read_filters(params: QueryParams, catalogue: Catalogue, **fixed: str) -> Filters:
    """Filters from the query string (and from the path, in `fixed`); raises HTTP 400/404 on bad values."""
    week = fixed.get("week") or params.get("week") or None
    group = fixed.get("group") or params.get("group") or None
    if week is not None and catalogue.week(week) is None:
        raise HTTPException(404, f"There is no week of action called {week!r}.")
    if group is not None and catalogue.group(group) is None:
        raise HTTPException(404, f"There is no group called {group!r}.")
    start, end = _day(params, "start"), _day(params, "end")
    if start and end and end < start:
        raise HTTPException(400, "The end date is before the start date.")
    region = (params.get("region") or "").strip()[:100] or None
    return Filters(week=week, group=group, region=region, start=start, end=end)


def _day(params: QueryParams, name: str) -> date | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError as e:
        raise HTTPException(400, f"{name} must be a date written as YYYY-MM-DD.") from e
