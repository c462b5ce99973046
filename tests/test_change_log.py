"""The change log says what moved the change counter, and the hub updates its catalogue for a feed's change alone."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from calendar_hub import store
from calendar_hub.catalogue.hub import Hub
from calendar_hub.settings import Settings
from calendar_hub.store import version as version_module
from calendar_hub.store.models import Feed, Group
from tests.feedserver import FeedServer
from tests.hubdata import WEEK, HubData, run_refresh


def feed_ids(engine: Engine) -> dict[str, int]:
    """The registry's feeds by their group's slug (one feed each)."""
    with Session(engine) as session:
        return {slug: feed_id for feed_id, slug in session.exec(
            select(Feed.id, Group.slug).join(Group, col(Group.id) == Feed.group_id))}  # type: ignore[call-overload]


def test_changes_since_names_the_feeds_whose_events_alone_changed(hub: HubData, engine: Engine) -> None:
    feeds = feed_ids(engine)
    with Session(engine) as session:
        start = store.current_version(session=session)
        assert store.changes_since(start, session=session) == frozenset()
        store.bump_version(session=session, feeds=[feeds["cardiff-migrant-welcome"]])
        store.bump_version(session=session, feeds=[feeds["liverpool-welcome"]])
        session.commit()
        assert store.changes_since(start, session=session) == {feeds["cardiff-migrant-welcome"],
                                                                feeds["liverpool-welcome"]}
        assert store.changes_since(start + 1, session=session) == {feeds["liverpool-welcome"]}
        assert store.changes_since(start, session=session, until=start + 1) == {feeds["cardiff-migrant-welcome"]}
        store.bump_version(session=session)   # anything else: a week, a group, a hidden event
        session.commit()
        assert store.changes_since(start, session=session) is None
        assert store.changes_since(start + 2, session=session) is None
        assert store.changes_since(start + 3, session=session) == frozenset()
        assert store.changes_since(start + 4, session=session) is None   # a version not reached yet


def test_the_log_stops_answering_for_versions_it_no_longer_reaches(hub: HubData, engine: Engine,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    feed = feed_ids(engine)["cardiff-migrant-welcome"]
    monkeypatch.setattr(version_module, "CHANGES_KEPT", 3)
    with Session(engine) as session:
        start = store.current_version(session=session)
        for _ in range(100 - start % 100):   # the log is pruned at every hundredth version
            store.bump_version(session=session, feeds=[feed])
        session.commit()
        newest = store.current_version(session=session)
        assert newest % 100 == 0
        assert store.changes_since(newest - 2, session=session) == {feed}
        assert store.changes_since(newest - 5, session=session) is None


def test_a_stored_feed_change_names_its_feed_and_those_of_its_group(hub: HubData, engine: Engine,
                                                                    settings: Settings,
                                                                    feed_server: FeedServer) -> None:
    feeds = feed_ids(engine)
    with Session(engine) as session:
        before = store.current_version(session=session)
    body = hub.feed_file("manchester_google.ics").read_bytes()
    feed_server.serve("/manchester_google.ics", body.replace(b"SUMMARY:Summer picnic", b"SUMMARY:Picnic"))
    run_refresh(engine, settings)
    with Session(engine) as session:
        assert store.changes_since(before, session=session) == {feeds["sanctuary-manchester"]}


def test_the_hub_updates_for_one_feeds_change_and_keeps_the_outputs_that_hold_none_of_it(
        hub: HubData, engine: Engine, settings: Settings, client: TestClient, feed_server: FeedServer) -> None:
    running: Hub = client.app.state.hub  # type: ignore[attr-defined]
    for path in (f"/weeks/{WEEK}.ics", "/groups/sanctuary-manchester.ics", "/groups/cardiff-migrant-welcome.ics"):
        assert client.get(path).status_code == 200
    first = running.catalogue()
    keys = {key[1].rsplit("/", 1)[-1]: key for key in first.outputs.keys() if key[0] == "ics"}
    week, manchester, cardiff = (first.cached(keys[name]) for name in (
        f"{WEEK}.ics", "sanctuary-manchester.ics", "cardiff-migrant-welcome.ics"))
    assert week is not None and manchester is not None and cardiff is not None

    # An event of no week changes in Manchester's feed: only it is a new listing; the week's ICS is kept.
    body = hub.feed_file("manchester_google.ics").read_bytes()
    feed_server.serve("/manchester_google.ics", body.replace(b"SUMMARY:Summer picnic", b"SUMMARY:Picnic"))
    run_refresh(engine, settings)
    second = running.catalogue()
    assert second is not first and second.version > first.version and running.update_seconds is not None
    assert [item.title for item in second.changed] == ["Summer picnic", "Picnic"]
    old = {id(item) for item in first.listings}
    assert [item.title for item in second.listings if id(item) not in old] == ["Picnic"]
    assert second.cached(keys[f"{WEEK}.ics"]) is week and second.cached(keys["cardiff-migrant-welcome.ics"]) is cardiff
    assert second.cached(keys["sanctuary-manchester.ics"]) is None
    assert client.get(f"/weeks/{WEEK}.ics").content == week.body
    assert b"Picnic" in client.get("/groups/sanctuary-manchester.ics").content

    # An event of the week changes in Liverpool's feed: the week's ICS is built again, Cardiff's kept.
    body = hub.feed_file("liverpool_outlook.ics").read_bytes()
    feed_server.serve("/liverpool_outlook.ics", body.replace(b"St George's Plateau", b"Exchange Flags"))
    run_refresh(engine, settings)
    third = running.catalogue()
    assert {item.title for item in third.changed} == {"Solidarity vigil #CT4R"}
    assert third.cached(keys[f"{WEEK}.ics"]) is None and third.cached(keys["cardiff-migrant-welcome.ics"]) is cardiff
    assert b"Exchange Flags" in client.get(f"/weeks/{WEEK}.ics").content

    # Anything else (an organiser hides an event) builds the catalogue whole.
    with Session(engine) as session:
        store.bump_version(session=session)
        session.commit()
    fourth = running.catalogue()
    assert fourth.changed == [] and fourth.basis is not None and third.basis is not None
    assert fourth.listings == third.listings
