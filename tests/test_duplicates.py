"""Duplicates the automatic merge missed: suspected pairs with reasons, organisers' merge / keep apart / undo,
and the /admin/duplicates page that shows them side by side."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from calendar_hub import store
from calendar_hub.catalogue.merge import NO_DECISIONS, Decisions, pair
from calendar_hub.console import duplicates
from calendar_hub.console.duplicates import Entry, Source, suspected
from calendar_hub.errors import InputError
from calendar_hub.settings import Settings
from calendar_hub.store.models import AuditEntry, MergeDecision
from tests.factories import LONDON, Ordered, london, make_listing, many_listings
from tests.feedserver import FeedServer
from tests.hubdata import WEEK, HubData, run_refresh
from tests.pages import calendar_events, post, sign_in, token

# ---------------------------------------------------------------- finding suspected pairs

CARDIFF = {"location": "Cardiff Bay Barrage, Cardiff CF10 4LY", "lat": 51.4480, "lon": -3.1658, "town": "Cardiff"}


def entry(uid: str, feed: int, **fields: Any) -> Entry:
    """A listing from one feed (`make_listing`'s Saturday-morning litter pick unless told otherwise)."""
    item = make_listing(uid=uid, **fields)
    return Entry(item, (Source(uid, feed, f"https://feed-{feed}.example.org/calendar.ics", f"Group {feed}"),))


Find = Callable[..., list[tuple[str, str, str]]]


@pytest.fixture
def found(ordered: Ordered) -> Find:
    """(uid, uid, reason) of each suspected pair among the entries, run as given and reversed: order must not matter."""
    def find(*entries: Entry, decisions: Decisions = NO_DECISIONS) -> list[tuple[str, str, str]]:
        pairs = suspected(ordered(entries), zone=LONDON, decisions=decisions)
        return [(s.a.listing.uid, s.b.listing.uid, s.reason) for s in pairs]
    return find


@pytest.mark.parametrize(("other", "reason"), [
    ({"title": "Litter pick on the towpath with Riverside Greens", "start": london(2026, 6, 13, 10, 30),
      "end": london(2026, 6, 13, 12, 30)}, "times overlap, one title contains the other, same place"),
    ({"title": "Towpath tidy-up"}, "same start, titles 41% alike, same place"),
    ({"title": "Litter picking along the towpath!"}, "same start, titles 81% alike, same place"),
    ({"title": "Litter pick: the towpath", "lat": 51.5075, "lon": -0.1235, "location": "Towpath steps"},
     "same start, same title, places 0.7 km apart"),
    ({"title": "Litter-pick on the tow path", "location": "", "lat": None, "lon": None,
      "place_precision": "none", "start": london(2026, 6, 13, 11, 0)},
     "times overlap, titles 97% alike, a place given by one only"),
])
def test_a_pair_that_looks_like_one_event_is_suspected_with_its_reason(other: dict[str, Any], reason: str,
                                                                       found: Find) -> None:
    assert found(entry("a@hub", 1), entry("b@hub", 2, **other)) == [("a@hub", "b@hub", reason)]


@pytest.mark.parametrize("other", [
    pytest.param({"start": london(2026, 6, 14, 10, 0), "end": london(2026, 6, 14, 12, 0)}, id="the next day"),
    pytest.param(CARDIFF, id="same title in another city"),
    pytest.param({**CARDIFF, "lat": 51.48, "lon": -3.18, "place_precision": "approximate"},
                 id="same title, roughly placed in another city"),
    pytest.param({"start": london(2026, 6, 13, 12, 0), "end": london(2026, 6, 13, 14, 0)}, id="one after the other"),
    pytest.param({"title": "Choir practice", "start": london(2026, 6, 13, 11, 0)},
                 id="another event at the same place, overlapping"),
    pytest.param({"title": "Towpath tidy-up", "location": "St Mary's Church hall", "lat": None, "lon": None,
                  "place_precision": "none"}, id="same start, other title, other place"),
    pytest.param({"location": "Lock 7, Northtown", "lat": 51.52, "lon": -0.10},
                 id="same title, exact places 3 km apart"),
])
def test_clear_non_duplicates_are_not_suggested(other: dict[str, Any], found: Find) -> None:
    assert found(entry("a@hub", 1), entry("b@hub", 2, **other)) == []


def test_a_feed_that_lists_both_means_two_events(found: Find) -> None:
    assert found(entry("a@hub", 1), entry("b@hub", 1, title="Litter pick on the towpath (2nd session)")) == []


def test_days_are_the_hubs_local_days(found: Find) -> None:
    # Past midnight in British Summer Time: both on 14 June in London, on 13 and 14 June in UTC.
    first = entry("a@hub", 1, start=london(2026, 6, 14, 0, 30), end=london(2026, 6, 14, 2, 0))
    second = entry("b@hub", 2, start=london(2026, 6, 14, 1, 15), end=london(2026, 6, 14, 2, 0))
    assert first.listing.start.date() != second.listing.start.date()
    assert found(first, second) == [("a@hub", "b@hub", "times overlap, same title, same place")]


def test_a_pair_an_organiser_decided_is_not_suggested_again(found: Find) -> None:
    a, b = entry("a@hub", 1), entry("b@hub", 2, title="Towpath tidy-up")
    assert len(found(a, b)) == 1
    assert found(a, b, decisions=Decisions(apart=frozenset({pair("b@hub", "a@hub")}))) == []
    # a decision about an occurrence merged into a listing counts for the listing
    merged = dataclasses.replace(a, sources=(*a.sources, Source("c@hub", 3, "https://feed-3.example.org/", "C")))
    assert found(merged, b, decisions=Decisions(apart=frozenset({pair("c@hub", "b@hub")}))) == []
    assert len(found(merged, b, decisions=Decisions(apart=frozenset({pair("c@hub", "x@hub")})))) == 1


def test_every_overlapping_alike_pair_from_different_feeds_is_found_among_many(ordered: Ordered) -> None:
    # many_listings: events over a year, all with titles alike ("Event ab: repair café, talk; walk": letters, as
    # titles whose numbers differ are two events), so every pair overlapping in time from different feeds is a
    # suspect.  (Its speed is in benchmarks/console.py.)
    items = [dataclasses.replace(item, title=f"Event {chr(97 + i % 26)}{chr(97 + i // 26 % 26)}: repair café, "
                                             "talk; walk") for i, item in enumerate(many_listings(5_000))]
    entries = [Entry(item, (Source(item.uid, i % 7, "", ""),)) for i, item in enumerate(items)]
    pairs = suspected(ordered(entries), zone=LONDON, decisions=Decisions())
    by_day: dict[Any, list[Entry]] = {}
    for e in entries:
        by_day.setdefault(e.listing.start.astimezone(LONDON).date(), []).append(e)
    expected = {tuple(sorted((a.listing.uid, b.listing.uid))) for same_day in by_day.values()
                for i, a in enumerate(same_day) for b in same_day[i + 1:]
                if a.feeds.isdisjoint(b.feeds) and a.listing.start < b.listing.end and b.listing.start < a.listing.end}
    assert len(expected) > 100
    assert {tuple(sorted((p.a.listing.uid, p.b.listing.uid))) for p in pairs} == expected


UNPLACED = {"location": "", "lat": None, "lon": None, "place_precision": "none"}


def test_co_hosts_titles_written_differently_are_the_same_title(found: Find) -> None:
    a = entry("a@hub", 1, title="Women Asylum Seekers Together: Postcard & poster workshop 🎨", **UNPLACED)
    a = Entry(a.listing, (Source("a@hub", 1, "https://feed-1.example.org/calendar.ics",
                                 "Women Asylum Seekers Together"),))
    b = entry("b@hub", 2, title="Postcard and Poster Workshop #CT4R", **UNPLACED)
    assert found(a, b) == [("a@hub", "b@hub", "same start, same title, no place given")]


def test_ten_thousand_alike_titles_at_one_start_suggest_only_their_own_copies(found: Find) -> None:
    national = [entry(f"e{k:05d}@hub", k, title=f"Local action {k} #CT4R", **UNPLACED) for k in range(10_000)]
    copy = entry("copy@hub", 20_000, title="Local Action 17", **UNPLACED)
    assert found(*national, copy) == [("copy@hub", "e00017@hub", "same start, same title, no place given")]


# ---------------------------------------------------------------- decisions in the store

def test_a_decision_is_kept_by_uid_pair_replaced_by_a_new_one_and_audited(engine: Engine) -> None:
    with Session(engine) as session:
        version = store.current_version(session=session)
        duplicates.decide("z@hub", "a@hub", "merge", session=session, actor="olu@hub.test", title_a="Z", title_b="A")
        (made,) = duplicates.decision_rows(session=session)
        assert (made.uid_a, made.uid_b, made.title_a, made.title_b, made.decision) == ("a@hub", "z@hub", "A", "Z",
                                                                                        "merge")
        duplicates.decide("a@hub", "z@hub", "apart", session=session, actor="ada@hub.test")
        assert store.merge_decisions(session=session) == Decisions(apart=frozenset({("a@hub", "z@hub")}))
        assert store.current_version(session=session) == version + 2
        with pytest.raises(InputError):
            duplicates.decide("a@hub", "a@hub", "merge", session=session, actor="olu@hub.test")
        with pytest.raises(InputError):
            duplicates.decide("a@hub", "b@hub", "delete", session=session, actor="olu@hub.test")
        assert duplicates.undo("z@hub", "a@hub", session=session, actor="ada@hub.test")
        assert not duplicates.undo("z@hub", "a@hub", session=session, actor="ada@hub.test")
        assert store.merge_decisions(session=session) == Decisions()
        actions = [(e.action, e.target) for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]
        assert actions == [("duplicates.merge", "a@hub z@hub"), ("duplicates.apart", "a@hub z@hub"),
                           ("duplicates.undo", "a@hub z@hub")]


# ---------------------------------------------------------------- the console page, on the real fixture feeds

LIVERPOOL_WALK = "Welcome Walk with Liverpool Welcome"


def vevent(uid: str, summary: str, start: datetime, end: datetime, location: str, description: str = "") -> bytes:
    """An Outlook-style VEVENT (UTC times) to add to the Liverpool feed."""
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}", f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
             f"DTEND:{end:%Y%m%dT%H%M%SZ}", "DTSTAMP:20261101T090000Z", f"LOCATION:{location}",
             *([f"DESCRIPTION:{description}"] if description else []), "END:VEVENT"]
    return "\r\n".join(lines).encode() + b"\r\n"


