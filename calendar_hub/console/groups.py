"""Changes organisers make in the console: groups and feeds added, edited, paused, refreshed now.

Each function takes a keyword-only `session` and the acting account's e-mail, records an audit entry
with the change, bumps the data version when the public outputs change, and commits (`add_group` and
`add_feed` only flush with `commit=False`, so a caller can make several changes in one transaction).  Raises
ConsoleError (an InputError) with a sentence for people when the change cannot be made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from calendar_hub import clock, services, store
from calendar_hub.console import accounts
from calendar_hub.errors import InputError
from calendar_hub.registry import AREA_LENGTH, AREAS_MOST, DESCRIPTION_LENGTH, SLUG_RE
from calendar_hub.states import Origin
from calendar_hub.store import Session
from calendar_hub.store.models import Feed, Group

GROUP_FIELDS = ("name", "website", "home", "contact", "description", "areas")  # text boxes; `services` is a list


class ConsoleError(InputError):
    """A console change that cannot be made, said in words for the organiser."""


def group_by_slug(slug: str, *, session: Session) -> Group | None:
    """The group with the short name `slug`, active or not."""
    return store.group_by_slug(slug, session=session)


def all_groups(*, session: Session) -> list[Group]:
    """Every group, active first, by name."""
    return store.all_groups(session=session)


def feeds_of(group_id: int, *, session: Session) -> list[Feed]:
    """The group's feeds, in the order they were added."""
    return store.feeds_of(group_id, session=session)


FormValues = Mapping[str, str | Sequence[str]]  # the form's text fields, and "services": the boxes ticked


def check_new_group(values: FormValues, *, session: Session) -> tuple[str, dict[str, Any]]:
    """The short name and the fields of a group `add_group` would make from `values` (region included), storing
    nothing; raises ConsoleError saying what is wrong."""
    slug = str(values.get("slug", "")).strip().lower()
    if not SLUG_RE.match(slug) or len(slug) > 100:
        raise ConsoleError("The short name may use only lower-case letters, digits and hyphens, "
                           "and starts with a letter or digit (for example sanctuary-stockport).")
    if group_by_slug(slug, session=session) is not None:
        raise ConsoleError(f"There is already a group called {slug}.")
    fields = _group_fields(values)
    region = " ".join(str(values.get("region", "")).split())
    if len(region) > 100:
        raise ConsoleError("The region is too long (at most 100 characters).")
    return slug, {**fields, "region": region}


def add_group(values: FormValues, *, session: Session, actor: str, commit: bool = True) -> Group:
    """A new active group from the form's slug, name, website, home, region, contact, description, areas and
    services (flushed, not committed, with `commit=False`)."""
    slug, fields = check_new_group(values, session=session)
    now = clock.now()
    group = Group(slug=slug, created_at=now, updated_at=now, origin=Origin.CONSOLE, **fields)
    store.add_group(group, session=session)
    accounts.record(session=session, actor=actor, action="group.add", target=slug, detail=fields)
    store.bump_version(session=session)
    _done(group, session=session, commit=commit)
    return group


def add_group_with_calendar(values: FormValues, feed_url: str, kind: str, *, session: Session, actor: str) -> Group:
    """A new group from `values` and its calendar at `feed_url` (checked by the caller), in one transaction.

    Either both are stored, with their audit entries, or, when either step raises, neither: the organiser
    asked for the two together, so a group without the calendar it came with is never left behind.
    """
    try:
        group = add_group(values, session=session, actor=actor, commit=False)
        add_feed(group, feed_url, kind, session=session, actor=actor, commit=False)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    session.refresh(group)
    return group


def edit_group(group: Group, values: FormValues, *, session: Session, actor: str) -> bool:
    """Save the form's fields on `group`; returns whether anything changed."""
    fields = _group_fields(values)
    before = {name: getattr(group, name) for name in fields}
    changed = {name: value for name, value in fields.items() if before[name] != value}
    if not changed:
        return False
    # origin "console": the registry's copy is now older, so `load` keeps this one
    store.change_group(group, {**changed, "origin": Origin.CONSOLE, "updated_at": clock.now()}, session=session)
    accounts.record(session=session, actor=actor, action="group.edit", target=group.slug,
                    detail={name: [before[name], value] for name, value in changed.items()})
    store.bump_version(session=session)
    session.commit()
    return True


