"""A generated corpus of member feeds: Google-style ICS files with realistic fields, deterministic."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from calendar_hub.registry import FeedSpec, GroupSpec, Registry, WeekSpec

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


def served_registry(paths: list[Path], port: int, week_start: date) -> Registry:
    """A group per corpus file, its feed served on 127.0.0.1:`port`, and the 9-day #CT4R week from `week_start`."""
    return Registry(
        groups=tuple(GroupSpec(slug=f"group-{i:04d}", name=f"Group {i}", feeds=(
            FeedSpec(url=f"http://127.0.0.1:{port}/{p.name}", kind="ical", private=True),))
            for i, p in enumerate(paths)),
        weeks=(WeekSpec(slug="bench-week", name="Benchmark week", start=week_start,
                        end=week_start + timedelta(days=8), tags=("CT4R",)),))


_OUTLOOK_ZONE = """BEGIN:VTIMEZONE
TZID:GMT Standard Time
BEGIN:STANDARD
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T010000
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE""".splitlines()


_GOOGLE_BOOKKEEPING = ["CLASS:PUBLIC", "CREATED:20261001T090000Z", "LAST-MODIFIED:20261020T090000Z",
                       "TRANSP:OPAQUE"]
_OUTLOOK_BOOKKEEPING = [
    "CLASS:PUBLIC", "PRIORITY:5", "TRANSP:OPAQUE", "X-MICROSOFT-CDO-APPT-SEQUENCE:0",
    "X-MICROSOFT-CDO-BUSYSTATUS:BUSY", "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY", "X-MICROSOFT-CDO-ALLDAYEVENT:FALSE",
    "X-MICROSOFT-CDO-IMPORTANCE:1", "X-MICROSOFT-CDO-INSTTYPE:0", "X-MICROSOFT-DONOTFORWARDMEETING:FALSE",
    "X-MICROSOFT-DISALLOW-COUNTER:FALSE", "X-MICROSOFT-REQUESTEDATTENDANCEMODE:DEFAULT",
    "X-MICROSOFT-ISRESPONSEREQUESTED:FALSE",
]


def write_mixed_corpus(folder: Path, *, feeds: int, events: int, start: date, seed: int = 11) -> list[Path]:
    """Write `feeds` ICS files of `events` VEVENTs each in the shapes real producers use; returns their paths.

    Every fourth feed is Outlook-shaped (a Windows zone name with its VTIMEZONE), the rest Google-shaped
    (UTC singles, X-WR-TIMEZONE).  In each feed one VEVENT in ten is a weekly series (COUNT, an EXDATE
    and a moved instance as a RECURRENCE-ID override), one in ten an all-day or multi-day event, and
    every description is different, as in real calendars.  Each VEVENT carries the bookkeeping
    properties its producer really writes (CLASS, CREATED, TRANSP; Outlook's X-MICROSOFT-CDO-* lines).
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    origin = datetime.combine(start, datetime.min.time())
    paths = []
    for f in range(feeds):
        town, lat, lon = TOWNS[f % len(TOWNS)]
        outlook = f % 4 == 3
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "METHOD:PUBLISH", f"X-WR-CALNAME:Group {f}"]
        if outlook:
            lines += ["PRODID:Microsoft Exchange Server 2010", *_OUTLOOK_ZONE]
        else:
            lines += ["PRODID:-//Google Inc//Google Calendar 70.9054//EN", "CALSCALE:GREGORIAN",
                      "X-WR-TIMEZONE:Europe/London"]
        for e in range(events):
            begin = origin + timedelta(days=rng.randrange(0, 300), hours=rng.randrange(9, 20))
            hours = rng.choice([1, 2, 3])
            kind = rng.choice(KINDS)
            uid = f"{f:04d}-{e:04d}-{rng.getrandbits(48):012x}@{'outlook' if outlook else 'google'}.com"
            shape = e % 10
            if shape == 0:
                when = [f"DTSTART;VALUE=DATE:{begin:%Y%m%d}",
                        f"DTEND;VALUE=DATE:{begin + timedelta(days=rng.choice([1, 1, 2, 3])):%Y%m%d}"]
            elif outlook:
                when = [f"DTSTART;TZID=GMT Standard Time:{begin:%Y%m%dT%H%M%S}",
                        f"DTEND;TZID=GMT Standard Time:{begin + timedelta(hours=hours):%Y%m%dT%H%M%S}"]
            elif shape == 1:
                when = [f"DTSTART;TZID=Europe/London:{begin:%Y%m%dT%H%M%S}",
                        f"DTEND;TZID=Europe/London:{begin + timedelta(hours=hours):%Y%m%dT%H%M%S}"]
            else:
                when = [f"DTSTART:{begin:%Y%m%dT%H%M%S}Z", f"DTEND:{begin + timedelta(hours=hours):%Y%m%dT%H%M%S}Z"]
            body = [
                f"UID:{uid}", "DTSTAMP:20261101T090000Z", "SEQUENCE:0", "STATUS:CONFIRMED",
                f"SUMMARY:{kind} ({town} {e})",
                f"DESCRIPTION:<p>{kind} with Group {f} in {town}\\, meeting {e}.</p><p>Everyone welcome\\, "
                f"bring a friend. Ref {rng.getrandbits(32):08x}</p>",
                f"LOCATION:Community Centre {e % 7}\\, High Street\\, {town}",
                f"GEO:{lat + rng.uniform(-0.05, 0.05):.5f};{lon + rng.uniform(-0.05, 0.05):.5f}",
            ]
            lines += ["BEGIN:VEVENT", *when, *body, *(_OUTLOOK_BOOKKEEPING if outlook else _GOOGLE_BOOKKEEPING)]
            if shape == 1:
                zone = "GMT Standard Time" if outlook else "Europe/London"
                skipped = begin + timedelta(weeks=2)
                lines += ["RRULE:FREQ=WEEKLY;COUNT=10", f"EXDATE;TZID={zone}:{skipped:%Y%m%dT%H%M%S}"]
            lines.append("END:VEVENT")
            if shape == 1:
                zone = "GMT Standard Time" if outlook else "Europe/London"
                moved = begin + timedelta(weeks=3)
                lines += ["BEGIN:VEVENT", f"RECURRENCE-ID;TZID={zone}:{moved:%Y%m%dT%H%M%S}",
                          f"DTSTART;TZID={zone}:{moved + timedelta(hours=1):%Y%m%dT%H%M%S}",
                          f"DTEND;TZID={zone}:{moved + timedelta(hours=1 + hours):%Y%m%dT%H%M%S}",
                          *body, "END:VEVENT"]
        lines.append("END:VCALENDAR")
        path = folder / f"group-{f:04d}.ics"
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
        paths.append(path)
    return paths
