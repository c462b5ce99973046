"""Printed listings: the PDF of a 300-event week (`/weeks/{week}.pdf`), and one town's, made by WeasyPrint.

    python -m benchmarks.printed [--events 300] [--runs 5]

Target: the week's PDF in under 10 s.  Each run serves a fresh catalogue of the same listings (a new data
version), so nothing is answered from the kept copy; the figure is the median over the runs, in English and
in Welsh.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from starlette.testclient import TestClient

from calendar_hub.catalogue import Catalogue
from calendar_hub.catalogue.listing import Listing
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.factories import FixedHub, fixed_catalogue, london, make_group, make_listing

WEEK = "great-green-week-2026"
TOWNS = [("Manchester", "North West", 53.48, -2.24), ("Leeds", "Yorkshire and The Humber", 53.80, -1.55),
         ("Bristol", "South West", 51.45, -2.59), ("Cardiff", "Wales", 51.48, -3.18),
         ("Glasgow", "Scotland", 55.86, -4.25), ("Belfast", "Northern Ireland", 54.60, -5.93),
         ("Lewisham", "London", 51.46, -0.01), ("Norwich", "East of England", 52.63, 1.30),
         ("Leicester", "East Midlands", 52.64, -1.13), ("Coventry", "West Midlands", 52.41, -1.51)]


def week_listings(n: int) -> list[Listing]:
    """`n` events over the factories' June week, spread over ten towns in ten regions, one to three groups each."""
    groups = [make_group(f"group-{i}", f"Welcome Group {i}") for i in range(30)]
    out = []
    for i in range(n):
        town, region, lat, lon = TOWNS[i % len(TOWNS)]
        start = london(2026, 6, 6, 9) + timedelta(days=i % 9, hours=(i * 3) % 11)
        out.append(make_listing(
            uid=f"bench-{i:04d}@hub.example.org", title=f"Local action {i}: welcome walk and shared lunch",
            start=start, end=start + timedelta(hours=2), town=town, region=region, lat=lat + (i % 7) / 100,
            lon=lon + (i % 5) / 100, location=f"Community hall {i}, High Street, {town}",
            groups=tuple(groups[(i + k) % len(groups)] for k in range(1 + i % 3))))
    return out


def timed(settings: Settings, catalogue: Catalogue, path: str) -> tuple[float, int]:
    """Seconds and bytes for one GET of `path` on an app serving `catalogue`."""
    with TestClient(create_app(settings, hub=FixedHub(settings, catalogue))) as client:
        began = time.perf_counter()
        response = client.get(path)
        seconds = time.perf_counter() - began
    assert response.status_code == 200 and response.content.startswith(b"%PDF"), response.text[:300]
    return seconds, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    listings = week_listings(args.events)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{Path(folder) / 'hub.db'}", base_url="https://hub.example.org",
                            serve_refresh=False, secret_key="benchmark-" + "x" * 32)
        for label, path in [("week, English", f"/weeks/{WEEK}.pdf"), ("week, Welsh", f"/cy/weeks/{WEEK}.pdf"),
                            ("one town (30 events)", f"/weeks/{WEEK}/towns/manchester.pdf")]:
            runs = []
            for version in range(args.runs):
                catalogue = fixed_catalogue(listings, week=WEEK)
                catalogue.version = version + 1
                runs.append(timed(settings, catalogue, path))
            seconds = [s for s, _b in runs]
            print(f"{label:24} {args.events} events: median {statistics.median(seconds):.2f} s "
                  f"(min {min(seconds):.2f}, max {max(seconds):.2f}), {runs[0][1] / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