def set_group_active(group: Group, active: bool, *, session: Session, actor: str) -> None:
    """Pause (its events leave every output, nothing is deleted) or resume a group."""
    if group.active == active:
        return
    store.change_group(group, {"active": active, "origin": Origin.CONSOLE, "updated_at": clock.now()}, session=session)
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
    if store.group_feed(group.id, url, session=session) is not None:
        raise ConsoleError("This group already has that feed.")
    now = clock.now()
    feed = Feed(group_id=group.id, url=url, kind=kind, origin=Origin.WEB, next_attempt_at=now, created_at=now)
    store.add_feed(feed, session=session)
    accounts.record(session=session, actor=actor, action="feed.add", target=url,
                    detail={"group": group.slug, "kind": kind})
    _done(feed, session=session, commit=commit)
    return feed


def set_feed_active(feed: Feed, active: bool, *, session: Session, actor: str, group: Group) -> None:
    """Pause a feed (its events leave the outputs, and are kept) or resume it (fetched on the next refresh)."""
    if feed.active == active:
        return
    store.change_feed(feed, {"active": active, "next_attempt_at": clock.now()} if active else {"active": active},
                      session=session)
    accounts.record(session=session, actor=actor, action="feed.resume" if active else "feed.pause",
                    target=feed.url, detail={"group": group.slug})
    store.bump_version(session=session)
    session.commit()


def fetch_again(feed: Feed, *, session: Session, actor: str, group: Group) -> None:
    """Take back a feed marked gone (its server said 410 Gone): it is fetched again on the next refresh."""
    if feed.gone_at is None:
        return
    gone_at = feed.gone_at
    store.change_feed(feed, {"gone_at": None, "wait_until": None, "next_attempt_at": clock.now()}, session=session)
    accounts.record(session=session, actor=actor, action="feed.fetch_again", target=feed.url,
                    detail={"group": group.slug, "gone_at": gone_at.isoformat()})
    session.commit()


def refresh_soon(feed: Feed, *, session: Session, actor: str, group: Group) -> None:
    """Make the feed due now, so the next refresh (the background one within a minute) fetches it."""
    store.make_due(feed, session=session, at=clock.now())
    accounts.record(session=session, actor=actor, action="feed.refresh", target=feed.url,
                    detail={"group": group.slug})
    session.commit()


def feed_with_group(feed_id: int, *, session: Session) -> tuple[Feed, Group] | None:
    """The feed `feed_id` with its group, or None when there is no such feed."""
    return store.feed_with_group(feed_id, session=session)


def _done(row: Group | Feed, *, session: Session, commit: bool) -> None:
    """Commit and reload `row`; or only flush, which gives it its id inside the caller's transaction."""
    if commit:
        session.commit()
        session.refresh(row)
    else:
        session.flush()


def _group_fields(values: FormValues) -> dict[str, Any]:
    fields: dict[str, Any] = {name: " ".join(str(values.get(name, "")).split()) for name in GROUP_FIELDS}
    if not fields["name"]:
        raise ConsoleError("A group needs a name.")
    if fields["website"] and not fields["website"].startswith(("http://", "https://")):
        raise ConsoleError("The website must start with http:// or https://.")
    limits = {"name": 300, "website": 2000, "home": 300, "contact": 300, "description": DESCRIPTION_LENGTH}
    for name, most in limits.items():
        if len(fields[name]) > most:
            raise ConsoleError(f"The {name} is too long (at most {most} characters).")
    fields["areas"] = _areas(fields["areas"])
    ticked = values.get("services", ())
    chosen = [ticked] if isinstance(ticked, str) else list(ticked)
    unknown = [slug for slug in chosen if not services.known(slug)]
    if unknown:
        raise ConsoleError(f"There is no service called {unknown[0]}; choose from the list.")
    # In the vocabulary's order, whatever order the browser sent the boxes in, so that saving twice changes nothing.
    fields["services"] = [slug for slug in services.SERVICES if slug in chosen]
    return fields


def _areas(text: str) -> list[str]:
    """The areas typed as "Stockport, Tameside; Oldham": each once, in the order given."""
    areas: dict[str, str] = {}
    for part in re.split(r"[,;]", text):
        area = part.strip()
        if area:
            areas.setdefault(area.casefold(), area)
    if len(areas) > AREAS_MOST:
        raise ConsoleError(f"Name at most {AREAS_MOST} areas.")
    if any(len(area) > AREA_LENGTH for area in areas.values()):
        raise ConsoleError(f"Each area is at most {AREA_LENGTH} characters.")
    return list(areas.values())
