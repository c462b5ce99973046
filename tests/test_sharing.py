"""Several refresh processes sharing one database share the feeds: each claims a batch at a time, so none takes
them all and no feed is refreshed twice in one pass."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from calendar_hub import store
from calendar_hub.ingest.refresh import CLAIM_BATCH, Refresher, RefreshReport
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from calendar_hub.states import Outcome
from calendar_hub.store.models import Event
from tests.feedserver import FeedServer

DATA = Path(__file__).parent / "data" / "ics"
FEEDS = CLAIM_BATCH * 3 + 17   # more than two runs' first batches, and a last batch that is not full


@pytest.mark.now("2026-10-10T09:00:00+01:00")
def test_two_refreshes_at_once_share_the_feeds_and_refresh_each_once(
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    body = (DATA / "google_weekly_with_moved_instance.ics").read_bytes()
    groups = []
    for i in range(FEEDS):
        # A slow answer keeps the first run's fetches in flight while the second run claims its share.
        url = feed_server.serve(f"/group-{i:03d}.ics", body, delay=0.05)
        groups.append(GroupSpec(slug=f"group-{i:03d}", name=f"Group {i}", feeds=(FeedSpec(url=url, private=True),)))
    with Session(engine) as session:
        store.apply_registry(Registry(groups=tuple(groups), weeks=()), session=session)

    # Few fetches at once: the test server's listen queue is short, and the point is the claiming.
    gentle = settings.replace(fetch_concurrency=4)

    async def both() -> tuple[RefreshReport, RefreshReport]:
        first, second = Refresher(engine, gentle), Refresher(engine, gentle)
        return await asyncio.gather(first.run(due_only=False), second.run(due_only=False))

    reports = asyncio.run(both())
    one, other = ([job.id for job, _o in report.outcomes] for report in reports)
    assert one and other, "one refresh took every feed"
    assert not set(one) & set(other)
    assert len(one) + len(other) == FEEDS == len(set(one) | set(other))
    assert sum(feed_server.hits(f"/group-{i:03d}.ics") for i in range(FEEDS)) == FEEDS
    # Every feed stored (a fetch that timed out on a loaded machine would not be a failure of sharing, so count).
    stored = sum(1 for report in reports for _j, outcome in report.outcomes if outcome.kind == Outcome.STORED)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Event)).one() == stored * 7  # the file's 7 dates each