def serve_liverpool(hub: HubData, feed_server: FeedServer, *events: bytes) -> None:
    body = hub.feed_file("liverpool_outlook.ics").read_bytes()
    feed_server.serve("/liverpool_outlook.ics", body.replace(b"END:VCALENDAR", b"".join(events) + b"END:VCALENDAR"))


def liverpool_walk(hub: HubData, title: str = LIVERPOOL_WALK, description: str = "Joint walk. #CT4R") -> bytes:
    """Liverpool's listing of Manchester's Welcome Walk: same start and place, a longer title."""
    return vevent("walk-with-manchester@liverpool", title, hub.local("2026-12-05 10:00"), hub.local("2026-12-05 12:00"),
                  "Central Library\\, St Peter's Square\\, Manchester M2 5PD", description)


def with_liverpool_walk(hub: HubData, feed_server: FeedServer, engine: Engine, settings: Settings,
                        **changes: str) -> None:
    serve_liverpool(hub, feed_server, liverpool_walk(hub, **changes))
    run_refresh(engine, settings)


def section(page: str, anchor: str) -> str:
    """The part of the page from the heading with id `anchor` to the next heading of that level."""
    start = page.index(f'<h2 id="{anchor}"')
    end = page.find("<h2", start + 1)
    return page[start:end if end > 0 else len(page)]


