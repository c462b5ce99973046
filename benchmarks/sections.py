"""Where a refresh's time goes, without changing the hub: CPU of each process, timed sections, profiles.

    with TreeCpu() as cpu, Sections(profile=True) as sections:
        asyncio.run(refresh(...))
    print(cpu); print(sections)

`TreeCpu` samples the CPU time of this process and of every process below it (the parse workers, forked
by the forkserver) from /proc, so a worker that ends during the run still counts what it used until its
last sample.  `Sections` wraps the refresh's steps where `calendar_hub.ingest.refresh` calls them
(fetch, body hash, judge, the parse pool, following links, recording in the database) and adds up the
wall time of each; with `profile`, the event loop's thread and the database writer's thread are each
profiled with cProfile.
"""

from __future__ import annotations

import cProfile
import functools
import io
import os
import pstats
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from calendar_hub.ingest import refresh as refresh_module

__all__ = ["Sections", "TreeCpu", "cpu_seconds"]

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of one process so far (0 if it has gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _descendants(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    kids = [int(c) for c in children.read().split()]
                    found += kids
                    pending += kids
        except OSError:
            continue
    return found


class TreeCpu:
    """CPU seconds used during the block by this process and by its descendants (but `excluded` ones)."""

    def __init__(self, excluded: tuple[int, ...] = ()) -> None:
        self.excluded = set(excluded)
        self.start: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.wall = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for pid in _descendants(os.getpid()):
            if pid in self.excluded:
                continue
            used = cpu_seconds(pid)
            if used:
                self.start.setdefault(pid, 0.0)   # started during the block
                self.last[pid] = max(self.last.get(pid, 0.0), used)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self._sample()

    @property
    def children(self) -> float:
        return sum(self.last[pid] - self.start.get(pid, 0.0) for pid in self.last)

    @property
    def own(self) -> float:
        return self._own_end - self._own_start

    @property
    def total(self) -> float:
        return self.own + self.children

    def __enter__(self) -> TreeCpu:
        for pid in _descendants(os.getpid()):   # processes there before the block count from now
            if pid not in self.excluded:
                self.start[pid] = self.last[pid] = cpu_seconds(pid)
        self._own_start = cpu_seconds(os.getpid())
        self._began = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._own_end = cpu_seconds(os.getpid())
        self.wall = time.perf_counter() - self._began

    def __str__(self) -> str:
        own = self.own
        return (f"CPU: {own:.2f} s in the refreshing process, {self.children:.2f} s in the parse workers "
                f"({own + self.children:.2f} s in all over {self.wall:.2f} s of wall time)")


class Sections:
    """Adds up the wall time of the refresh's steps; see the module."""

    # Names as the refresh module has them; one it does not have (any more) is left out.
    _SYNC = ("body_hash", "body_fingerprint", "judge", "hold", "summary", "sniff", "looks_truncated", "content_hash")
    _ASYNC_METHODS = ("_parse", "_follow", "_geocode")
    _THREAD_METHODS = ("_claim", "_record", "_release")

    def __init__(self, *, profile: bool = False) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)      # CPU of the calling thread, for sync steps
        self.calls: dict[str, int] = defaultdict(int)
        self.profile = profile
        self.loop_profile = cProfile.Profile() if profile else None
        self.store_profile = cProfile.Profile() if profile else None
        self._undo: list[tuple[Any, str, Any]] = []

    def _patch(self, owner: Any, name: str, wrapper: Callable[[Any], Any]) -> None:
        original = getattr(owner, name, None)
        if original is None:
            return
        self._undo.append((owner, name, original))
        setattr(owner, name, wrapper(original))

    def _timed(self, label: str) -> Callable[[Any], Any]:
        def wrap(original: Any) -> Any:
            @functools.wraps(original)
            def timed(*args: Any, **kwargs: Any) -> Any:
                started, cpu = time.perf_counter(), time.thread_time()
                try:
                    return original(*args, **kwargs)
                finally:
                    self.seconds[label] += time.perf_counter() - started
                    self.cpu[label] += time.thread_time() - cpu
                    self.calls[label] += 1
            return timed
        return wrap

    def _timed_async(self, label: str) -> Callable[[Any], Any]:
        def wrap(original: Any) -> Any:
            @functools.wraps(original)
            async def timed(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return await original(*args, **kwargs)
                finally:
                    self.seconds[label] += time.perf_counter() - started
                    self.calls[label] += 1
            return timed
        return wrap

    def _profiled_thread(self, label: str) -> Callable[[Any], Any]:
        timed = self._timed(label)

        def wrap(original: Any) -> Any:
            inner = timed(original)
            if self.store_profile is None:
                return inner
            profile = self.store_profile

            @functools.wraps(original)
            def profiled(*args: Any, **kwargs: Any) -> Any:
                profile.enable()
                try:
                    return inner(*args, **kwargs)
                finally:
                    profile.disable()
            return profiled
        return wrap

    def __enter__(self) -> Sections:
        self._patch(refresh_module, "fetch", self._timed_async("fetch (HTTP or file, awaited)"))
        for name in self._SYNC:
            self._patch(refresh_module, name, self._timed(name))
        for name in self._ASYNC_METHODS:
            self._patch(refresh_module.Refresher, name, self._timed_async(name.strip("_") + " (awaited)"))
        for name in self._THREAD_METHODS:
            self._patch(refresh_module.Refresher, name, self._profiled_thread(name.strip("_") + " (thread)"))
        if self.loop_profile is not None:
            self.loop_profile.enable()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.loop_profile is not None:
            self.loop_profile.disable()
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)

    def __str__(self) -> str:
        lines = ["sections (wall seconds summed over calls, awaited ones overlapping up to fetch_concurrency at once;"
                 " CPU seconds of the thread for the others):"]
        for label, seconds in sorted(self.seconds.items(), key=lambda pair: -pair[1]):
            cpu = f"{self.cpu[label]:8.2f} s CPU" if label in self.cpu else " " * 14
            lines.append(f"  {label:<34} {seconds:8.2f} s  {cpu}  {self.calls[label]:6d} calls")
        return "\n".join(lines)

    def profiles(self, top: int = 25) -> str:
        """The top functions of each profiled thread, by own time."""
        out = []
        for title, profile in (("event loop thread", self.loop_profile), ("database writer", self.store_profile)):
            if profile is None:
                continue
            text = io.StringIO()
            stats = pstats.Stats(profile, stream=text)
            stats.sort_stats("tottime").print_stats(top)
            out.append(f"--- cProfile, {title}, by own time ---\n" + _trimmed(text.getvalue()))
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(top)
            out.append(f"--- cProfile, {title}, cumulative ---\n" + _trimmed(text.getvalue()))
        return "\n".join(out)


def _trimmed(report: str) -> str:
    lines = report.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join(line.replace(os.getcwd() + "/", "") for line in lines[start:] if line.strip())
