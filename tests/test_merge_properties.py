"""Properties of merging over generated inputs (hypothesis): alike titles, copies of one entry in several feeds,
parallel sessions in one feed, organisers' decisions.

    HYPOTHESIS_PROFILE=long python -m pytest tests/test_merge_properties.py   # many more examples
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendar_hub.catalogue import merge
from calendar_hub.catalogue.merge import Candidate, Decisions, clusters, pair
from calendar_hub.identity import published_uid

_QUIET = (HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much)
PROFILES = {"ci": settings(derandomize=True, max_examples=200, deadline=None, database=None,
                           suppress_health_check=_QUIET, print_blob=True),
            "long": settings(max_examples=5_000, deadline=None, database=None, suppress_health_check=_QUIET,
                             print_blob=True)}
PROFILE = PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "ci")]

SIX_PM = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
TITLES = ["Postcard & poster workshop", "Postcard and Poster Workshop #CT4R", "WAST: postcard and poster workshop",
          "Local action 1 #CT4R", "Local action 2 #CT4R", "Local Action 1", "Refugee week social",
          "Refugee Week Socials!", "Breakout session", "Breakout session 🎨", "Choir"]
PLACES = ["", "", "Friends Meeting House, Manchester", "Friends Meeting House", "Online", "Toxteth Town Hall"]
COORDS = [None, (53.478, -2.246), (53.4781, -2.2461), (53.41, -2.98)]


@st.composite
def occurrences(draw: st.DrawFn, min_size: int = 0, feeds: int = 4) -> list[Candidate]:
    """Stored occurrences as feeds give them: one feed never holds one (source UID, RECURRENCE-ID) twice, and a
    source UID may be in several feeds (copies), under one published UID per RECURRENCE-ID."""
    drawn = draw(st.lists(st.tuples(
        st.integers(0, feeds - 1),                      # feed
        st.sampled_from(["a", "b", "c", "d", "e", "f"]),  # source UID
        st.sampled_from(["", "", "2026-12-14"]),        # RECURRENCE-ID
        st.sampled_from(TITLES), st.integers(0, 1), st.sampled_from(PLACES), st.sampled_from(COORDS),
    ), min_size=min_size, max_size=14, unique_by=lambda t: (t[0], t[1], t[2]) if feeds < 100 else t[0]))
    found = []
    for key, (feed, uid, rid, title, hour, place, coords) in enumerate(drawn):
        lat, lon = coords if coords else (None, None)
        found.append(Candidate(key=key, feed_id=feed, source_uid=uid, start=SIX_PM + timedelta(hours=hour),
                               title=title, location=place, lat=lat, lon=lon, uid=published_uid(uid, rid),
                               names=("WAST",) if feed == 2 else ()))
    return found


@st.composite
def decisions_on(draw: st.DrawFn, events: list[Candidate], kinds: tuple[str, ...] = ("merge", "apart")) -> Decisions:
    uids = sorted({c.uid for c in events})
    if len(uids) < 2:
        return Decisions()
    chosen = draw(st.lists(st.tuples(st.sampled_from(kinds), st.sampled_from(uids), st.sampled_from(uids)),
                           max_size=4))
    merge = frozenset(pair(a, b) for kind, a, b in chosen if kind == "merge" and a != b)
    apart = frozenset(pair(a, b) for kind, a, b in chosen if kind == "apart" and a != b) - merge
    return Decisions(merge=merge, apart=apart)


def by_key(events: list[Candidate]) -> dict[int, Candidate]:
    return {c.key: c for c in events}


@PROFILE
@given(st.data())
def test_no_cluster_holds_two_events_of_one_feed_unless_an_organiser_merged_them(data: st.DataObject) -> None:
    events = data.draw(occurrences())
    decisions = data.draw(decisions_on(events, kinds=("apart",)))
    keyed = by_key(events)
    for group in clusters(events, decisions):
        feeds = [keyed[k].feed_id for k in group]
        assert len(feeds) == len(set(feeds)), [keyed[k] for k in group]
        uids = {keyed[k].uid for k in group}
        assert not any(a in uids and b in uids for a, b in decisions.apart)


@PROFILE
@given(occurrences())
def test_every_copy_of_one_published_uid_is_in_one_cluster(events: list[Candidate]) -> None:
    keyed = by_key(events)
    holding: dict[str, int] = {}
    for n, group in enumerate(clusters(events)):
        for k in group:
            assert holding.setdefault(keyed[k].uid, n) == n, keyed[k]


@PROFILE
@given(st.data())
def test_the_result_does_not_depend_on_input_order(data: st.DataObject) -> None:
    events = data.draw(occurrences())
    decisions = data.draw(decisions_on(events))
    shuffled = data.draw(st.permutations(events))
    assert clusters(shuffled, decisions) == clusters(events, decisions)


@PROFILE
@given(st.data())
def test_an_unrelated_event_never_splits_or_joins_others(data: st.DataObject) -> None:
    events = data.draw(occurrences())
    decisions = data.draw(decisions_on(events))
    # another feed's event at a start the others have, at a place they name, under a title sharing no word
    start = data.draw(st.sampled_from([SIX_PM, SIX_PM + timedelta(hours=1)]))
    place = data.draw(st.sampled_from(PLACES))
    unrelated = Candidate(key=len(events), feed_id=9, source_uid="z", start=start, title="Quiz night",
                          location=place, lat=None, lon=None, uid=published_uid("z", ""))
    at = data.draw(st.integers(0, len(events)))
    before = clusters(events, decisions)
    after = clusters([*events[:at], unrelated, *events[at:]], decisions)
    assert sorted([*before, [unrelated.key]]) == after


@PROFILE
@given(st.data())
def test_an_organisers_merge_joins_its_pair_unless_an_apart_decision_forbids_it(data: st.DataObject) -> None:
    events = data.draw(occurrences(min_size=2))
    decisions = data.draw(decisions_on(events, kinds=("merge",)))
    keyed = by_key(events)
    groups = clusters(events, decisions)
    where = {keyed[k].uid: n for n, group in enumerate(groups) for k in group}
    for a, b in decisions.merge:
        assert where[a] == where[b]


@PROFILE
@given(occurrences(feeds=1_000))
def test_places_compared_through_blocking_give_the_answer_every_pair_gives(events: list[Candidate]) -> None:
    # Many occurrences under one title at one start have their places blocked (cells, location lines) instead of
    # compared pair by pair; with one occurrence per feed, the answer is the same.
    with mock.patch.object(merge, "PAIRWISE_PLACES", 0):
        blocked = clusters(events)
    assert blocked == clusters(events)
