"""Following the hub by e-mail: sign-ups with double opt-in, the weekly digest and week alerts, and the outbox.

    signup   the form's checks, rate limits, confirm, change, export, unsubscribe, forget
    links    signed, expiring confirmation links and the addresses in every message
    compose  a message (plain text and HTML parts from the templates, RFC 8058 headers) as RFC 5322 bytes
    digest   what is due for whom: the weekly digest and the alert before a followed week starts
    outbox   sending what is queued, each message once, with back-off and a rate limit
    sender   the SMTP relay (the only module that speaks SMTP)

It reads the catalogue to match events and the store to keep followers and messages; it never publishes an
address.
"""

from __future__ import annotations

__all__ = ["compose", "digest", "links", "outbox", "sender", "signup"]
