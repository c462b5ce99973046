"""Parsing untrusted bytes in worker processes, each parse held to a wall-clock and a memory limit.

    WorkerPool.from_settings(s)      up to `parse_workers` processes (0: one per core), started when first needed,
                                     each at `refresh_nice` (parsing gives way to serving)
    await pool.run(fn, *args)        fn(*args) in a worker; a ParseError with a plain reason when over a limit
    parse_in_worker(body, ...)       a body's ParseResult and its events' content hashes (what refresh stores)
    read_page_in_worker(html, ...)   the events on a linked event page

A running task cannot be cancelled (concurrent.futures), so each worker is a one-process executor of its own:
a parse over its time is ended by killing that process, which costs that parse alone, and the worker is
replaced. The memory limit is the address space (RLIMIT_AS) one parse may add to what its worker holds.
Workers are forked by a forkserver, which exits when every holder of its "alive" pipe has closed it. The
process that started it holds one end, and multiprocessing hands a copy to every process the forkserver forks
(for processes they might start in turn), so after a SIGKILL the forkserver, its workers and the resource
tracker would wait for each other forever. A worker here starts no process: it closes its copy, and asks the
kernel to kill it when the forkserver goes (PR_SET_PDEATHSIG on Linux, elsewhere a thread watching its parent).
So when the starting process dies, however it dies, the forkserver exits, its workers are killed, and the
resource tracker, its pipe closed by all of them, exits too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import multiprocessing
import multiprocessing.forkserver
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from calendar_hub.errors import FeedError, ParseError
from calendar_hub.identity import content_hash
from calendar_hub.ingest import observe
from calendar_hub.ingest.sources import parse_body
from calendar_hub.occurrence import EventIn, ParseContext, ParseResult
from calendar_hub.settings import Settings

__all__ = ["START_SECONDS", "WorkerPool", "lower_priority", "parse_in_worker", "read_page_in_worker", "too_big",
           "too_slow"]

_T = TypeVar("_T")

# A parse that gave way to other work (its CPU time under the limit) may take this many times its limit on the clock.
GRACE = 4.0
# A worker's own start is not the body's time: the forkserver's first start loads every parser.
START_SECONDS = 60.0
# Loaded once in the forkserver, so a new worker is a fork with the parsers already imported.
_PRELOAD = ["calendar_hub.ingest.worker", "calendar_hub.ingest.sources.ics", "calendar_hub.ingest.sources.rss",
            "calendar_hub.ingest.sources.jsonfeed", "calendar_hub.ingest.sources.eventpage"]
_PR_SET_PDEATHSIG = 1   # <linux/prctl.h>


def too_slow(what: str = "the calendar") -> str:
    """The reason a body over the time limit fails its feed."""
    return f"{what} took too long to read"


def too_big(what: str = "the calendar") -> str:
    """The reason a body over the memory limit fails its feed."""
    return f"{what} needed too much memory to read"


# ---- what runs in a worker

def parse_in_worker(body: bytes, kind: str, url: str, zone: str, start: datetime,
                    end: datetime) -> tuple[ParseResult, list[str]] | str:
    """Parse in a worker process: the result and its events' content hashes, computed there to spare the
    process that writes to the database; a FeedError comes back as its message."""
    context = ParseContext(url=url, zone=ZoneInfo(zone), window_start=start, window_end=end)
    try:
        result = parse_body(body, kind=kind, context=context)  # a MemoryError is never counted against one event
    except FeedError as e:
        return str(e)
    return result, [content_hash(event) for event in result.events]


def read_page_in_worker(html: bytes, url: str, zone: str, start: datetime, end: datetime) -> list[EventIn]:
    """The events on a linked event page (schema.org Event, h-event), read in a worker process."""
    from calendar_hub.ingest.sources.eventpage import events_from_page

    context = ParseContext(url=url, zone=ZoneInfo(zone), window_start=start, window_end=end)
    return events_from_page(html, url=url, context=context)


def lower_priority(niceness: int) -> int:
    """Run this process (and what it starts from now on) at `niceness` at least, never higher in priority than it
    is; returns the niceness it runs at.  Where the system has no niceness, nothing changes."""
    if not hasattr(os, "nice"):
        return 0
    current = os.nice(0)
    if niceness > current:
        current = os.nice(niceness - current)
    return current


def _die_with_parent(starter: int, niceness: int = 0) -> None:
    """Worker initializer: be killed when the forkserver that forked this worker ends, and never outlive `starter`;
    run at `niceness` at least (parsing gives way to serving on the same cores)."""
    lower_priority(niceness)
    parent = os.getppid()
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:
        threading.Thread(target=_watch, args=(parent,), daemon=True, name="parent-watch").start()
    _let_the_forkserver_go()
    # The kernel only signals deaths after the request: one before it shows as a new parent, or a dead starter.
    if os.getppid() != parent or not _alive(starter):
        os._exit(1)


def _let_the_forkserver_go() -> None:
    """Close this worker's copy of the forkserver's "alive" pipe, so the forkserver ends with its starter alone."""
    server = getattr(multiprocessing.forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(alive, int):
        try:
            os.close(alive)
        except OSError:
            pass
        server._forkserver_alive_fd = None  # type: ignore[union-attr]


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _address_space() -> int:
    """This process's address space in bytes (Linux), or 0 where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limited(memory: int, function: Callable[..., _T], *args: object) -> _T:
    """In a worker: `function(*args)` allowed `memory` more bytes of address space than the worker holds (0: any)."""
    held = _address_space()
    if memory <= 0 or not held:  # no limit asked, or no /proc to measure from (the limit is Linux's)
        return function(*args)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = held + memory
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        return function(*args)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


