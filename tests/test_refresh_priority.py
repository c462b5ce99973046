"""Serving keeps the CPU while feeds refresh: `calendar-hub refresh` and every parse worker run at
CALENDAR_HUB_REFRESH_NICE, a parse that gave way is not failed for it, and a web process's event loop gets the
interpreter back quickly from threads that compute."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session

from calendar_hub import store
from calendar_hub.errors import ConfigError, ParseError
from calendar_hub.ingest.worker import WorkerPool
from calendar_hub.settings import Settings
from calendar_hub.store import engine as db
from calendar_hub.web.app import SWITCH_SECONDS, tune_interpreter
from tests.feedserver import FeedServer
from tests.hubdata import moved_hub, served

ROOT = str(Path(__file__).resolve().parents[1])
KEY = {"CALENDAR_HUB_SECRET_KEY": "k" * 43}


def niceness_of(pid: int) -> int:
    """The niceness of process `pid`, from /proc (field 19 of its stat line)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="niceness is read from Linux's /proc")
def test_lower_priority_raises_the_niceness_to_the_one_asked_and_never_lowers_it() -> None:
    # In a process of its own: the test process keeps its priority.
    code = ("from calendar_hub.ingest.worker import lower_priority as low; import os; "
            "start = min(os.nice(0), 14); print(low(start + 5) - start, low(start + 3) - start, low(0) - start)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert done.stdout.split() == ["5", "5", "5"]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="niceness is read from Linux's /proc")
def test_parse_workers_run_at_the_refresh_niceness(settings: Settings) -> None:
    own = os.nice(0)
    pool = WorkerPool.from_settings(settings.replace(refresh_nice=min(own + 7, 19)))

    async def worker_niceness() -> int:
        try:
            return await pool.run(os.nice, 0)
        finally:
            pool.close()

    assert asyncio.run(worker_niceness()) == min(own + 7, 19)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="niceness is read from Linux's /proc")
def test_the_refresh_command_runs_at_the_refresh_niceness(tmp_path: Path, database_url: str,
                                                          feed_server: FeedServer) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    registry = served(moved_hub(tmp_path), feed_server)
    with Session(engine) as session:
        store.apply_registry(registry, session=session)
    engine.dispose()
    # Every feed's server keeps its answer back until the test has read the refreshing process's niceness.
    for path, route in feed_server.routes.items():
        feed_server.serve(path, route.body, delay=120.0)
    own = os.nice(0)
    env = {**os.environ, **KEY, "PYTHONPATH": ROOT, "CALENDAR_HUB_DATABASE_URL": database_url,
           "CALENDAR_HUB_REFRESH_NICE": str(min(own + 6, 19))}
    with subprocess.Popen([sys.executable, "-m", "calendar_hub", "refresh"], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True) as refreshing:
        try:
            for _ in range(1200):   # until its first fetch arrives (at most 120 s)
                if feed_server.requests or refreshing.poll() is not None:
                    break
                time.sleep(0.1)   # not an Event.wait: under faketime a wait with a timeout may never end
            assert feed_server.requests, refreshing.stderr.read() if refreshing.stderr else ""
            niceness = niceness_of(refreshing.pid)
        finally:
            feed_server.stopping.set()   # the held answers go now
            try:
                refreshing.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                refreshing.kill()
                refreshing.communicate()
    assert niceness == min(own + 6, 19)
    assert refreshing.returncode == 0


def test_a_niceness_above_19_is_refused() -> None:
    with pytest.raises(ConfigError, match="CALENDAR_HUB_REFRESH_NICE=20: give 0 to 19"):
        Settings.from_env({"CALENDAR_HUB_REFRESH_NICE": "20"})
    assert Settings.from_env({}).refresh_nice == 19


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="CPU time is read from Linux's /proc")
def test_a_parse_that_gave_way_to_other_work_is_not_stopped_at_its_time_on_the_clock() -> None:
    # A worker that waits (as a niced one does while serving keeps the cores) uses no CPU: it gets its time, up to
    # GRACE times the limit on the clock; one that computes is stopped at the limit.
    pool = WorkerPool(1, seconds=0.5, memory_mb=0)

    async def run(function: object, *args: object) -> str:
        try:
            await pool.run(function, *args)  # type: ignore[arg-type]
        except ParseError as e:
            return str(e)
        return "done"

    async def both() -> list[str]:
        try:
            return [await run(time.sleep, 1.0), await run(sum, range(10**10))]
        finally:
            pool.close()

    assert asyncio.run(both()) == ["done", "the calendar took too long to read"]


def test_a_serving_process_takes_the_interpreter_back_from_threads_that_compute() -> None:
    before = sys.getswitchinterval()
    try:
        tune_interpreter()
        assert sys.getswitchinterval() == pytest.approx(SWITCH_SECONDS)
        assert SWITCH_SECONDS < 0.005   # CPython's default: tens of such turns made a request wait over 500 ms
    finally:
        sys.setswitchinterval(before)