def week_events(client: TestClient, prefix: str) -> list[dict[str, Any]]:
    data = client.get("/api/events.json", params={"week": WEEK}).json()
    return [e for e in data["events"] if e["title"].lower().startswith(prefix.lower())]


def test_an_organiser_sees_a_suspected_pair_side_by_side_with_why(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine,
        settings: Settings, feed_server: FeedServer) -> None:
    with_liverpool_walk(hub, feed_server, engine, settings)
    assert sign_in(console_client, people["organiser"]) == 303
    page = console_client.get("/admin/duplicates").text
    suspects = section(page, "suspected")
    assert suspects.count('<li class="pair">') == 1
    assert suspects.count('class="pair-side"') == 2
    assert "same start, one title contains the other, same place" in suspects
    for shown in ("Welcome Walk", LIVERPOOL_WALK, "Sanctuary Manchester", "Liverpool Welcome Network",
                  "/manchester_google.ics", "/liverpool_outlook.ics", "Central Library, St Peter&#39;s Square",
                  "Meet at the Central Library steps.", "Joint walk.", "Merge: one event crediting both groups",
                  "Keep apart"):
        assert shown in suspects, shown
    # a place found from the postcode says so
    assert "postcode" in suspects.lower()
    # the one seen first (Manchester's), whose UID a merge keeps, on the left
    assert suspects.index("Sanctuary Manchester") < suspects.index("Liverpool Welcome Network")
    assert suspects.count("Seen first: kept if merged") == 1
    # the automatic merge of the co-hosted social is there to check
    merged = section(page, "merged")
    assert "Refugee Week Social" in merged and "Refugee week social!" in merged and "Keep apart" in merged
    assert "No decisions yet." in section(page, "decisions")


