"""Changes organisers make in the console: groups and feeds added, edited, paused, refreshed now.

Each function takes a keyword-only `session` and the acting account's e-mail, records an audit entry
with the change, bumps the data version when the public outputs change, and commits (`add_group` and
`add_feed` only flush with `commit=False`, so a caller can make several changes in one transaction).  Raises
ConsoleError (a ConfigError) with a sentence for people when the change cannot be made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from calendar_hub import clock, store
from calendar_hub.console import accounts
from calendar_hub.errors import ConfigError
from calendar_hub.registry import SLUG_RE
from calendar_hub.store.models import Feed, Group

GROUP_FIELDS = ("name", "website", "home", "contact")


class ConsoleError(ConfigError):
    """A console change that cannot be made, said in words for the organiser."""


def group_by_slug(slug: str, *, session: Session) -> Group | None:
    return session.exec(select(Group).where(Group.slug == slug)).first()


def all_groups(*, session: Session) -> list[Group]:
    """Every group, active first, by name."""
    return list(session.exec(select(Group).order_by(col(Group.active).desc(), Group.name)).all())


def feeds_of(group_id: int, *, session: Session) -> list[Feed]:
    return list(session.exec(select(Feed).where(Feed.group_id == group_id).order_by(col(Feed.id))).all())


def add_group(values: Mapping[str, str], *, session: Session, actor: str, commit: bool = True) -> Group:
    """A new active group from the form's slug, name, website, home and contact (flushed, not committed,
    with `commit=False`)."""
    slug = values.get("slug", "").strip().lower()
    if not SLUG_RE.match(slug) or len(slug) > 100:
        raise ConsoleError("The short name may use only lower-case letters, digits and hyphens, "
                           "and starts with a letter or digit (for example sanctuary-stockport).")
    if group_by_slug(slug, session=session) is not None:
        raise ConsoleError(f"There is already a group called {slug}.")
    fields = _group_fields(values)
    now = clock.now()
    group = Group(slug=slug, created_at=now, updated_at=now, origin="console", **fields)
    session.add(group)
    accounts.record(session=session, actor=actor, action="group.add", target=slug, detail=fields)
    store.bump_version(session=session)
    _done(group, session=session, commit=commit)
    return group


def edit_group(group: Group, values: Mapping[str, str], *, session: Session, actor: str) -> bool:
    """Save the form's fields on `group`; returns whether anything changed."""
    fields = _group_fields(values)
    before = {name: getattr(group, name) for name in fields}
    changed = {name: value for name, value in fields.items() if before[name] != value}
    if not changed:
        return False
    for name, value in changed.items():
        setattr(group, name, value)
    group.origin = "console"  # the registry's copy is now older: `load` keeps this one
    group.updated_at = clock.now()
    session.add(group)
    accounts.record(session=session, actor=actor, action="group.edit", target=group.slug,
                    detail={name: [before[name], value] for name, value in changed.items()})
    store.bump_version(session=session)
    session.commit()
    return True


def set_group_active(group: Group, active: bool, *, session: Session, actor: str) -> None:
    """Pause (its events leave every output, nothing is deleted) or resume a group."""
    if group.active == active:
        return
    group.active = active
    group.origin = "console"
    group.updated_at = clock.now()
    session.add(group)
    accounts.record(session=session, actor=actor, action="group.resume" if active else "group.pause",
                    target=group.slug)
    store.bump_version(session=session)
    session.commit()


def add_feed(group: Group, url: str, kind: str, *, session: Session, actor: str, commit: bool = True) -> Feed:
    """A new feed for `group`, fetched on the next refresh (origin "web": never a file, always SSRF-guarded).

    The caller has checked the address; this refuses a feed the group already has.  With `commit=False`
    the feed is only flushed, for the caller to commit with its other changes.
    """
    assert group.id is not None
    existing = session.exec(select(Feed).where(Feed.group_id == group.id, Feed.url == url)).first()
    if existing is not None:
        raise ConsoleError("This group already has that feed.")
    now = clock.now()
    feed = Feed(group_id=group.id, url=url, kind=kind, origin="web", next_attempt_at=now, created_at=now)
    session.add(feed)
    accounts.record(session=session, actor=actor, action="feed.add", target=url,
                    detail={"group": group.slug, "kind": kind})
    _done(feed, session=session, commit=commit)
    return feed


def set_feed_active(feed: Feed, active: bool, *, session: Session, actor: str, group: Group) -> None:
    """Pause a feed (its events leave the outputs, and are kept) or resume it (fetched on the next refresh)."""
    if feed.active == active:
        return
    feed.active = active
    if active:
        feed.next_attempt_at = clock.now()
    session.add(feed)
    accounts.record(session=session, actor=actor, action="feed.resume" if active else "feed.pause",
                    target=feed.url, detail={"group": group.slug})
    store.bump_version(session=session)
    session.commit()


def refresh_soon(feed: Feed, *, session: Session, actor: str, group: Group) -> None:
    """Make the feed due now, so the next refresh (the background one within a minute) fetches it."""
    session.execute(sa.update(Feed).where(col(Feed.id) == feed.id).values(next_attempt_at=clock.now()))
    accounts.record(session=session, actor=actor, action="feed.refresh", target=feed.url,
                    detail={"group": group.slug})
    session.commit()


def feed_with_group(feed_id: int, *, session: Session) -> tuple[Feed, Group] | None:
    row = session.execute(sa.select(Feed, Group).join(Group, col(Group.id) == Feed.group_id)
                          .where(col(Feed.id) == feed_id)).first()
    return (row[0], row[1]) if row is not None else None


def _done(row: Group | Feed, *, session: Session, commit: bool) -> None:
    """Commit and reload `row`; or only flush, which gives it its id inside the caller's transaction."""
    if commit:
        session.commit()
        session.refresh(row)
    else:
        session.flush()


def _group_fields(values: Mapping[str, str]) -> dict[str, Any]:
    fields = {name: " ".join(values.get(name, "").split()) for name in GROUP_FIELDS}
    if not fields["name"]:
        raise ConsoleError("A group needs a name.")
    if fields["website"] and not fields["website"].startswith(("http://", "https://")):
        raise ConsoleError("The website must start with http:// or https://.")
    limits = {"name": 300, "website": 2000, "home": 300, "contact": 300}
    for name, most in limits.items():
        if len(fields[name]) > most:
            raise ConsoleError(f"The {name} is too long (at most {most} characters).")
    return fields
