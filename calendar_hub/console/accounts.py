"""Organisers' accounts: roles, argon2 password hashes, sessions, sign-in throttling and other limits, the audit log.

Roles: "admin" may do everything, "organiser" everything but accounts, "editor" only their own
group's feeds.  The rules are here; the rows are read and written through `store` (its `accounts`),
with keyword-only `session` as there.

Sign-in attempts are counted per account and address together (so guesses from elsewhere never lock
an organiser out from their own address) and per address across accounts.  Each attempt is counted
and checked against the limits in one locked step before its password is compared, so attempts made
at the same moment, from as many processes, each count.  Past a limit every try waits, and the wait
doubles with each attempt, up to `LONGEST_WAIT`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import argon2

from calendar_hub import clock, store
from calendar_hub.errors import ConfigError
from calendar_hub.store import Session
from calendar_hub.store.models import AuditEntry, LoginFailure, User

ROLES = ("admin", "organiser", "editor")
MIN_PASSWORD = 10
FAILURES_ALLOWED = 5                    # wrong passwords for one account from one address before tries wait...
ADDRESS_FAILURES_ALLOWED = 20           # ...and from one address across accounts
FIRST_WAIT = timedelta(minutes=1)       # the wait at the limit, doubled with each attempt past it...
LONGEST_WAIT = timedelta(hours=1)       # ...up to this
FAILURE_WINDOW = timedelta(minutes=15)  # a count is forgotten after this long without attempts (past any wait)
FORGET_AFTER = timedelta(days=1)        # counters untouched this long are deleted
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
    else:
        user.session_generation += 1  # a new password ends every session signed in with the old one
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


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    """What came of one sign-in attempt."""

    user: User | None       # the account, when the password was right
    checked: bool           # whether the password was compared at all (not while a wait applies)
    wait: timedelta         # how long until the next try is checked; zero when no wait applies
    last_before_wait: bool = False  # a wrong password now would start a wait (one failure short of a limit)


def authenticate(email: str, password: str, *, address: str, session: Session, now: datetime | None = None,
                 ) -> User | None:
    """The active account `email` names when `password` is right, else None (see `attempt_sign_in`).  Commits."""
    return attempt_sign_in(email, password, address=address, session=session, now=now).user


def attempt_sign_in(email: str, password: str, *, address: str, session: Session, now: datetime | None = None,
                    ) -> SignInAttempt:
    """Count an attempt to sign in as `email` from `address`, then compare the password unless a wait applies.  Commits.

    The attempt is counted as a failure before the password is compared (and taken back when it was
    right), so attempts checked at the same time all see each other.
    """
    now = now or clock.now()
    email = normalise_email(email)
    limits = {f"pair:{address} {email}"[:400]: FAILURES_ALLOWED, f"ip:{address}"[:400]: ADDRESS_FAILURES_ALLOWED}
    counters = store.lock_login_failures(limits, session=session, now=now)
    for counter in counters:
        if _forgotten(counter, now):
            counter.attempts, counter.first_at, counter.wait_until = 0, now, None
    waiting = _wait(counters, now)
    for counter in counters:
        counter.attempts += 1
        counter.last_at = now
        if not waiting:
            after = wait_after(counter.attempts, limits[counter.key])
            counter.wait_until = now + after if after else None
    wait = waiting or _wait(counters, now)
    # Warned one failure before a limit, never sooner: a single mistyped password is no reason to worry anyone.
    last = any(counter.attempts == limits[counter.key] - 1 for counter in counters)
    store.prune_login_failures(session=session, before=now - FORGET_AFTER)
    if waiting:
        session.commit()
        return SignInAttempt(None, checked=False, wait=waiting)
    user = find_user(email, session=session)
    stored = user.password_hash if user is not None else _nobody()
    user_id = user.id if user is not None and user.active else None
    session.commit()  # counted (and the rows let go) before the slow comparison
    try:
        right = _hasher.verify(stored, password) and user_id is not None
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        right = False
    if not right or user_id is None:
        return SignInAttempt(None, checked=True, wait=wait, last_before_wait=last and not wait)
    return SignInAttempt(_signed_in(user_id, password, limits, session=session, now=now), checked=True,
                         wait=timedelta(0))


def _signed_in(user_id: int, password: str, limits: Mapping[str, int], *, session: Session, now: datetime,
               ) -> User | None:
    """Take back the failure counted in advance (the pair's count goes altogether), stamp the account.  Commits."""
    pair, place = limits
    for counter in store.lock_login_failures(limits, session=session, now=now):
        if counter.key == place:
            counter.attempts = max(0, counter.attempts - 1)
            if counter.attempts < limits[place]:
                counter.wait_until = None
    store.forget_login_failures(pair, session=session)
    user = store.user_by_id(user_id, session=session)
    if user is None or not user.active:  # taken away while the password was compared
        session.commit()
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now
    store.save_user(user, session=session)
    session.commit()
    session.refresh(user)
    return user


def wait_after(attempts: int, allowed: int) -> timedelta:
    """How long tries wait after `attempts` under a limit of `allowed`: none below it, then doubling, capped."""
    if attempts < allowed:
        return timedelta(0)
    return min(FIRST_WAIT * (1 << min(attempts - allowed, 32)), LONGEST_WAIT)


def _wait(counters: list[LoginFailure], now: datetime) -> timedelta:
    """The longest wait any of `counters` has left at `now` (zero when none has)."""
    longest = timedelta(0)
    for counter in counters:
        if counter.wait_until is not None:
            longest = max(longest, counter.wait_until - now)
    return longest


def _forgotten(counter: LoginFailure, now: datetime) -> bool:
    """Whether `counter` has had no attempt for `FAILURE_WINDOW` past its last one and past any wait."""
    last = max(counter.last_at, counter.wait_until or counter.last_at)
    return now >= last + FAILURE_WINDOW


def end_sessions(user_id: int, *, session: Session) -> None:
    """End every session of account `user_id` (a signed-out cookie, or a copy of it, is refused after).  Commits."""
    store.end_sessions(user_id, session=session)
    session.commit()


def within_limit(key: str, *, limit: int, window: timedelta, session: Session, now: datetime | None = None) -> bool:
    """Count one attempt under `key` ("join:203.0.113.5") and say whether it is within `limit` per `window`.  Commits.

    The count is one locked row (see `store.lock_login_failures`), so parallel attempts from as many
    processes each count; the window starts at the first attempt and an attempt over the limit is not
    counted (it changes nothing).
    """
    now = now or clock.now()
    [counter] = store.lock_login_failures([key], session=session, now=now)
    if now >= counter.first_at + window:
        counter.attempts, counter.first_at = 0, now
    allowed = counter.attempts < limit
    if allowed:
        counter.attempts += 1
    counter.last_at = now
    store.prune_login_failures(session=session, before=now - max(window, FORGET_AFTER))
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
