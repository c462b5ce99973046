"""Organisers' accounts, failed sign-ins (and other counted attempts), and the audit log.

Functions take a keyword-only `session` (a SQLModel Session); none of them commits: the console's
`accounts` decides, and commits each change with what it goes with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub.store.models import AuditEntry, LoginFailure, User


def user_by_email(email: str, *, session: Session) -> User | None:
    """The account with the (normalised) e-mail address `email`, active or not."""
    return session.exec(select(User).where(User.email == email)).first()


def user_by_id(user_id: int, *, session: Session) -> User | None:
    """The account `user_id`, active or not."""
    return session.get(User, user_id)


def save_user(user: User, *, session: Session) -> None:
    """Stage a new or changed account; the caller commits."""
    session.add(user)


def add_login_failures(keys: Iterable[str], *, session: Session, at: datetime) -> None:
    """Stage one failed attempt at `at` under each of `keys` ("email:...", "ip:...", "join:...")."""
    for key in keys:
        session.add(LoginFailure(key=key, at=at))


def forget_login_failures(key: str, *, session: Session, before: datetime | None = None) -> None:
    """Stage dropping the attempts under `key` (only those before `before`, when given)."""
    query = sa.delete(LoginFailure).where(col(LoginFailure.key) == key)
    if before is not None:
        query = query.where(col(LoginFailure.at) < before)
    session.execute(query)


def login_failure_counts(keys: Iterable[str], *, session: Session, since: datetime) -> dict[str, int]:
    """How many attempts each of `keys` had at or after `since` (keys without any are left out)."""
    counts = session.execute(
        sa.select(col(LoginFailure.key), sa.func.count()).where(col(LoginFailure.key).in_(list(keys)),
                                                                 col(LoginFailure.at) >= since)
        .group_by(col(LoginFailure.key))).all()
    return {key: count for key, count in counts}


def add_audit_entry(*, session: Session, actor: str, action: str, target: str, detail: Mapping[str, Any]) -> None:
    """Stage an audit entry (committed with the change it records)."""
    session.add(AuditEntry(actor=actor, action=action, target=target, detail=dict(detail)))


def audit_entries(*, session: Session, limit: int = 200) -> list[AuditEntry]:
    """The newest audit entries first."""
    return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
                             .limit(limit)).all())