def test_the_week_filter_shows_only_that_weeks_pairs(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine,
        settings: Settings, feed_server: FeedServer) -> None:
    # Liverpool's March advice session, listed by Manchester too under a longer title: a pair outside the week
    advice = vevent("advice@manchester", "Drop-in advice session at Toxteth Town Hall", hub.local("2027-03-01 10:00"),
                    hub.local("2027-03-01 12:00"), "Toxteth Town Hall\\, Liverpool L8 1TT")
    body = hub.feed_file("manchester_google.ics").read_bytes()
    feed_server.serve("/manchester_google.ics", body.replace(b"END:VCALENDAR", advice + b"END:VCALENDAR"))
    with_liverpool_walk(hub, feed_server, engine, settings)
    assert sign_in(console_client, people["admin"]) == 303
    everything = section(console_client.get("/admin/duplicates").text, "suspected")
    assert LIVERPOOL_WALK in everything and "Drop-in advice session at Toxteth Town Hall" in everything
    week = console_client.get("/admin/duplicates", params={"week": WEEK}).text
    assert f'<option value="{WEEK}" selected>' in week
    assert LIVERPOOL_WALK in section(week, "suspected")
    assert "Drop-in advice session" not in section(week, "suspected")


def test_merging_a_pair_lists_one_event_crediting_both_under_the_first_uid_through_a_refresh(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine,
        settings: Settings, feed_server: FeedServer) -> None:
    with_liverpool_walk(hub, feed_server, engine, settings)
    before = calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)
    manchester_uid, liverpool_uid = str(before["Welcome Walk"]["UID"]), str(before[LIVERPOOL_WALK]["UID"])
    assert sign_in(console_client, people["organiser"]) == 303
    done = post(console_client, "/admin/duplicates/merge", uid_a=liverpool_uid, uid_b=manchester_uid,
                title_a=LIVERPOOL_WALK, title_b="Welcome Walk")
    assert unquote(done).startswith("/admin/duplicates?done=Merged")

    def one_walk_crediting_both() -> None:
        events = calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)
        assert LIVERPOOL_WALK not in events
        walk = events["Welcome Walk"]
        assert str(walk["UID"]) == manchester_uid  # the one seen first: subscribers see no duplicate
        assert "Sanctuary Manchester" in str(walk["DESCRIPTION"]) and "Liverpool Welcome" in str(walk["DESCRIPTION"])
        (listed,) = week_events(console_client, "Welcome Walk")
        assert listed["uid"] == manchester_uid
        assert sorted(g["slug"] for g in listed["groups"]) == ["liverpool-welcome", "sanctuary-manchester"]

    one_walk_crediting_both()
    # Liverpool changes its description: its event is stored again, and stays merged
    with_liverpool_walk(hub, feed_server, engine, settings, description="Joint walk: meet at the steps. #CT4R")
    one_walk_crediting_both()
    page = console_client.get("/admin/duplicates").text
    assert LIVERPOOL_WALK not in section(page, "suspected")
    decisions = section(page, "decisions")
    assert "Merged: one event" in decisions and people["organiser"] in decisions and LIVERPOOL_WALK in decisions
    with Session(engine) as session:
        entry_made = session.exec(select(AuditEntry).where(AuditEntry.action == "duplicates.merge")).one()
        assert entry_made.actor == people["organiser"]
        assert entry_made.target == " ".join(pair(manchester_uid, liverpool_uid))


