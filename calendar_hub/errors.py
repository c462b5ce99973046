"""The hub's errors, one tree.

    HubError
     ├── ConfigError          a setting, a registry file or a command-line argument is wrong: the operator's to
     │                        mend (carries the file or variable in its message)
     ├── InputError           what a person typed or chose in a form is wrong; `field` names the form field
     │    │                   ("" for the form as a whole) and the message says what to do, in plain words
     │    └── TooMany         a person asked too often (a rate limit): try again later
     ├── Conflict             someone else decided or changed it first (a request already approved, an event
     │                        already dealt with): nothing was changed
     └── FeedError            one feed could not be brought in (carries the feed URL)
          ├── FetchError      the network or server failed: refused, timed out, too large, HTTP error
          └── ParseError      the body arrived but is not a calendar or feed we can read

A FeedError is recorded in the feed's state and shown to organisers; it is never published as an event, and it
never deletes the feed's last good events. An InputError or a Conflict is shown to the person on the page they
sent, with what they typed kept; a ConfigError stops the command or the start-up with one line.
"""

from __future__ import annotations

from datetime import timedelta

__all__ = ["Conflict", "ConfigError", "FeedError", "FetchError", "HubError", "InputError", "ParseError", "TooMany"]


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


class ConfigError(HubError):
    """A setting, a registry file or a command-line argument is wrong."""


class InputError(HubError):
    """What a person typed or chose is wrong; `field` names the form field ("" for the whole form)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class TooMany(InputError):
    """A person sent too much too often: the limit is counted in the database, so across processes."""


class Conflict(HubError):
    """Someone else decided or changed the thing first; nothing was changed."""


class FeedError(HubError):
    """A feed could not be brought in; `url` names it and the message says why in plain words."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class FetchError(FeedError):
    """The fetch failed: connection, time limit, size limit, redirect limit or an HTTP error status.

    `retry_after` is how long the server asked the hub to wait before asking again (RFC 9110 10.2.3), if it did.
    """

    def __init__(self, message: str, *, url: str = "", status: int | None = None,
                 retry_after: timedelta | None = None) -> None:
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


class ParseError(FeedError):
    """The body is not a calendar or feed the hub can read."""
