"""A database locked by another process, or out of reach, ends a command with one line and nothing lost."""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from calendar_hub.cli import main
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.store import Session, apply_registry, make_engine
from calendar_hub.store.models import Feed

HOLD_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()   # until the test closes our standard input
connection.execute("ROLLBACK")
"""


def one_feed(url: str, tmp_path: Path) -> None:
    (tmp_path / "walks.ics").write_bytes(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nEND:VCALENDAR\r\n")
    engine = make_engine(url)
    with Session(engine) as session:
        apply_registry(Registry(groups=(GroupSpec(slug="walkers", name="Walkers", feeds=(
            FeedSpec(url=(tmp_path / "walks.ics").as_uri()),)),), weeks=()), session=session)
    engine.dispose()


def one_feed_hub(tmp_path: Path, *, busy_seconds: str) -> tuple[Path, str, dict[str, str]]:
    """A new SQLite hub with one feed, and the environment the commands run with: its path, URL and environment."""
    path = tmp_path / "hub.db"
    url = f"sqlite:///{path}"
    env = {"CALENDAR_HUB_DATABASE_URL": url, "CALENDAR_HUB_DATABASE_BUSY_SECONDS": busy_seconds,
           "CALENDAR_HUB_PARSE_WORKERS": "1"}
    assert main(["init"], environ=env) == 0
    one_feed(url, tmp_path)
    return path, url, env


def test_a_refresh_meeting_a_lock_held_by_another_process_ends_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, url, env = one_feed_hub(tmp_path, busy_seconds="0.5")
    capsys.readouterr()
    with subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        try:
            assert holder.stdout.readline().strip() == "locked"
            assert main(["refresh"], environ=env) == 1
            said = capsys.readouterr().err.strip().splitlines()
            assert len(said) == 1 and "locked by another process" in said[0] and "Traceback" not in said[0]
        finally:
            holder.stdin.close()
            holder.wait(timeout=30)
    assert main(["refresh"], environ=env) == 0   # the lock gone, the same command goes through


@pytest.mark.skipif("FAKETIME" in os.environ, reason="under libfaketime SQLite's wait for a lock ends at once")
def test_a_refresh_waits_for_a_lock_that_is_let_go_within_the_busy_time(tmp_path: Path) -> None:
    path, url, env = one_feed_hub(tmp_path, busy_seconds="60")
    with subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            refreshing = pool.submit(main, ["refresh"], environ=env)
            done, _ = concurrent.futures.wait([refreshing], timeout=1.0)
            assert not done        # waiting for the lock, not failed
            holder.stdin.close()   # the other process lets go
            assert refreshing.result(timeout=60) == 0
        holder.wait(timeout=30)
    engine = make_engine(url)
    with Session(engine) as session:
        assert [f.last_success_at is not None for f in session.exec(select(Feed)).all()] == [True]
    engine.dispose()


def test_a_database_in_a_missing_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {"CALENDAR_HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'no such folder' / 'hub.db'}"}
    assert main(["init"], environ=env) == 1
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and said[0].startswith(f"calendar-hub: the folder {tmp_path / 'no such folder'} for the "
                                                 "SQLite database does not exist: create it")
