"""The end-to-end registry in tests/data/hub, moved to upcoming dates, optionally served over HTTP, and refreshed."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from calendar_hub import clock
from calendar_hub.demo import prepare_demo
from calendar_hub.ingest.refresh import RefreshReport, refresh
from calendar_hub.registry import Registry, read_registry
from calendar_hub.settings import Settings
from tests.feedserver import FeedServer

HUB = Path(__file__).parent / "data" / "hub"
WEEK = "communities-together"  # the registry's week of action
REFERENCE_WEEK = date(2026, 12, 5)
LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


@dataclasses.dataclass(frozen=True)
class HubData:
    """The moved registry: its folder, the registry read from it, and how far it moved."""

    folder: Path
    registry: Registry
    shift: timedelta

    def local(self, reference: str) -> datetime:
        """A reference-week London wall-clock time ('2026-12-05 10:00'), moved, as an aware UTC instant."""
        moment = datetime.fromisoformat(reference) + self.shift
        return moment.replace(tzinfo=LONDON).astimezone(UTC)

    def day(self, reference: str) -> date:
        return date.fromisoformat(reference) + self.shift

    def feed_file(self, name: str) -> Path:
        return self.folder / "feeds" / name


def moved_hub(tmp_path: Path, today: date | None = None) -> HubData:
    """Copy tests/data/hub with its week moved by whole weeks to start 7 to 13 days after today.

    Whole weeks keep every weekday (and so every RRULE's BYDAY) right. A week at least 7 days ahead keeps
    every event of the fixture upcoming whatever the day of the week the suite runs on: the earliest, a
    class on the Thursday before the week's Saturday start, would otherwise be past on Thursdays and Fridays.
    """
    folder = tmp_path / "registry"
    prepare_demo(HUB, folder, today=(today or clock.today(LONDON)) + timedelta(days=6))
    registry = read_registry(folder)
    shift = registry.weeks[0].start - REFERENCE_WEEK
    return HubData(folder=folder, registry=registry, shift=shift)


def served(data: HubData, server: FeedServer) -> Registry:
    """The same registry with every file feed served by `server` at /<file name>."""
    groups = []
    for group in data.registry.groups:
        feeds = []
        for feed in group.feeds:
            path = Path(unquote(urlsplit(feed.url).path))
            url = server.serve("/" + path.name, path.read_bytes(),
                               content_type="application/rss+xml" if path.suffix == ".rss" else "text/calendar")
            feeds.append(dataclasses.replace(feed, url=url, private=True))  # the operator allows the loopback server
        groups.append(dataclasses.replace(group, feeds=tuple(feeds)))
    return dataclasses.replace(data.registry, groups=tuple(groups))


def run_refresh(engine: Engine, settings: Settings) -> RefreshReport:
    """Refresh every feed now, due or not; returns the refresh's report."""
    return asyncio.run(refresh(engine, settings, due_only=False))
