"""What `refresh` prints: a progress bar on a terminal only, one vocabulary with right plurals, and when the next
feed is due when none is."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from calendar_hub import store
from calendar_hub.cli import main
from calendar_hub.report import nothing_due, plural, refresh_summary, refresh_table
from calendar_hub.states import Outcome
from calendar_hub.store import FeedJob, FeedOutcome
from tests.feedserver import FeedServer
from tests.hubdata import moved_hub

LONDON = ZoneInfo("Europe/London")
AT = datetime(2026, 12, 1, 12, tzinfo=UTC)


class Terminal(io.StringIO):
    """Standard output as a terminal shows it."""

    def isatty(self) -> bool:
        return True


def job(slug: str) -> FeedJob:
    return FeedJob(id=len(slug), url=f"https://{slug}.example.org/events.ics", kind="ical", origin="registry",
                   private=False, etag="", last_modified="", content_hash="", parsed_at=None, group_slug=slug,
                   events_stored=0)


def outcome(kind: Outcome, **fields: object) -> FeedOutcome:
    return FeedOutcome(feed_id=1, kind=kind, at=AT, **fields)  # type: ignore[arg-type]


def test_plurals_are_right_for_one_and_for_many() -> None:
    assert [plural(n, "item") for n in (0, 1, 2)] == ["0 items", "1 item", "2 items"]


def test_the_summary_and_table_speak_one_vocabulary_naming_held_and_gone_feeds() -> None:
    outcomes = [(job("a-stored"), outcome(Outcome.STORED, found=4, skipped=1)),
                (job("b-not-modified"), outcome(Outcome.NOT_MODIFIED, http_status=304)),
                (job("c-same-body"), outcome(Outcome.UNCHANGED)),
                (job("d-held"), outcome(Outcome.HELD, error="this calendar suddenly lists 1 upcoming event")),
                (job("e-gone"), outcome(Outcome.FAILED, http_status=410, error="the calendar was removed (410)")),
                (job("f-failed"), outcome(Outcome.FAILED, http_status=500, error="server error (500)")),
                (job("g-kept"), outcome(Outcome.KEPT, skipped=1, error="cut off"))]
    summary = refresh_summary(outcomes, seconds=1.25, events_changed=1)
    assert summary == ("7 feeds in 1.2 s: 1 stored, 2 unchanged, 1 held, 1 kept, 1 gone, 1 failed; "
                       "1 event changed; 2 items skipped")
    table = refresh_table(outcomes)
    assert "not_modified" not in table and "not_modified" not in summary
    words = {line.split()[0]: line.split()[2] for line in table.splitlines()[2:]}
    assert words == {"a-stored": "stored", "b-not-modified": "unchanged", "c-same-body": "unchanged",
                     "d-held": "held", "e-gone": "gone", "f-failed": "failed", "g-kept": "kept"}
    one = refresh_summary(outcomes[:1], seconds=0.1, events_changed=4)
    assert one == "1 feed in 0.1 s: 1 stored, 0 unchanged; 4 events changed; 1 item skipped"


def test_refresh_on_a_terminal_draws_a_bar_with_the_total_the_feed_and_the_time_left(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"CALENDAR_HUB_DATABASE_URL": database_url, "CALENDAR_HUB_PARSE_WORKERS": "1"}
    assert main(["load", str(moved_hub(tmp_path).folder)], environ=env) == 0
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    assert main(["refresh"], environ=env) == 0
    drawn = terminal.getvalue()
    assert "\x1b[" in drawn                                   # drawn and redrawn in place
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)
    assert re.search(r"refreshing .*[━╸╺].* \d/3 feeds", shown)    # a bar, and how far of the total
    assert re.search(r"\d+:\d\d:\d\d|-:--:--", shown)         # the time left
    assert re.search(r"(sanctuary-manchester|liverpool-welcome|cardiff-migrant-welcome) \(stored\)", shown)
    assert "3 feeds in" in shown                             # then the table and the summary, as ever


def test_refresh_into_a_file_or_pipe_prints_plain_lines_only(tmp_path: Path, database_url: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    env = {"CALENDAR_HUB_DATABASE_URL": database_url, "CALENDAR_HUB_PARSE_WORKERS": "1"}
    assert main(["load", str(moved_hub(tmp_path).folder)], environ=env) == 0
    capsys.readouterr()
    assert main(["refresh"], environ=env) == 0
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err and "\r" not in captured.out + captured.err
    assert "refreshing" not in captured.out + captured.err
    assert "1 item skipped" in captured.out   # the news item without an event date
    assert main(["refresh"], environ=env) == 0
    assert "3 feeds in" in (again := capsys.readouterr().out) and "3 unchanged" in again
    assert "not_modified" not in again


def test_a_feed_gone_for_good_is_named_in_the_summary(tmp_path: Path, database_url: str, feed_server: FeedServer,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = moved_hub(tmp_path).folder
    gone = feed_server.serve("/removed.ics", b"Gone", status=410, content_type="text/plain")
    with (folder / "hub.toml").open("a") as registry:
        registry.write(f'\n[[group]]\nslug = "moved-away"\nname = "Moved Away"\nhome = "Leeds"\n'
                       f'feeds = [{{ url = "{gone}", private = true }}]\n')
    env = {"CALENDAR_HUB_DATABASE_URL": database_url, "CALENDAR_HUB_PARSE_WORKERS": "1"}
    assert main(["load", str(folder)], environ=env) == 0
    assert main(["refresh"], environ=env) == 0
    out = capsys.readouterr().out
    assert "4 feeds in" in out and "3 stored, 0 unchanged, 1 gone;" in out
    assert re.search(r"moved-away\s+\S+\s+gone", out)


@pytest.mark.now("2026-12-01T12:00:00+00:00")
def test_refresh_due_with_nothing_due_says_when_the_next_feed_is(tmp_path: Path, database_url: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    env = {"CALENDAR_HUB_DATABASE_URL": database_url, "CALENDAR_HUB_PARSE_WORKERS": "1"}
    assert main(["init"], environ=env) == 0
    capsys.readouterr()
    assert main(["refresh", "--due"], environ=env) == 0
    assert capsys.readouterr().out == "nothing is due; no feed is scheduled\n"
    assert main(["refresh"], environ=env) == 0
    assert capsys.readouterr().out.startswith("no feed to refresh: none is active")
    assert main(["load", str(moved_hub(tmp_path).folder)], environ=env) == 0
    assert main(["refresh", "--due"], environ=env) == 0
    capsys.readouterr()
    assert main(["refresh", "--due"], environ=env) == 0
    engine = store.make_engine(database_url)
    with Session(engine) as session:
        next_at = store.next_attempt(session=session)
    engine.dispose()
    assert next_at is not None
    out = capsys.readouterr().out
    assert out == f"nothing is due; next at {next_at.astimezone(LONDON):%H:%M}\n"   # within the hour: no day
    assert "group" not in out and "---" not in out   # no empty table


def test_the_next_attempt_is_told_in_the_hubs_zone_with_its_day_when_not_today() -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert nothing_due(now + timedelta(minutes=65), now=now, zone=LONDON) == "nothing is due; next at 14:05"
    later = nothing_due(now + timedelta(days=2), now=now, zone=LONDON)
    assert later == "nothing is due; next at 13:00 on Wed 3 Jun 2026"
    assert nothing_due(None, now=now, zone=LONDON) == "nothing is due; no feed is scheduled"


@pytest.mark.parametrize(("skipped", "words"), [(1, "its only item could not be read"),
                                                (2, "none of the 2 items could be read")])
def test_a_feed_whose_items_all_fail_says_so_in_right_english(skipped: int, words: str) -> None:
    from calendar_hub.ingest.judge import judge
    from calendar_hub.occurrence import ParseResult

    stored = dataclasses.replace(job("a"), kind="rss", events_stored=3)   # a feed that had events
    body = b"<rss><channel>" + b"<item><title>x</title></item>" * skipped + b"</channel></rss>"
    assert judge(stored, body, "rss", ParseResult(skipped=skipped)) == f"{words}; keeping the last good copy"
