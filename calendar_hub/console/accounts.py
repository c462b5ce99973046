"""Organisers' accounts: roles, argon2 password hashes, sign-in throttling and other limits, the audit log.

Roles: "admin" may do everything, "organiser" everything but accounts, "editor" only their own
group's feeds.  The rules are here; the rows are read and written through `store` (its `accounts`),
with keyword-only `session` as there.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import argon2

from calendar_hub import clock, store
from calendar_hub.errors import ConfigError
from calendar_hub.store import Session
from calendar_hub.store.models import AuditEntry, User

ROLES = ("admin", "organiser", "editor")
MIN_PASSWORD = 10
FAILURES_ALLOWED = 5                    # failed sign-ins per account or per address...
FAILURE_WINDOW = timedelta(minutes=15)  # ...within this time, before sign-in is refused for a while
_hasher = argon2.PasswordHasher()       # argon2id with the library's (RFC 9106) defaults


@functools.cache
def _nobody() -> str:
    """A hash to verify against when no account matches, so that costs the same time as a real check.

    Made on first use: a hash takes 64 MiB for a moment, which no process should pay at import.
    """
    return _hasher.hash("no such account")


def hash_password(password: str) -> str:
    """An argon2id hash of `password`; raises ConfigError when it is shorter than `MIN_PASSWORD`."""
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher.hash(password)


def add_user(email: str, password: str, *, role: str, group: str | None, session: Session,
             actor: str) -> User:
    """Create an account (or reset an existing one's password and role).  Commits.

    Raises ConfigError for an unknown role, an editor without a group (or another role with
    one), an unknown group, or a short password.
    """
    email = normalise_email(email)
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if "@" not in email:
        raise ConfigError(f"{email!r} is not an e-mail address")
    if (role == "editor") != (group is not None):
        raise ConfigError("an editor needs --group SLUG, and only an editor has a group")
    group_id = None
    if group is not None:
        found = store.group_by_slug(group, session=session)
        if found is None:
            raise ConfigError(f"there is no group {group!r}")
        group_id = found.id
    user = find_user(email, session=session)
    created = user is None
    if user is None:
        user = User(email=email, password_hash="", role=role)
    user.password_hash = hash_password(password)
    user.role, user.group_id, user.active = role, group_id, True
    store.save_user(user, session=session)
    record(session=session, actor=actor, action="user.add" if created else "user.reset", target=email,
           detail={"role": role, "group": group})
    session.commit()
    session.refresh(user)
    return user


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str, *, session: Session) -> User | None:
    return store.user_by_email(normalise_email(email), session=session)


def authenticate(email: str, password: str, *, address: str, session: Session, now: datetime | None = None,
                 ) -> User | None:
    """The active account `email` names when `password` is right, else None.  Commits.

    Refuses (None, without checking) while the account or the address has had `FAILURES_ALLOWED`
    failures within `FAILURE_WINDOW`; every failure is recorded against both.
    """
    now = now or clock.now()
    keys = [f"email:{normalise_email(email)}", f"ip:{address}"]
    if throttled(keys, session=session, now=now):
        return None
    user = find_user(email, session=session)
    try:
        _hasher.verify(user.password_hash if user else _nobody(), password)
        ok = user is not None and user.active
    except argon2.exceptions.VerificationError:
        ok = False
    except argon2.exceptions.InvalidHashError:
        ok = False
    if not ok or user is None:
        store.add_login_failures(keys, session=session, at=now)
        session.commit()
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    store.save_user(user, session=session)
    store.forget_login_failures(keys[0], session=session)
    session.commit()
    session.refresh(user)
    return user


def throttled(keys: list[str], *, session: Session, now: datetime) -> bool:
    """Whether any of `keys` has had too many failed sign-ins lately."""
    counts = store.login_failure_counts(keys, session=session, since=now - FAILURE_WINDOW)
    return any(count >= FAILURES_ALLOWED for count in counts.values())


def within_limit(key: str, *, limit: int, window: timedelta, session: Session, now: datetime | None = None) -> bool:
    """Count one attempt under `key` ("join:203.0.113.5") and say whether it is within `limit` per `window`.  Commits.

    Kept in the sign-in failures' table, so the count holds across processes; an attempt over the
    limit is not recorded (it changes nothing), and that key's rows older than the window go.  Two
    processes counting at the same instant may both let one more through: a bound, not a quota.
    """
    now = now or clock.now()
    since = now - window
    store.forget_login_failures(key, session=session, before=since)
    count = store.login_failure_counts([key], session=session, since=since).get(key, 0)
    allowed = count < limit
    if allowed:
        store.add_login_failures([key], session=session, at=now)
    session.commit()
    return allowed


def record(*, session: Session, actor: str, action: str, target: str = "", detail: Mapping[str, Any] | None = None,
           ) -> None:
    """Add an audit entry to the session (committed with the change it records)."""
    store.add_audit_entry(session=session, actor=actor, action=action, target=target[:2000], detail=detail or {})


def audit_entries(*, session: Session, limit: int = 200) -> list[AuditEntry]:
    """The newest audit entries first."""
    return store.audit_entries(session=session, limit=limit)


def user_by_id(user_id: int, *, session: Session) -> User | None:
    user = store.user_by_id(user_id, session=session)
    return user if user is not None and user.active else None
