"""A generated corpus of member feeds: Google-style ICS files with realistic fields, deterministic."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

TOWNS = [("Manchester", 53.48, -2.24), ("Cardiff", 51.48, -3.18), ("Glasgow", 55.86, -4.25),
         ("Belfast", 54.60, -5.93), ("Leeds", 53.80, -1.55), ("Bristol", 51.45, -2.59),
         ("Norwich", 52.63, 1.30), ("Lewisham", 51.45, -0.02)]
KINDS = ["Welcome walk", "English conversation class", "Supper club", "Drop-in advice", "Film night",
         "Choir practice", "Vigil", "Fundraising quiz", "Football for all", "Craft circle"]


def write_corpus(folder: Path, *, feeds: int, events: int, week_start: date, seed: int = 7) -> list[Path]:
    """Write `feeds` ICS files of `events` events each, spread over the next 400 days; returns their paths.

    About one event in eight carries the #CT4R tag, so a 9-day week starting `week_start` holds a few hundred.
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    today = datetime.combine(week_start - timedelta(days=20), datetime.min.time(), tzinfo=UTC)
    paths = []
    for f in range(feeds):
        town, lat, lon = TOWNS[f % len(TOWNS)]
        lines = ["BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0",
                 "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:Group {f}", "X-WR-TIMEZONE:Europe/London"]
        for e in range(events):
            start = today + timedelta(days=rng.randrange(0, 400), hours=rng.randrange(9, 20))
            end = start + timedelta(hours=rng.choice([1, 2, 3]))
            kind = rng.choice(KINDS)
            tag = " #CT4R" if rng.random() < 0.125 else ""
            lines += [
                "BEGIN:VEVENT",
                f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{end:%Y%m%dT%H%M%SZ}", "DTSTAMP:20261101T090000Z",
                f"UID:{f:04d}-{e:04d}-{rng.getrandbits(48):012x}@google.com",
                "CREATED:20261001T090000Z", "LAST-MODIFIED:20261020T090000Z",
                f"DESCRIPTION:<p>{kind} with Group {f} in {town}.{tag}</p><p>Everyone welcome\\, bring a friend.</p>",
                f"LOCATION:Community Centre {e % 7}\\, High Street\\, {town}",
                f"GEO:{lat + rng.uniform(-0.05, 0.05):.5f};{lon + rng.uniform(-0.05, 0.05):.5f}",
                "SEQUENCE:0", "STATUS:CONFIRMED", f"SUMMARY:{kind}{tag}", "TRANSP:OPAQUE", "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
        path = folder / f"group-{f:04d}.ics"
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
        paths.append(path)
    return paths
