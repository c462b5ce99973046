"""Weeks of action as organisers plan them in the console (the catalogue reads `feeds.active_weeks`).

Functions take a keyword-only `session` (a SQLModel Session); none of them commits: the console
audits each change and commits it with its audit entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from calendar_hub.store.models import Week


def week_by_slug(slug: str, *, session: Session) -> Week | None:
    """The week with the short name `slug`, active or archived."""
    return session.exec(select(Week).where(Week.slug == slug)).first()


def all_weeks(*, session: Session) -> list[Week]:
    """Every week, active first, by first day."""
    return list(session.exec(select(Week).order_by(col(Week.active).desc(), col(Week.start_date), Week.slug)).all())


def add_week(week: Week, *, session: Session) -> None:
    """Stage a new week; the caller commits."""
    session.add(week)


def change_week(week: Week, values: Mapping[str, Any], *, session: Session) -> None:
    """Set the week's fields named in `values` (lists as new lists: a JSON column is saved on assignment)."""
    for name, value in values.items():
        setattr(week, name, value)
    session.add(week)
