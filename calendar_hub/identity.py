"""Stable identities: the UID an occurrence is republished under, a hash of what subscribers see, and which new
occurrence takes over the identity of one that vanished.

RFC 5545 3.8.4.7: a UID must stay the same for the life of an event, or subscribers' calendars
show duplicates.  The published UID is derived only from the source UID and the occurrence's
original start, never from database ids, hosts or fetch order, so it survives re-imports,
new databases and a change of the hub's address.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from calendar_hub.occurrence import EventIn

UID_DOMAIN = "calendar-hub"

_HASHTAG = re.compile(r"(?<!\w)#\w+")
_NOT_WORD = re.compile(r"[\W_]+")
_PREFIX = re.compile(r"^\s*([^:|\u2013\u2014]{1,40}?)\s*(?::|\||\s[-\u2013\u2014]\s)\s*(?=\S)")


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


def events_digest(hashes: Iterable[str]) -> str:
    """A hash of a set of occurrences (their `content_hash`es, in any order): two fetches that read the same events
    give the same digest, whatever their UIDs, DTSTAMPs or order in the file."""
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()[:32]


Trace = tuple[datetime, str, str]
"""What is left of an occurrence without its UID: its start, its title's normal form, its place (folded)."""


def trace(start: datetime, title: str, location: str, names: Iterable[str] = ()) -> Trace:
    """The trace of an occurrence of a group named `names`, as `successors` compares them."""
    return (start, title_key(title, names), fold(location))


def successors(vanished: Sequence[tuple[str, Trace, str]], appeared: Sequence[tuple[str, Trace, str]],
               ) -> dict[int, int]:
    """Which vanished occurrence each appeared one continues: {index in `appeared`: index in `vanished`}.

    Each item is (a name that orders it, its trace, its content hash).  Some producers write every event again
    under new UIDs (Office 365 does, and so does a group that moves its calendar): an occurrence that appears
    with the trace of one that vanished is that event, and keeps its published UID and what hangs on it.  The
    pairing is one to one; the same content is paired first, then the same trace, each in the order of the names,
    so the answer does not depend on the order of the feed.
    """
    by_trace: dict[Trace, list[int]] = defaultdict(list)
    for i in sorted(range(len(vanished)), key=lambda i: vanished[i][0]):
        by_trace[vanished[i][1]].append(i)
    order = sorted(range(len(appeared)), key=lambda j: appeared[j][0])
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for same_content in (True, False):
        for j in order:
            if j in pairs:
                continue
            _name, found, digest = appeared[j]
            for i in by_trace.get(found, ()):
                if i not in taken and (not same_content or vanished[i][2] == digest):
                    pairs[j] = i
                    taken.add(i)
                    break
    return pairs


def fold(text: str) -> str:
    """Lower case, accents, punctuation, symbols and emoji dropped, spaces collapsed.

    'Welcome Walk – Sefton Park' -> 'welcome walk sefton park'
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def title_key(title: str, names: Iterable[str] = ()) -> str:
    """The normal form two copies of one event's title share, for matching (never shown).

    Case, accents, punctuation, emoji, hashtags and "&" against "and" make no difference, nor does a
    leading group name given in `names` ("WAST: Postcard & poster workshop #CT4R" with names ["WAST"]
    -> 'postcard and poster workshop').  A title that is only a hashtag or a group name keeps it.
    """
    text = title.replace("&", " and ").replace("＆", " and ")
    prefix = _PREFIX.match(text)
    if prefix is not None:
        head = fold(prefix.group(1))
        if head and any(head == fold(name) for name in names):
            text = text[prefix.end():]
    without_tags = _HASHTAG.sub(" ", text)
    key = fold(without_tags) or fold(text)
    return key
