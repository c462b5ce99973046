"""The addresses in every message: signed, expiring confirmation links, and the manage and unsubscribe pages.

A confirmation link carries the follower's id, when it runs out and an HMAC-SHA256 over both and the follower's
own random token, keyed by `CALENDAR_HUB_SECRET_KEY`: it cannot be made without the key, it dies after
`CONFIRM_DAYS`, and it dies with the sign-up (a new sign-up of the same address gets a new token).  Manage and
unsubscribe links carry the random token alone.  Absolute addresses come from `base_url` only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from calendar_hub import language
from calendar_hub.settings import Settings

__all__ = ["CONFIRM_DAYS", "absolute", "confirm_token", "confirmed_id", "is_valid", "manage_url", "unsubscribe_url"]

CONFIRM_DAYS = 7


def absolute(settings: Settings, path: str, code: str) -> str:
    """The page at `path` in the language `code`, as an absolute address under `base_url`."""
    return settings.base_url.rstrip("/") + language.link(path, code)


def confirm_token(follower_id: int, token: str, *, secret: str, now: datetime) -> str:
    """The token of a confirmation link, valid for `CONFIRM_DAYS` from `now`."""
    payload = f"{follower_id}.{int((now + timedelta(days=CONFIRM_DAYS)).timestamp())}"
    return f"{payload}.{_signature(payload, token, secret)}"


def confirmed_id(signed: str) -> int | None:
    """The follower id a confirmation token names (not yet checked: see `is_valid`); None when it is malformed."""
    parts = signed.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0])


def is_valid(signed: str, token: str, *, secret: str, now: datetime) -> bool:
    """Whether a confirmation token was made with `secret` for the follower whose token is `token`, and is unexpired."""
    parts = signed.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    payload = f"{parts[0]}.{parts[1]}"
    return hmac.compare_digest(parts[2], _signature(payload, token, secret)) and now.timestamp() < int(parts[1])


def manage_url(settings: Settings, token: str, code: str) -> str:
    return absolute(settings, f"/follow/manage/{token}", code)


def unsubscribe_url(settings: Settings, token: str, code: str) -> str:
    return absolute(settings, f"/follow/unsubscribe/{token}", code)


def _signature(payload: str, token: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"follow-confirm:{payload}:{token}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()
