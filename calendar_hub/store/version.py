"""The change counter (`hub_state` row "version"): every change to what is published moves it.

Web processes compare it with the version of the catalogue they hold and rebuild when it moved.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub.store.models import HubState

VERSION_KEY = "version"


def bump_version(*, session: Session) -> None:
    """Record that the published outputs changed; web processes rebuild on their next check."""
    updated = session.execute(
        sa.update(HubState).where(col(HubState.key) == VERSION_KEY).values(value=HubState.value + 1)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.add(HubState(key=VERSION_KEY, value=1))


def current_version(*, session: Session) -> int:
    """The change counter: any change to groups, feeds, weeks or events moves it."""
    value = session.scalar(select(HubState.value).where(HubState.key == VERSION_KEY))
    return int(value or 0)
