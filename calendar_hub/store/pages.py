"""Event pages that feeds link to, cached between refreshes (see `ingest.follow`).

Functions take a keyword-only `session` (a SQLModel Session); those that write commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub.store.batches import chunks
from calendar_hub.store.models import LinkedPage


def linked_pages(urls: Iterable[str], *, session: Session) -> dict[str, LinkedPage]:
    """The cached event pages among `urls`, by URL."""
    wanted = list(dict.fromkeys(urls))
    found: dict[str, LinkedPage] = {}
    for chunk in chunks(wanted):
        for page in session.exec(select(LinkedPage).where(col(LinkedPage.url).in_(chunk))).all():
            found[page.url] = page
    return found


def save_linked_pages(pages: Iterable[LinkedPage], *, session: Session) -> None:
    """Insert or update cached event pages by URL (detached objects are fine).  Commits.

    Two refreshes may fetch the same page at once; the later write wins, which is harmless.
    """
    pages = list(pages)
    existing = linked_pages((p.url for p in pages), session=session)
    for page in pages:
        row = existing.get(page.url)
        if row is None:
            session.add(LinkedPage(url=page.url, fetched_at=page.fetched_at, etag=page.etag,
                                   last_modified=page.last_modified, events=page.events, error=page.error))
        else:
            row.fetched_at, row.etag, row.last_modified = page.fetched_at, page.etag, page.last_modified
            row.events, row.error = page.events, page.error
    try:
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()  # another process cached the same page first; its copy is as good


def prune_linked_pages(*, session: Session, older_than: datetime) -> None:
    """Forget cached event pages not fetched since `older_than`.  Commits."""
    session.execute(sa.delete(LinkedPage).where(col(LinkedPage.fetched_at) < older_than))
    session.commit()

