"""An event keeps its identity when its producer writes it again under a new UID (Office 365 does, and so does a
group that moves its calendar to a new feed): its published UID, SEQUENCE, hidden state, merge decisions and the
week choices made by hand all hold.

The feeds are served on 127.0.0.1 and refreshed as the hub refreshes; tests/data/succession holds the Office 365
pair, two exports of one calendar with every UID regenerated (and one description changed).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import icalendar
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from calendar_hub import store
from calendar_hub.identity import Trace, successors
from calendar_hub.ingest.refresh import RefreshReport, refresh
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from calendar_hub.store.models import Event, Feed, HiddenEvent, MergeDecision, Week
from tests.feedserver import FeedServer

pytestmark = pytest.mark.now("2026-11-20T12:00:00+00:00")

DATA = Path(__file__).parent / "data" / "succession"
BEFORE = (DATA / "office365_before_uids_regenerated.ics").read_bytes()
AFTER = (DATA / "office365_after_uids_regenerated.ics").read_bytes()
HILLTOP = "hilltop-transition"


def co_host() -> bytes:
    """The Repair Café as a co-host publishes it: the same start and place, so the hub takes it for the same."""
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hilltop Repairers//EN\r\nBEGIN:VEVENT\r\n"
            "UID:repair-cafe-december@repairers.example.org\r\nDTSTAMP:20261101T000000Z\r\n"
            "DTSTART;TZID=Europe/London:20261212T100000\r\nDTEND;TZID=Europe/London:20261212T130000\r\n"
            "SUMMARY:Repair Café\r\nLOCATION:St Mark's Hall\\, Church Lane\\, Hilltop HT1 2BB\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def load(engine: Engine, *groups: tuple[str, str, tuple[str, ...]]) -> None:
    with Session(engine) as session:
        store.apply_registry(Registry(groups=tuple(
            GroupSpec(slug=slug, name=name, feeds=tuple(FeedSpec(url=url, private=True) for url in urls))
            for slug, name, urls in groups), weeks=()), session=session)


def run(engine: Engine, settings: Settings) -> RefreshReport:
    report = asyncio.run(refresh(engine, settings, due_only=False))
    kinds = {o.kind for _j, o in report.outcomes}
    assert kinds <= {"stored", "unchanged", "not_modified"}, [o.error for _j, o in report.outcomes]
    return report


def rows(engine: Engine) -> dict[tuple[str, str], tuple[str, int, str]]:
    """Each stored occurrence of Hilltop's feeds as (title, start) -> (published UID, SEQUENCE, source UID)."""
    with Session(engine) as session:
        found = session.execute(sa.select(Event.title, Event.start_at, Event.uid, Event.sequence, Event.source_uid)
                                .join(Feed, Feed.id == Event.feed_id).where(Feed.url.like("%/hilltop%")))
        return {(title, start.isoformat()): (uid, sequence, source) for title, start, uid, sequence, source in found}


def uid_of(engine: Engine, title: str) -> str:
    return next(uid for (t, _s), (uid, _q, _u) in sorted(rows(engine).items()) if t == title)


def published(client: TestClient, path: str = "/calendar.ics") -> dict[str, tuple[str, int]]:
    """The calendar at `path` as UID -> (title, SEQUENCE); a repeating event's instances share theirs."""
    events = icalendar.Calendar.from_ical(client.get(path).content).walk("VEVENT")
    return {str(e["UID"]): (str(e["SUMMARY"]), int(e.get("SEQUENCE", 0))) for e in events}