# ---- the pool, in the process that hands out the work

@dataclass(eq=False, slots=True)
class _Worker:
    executor: concurrent.futures.ProcessPoolExecutor
    pid: int


class WorkerPool:
    """Worker processes for parsing, each parse limited to `seconds` of time (on the CPU, and `GRACE` times that on the
    clock) and `memory_mb` of memory, each worker run at `niceness` at least.

    Use it from one event loop; `close()` when done. A limit of 0 means none.
    """

    def __init__(self, workers: int, *, seconds: float, memory_mb: int, niceness: int = 0) -> None:
        self.workers = max(workers, 1)
        self.niceness = niceness
        self.seconds = seconds
        self.memory = max(memory_mb, 0) * 2**20
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._gate: asyncio.Semaphore | None = None

    @classmethod
    def from_settings(cls, settings: Settings, *, most: int | None = None) -> WorkerPool:
        """A pool sized and limited by the settings, with at most `most` workers."""
        workers = settings.parse_workers or os.cpu_count() or 1
        return cls(min(workers, most or workers), seconds=settings.parse_seconds, memory_mb=settings.parse_memory_mb,
                   niceness=settings.refresh_nice)

    async def run(self, function: Callable[..., _T], *args: object, what: str = "the calendar") -> _T:
        """`function(*args)` in a worker; raises ParseError (`too_slow(what)`, `too_big(what)`) over a limit."""
        if self._gate is None:
            self._gate = asyncio.Semaphore(self.workers)
        async with self._gate:
            worker = self._idle.pop() if self._idle else await self._start(what)
            self._busy.add(worker)
            started, cpu = time.perf_counter(), _cpu_seconds(worker.pid)
            future = asyncio.wrap_future(worker.executor.submit(_limited, self.memory, function, *args))
            try:
                done = await self._wait(future, worker.pid, started, cpu)
            except BaseException:  # cancelled while the worker runs: only ending the worker stops it
                self._end(worker, future)
                raise
            if not done:
                self._end(worker, future)
                raise ParseError(too_slow(what))
            error = future.exception()
            if isinstance(error, (MemoryError, BrokenProcessPool)):  # the limit was hit, or the worker died of it
                # A fresh worker for the next body; one that died is gone already (and its id may be reused).
                self._end(worker, future, kill=False)
                raise ParseError(too_big(what))
            self._busy.discard(worker)
            self._idle.append(worker)
            observe.parsed(time.perf_counter() - started)
            return future.result()

    async def _wait(self, future: asyncio.Future[_T], pid: int, started: float, cpu: float | None) -> bool:
        """Whether `future` finished within the time limit.  A worker that ran `seconds` on the clock but not on the
        CPU gave way to other work (it runs at a lower priority than serving): it gets the rest of its time, up to
        `GRACE` times the limit on the clock."""
        limit = self.seconds if self.seconds > 0 else None
        while True:
            done, _pending = await asyncio.wait({future}, timeout=limit)
            if done:
                return True
            used = _cpu_seconds(pid)
            if used is None or cpu is None:
                return False
            left = min(self.seconds - (used - cpu), GRACE * self.seconds - (time.perf_counter() - started))
            if left <= 0.01:
                return False
            limit = left

    async def _start(self, what: str) -> _Worker:
        """A new worker, up and waiting: its start is timed on its own, not against a body's time."""
        executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=_context(), initializer=_die_with_parent,
            initargs=(os.getpid(), self.niceness))
        try:
            # Off the event loop: submitting starts the process, and the first start waits for the forkserver.
            started = await asyncio.to_thread(executor.submit, os.getpid)
            pid: int = await asyncio.wait_for(asyncio.wrap_future(started), START_SECONDS)
        except BaseException:
            executor.shutdown(wait=False, cancel_futures=True)
            raise
        return _Worker(executor, pid)

    def _end(self, worker: _Worker, future: asyncio.Future[_T], *, kill: bool = True) -> None:
        """Let a worker go: killed when it is still running a task nobody waits for (over its time, given up)."""
        future.cancel()   # nobody waits for it any more: its exception must not be reported as unread
        self._busy.discard(worker)
        if kill:
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        worker.executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Let the idle workers exit and kill any still busy (a parse given up, a refresh interrupted)."""
        for worker in self._idle:
            worker.executor.shutdown(wait=False, cancel_futures=True)
        self._idle = []
        for worker in list(self._busy):
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            worker.executor.shutdown(wait=False, cancel_futures=True)
        self._busy.clear()


def _cpu_seconds(pid: int) -> float | None:
    """The CPU time process `pid` has used, in seconds (Linux's /proc), or None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _context() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)   # takes effect when the forkserver first starts
    return context
