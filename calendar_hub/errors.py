"""The hub's errors, one tree.

    HubError
     ├── ConfigError          a setting or registry file is wrong (carries the file or variable)
     └── FeedError            one feed could not be brought in (carries the feed URL)
          ├── FetchError      the network or server failed: refused, timed out, too large, HTTP error
          └── ParseError      the body arrived but is not a calendar or feed we can read

A FeedError is recorded in the feed's state and shown to organisers; it is never
published as an event, and it never deletes the feed's last good events.
"""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


class ConfigError(HubError):
    """A setting, a registry file or a command-line argument is wrong."""


class FeedError(HubError):
    """A feed could not be brought in; `url` names it and the message says why in plain words."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class FetchError(FeedError):
    """The fetch failed: connection, time limit, size limit, redirect limit or an HTTP error status."""


class ParseError(FeedError):
    """The body is not a calendar or feed the hub can read."""
