"""The store: registry loading is idempotent and follows changes; events are replaced only by good parses."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from calendar_hub import store
from calendar_hub.store.models import Feed, Group, Week
from tests.hubdata import moved_hub


def test_loading_the_same_registry_twice_changes_nothing(tmp_path: Path, engine: Engine) -> None:
    registry = moved_hub(tmp_path).registry
    with Session(engine) as session:
        first = store.apply_registry(registry, session=session)
        version = store.current_version(session=session)
        second = store.apply_registry(registry, session=session)
        assert first.added == 3 + 3 + 1 and second.changed is False
        assert store.current_version(session=session) == version


def test_groups_a_registry_no_longer_names_are_listed_and_left_active_unless_pruned(tmp_path: Path,
                                                                                   engine: Engine) -> None:
    full = moved_hub(tmp_path).registry
    kept, *dropped = full.groups
    smaller = dataclasses.replace(full, groups=(kept,))
    with Session(engine) as session:
        store.apply_registry(full, session=session)
        before = store.current_version(session=session)
        listed = store.apply_registry(smaller, session=session)
        assert (listed.unnamed, listed.deactivated, listed.changed) == (sorted(g.slug for g in dropped), 0, False)
        assert len(store.active_groups(session=session)) == 3 and store.current_version(session=session) == before
        pruned = store.apply_registry(smaller, session=session, prune=True)
        assert (pruned.unnamed, pruned.deactivated) == (listed.unnamed, len(dropped))
        assert [g.slug for g in store.active_groups(session=session)] == [kept.slug]


def test_a_changed_registry_updates_its_rows_and_deactivates_what_it_dropped(tmp_path: Path,
                                                                            engine: Engine) -> None:
    registry = moved_hub(tmp_path).registry
    with Session(engine) as session:
        store.apply_registry(registry, session=session)
        version = store.current_version(session=session)
        cardiff, *others = registry.groups
        renamed = dataclasses.replace(others[0], name="Liverpool Welcome", feeds=())
        week = dataclasses.replace(registry.weeks[0], tags=("CT4R",))
        changes = store.apply_registry(dataclasses.replace(registry, groups=(renamed,), weeks=(week,)),
                                       session=session, prune=True)
        assert changes.updated == 2 and changes.deactivated >= 2
        assert store.current_version(session=session) > version
        groups = {g.slug: g for g in session.exec(select(Group)).all()}
        assert groups[renamed.slug].name == "Liverpool Welcome" and groups[renamed.slug].active
        assert not groups[cardiff.slug].active
        assert session.exec(select(Week)).one().tags == ["CT4R"]
        assert not session.exec(select(Feed).where(col(Feed.group_id) == groups[renamed.slug].id)).one().active
        assert [g.slug for g in store.active_groups(session=session)] == [renamed.slug]
