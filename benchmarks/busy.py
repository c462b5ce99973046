"""Serving while 1,000 feeds refresh: wrk on the week's ICS, the week's page and its GeoJSON, idle and then while a
separate `calendar-hub refresh` of every feed runs, as deploy/README.md recommends (web process with refresh off).

    python -m benchmarks.busy [--feeds 1000] [--events 100] [--seconds 15] [--connections 8]
                              [--database postgresql+psycopg://postgres@127.0.0.1:5432/test] [--cores 0:1]
                              [--refresh-nice 0,19]

The feeds (`national.write_feeds`: Google-shaped, a quarter Outlook-shaped) are served on 127.0.0.1 with DTSTAMP set
to the time of each request, as Google Calendar and Office 365 do; in each refresh after the first a tenth of them
also retitle an event.  The first refresh stores them (not timed).  Then, for each of the three addresses, wrk
(`-t1 -c8 --latency`) runs idle, and again while refreshes of all the feeds run one after another (each a new
cycle: a new tenth changed), so that the web process keeps following changes for the whole measurement;
`--refresh-nice 0,19` makes a busy run for each niceness of the refresh (CALENDAR_HUB_REFRESH_NICE), each after
an idle run of its own.

Cores (`--cores HUB:WORLD`, default 0:1 on a machine of two or more): the hub's processes (web and refresh, with
the refresh's parse workers) are pinned to the HUB core, wrk and the feed server (the rest of the world) to the
WORLD core.  The client never takes the server's CPU, idle or busy, and the refresh competes with the web process
for the very core it serves on: the hardest fair case.  PostgreSQL, when used, is not pinned.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import Session

from benchmarks.corpus import served_registry
from benchmarks.national import serve_generated, wait_until, write_feeds
from calendar_hub import clock, store
from calendar_hub.store import engine as db

WEEK = "bench-week"
PATHS = [("week ICS", f"/weeks/{WEEK}.ics"), ("week page", f"/weeks/{WEEK}"),
         ("GeoJSON", f"/api/events.geojson?week={WEEK}")]


def pinned(core: str | None, command: list[str]) -> list[str]:
    """`command` run on `core` only (taskset), or as it is when no core is given."""
    return ["taskset", "-c", core, *command] if core is not None and shutil.which("taskset") else command


def wrk(url: str, seconds: float, connections: int, core: str | None) -> dict[str, float]:
    """One bounded wrk run on `url`: requests/s, p50 and p99 latency (ms), non-2xx/3xx answers and socket errors."""
    out = subprocess.run(pinned(core, ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency",
                                       "--timeout", "10s", url]),
                         capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    figures: dict[str, float] = {"non2xx": 0.0, "socket_errors": 0.0}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("Requests/sec"):
            figures["rps"] = float(words[1])
        elif words[:1] in (["50%"], ["99%"]):
            figures["p" + words[0].rstrip("%")] = _ms(words[1])
        elif line.strip().startswith("Non-2xx"):
            figures["non2xx"] = float(words[-1])
        elif line.strip().startswith("Socket errors"):
            figures["socket_errors"] = float(sum(int(n) for n in re.findall(r"\d+", line)))
    return figures


def _ms(text: str) -> float:
    """wrk's "812.00us", "3.20ms", "1.05s" or "1.10m" in milliseconds."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    assert found is not None, text
    return float(found[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[found[2]]


def settle(pid: int, url: str, seconds: float = 180.0) -> float:
    """Wait until the web process `pid` has used under 5% of a core for 2 s running while `url` is asked for once a
    second (a web process follows changes when asked: it has then caught up with them), at most `seconds`; returns
    how long that took."""
    started = time.perf_counter()
    tick = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    quiet, last = 0, used()
    while quiet < 2 and time.perf_counter() - started < seconds:
        httpx.get(url, timeout=60).raise_for_status()
        time.sleep(1.0)
        now = used()
        quiet, last = (quiet + 1 if now - last < 0.05 else 0), now
    return time.perf_counter() - started


def refreshing(env: dict[str, str], control: Path, core: str | None, stop: threading.Event,
               first_cycle: int, took: list[float]) -> None:
    """Refreshes of every feed one after another, each a new cycle (a new tenth changed), until `stop` is set."""
    cycle = first_cycle
    while not stop.is_set():
        control.write_text(f"{cycle} ")
        started = time.perf_counter()
        subprocess.run(pinned(core, [sys.executable, "-m", "calendar_hub", "refresh"]), env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800)
        took.append(time.perf_counter() - started)
        cycle += 1


def database(url: str, work: Path) -> tuple[str, sa.Engine | None, str]:
    """(the hub's database URL, an admin engine to drop its schema with at the end, the schema): SQLite in `work`,
    or a new schema of `url` on PostgreSQL."""
    if not url:
        return f"sqlite:///{work / 'hub.db'}", None, ""
    schema = "busy_" + uuid.uuid4().hex[:10]
    admin = db.make_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    return make_url(db.normalise_url(url)).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False), admin, schema


def row(label: str, idle: dict[str, float], busy: dict[str, float], refreshes: list[float]) -> str:
    return (f"| {label} | {os.getloadavg()[0]:.1f} | {idle['rps']:.0f} | {busy['rps']:.0f} | "
            f"{busy['rps'] / idle['rps']:.2f} | "
            f"{idle['p50']:.1f} / {idle['p99']:.1f} | {busy['p50']:.1f} / {busy['p99']:.1f} | "
            f"{idle['non2xx'] + busy['non2xx']:.0f} | {idle['socket_errors'] + busy['socket_errors']:.0f} | "
            f"{len(refreshes)}: {', '.join(f'{t:.0f}' for t in refreshes)} s |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=8, help="wrk's connections")
    parser.add_argument("--database", default="", help="PostgreSQL URL (default: a new SQLite file)")
    parser.add_argument("--refresh-nice", default="",
                        help="REFRESH_NICE values, comma-separated: a busy run each (default: the setting)")
    parser.add_argument("--cores", default="0:1" if (os.cpu_count() or 1) > 1 else "",
                        help="HUB:WORLD cores for taskset ('' for no pinning)")
    args = parser.parse_args()
    hub_core, world_core = args.cores.split(":") if args.cores else (None, None)

    work = Path(tempfile.mkdtemp(prefix="hub-busy-"))
    week_start = datetime.combine(clock.today(UTC) + timedelta(days=14), datetime.min.time(), tzinfo=UTC)
    paths = write_feeds(work / "feeds", args.feeds, args.events, week_start)
    control = work / "control"
    control.write_text("0 ")
    feed_port, web_port = 8806, 8807
    server = multiprocessing.Process(target=serve_generated, args=(str(work / "feeds"), feed_port, str(control)),
                                     daemon=True)
    server.start()
    if world_core is not None and shutil.which("taskset"):
        subprocess.run(["taskset", "-pc", world_core, str(server.pid)], check=True, stdout=subprocess.DEVNULL)
    wait_until(f"http://127.0.0.1:{feed_port}/{paths[0].name}", 20)

    url, admin, schema = database(args.database, work)
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as session:
        store.apply_registry(served_registry(paths, feed_port, week_start.date()), session=session)
    engine.dispose()
    env = {**os.environ, "CALENDAR_HUB_DATABASE_URL": url, "CALENDAR_HUB_SERVE_REFRESH": "false",
           "CALENDAR_HUB_SECRET_KEY": secrets.token_urlsafe(32), "CALENDAR_HUB_BASE_URL": f"http://127.0.0.1:{web_port}"}
    web: subprocess.Popen[bytes] | None = None
    try:
        started = time.perf_counter()
        # On every core: it only stores the feeds.
        subprocess.run([sys.executable, "-m", "calendar_hub", "refresh"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3600)
        print(f"{args.feeds} feeds x {args.events} events stored by a first refresh in "
              f"{time.perf_counter() - started:.0f} s; {'PostgreSQL' if admin else 'SQLite'}; cores hub {hub_core}, "
              f"wrk and feeds {world_core}; wrk -t1 -c{args.connections} -d{int(args.seconds)}s")
        web = subprocess.Popen(pinned(hub_core, [sys.executable, "-m", "calendar_hub", "serve", "--port",
                                                 str(web_port)]), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{web_port}"
        for _label, path in PATHS:
            wait_until(base + path, 600)
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        print("| address, refresh niceness | load | idle req/s | busy req/s | ratio | idle p50 / p99 ms | "
              "busy p50 / p99 ms | non-2xx | "
              "socket errors | refreshes during the busy run |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        cycle = 1
        for label, path in PATHS:
            for nice in args.refresh_nice.split(",") if args.refresh_nice else [""]:
                settle(web.pid, base + path)   # the web process done following the last refresh's changes
                idle = wrk(base + path, args.seconds, args.connections, world_core)
                stop, took = threading.Event(), []
                busy_env = {**env, "CALENDAR_HUB_REFRESH_NICE": nice} if nice else env
                refresher = threading.Thread(target=refreshing,
                                             args=(busy_env, control, hub_core, stop, cycle, took))
                refresher.start()
                try:
                    time.sleep(2.0)  # past the refresh's start, into its fetching and storing
                    busy = wrk(base + path, args.seconds, args.connections, world_core)
                finally:
                    stop.set()
                    refresher.join()
                cycle += len(took)
                print(row(f"{label}, {nice or 'default'}", idle, busy, took), flush=True)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if web is not None:
            web.terminate()
            web.wait()
        server.terminate()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
