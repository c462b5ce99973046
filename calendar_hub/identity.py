"""Stable identities: the UID an occurrence is republished under, and a hash of what subscribers see.

RFC 5545 3.8.4.7: a UID must stay the same for the life of an event, or subscribers' calendars
show duplicates.  The published UID is derived only from the source UID and the occurrence's
original start, never from database ids, hosts or fetch order, so it survives re-imports,
new databases and a change of the hub's address.
"""

from __future__ import annotations

import hashlib

from calendar_hub.occurrence import EventIn

UID_DOMAIN = "calendar-hub"


def published_uid(source_uid: str, recurrence_id: str) -> str:
    """The UID an occurrence is republished under; the same inputs give the same UID forever."""
    digest = hashlib.sha256(f"{source_uid}\x1f{recurrence_id}".encode()).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


def content_hash(event: EventIn) -> str:
    """A hash of everything about an occurrence that is published; a change bumps its SEQUENCE."""
    fields = (
        event.title, event.start.isoformat(), event.end.isoformat(), event.all_day,
        event.start_date.isoformat() if event.start_date else "",
        event.end_date.isoformat() if event.end_date else "",
        event.status, event.description_html, event.description_text, event.location, event.url,
        event.categories, event.lat, event.lon,
    )
    return hashlib.sha256(repr(fields).encode()).hexdigest()[:32]