def organisers_choose(engine: Engine) -> None:
    """Hide the tree planting, keep the two Repair Cafés apart, and plan a week around Hilltop's events."""
    tree, repair, birds = (uid_of(engine, t) for t in ("Tree planting at Hilltop Wood", "Repair Café",
                                                        "Big Garden Birdwatch weekend"))
    with Session(engine) as session:
        other = session.scalars(sa.select(Event.uid).where(Event.source_uid.like("repair-cafe%"))).one()
        uid_a, uid_b = store.pair(repair, other)
        session.add(HiddenEvent(uid=tree, title="Tree planting at Hilltop Wood", reason="postponed", actor="test"))
        session.add(MergeDecision(uid_a=uid_a, uid_b=uid_b, decision="apart", actor="test"))
        session.add(Week(slug="winter-of-action", name="Winter of action", start_date=date(2026, 12, 1),
                         end_date=date(2027, 2, 28), tags=["nothing-has-this-tag"], included=[repair, birds],
                         featured=[repair]))
        store.bump_version(session=session)
        session.commit()


def test_office365_regenerating_every_uid_keeps_each_event_published_hidden_featured_and_apart(
        engine: Engine, settings: Settings, feed_server: FeedServer, client: TestClient) -> None:
    load(engine, (HILLTOP, "Hilltop Transition Town", (feed_server.serve("/hilltop.ics", BEFORE),)),
         ("hilltop-repairers", "Hilltop Repairers", (feed_server.serve("/repairers.ics", co_host()),)))
    run(engine, settings)
    organisers_choose(engine)
    before = rows(engine)
    calendar, week = published(client), published(client, "/weeks/winter-of-action.ics")
    assert "Tree planting at Hilltop Wood" not in {title for title, _s in calendar.values()}
    assert sorted(title for title, _s in calendar.values()).count("Repair Café") == 2

    feed_server.serve("/hilltop.ics", AFTER)
    run(engine, settings)
    after = rows(engine)
    assert set(after) == set(before)
    assert all(after[key][2] != before[key][2] for key in before)          # every source UID is new
    assert {key: uid for key, (uid, _q, _u) in after.items()} == {key: uid for key, (uid, _q, _u) in before.items()}
    repair = next(key for key in before if key[0] == "Repair Café")
    assert after[repair][1] == before[repair][1] + 1                        # its description changed
    assert all(after[key][1] == before[key][1] for key in before if key != repair)
    assert set(published(client)) == set(calendar)                          # still hidden, still apart
    titles = sorted(title for title, _s in published(client).values())
    assert "Tree planting at Hilltop Wood" not in titles and titles.count("Repair Café") == 2
    assert published(client)[after[repair][0]] == ("Repair Café", before[repair][1] + 1)
    assert set(published(client, "/weeks/winter-of-action.ics")) == set(week)
    page = client.get("/weeks/winter-of-action").text
    featured = page.split('id="featured-heading"', 1)[1].split("</section>", 1)[0]
    assert "Repair Café" in featured

    run(engine, settings)                                                  # and on every later refresh
    assert rows(engine) == after


