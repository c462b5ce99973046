"""Reading a published calendar as Thunderbird's ical.js does (tests/js/starts.mjs), and the same with icalendar."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from icalendar import Calendar

JS = Path(__file__).parent / "js"
NODE = shutil.which("node")


def icaljs(data: bytes, tz: str) -> dict[str, dict[str, object]]:
    """What tests/js/starts.mjs prints for the bytes, with the node process in zone `tz`."""
    env = {**os.environ, "TZ": tz}
    done = subprocess.run([NODE or "node", str(JS / "starts.mjs")], input=data, capture_output=True,
                          env=env, cwd=JS, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    result: dict[str, dict[str, object]] = json.loads(done.stdout)
    return result


def icaljs_properties(data: bytes) -> dict[str, Any]:
    """What tests/js/properties.mjs prints: each property's values and parameters as ical.js reads them, for the
    calendar ("calendar") and for each event by UID ("events")."""
    done = subprocess.run([NODE or "node", str(JS / "properties.mjs")], input=data, capture_output=True,
                          cwd=JS, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def icalendar_view(data: bytes) -> dict[str, dict[str, object]]:
    """The same summary as starts.mjs, from icalendar."""
    out = {}
    for event in Calendar.from_ical(data).walk("VEVENT"):
        out[str(event["UID"])] = {
            "start": _moment(event, "DTSTART"),
            "end": _moment(event, "DTEND"),
            "allDay": not isinstance(event["DTSTART"].dt, datetime),
            "summary": str(event["SUMMARY"]),
            "description": str(event["DESCRIPTION"]),
            "location": str(event["LOCATION"]),
        }
    return out


def _moment(event: Any, name: str) -> str | None:
    """A DTSTART/DTEND as starts.mjs writes it: UTC ISO for a time, the date for a date."""
    if name not in event:
        return None
    value = event[name].dt
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value.isoformat())
