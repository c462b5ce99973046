"""Every way a group's feed can fail, or half-work, gives a one-line diagnosis in `calendar-hub feeds`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from calendar_hub import store
from calendar_hub.cli import main
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.store import engine as db
from tests.feedserver import FeedServer

DATA = Path(__file__).parent / "data"

# group slug -> (what its address serves, content type, status), and the words `feeds` must show.
BROKEN: dict[str, tuple[str, str, int, str]] = {
    "web-page": ("ics/html_page.html", "text/html", 200, "this address returns a web page, not a calendar"),
    "cut-off": ("ics/truncated_download.ics", "text/calendar", 200,
                "the file is cut off after 2 KB; only the 4 complete events before the cut were read"),
    "news-only": ("rss/rss_no_event_dates.xml", "application/rss+xml", 200, "2 items had no event date"),
    "refused": ("ics/cancelled_event.ics", "text/calendar", 403, "the server refused us (403)"),
    "moved-away": ("ics/cancelled_event.ics", "text/calendar", 404,
                   "the address was not found (404); the calendar may have moved"),
    "server-error": ("ics/cancelled_event.ics", "text/calendar", 500, "the server had an error (500)"),
    "old-calendar": ("broken/only_past_events.ics", "text/calendar", 200,
                     "the calendar has no events in the next 400 days"),
    "printed-programme": ("broken/events_leaflet.pdf", "application/pdf", 200,
                          "this address returns a PDF document, not a calendar or a feed"),
}


def rows_of(table: str) -> dict[str, str]:
    """Group slug -> the whole row, from the printed table."""
    return {line.split()[0]: line for line in table.splitlines()[2:]}


# On 20 November 2026 the cut-off calendar's weekly series (17 October to 21 November) has 4 dates in the
# hub's window (30 days back): 24 October, 1 November (moved), 14 November (cancelled) and 21 November.
@pytest.mark.now("2026-11-20T12:00:00+00:00")
def test_feeds_shows_a_readable_diagnosis_for_every_broken_feed(
        database_url: str, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    groups = []
    for slug, (name, content_type, status, _words) in BROKEN.items():
        url = feed_server.serve(f"/{slug}", (DATA / name).read_bytes(), content_type=content_type, status=status)
        groups.append(GroupSpec(slug=slug, name=slug.replace("-", " ").title(),
                                feeds=(FeedSpec(url=url, private=True),)))  # the test server is on loopback
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        store.apply_registry(Registry(groups=tuple(groups), weeks=()), session=session)
    engine.dispose()
    env = {"CALENDAR_HUB_DATABASE_URL": database_url, "CALENDAR_HUB_PARSE_WORKERS": "1"}

    assert main(["refresh"], environ=env) == 0
    capsys.readouterr()
    assert main(["feeds"], environ=env) == 0
    rows = rows_of(capsys.readouterr().out)

    assert set(rows) == set(BROKEN)
    for slug, (_name, _type, _status, words) in BROKEN.items():
        assert words in rows[slug], f"{slug}: {rows[slug]}"
    for slug in ("web-page", "refused", "moved-away", "server-error", "printed-programme"):
        assert rows[slug].split()[2] == "failing"
        assert " never " in rows[slug]
    for slug in ("cut-off", "news-only", "old-calendar"):
        assert rows[slug].split()[2] == "ok"