def test_an_event_that_changes_its_title_or_start_with_its_uid_is_a_new_event(
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    load(engine, (HILLTOP, "Hilltop Transition Town", (feed_server.serve("/hilltop.ics", BEFORE),)))
    run(engine, settings)
    before = {key: uid for key, (uid, _q, _u) in rows(engine).items()}
    renamed = AFTER.replace(b"SUMMARY;LANGUAGE=en-GB:Litter pick on the high street", b"SUMMARY:Bulb planting")
    feed_server.serve("/hilltop.ics", renamed.replace(b":20261205T", b":20261206T"))
    run(engine, settings)
    after = {key: uid for key, (uid, _q, _u) in rows(engine).items()}
    new = {key for key in after if key not in before}
    assert {title for title, _start in new} == {"Bulb planting", "Tree planting at Hilltop Wood"}
    assert all(after[key] == before[key] for key in after if key not in new)
    assert not {after[key] for key in new} & set(before.values())


def test_a_group_that_moves_its_calendar_to_a_new_feed_keeps_its_events_identity(
        engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    old = feed_server.serve("/hilltop-old.ics", BEFORE)
    load(engine, (HILLTOP, "Hilltop Transition Town", (old,)))
    run(engine, settings)
    before = {key: uid for key, (uid, _q, _u) in rows(engine).items()}
    # The registry now names the new address only: `load` pauses the old feed and adds the new one.
    load(engine, (HILLTOP, "Hilltop Transition Town", (feed_server.serve("/hilltop-new.ics", AFTER),)))
    run(engine, settings)
    with Session(engine) as session:
        new_feed = session.exec(select(Feed).where(Feed.url.endswith("/hilltop-new.ics"))).one()
        moved = {(e.title, e.start_at.isoformat()): e.uid
                 for e in session.exec(select(Event).where(Event.feed_id == new_feed.id))}
    assert moved == before


def test_a_group_whose_old_feed_empties_after_its_new_one_carries_the_events_keeps_their_identity(
        engine: Engine, settings: Settings, feed_server: FeedServer, client: TestClient) -> None:
    old = feed_server.serve("/hilltop-old.ics", BEFORE)
    load(engine, (HILLTOP, "Hilltop Transition Town", (old,)))
    run(engine, settings)
    organisers_hide(engine, "Tree planting at Hilltop Wood")
    calendar = published(client)
    # The group adds its new address while the old one still lists everything: each event is published once.
    load(engine, (HILLTOP, "Hilltop Transition Town", (old, feed_server.serve("/hilltop-new.ics", AFTER))))
    run(engine, settings)
    assert set(published(client)) == set(calendar)
    # Then the old address is emptied but for a note; the drop is held, and stored when the next fetch agrees.
    feed_server.serve("/hilltop-old.ics", co_host().replace(b"Repair Caf\xc3\xa9", b"We have moved"))
    asyncio.run(refresh(engine, settings, due_only=False))
    run(engine, settings)
    with Session(engine) as session:
        left = session.exec(select(Event.title).join(Feed).where(Feed.url == old)).all()
    assert left == ["We have moved"]
    now = published(client)
    assert {uid: title for uid, (title, _s) in now.items() if title != "We have moved"} == \
        {uid: title for uid, (title, _s) in calendar.items()}
    assert "Tree planting at Hilltop Wood" not in {title for title, _s in now.values()}
    repair = next(uid for uid, (title, _s) in calendar.items() if title == "Repair Café")
    assert now[repair][1] == calendar[repair][1] + 1                        # its description changed


def organisers_hide(engine: Engine, title: str) -> None:
    with Session(engine) as session:
        session.add(HiddenEvent(uid=uid_of(engine, title), title=title, reason="postponed", actor="test"))
        store.bump_version(session=session)
        session.commit()


TRACES = st.tuples(st.sampled_from([datetime(2026, 12, 5, 10, tzinfo=UTC), datetime(2026, 12, 6, 10, tzinfo=UTC)]),
                   st.sampled_from(["litter pick", "repair cafe"]), st.sampled_from(["", "market cross"]))
ITEMS = st.lists(st.tuples(TRACES, st.sampled_from(["h1", "h2"])), max_size=8)


@given(vanished=ITEMS, appeared=ITEMS)
def test_successors_pair_one_to_one_on_the_same_trace_whatever_the_order(
        vanished: list[tuple[Trace, str]], appeared: list[tuple[Trace, str]]) -> None:
    old = [(f"old-{i}", found, digest) for i, (found, digest) in enumerate(vanished)]
    new = [(f"new-{i}", found, digest) for i, (found, digest) in enumerate(appeared)]

    def named(a: list[tuple[str, Trace, str]], b: list[tuple[str, Trace, str]]) -> set[tuple[str, str]]:
        return {(b[j][0], a[i][0]) for j, i in successors(a, b).items()}

    pairs = named(old, new)
    assert named(old[::-1], new[::-1]) == pairs
    assert len({o for _n, o in pairs}) == len(pairs)
    by_name = {name: found for name, found, _d in old + new}
    assert all(by_name[n] == by_name[o] for n, o in pairs)
    for found in {found for _n, found, _d in old}:  # as many pairs as the smaller side of each trace allows
        assert sum(1 for n, _o in pairs if by_name[n] == found) == min(
            sum(1 for _n, f, _d in old if f == found), sum(1 for _n, f, _d in new if f == found))
