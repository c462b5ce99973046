"""The map of 10,000 events: /map in headless Chromium, from a cold browser, until ready and until every marker is in.

    python -m benchmarks.map [--events 10000] [--runs 5]

Target: ready in under 1 s.  The hub serves a fixed catalogue of `--events` placed events across the UK (forty
towns and cities, a year of events each), on uvicorn on 127.0.0.1, without map tiles (nothing leaves the machine).
Each run is a new browser context, so nothing comes from the browser's cache; the page and its data are built
by the hub once, before the runs (as they are once per data version), and that build is timed on its own.

Times are milliseconds from the start of the navigation (`performance.now()` in the page):
- ready: the map's initial view has every marker and cluster it shows drawn, and the list beside it can be used
  (each item's "Show on map" button shown and answering).  map.js stamps the moment on
  `document.documentElement.dataset.mapReady`; for code older than that stamp, the moment `#map[data-markers]`
  appears (the old code showed the buttons then);
- all markers: every event's marker is in the map (`#map[data-markers]` set);
each taken once the frame after it has been painted.  Also shown: DOMContentLoaded, the load event, and the
longest task the main thread ran (how long the page could not answer a click or a scroll).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from calendar_hub import clock
from calendar_hub.catalogue.listing import Listing
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.browsers import CHROMIUM, CHROMIUM_ARGS
from tests.factories import FixedHub, fixed_catalogue, london, make_group, make_listing
from tests.liveserver import live

# (town, region, nation, lat, lon): from Cornwall to Shetland and Antrim, so the first view is the whole UK.
PLACES = [
    ("Penzance", "South West", "England", 50.12, -5.54),
    ("Plymouth", "South West", "England", 50.37, -4.14),
    ("Exeter", "South West", "England", 50.72, -3.53),
    ("Bristol", "South West", "England", 51.45, -2.59),
    ("Southampton", "South East", "England", 50.9, -1.4),
    ("Brighton", "South East", "England", 50.82, -0.14),
    ("Canterbury", "South East", "England", 51.28, 1.08),
    ("Oxford", "South East", "England", 51.75, -1.26),
    ("Lewisham", "London", "England", 51.46, -0.01),
    ("Hackney", "London", "England", 51.55, -0.06),
    ("Croydon", "London", "England", 51.37, -0.1),
    ("Norwich", "East of England", "England", 52.63, 1.3),
    ("Cambridge", "East of England", "England", 52.21, 0.12),
    ("Leicester", "East Midlands", "England", 52.64, -1.13),
    ("Nottingham", "East Midlands", "England", 52.95, -1.15),
    ("Birmingham", "West Midlands", "England", 52.48, -1.9),
    ("Coventry", "West Midlands", "England", 52.41, -1.51),
    ("Stoke-on-Trent", "West Midlands", "England", 53.0, -2.18),
    ("Manchester", "North West", "England", 53.48, -2.24),
    ("Liverpool", "North West", "England", 53.41, -2.98),
    ("Lancaster", "North West", "England", 54.05, -2.8),
    ("Carlisle", "North West", "England", 54.89, -2.93),
    ("Leeds", "Yorkshire and The Humber", "England", 53.8, -1.55),
    ("Sheffield", "Yorkshire and The Humber", "England", 53.38, -1.47),
    ("Hull", "Yorkshire and The Humber", "England", 53.74, -0.33),
    ("York", "Yorkshire and The Humber", "England", 53.96, -1.08),
    ("Newcastle upon Tyne", "North East", "England", 54.98, -1.61),
    ("Middlesbrough", "North East", "England", 54.57, -1.23),
    ("Cardiff", "Wales", "Wales", 51.48, -3.18),
    ("Swansea", "Wales", "Wales", 51.62, -3.94),
    ("Aberystwyth", "Wales", "Wales", 52.41, -4.08),
    ("Bangor", "Wales", "Wales", 53.23, -4.13),
    ("Wrexham", "Wales", "Wales", 53.05, -2.99),
    ("Glasgow", "Scotland", "Scotland", 55.86, -4.25),
    ("Edinburgh", "Scotland", "Scotland", 55.95, -3.19),
    ("Aberdeen", "Scotland", "Scotland", 57.15, -2.09),
    ("Inverness", "Scotland", "Scotland", 57.48, -4.22),
    ("Lerwick", "Scotland", "Scotland", 60.15, -1.15),
    ("Belfast", "Northern Ireland", "Northern Ireland", 54.6, -5.93),
    ("Derry", "Northern Ireland", "Northern Ireland", 55.0, -7.32),
]
KINDS = ["Welcome walk", "English conversation class", "Supper club & stories", "Drop-in advice", "Film night",
         "Choir practice", "Solidarity vigil #CT4R", "Fundraising quiz", "Football for all", "Craft circle"]
BEGIN = datetime(2027, 1, 1, 12, tzinfo=UTC)  # the hub runs as if it were then: every event is still to come

# Stamps, in the page's own clock, for what map.js does not stamp itself; each waits for the frame after.
OBSERVER = """
(() => {
  const stamps = window.__bench = {};
  const painted = name => requestAnimationFrame(() => setTimeout(() => { stamps[name] = performance.now(); }, 0));
  new MutationObserver(() => {
    const map = document.getElementById("map");
    if (!("markers" in stamps) && map && map.dataset.markers) { stamps.markers = -1; painted("markers"); }
    if (!("ready" in stamps) && document.documentElement.dataset.mapReady) {
      stamps.ready = -1; stamps.readyMarked = Number(document.documentElement.dataset.mapReady); painted("ready");
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-markers", "data-map-ready"] });
  stamps.longest = 0;
  try {
    new PerformanceObserver(list => list.getEntries().forEach(entry => {
      stamps.longest = Math.max(stamps.longest, entry.duration);
    })).observe({ type: "longtask", buffered: true });
  } catch (e) { stamps.longest = null; }
})();
"""
STAMPS = """() => {
  const s = window.__bench, n = performance.getEntriesByType("navigation")[0];
  return { ready: s.ready, readyMarked: s.readyMarked, markers: s.markers, longest: s.longest,
           dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd,
           items: document.querySelectorAll("#map-list > li").length };
}"""


def uk_listings(n: int, *, seed: int = 17) -> list[Listing]:
    """`n` placed events over 2027 in forty places across the UK, one to three of 300 groups each, text as feeds
    write it (a location line, a paragraph of description, a placing note)."""
    rng = random.Random(seed)
    groups = [make_group(f"group-{i}", f"Welcome Group {i}") for i in range(300)]
    out = []
    for i in range(n):
        town, region, nation, lat, lon = PLACES[i % len(PLACES)]
        start = london(2027, 1, 4, 9) + timedelta(days=rng.randrange(0, 360), hours=rng.randrange(0, 11))
        exact = rng.random() < 0.7
        kind = rng.choice(KINDS)
        out.append(make_listing(
            uid=f"map-{i:05d}@hub.example.org", title=f"{kind} in {town} ({i})", start=start,
            end=start + timedelta(hours=rng.choice([1, 2, 3])), town=town, region=region, nation=nation,
            lat=round(lat + rng.gauss(0, 0.08), 6), lon=round(lon + rng.gauss(0, 0.12), 6),
            place_precision="exact" if exact else "approximate",
            placed_by="coordinates" if exact else "group_home",
            place_note="Exact place given by the group's calendar" if exact else f"Placed at the group's home, {town}",
            location=f"Community hall {i % 97}, {rng.randrange(1, 200)} High Street, {town}",
            description_text=f"{kind}: everyone welcome, whatever their English. Tea and cake; children welcome. "
                             "Step-free access; a quiet room is available. " * (1 + i % 3),
            description_html="", url=f"https://group-{i % 300}.example.org/events/{i}",
            categories=("Welcome",), weeks=(),
            groups=tuple(groups[(i * 7 + k) % len(groups)] for k in range(1 + i % 3))))
    return out


@contextmanager
def serving(listings: list[Listing]) -> Iterator[str]:
    """The hub, as if it were `BEGIN`, serving `listings` on a free loopback port; yields its base URL."""
    with tempfile.TemporaryDirectory() as folder, clock.travel_to(BEGIN):
        settings = Settings(database_url=f"sqlite:///{Path(folder) / 'hub.db'}", base_url="https://hub.example.org",
                            serve_refresh=False, secret_key="benchmark-" + "x" * 32, tile_url="")
        with live(create_app(settings, hub=FixedHub(settings, fixed_catalogue(listings)))) as base:
            yield base


def built(base: str, path: str) -> tuple[float, int]:
    """Seconds and bytes of one GET (the hub builds the output on the first and keeps it)."""
    began = time.perf_counter()
    response = httpx.get(base + path, timeout=120)
    response.raise_for_status()
    return time.perf_counter() - began, len(response.content)


def data_path(base: str) -> str:
    """The address of the map's data, as the page gives it to map.js."""
    page = httpx.get(base + "/map", timeout=120).text
    attribute = 'data-points="' if 'data-points="' in page else 'data-geojson="'  # the compact data, when it has it
    return page.split(attribute, 1)[1].split('"', 1)[0].replace("&amp;", "&")


def one_load(browser: Any, url: str) -> dict[str, float]:
    """A cold load of `url` in a new context (empty cache), until ready and every marker is in."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        context.add_init_script(OBSERVER)
        page = context.new_page()
        page.goto(url, timeout=120_000)
        page.wait_for_function("() => window.__bench && window.__bench.markers > 0 && document.readyState === "
                               "'complete'", timeout=120_000)
        page.wait_for_timeout(300)  # a stamp of map.js's own, when it comes after the markers
        stamps: dict[str, float] = page.evaluate(STAMPS)
    finally:
        context.close()
    if not stamps.get("ready") or stamps["ready"] < 0:  # code without the stamp: ready when every marker is in
        stamps["ready"] = stamps["markers"]
    return stamps


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--path", default="/map", help="the page to load (/cy/map for the Welsh one)")
    args = parser.parse_args()
    listings = uk_listings(args.events)
    with serving(listings) as base:
        page_seconds, page_bytes = built(base, args.path)
        data = data_path(base)
        data_seconds, data_bytes = built(base, data)
        print(f"{args.events} placed events; the hub built {args.path} in {page_seconds:.2f} s "
              f"({page_bytes / 1024:.0f} KiB) and {data.split('?')[0]} in {data_seconds:.2f} s "
              f"({data_bytes / 1024:.0f} KiB)")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            one_load(browser, base + args.path)  # Chromium's own first start is not the page's
            runs = [one_load(browser, base + args.path) for _ in range(args.runs)]
            browser.close()
    items = sorted({run["items"] for run in runs})
    print(f"list items on the page: {', '.join(map(str, items))}")
    for name, label in (("ready", "ready"), ("markers", "all markers"), ("dcl", "DOMContentLoaded"),
                        ("load", "load event"), ("longest", "longest task")):
        values = [run[name] for run in runs if run.get(name) is not None]
        if values:
            print(f"{label:17} median {statistics.median(values):6.0f} ms  "
                  f"(min {min(values):.0f}, max {max(values):.0f})")


if __name__ == "__main__":
    main()
