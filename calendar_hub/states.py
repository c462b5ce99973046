"""The states a feed, a row or a decision can be in, as `StrEnum`s stored as the plain strings they equal.

Being `str`s, they are written to and read from the database as today's strings ("stored", "registry",
"merge"...), so no migration is needed, and a value read back compares equal to its member.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Decision", "Origin", "Outcome", "Review"]


class Outcome(StrEnum):
    """What one refresh of a feed came to."""

    STORED = "stored"              # parsed: the events replace the feed's events
    NOT_MODIFIED = "not_modified"  # HTTP 304: the server says nothing changed
    UNCHANGED = "unchanged"        # the same body as last time
    FAILED = "failed"              # nothing usable: the last good events are kept
    KEPT = "kept"                  # a body that would lose events (cut off, empty): the last good copy is kept
    HELD = "held"                  # a body that would take most upcoming events away: kept until a fetch agrees


class Origin(StrEnum):
    """Who owns a group, a week or a feed, and so what `load` may change and how a feed is fetched."""

    REGISTRY = "registry"    # the TOML registry: `load` updates it; its feeds may name local files
    CONSOLE = "console"      # made or last changed in the console: `load` leaves it be
    WEB = "web"              # a feed address that arrived through the web: SSRF-guarded on every fetch
    SUBMITTED = "submitted"  # a group's events sent through /submit: never fetched


class Decision(StrEnum):
    """An organiser's word on two events the hub suspected were one."""

    MERGE = "merge"  # one event crediting every group
    APART = "apart"  # two events, never joined


class Review(StrEnum):
    """Where a join request or a sent event stands with the organisers."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
