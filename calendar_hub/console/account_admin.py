"""Admins managing accounts in the console: list, add, change a role, deactivate, and one-time password links.

Mail may not be configured, so a new account or a forgotten password gets a one-time link that the
admin passes on.  The link carries a random token; only its SHA-256 is stored, with an expiry, and it
works once: the person it names sets a password there and is signed in.  Every change is audited like
the console's other actions.  The rules for roles and passwords are those of `accounts`.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from calendar_hub import clock, store
from calendar_hub.console import accounts
from calendar_hub.errors import ConfigError, InputError
from calendar_hub.store import PasswordLink, Session
from calendar_hub.store.models import User

__all__ = ["LINK_LIFETIME", "add_account", "all_accounts", "change_role", "has_password", "link_account", "new_link",
           "set_active", "use_link"]

LINK_LIFETIME = timedelta(days=3)  # long enough to pass on by another channel, short enough to go stale
_NO_PASSWORD = "!"                  # not an argon2 hash: no password matches it (see `accounts.attempt_sign_in`)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def all_accounts(*, session: Session) -> list[User]:
    """Every account, active or not, by e-mail address."""
    return store.all_users(session=session)


def _account(user_id: int, *, session: Session) -> User:
    user = store.user_by_id(user_id, session=session)
    if user is None:
        raise InputError("There is no such account.")
    return user


def _issue(user: User, *, session: Session, actor: str, now: datetime) -> str:
    """Stage a new one-time link for `user` (any earlier unused one stops working); its token."""
    assert user.id is not None
    store.drop_password_links(user.id, session=session)
    token = secrets.token_urlsafe(32)
    store.save_password_link(PasswordLink(user_id=user.id, token_hash=_hash(token), created_at=now,
                                          expires_at=now + LINK_LIFETIME, actor=actor), session=session)
    return token


def add_account(email: str, *, role: str, group: str | None, session: Session, actor: str,
                now: datetime | None = None) -> tuple[User, str]:
    """Make an account without a password, and a one-time link for it to set one; the account and the token.  Commits.

    Raises InputError for an address already in use, an unknown role or group, or an editor without a group.
    """
    now = now or clock.now()
    email = accounts.normalise_email(email)
    if "@" not in email:
        raise InputError(f"{email!r} is not an e-mail address.", field="email")
    if accounts.find_user(email, session=session) is not None:
        raise InputError(f"There is already an account for {email}.", field="email")
    group_id = _group_id(role, group, session=session)
    user = User(email=email, password_hash=_NO_PASSWORD, role=role, group_id=group_id, active=True)
    store.save_user(user, session=session)
    session.flush()
    token = _issue(user, session=session, actor=actor, now=now)
    accounts.record(session=session, actor=actor, action="user.add", target=email,
                    detail={"role": role, "group": group, "link": "one-time"})
    session.commit()
    session.refresh(user)
    return user, token


def _group_id(role: str, group: str | None, *, session: Session) -> int | None:
    if role not in accounts.ROLES:
        raise InputError(f"Choose a role: {', '.join(accounts.ROLES)}.", field="role")
    if (role == "editor") != bool(group):
        raise InputError("An editor needs a group, and only an editor has one.", field="group")
    if not group:
        return None
    found = store.group_by_slug(group, session=session)
    if found is None:
        raise InputError(f"There is no group {group!r}.", field="group")
    return found.id


def change_role(user_id: int, role: str, group: str | None, *, session: Session, actor: str) -> User:
    """Give account `user_id` another role (and group, for an editor).  Commits; raises InputError."""
    user = _account(user_id, session=session)
    if user.email == accounts.normalise_email(actor) and role != "admin":
        raise InputError("You cannot take away your own admin role: ask another admin.", field="role")
    before = user.role
    user.role, user.group_id = role, _group_id(role, group, session=session)
    store.save_user(user, session=session)
    accounts.record(session=session, actor=actor, action="user.role", target=user.email,
                    detail={"from": before, "to": role, "group": group})
    session.commit()
    session.refresh(user)
    return user


def set_active(user_id: int, active: bool, *, session: Session, actor: str) -> User:
    """Deactivate account `user_id` (its sessions and links end at once) or bring it back.  Commits."""
    user = _account(user_id, session=session)
    if not active and user.email == accounts.normalise_email(actor):
        raise InputError("You cannot deactivate your own account.")
    user.active = active
    store.save_user(user, session=session)
    if not active:
        assert user.id is not None
        store.end_sessions(user.id, session=session)
        store.drop_password_links(user.id, session=session)
    accounts.record(session=session, actor=actor, action="user.reactivate" if active else "user.deactivate",
                    target=user.email)
    session.commit()
    session.refresh(user)
    return user


def new_link(user_id: int, *, session: Session, actor: str, now: datetime | None = None) -> tuple[User, str]:
    """A fresh one-time link for account `user_id` to set a new password; the account and the token.  Commits.

    The old password keeps working until the link is used.  Raises InputError for a deactivated account.
    """
    user = _account(user_id, session=session)
    if not user.active:
        raise InputError("This account is deactivated: reactivate it first.")
    token = _issue(user, session=session, actor=actor, now=now or clock.now())
    accounts.record(session=session, actor=actor, action="user.reset_link", target=user.email,
                    detail={"expires": f"{LINK_LIFETIME.days} days"})
    session.commit()
    return user, token


def link_account(token: str, *, session: Session, now: datetime | None = None) -> User | None:
    """The active account a one-time link's `token` is for, when the link is unused and unexpired, else None."""
    link = store.password_link_by_hash(_hash(token), session=session)
    if link is None or link.used_at is not None or (now or clock.now()) >= link.expires_at:
        return None
    user = store.user_by_id(link.user_id, session=session)
    return user if user is not None and user.active else None


def use_link(token: str, password: str, *, session: Session, now: datetime | None = None) -> User:
    """Set the password of the account `token`'s link is for, and use the link up.  Commits.

    Every earlier session of the account ends.  Raises InputError when the link is used, expired or
    unknown, or the password is too short.
    """
    now = now or clock.now()
    link = store.password_link_by_hash(_hash(token), session=session, lock=True)
    user = link_account(token, session=session, now=now)
    if link is None or user is None:
        raise InputError("This link has been used, has expired or was never made: ask an admin for a new one.")
    try:
        user.password_hash = accounts.hash_password(password)
    except ConfigError as e:
        raise InputError(f"A password needs at least {accounts.MIN_PASSWORD} characters.", field="password") from e
    user.session_generation += 1
    link.used_at = now
    store.save_user(user, session=session)
    store.save_password_link(link, session=session)
    accounts.record(session=session, actor=user.email, action="user.password", target=user.email,
                    detail={"by": "one-time link"})
    session.commit()
    session.refresh(user)
    return user


def has_password(user: User) -> bool:
    """Whether `user` has a password set (not only a one-time link waiting to be used)."""
    return user.password_hash.startswith("$argon2")
