"""Organisers' accounts and their session generations, counted attempts (sign-ins and others), the audit log.

Functions take a keyword-only `session` (a SQLModel Session); none of them commits: the console's
`accounts` decides, and commits each change with what it goes with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
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


def end_sessions(user_id: int, *, session: Session) -> None:
    """Stage moving the account's session generation on (one UPDATE, so two at once both count)."""
    session.execute(sa.update(User).where(col(User.id) == user_id)
                    .values(session_generation=col(User.session_generation) + 1))


def lock_login_failures(keys: Iterable[str], *, session: Session, now: datetime) -> list[LoginFailure]:
    """The counters under `keys` (made, with no attempts, where missing), each locked until the transaction ends.

    Call first in a transaction.  Each key is written before it is read: on PostgreSQL the upsert holds the
    row lock (and SELECT ... FOR UPDATE says so), on SQLite the first write takes the database's write lock
    (as BEGIN IMMEDIATE would), so a second attempt under the same key waits for the first to commit and
    then reads its count.  Keys are taken in sorted order, so two attempts never wait on each other.
    """
    wanted = sorted(set(keys))
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for key in wanted:
        statement = insert(LoginFailure).values(key=key, attempts=0, first_at=now, last_at=now)
        session.execute(statement.on_conflict_do_update(index_elements=["key"],
                                                        set_={"attempts": col(LoginFailure.attempts)}))
    return list(session.exec(select(LoginFailure).where(col(LoginFailure.key).in_(wanted))
                             .order_by(col(LoginFailure.key)).with_for_update()
                             .execution_options(populate_existing=True)).all())


def forget_login_failures(key: str, *, session: Session) -> None:
    """Stage dropping the counter under `key`."""
    session.execute(sa.delete(LoginFailure).where(col(LoginFailure.key) == key))


def prune_login_failures(*, session: Session, before: datetime) -> None:
    """Stage dropping counters untouched since `before` (on PostgreSQL, skipping any an attempt holds now)."""
    quiet = (sa.select(col(LoginFailure.id)).where(col(LoginFailure.last_at) < before,
                                                   sa.or_(col(LoginFailure.wait_until).is_(None),
                                                          col(LoginFailure.wait_until) < before)))
    if session.get_bind().dialect.name == "postgresql":
        quiet = quiet.with_for_update(skip_locked=True)
    session.execute(sa.delete(LoginFailure).where(col(LoginFailure.id).in_(quiet.scalar_subquery())))


def login_failure_counts(keys: Iterable[str], *, session: Session) -> dict[str, int]:
    """The attempts counted under each of `keys` (keys without a counter are left out)."""
    rows = session.execute(sa.select(col(LoginFailure.key), col(LoginFailure.attempts))
                           .where(col(LoginFailure.key).in_(list(keys)))).all()
    return {key: attempts for key, attempts in rows}


def add_audit_entry(*, session: Session, actor: str, action: str, target: str, detail: Mapping[str, Any]) -> None:
    """Stage an audit entry (committed with the change it records)."""
    session.add(AuditEntry(actor=actor, action=action, target=target, detail=dict(detail)))


def audit_entries(*, session: Session, limit: int = 200) -> list[AuditEntry]:
    """The newest audit entries first."""
    return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
                             .limit(limit)).all())



def all_users(*, session: Session) -> list[User]:
    """Every account, active or not, by e-mail address."""
    return list(session.exec(select(User).order_by(col(User.email))).all())