def test_keeping_an_automatic_merge_apart_lists_two_events_through_a_refresh_and_undo_joins_them(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine,
        settings: Settings, feed_server: FeedServer) -> None:
    (social,) = week_events(console_client, "Refugee week social")
    assert len(social["groups"]) == 2
    assert sign_in(console_client, people["admin"]) == 303
    merged = section(console_client.get("/admin/duplicates").text, "merged")
    form = merged[merged.index('action="/admin/duplicates/apart"'):]
    uid_a, uid_b = (re.findall(f'name="{name}" value="([^"]+)"', form)[0] for name in ("uid_a", "uid_b"))
    assert uid_a == social["uid"] and uid_b != uid_a
    assert unquote(post(console_client, "/admin/duplicates/apart", uid_a=uid_a, uid_b=uid_b,
                        title_a="Refugee Week Social", title_b="Refugee week social!")).startswith(
        "/admin/duplicates?done=Kept apart")

    def two_socials() -> None:
        socials = sorted(week_events(console_client, "Refugee week social"), key=lambda e: e["title"])
        assert [(e["title"], [g["slug"] for g in e["groups"]]) for e in socials] == [
            ("Refugee Week Social", ["sanctuary-manchester"]), ("Refugee week social!", ["liverpool-welcome"])]
        assert {e["uid"] for e in socials} == {uid_a, uid_b}

    two_socials()
    serve_liverpool(hub, feed_server, vevent("new@liverpool", "Quiz", hub.local("2026-12-08 19:00"),
                                             hub.local("2026-12-08 21:00"), "Toxteth Town Hall"))
    run_refresh(engine, settings)  # the Liverpool feed is stored again
    two_socials()
    page = console_client.get("/admin/duplicates").text
    assert "Refugee" not in section(page, "suspected")  # decided: not suggested again
    assert "Refugee" not in section(page, "merged")
    assert "Kept apart" in section(page, "decisions")
    assert unquote(post(console_client, "/admin/duplicates/undo", uid_a=uid_b, uid_b=uid_a)).startswith(
        "/admin/duplicates?done=Undone")
    (social_again,) = week_events(console_client, "Refugee week social")
    assert social_again["uid"] == uid_a and len(social_again["groups"]) == 2
    assert "No decisions yet." in section(console_client.get("/admin/duplicates").text, "decisions")
    with Session(engine) as session:
        assert session.exec(select(MergeDecision)).all() == []
        actions = [e.action for e in session.exec(select(AuditEntry).where(
            col(AuditEntry.action).startswith("duplicates.")).order_by(col(AuditEntry.id))).all()]
        assert actions == ["duplicates.apart", "duplicates.undo"]


def test_keeping_a_suspected_pair_apart_takes_it_out_of_the_suggestions(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine,
        settings: Settings, feed_server: FeedServer) -> None:
    with_liverpool_walk(hub, feed_server, engine, settings)
    events = calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)
    assert sign_in(console_client, people["organiser"]) == 303
    post(console_client, "/admin/duplicates/apart", uid_a=str(events["Welcome Walk"]["UID"]),
         uid_b=str(events[LIVERPOOL_WALK]["UID"]), title_a="Welcome Walk", title_b=LIVERPOOL_WALK)
    page = console_client.get("/admin/duplicates").text
    assert "No suspected duplicates." in section(page, "suspected")
    assert "Kept apart" in section(page, "decisions")
    assert {"Welcome Walk", LIVERPOOL_WALK} <= set(calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content))


def test_the_duplicates_page_and_its_actions_are_for_organisers_and_admins(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    response = console_client.get("/admin/duplicates")
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/login?next=")
    csrf = token(console_client)
    pair_fields = {"uid_a": "a@calendar-hub", "uid_b": "b@calendar-hub"}
    for action in ("merge", "apart", "undo"):
        response = console_client.post(f"/admin/duplicates/{action}", data={**pair_fields, "csrf_token": csrf})
        assert response.status_code == 403
    assert sign_in(console_client, people["editor"]) == 303
    assert console_client.get("/admin/duplicates").status_code == 403
    csrf = token(console_client, "/admin/")
    for action in ("merge", "apart", "undo"):
        response = console_client.post(f"/admin/duplicates/{action}", data={**pair_fields, "csrf_token": csrf})
        assert response.status_code == 403
    with Session(engine) as session:
        assert session.exec(select(MergeDecision)).all() == []
    post(console_client, "/admin/logout")
    assert sign_in(console_client, people["admin"]) == 303
    assert console_client.get("/admin/duplicates").status_code == 200


def test_a_decision_without_its_csrf_token_is_refused(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    assert sign_in(console_client, people["organiser"]) == 303
    for data in ({}, {"csrf_token": "forged"}):
        response = console_client.post("/admin/duplicates/merge",
                                       data={"uid_a": "a@calendar-hub", "uid_b": "b@calendar-hub", **data})
        assert response.status_code == 403
    with Session(engine) as session:
        assert session.exec(select(MergeDecision)).all() == []
    # and with it, nonsense is refused in words, not stored
    assert "two different events" in unquote(post(console_client, "/admin/duplicates/merge", uid_a="a@x", uid_b="a@x"))
    response = console_client.post("/admin/duplicates/delete", data={"csrf_token": token(console_client, "/admin/")})
    assert response.status_code == 404


def test_hostile_titles_and_descriptions_are_shown_as_text(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine,
        settings: Settings, feed_server: FeedServer) -> None:
    hostile = "Welcome Walk <script>alert('walk')</script>"
    with_liverpool_walk(hub, feed_server, engine, settings, title=hostile,
                        description="<img src=x onerror=alert(1)>Bring <b>boots</b> #CT4R")
    assert sign_in(console_client, people["organiser"]) == 303
    page = console_client.get("/admin/duplicates").text
    suspects = section(page, "suspected")
    assert "Welcome Walk &lt;script&gt;alert(&#39;walk&#39;)&lt;/script&gt;" in suspects
    assert "<script>alert" not in page and "onerror" not in page and "<img src=x" not in page
    events = calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)
    done = post(console_client, "/admin/duplicates/merge", uid_a=str(events["Welcome Walk"]["UID"]),
                uid_b=str(events[hostile]["UID"]), title_a="Welcome Walk", title_b=hostile)
    after = console_client.get(done).text
    assert "<script>alert" not in after
    assert "&lt;script&gt;alert(&#39;walk&#39;)&lt;/script&gt;" in section(after, "decisions")
    assert "&lt;script&gt;" in after.split('role="status"')[1][:400]  # the one-line message too
