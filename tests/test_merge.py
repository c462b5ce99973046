"""Merging duplicates across feeds: same UID, or same start with a near-identical title at the same place;
organisers' decisions ("merge", "apart") first, the answer the same in any input order."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from calendar_hub.catalogue import merge
from calendar_hub.catalogue.merge import (
    NO_DECISIONS,
    Candidate,
    Decisions,
    clusters,
    fold,
    likeness,
    pair,
    sharing_rare_words,
    similar,
)
from calendar_hub.identity import title_key
from tests.factories import Ordered

SIX_PM = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


def make(key: int, feed: int, title: str, *, uid: str = "", start: datetime = SIX_PM, location: str = "",
         lat: float | None = None, lon: float | None = None, published: str = "",
         names: tuple[str, ...] = ()) -> Candidate:
    return Candidate(key=key, feed_id=feed, source_uid=uid or f"uid-{key}", start=start, title=title,
                     location=location, lat=lat, lon=lon, uid=published or f"p{key}@hub", names=names)


Merge = Callable[..., list[list[int]]]


@pytest.fixture
def merged(ordered: Ordered) -> Merge:
    """The clusters of the candidates (and decisions), run as given and reversed: order must not change them."""
    def merge(candidates: list[Candidate], decisions: Decisions = NO_DECISIONS) -> list[list[int]]:
        return clusters(ordered(candidates), decisions)
    return merge


def decided(*, merge: tuple[tuple[int, int], ...] = (), apart: tuple[tuple[int, int], ...] = ()) -> Decisions:
    """Decisions on the candidates `make` gives keys to (their published UIDs are p<key>@hub)."""
    return Decisions(merge=frozenset(pair(f"p{a}@hub", f"p{b}@hub") for a, b in merge),
                     apart=frozenset(pair(f"p{a}@hub", f"p{b}@hub") for a, b in apart))


def test_the_same_uid_and_start_in_two_feeds_is_one_event(merged: Merge) -> None:
    assert merged([make(1, 10, "Picnic", uid="x@g"), make(2, 11, "Picnic in the park", uid="x@g")]) == [[1, 2]]


def test_near_identical_titles_at_the_same_venue_are_one_event(merged: Merge) -> None:
    a = make(1, 10, "Welcome Walk, Sefton Park", location="Palm House, Sefton Park, Liverpool L17 1AP")
    b = make(2, 11, "Welcome walk – Sefton Park", location="Palm House, Sefton Park, Liverpool")
    assert merged([a, b]) == [[1, 2]]


def test_a_chain_of_three_cohosts_is_one_event(merged: Merge) -> None:
    events = [make(1, 10, "Refugee Week Social", lat=53.478, lon=-2.246),
              make(2, 11, "Refugee week social!", lat=53.4781, lon=-2.2461),
              make(3, 12, "Refugee Week Socials", lat=53.4779, lon=-2.2459)]
    assert merged(events) == [[1, 2, 3]]


@pytest.mark.parametrize("other", [
    make(2, 11, "Supper club", lat=51.48, lon=-3.18),                               # same title, other city
    make(2, 11, "Welcome walk", lat=53.478, lon=-2.246,
         start=datetime(2026, 12, 7, 19, 0, tzinfo=UTC)),                           # an hour later
    make(2, 11, "Choir practice", lat=53.478, lon=-2.246),                          # other event, same venue
    make(2, 10, "Welcome walk", lat=53.478, lon=-2.246),                            # the same feed twice
])
def test_different_events_stay_apart(other: Candidate, merged: Merge) -> None:
    assert merged([make(1, 10, "Welcome walk", lat=53.478, lon=-2.246), other]) == [[1], [2]]


def test_folding_and_similarity() -> None:
    assert fold("Welcome Walk – Sefton Park!") == "welcome walk sefton park"
    assert fold("Café Crème") == "cafe creme"
    assert similar("refugee week social", "refugee week socials", 0.85)
    assert not similar("english class", "english conversation class for beginners", 0.85)


def test_likeness_gives_up_early_below_the_bar_and_is_exact_above_it() -> None:
    assert likeness("welcome walk", "welcome walk", 0.6) == 1.0
    assert likeness("quiz night", "choir practice", 0.6) == 0.0
    assert likeness("welcome walk", "welcome walk library", 0.6) == pytest.approx(0.75)
    assert likeness("welcome walk", "welcome walk library", 0.8) == 0.0


# ---------------------------------------------------------------- organisers' decisions

def test_a_merge_decision_joins_events_that_look_different(merged: Merge) -> None:
    film = make(1, 10, "Film night: Flee", location="HOME, Manchester")
    screening = make(2, 11, "Screening of Flee", start=SIX_PM + timedelta(minutes=30), location="HOME cinema")
    assert merged([film, screening]) == [[1], [2]]
    assert merged([film, screening], decided(merge=((1, 2),))) == [[1, 2]]


def test_a_merge_decision_joins_every_stored_occurrence_under_its_uids(merged: Merge) -> None:
    # the same calendar entry in two feeds (one published UID), and a third event an organiser says is the same
    events = [make(1, 10, "Vigil", uid="v@x", published="v@hub"), make(2, 11, "Vigil", uid="v@x", published="v@hub"),
              make(3, 12, "Candlelit gathering", start=SIX_PM + timedelta(hours=1), published="c@hub")]
    assert merged(events) == [[1, 2], [3]]
    assert merged(events, Decisions(merge=frozenset({pair("v@hub", "c@hub")}))) == [[1, 2, 3]]


def test_an_apart_decision_splits_an_automatic_merge(merged: Merge) -> None:
    a = make(1, 10, "Welcome Walk, Sefton Park", location="Palm House, Sefton Park, Liverpool L17 1AP")
    b = make(2, 11, "Welcome walk – Sefton Park", location="Palm House, Sefton Park, Liverpool")
    assert merged([a, b]) == [[1, 2]]
    assert merged([a, b], decided(apart=((1, 2),))) == [[1], [2]]


def test_an_apart_decision_holds_against_a_chain_in_every_order() -> None:
    # 1 ~ 2 ~ 3 all look alike; an organiser says 1 and 3 are two events.  Whichever joins win, 1 and 3 stay
    # apart, and every order of the input gives the same answer.
    events = [make(1, 10, "Refugee Week Social", lat=53.478, lon=-2.246),
              make(2, 11, "Refugee week social!", lat=53.4781, lon=-2.2461),
              make(3, 12, "Refugee Week Socials", lat=53.4779, lon=-2.2459)]
    decisions = decided(apart=((1, 3),))
    answers = {tuple(map(tuple, clusters(list(order), decisions))) for order in itertools.permutations(events)}
    assert len(answers) == 1
    (answer,) = answers
    assert sorted(len(group) for group in answer) == [1, 2]
    assert not any(1 in group and 3 in group for group in answer)


def test_an_apart_decision_outweighs_merge_decisions_that_would_join_the_pair() -> None:
    events = [make(1, 10, "Walk"), make(2, 11, "Talk", start=SIX_PM + timedelta(hours=3)),
              make(3, 12, "Supper", start=SIX_PM + timedelta(hours=5))]
    decisions = decided(merge=((1, 2), (2, 3)), apart=((1, 3),))
    answers = {tuple(map(tuple, clusters(list(order), decisions))) for order in itertools.permutations(events)}
    assert answers == {((1, 2), (3,))}  # organisers' merges are tried first, each in UID order


def test_merging_with_decisions_never_depends_on_input_order() -> None:
    rng = random.Random(20261205)
    titles = ["Refugee Week Social", "Refugee week social!", "Welcome walk", "Welcome Walk", "Choir", "Quiz"]
    for _round in range(200):
        events = [make(k, rng.randrange(4), rng.choice(titles), uid=f"s{rng.randrange(4)}",
                       start=SIX_PM + timedelta(hours=rng.randrange(2)), location=rng.choice(["Hall", "Hut", "Park"]))
                  for k in range(8)]
        keys = [e.key for e in events]
        decisions = Decisions(merge=frozenset(pair(f"p{a}@hub", f"p{b}@hub") for a, b in
                                              (rng.sample(keys, 2) for _ in range(rng.randrange(3)))),
                              apart=frozenset(pair(f"p{a}@hub", f"p{b}@hub") for a, b in
                                              (rng.sample(keys, 2) for _ in range(rng.randrange(4)))))
        expected = clusters(events, decisions)
        for _shuffle in range(4):
            rng.shuffle(events)
            assert clusters(events, decisions) == expected
        for uid_a, uid_b in decisions.apart:
            a, b = int(uid_a[1:].split("@")[0]), int(uid_b[1:].split("@")[0])
            assert not any(a in group and b in group for group in expected), (decisions, expected)


@pytest.mark.parametrize(("title", "names", "key"), [
    ("Postcard & poster workshop", (), "postcard and poster workshop"),
    ("Postcard and Poster Workshop #CT4R", (), "postcard and poster workshop"),
    ("WAST: Postcard & poster workshop 🎨", ("WAST",), "postcard and poster workshop"),
    ("Women Asylum Seekers Together – Postcard workshop", ("Women Asylum Seekers Together",), "postcard workshop"),
    ("Refugee Week: film night", ("WAST",), "refugee week film night"),   # not the group's name: kept
    ("WAST:", ("WAST",), "wast"),                                        # nothing after it: kept
    ("#CT4R", (), "ct4r"),                                               # only a hashtag: kept
    ("Café ＆ Crêpes!!", (), "cafe and crepes"),
])
def test_title_key_ignores_what_co_hosts_write_differently(title: str, names: tuple[str, ...], key: str) -> None:
    assert title_key(title, names) == key


# ---------------------------------------------------------------- integrity: one feed's events stay apart

def test_ten_sessions_of_one_feed_stay_ten_beside_another_feeds_similar_event(merged: Merge) -> None:
    # parallel sessions: one title, one time, no place, ten UIDs in one feed; a partner lists one of them
    sessions = [make(k, 10, "Breakout session: welcome and orientation") for k in range(1, 11)]
    partner = make(11, 11, "Breakout session - welcome & orientation")
    found = merged([*sessions, partner])
    assert len(found) == 10
    assert sorted(len(group) for group in found) == [1] * 9 + [2]


def test_a_chain_through_another_feed_never_joins_two_events_of_one_feed(merged: Merge) -> None:
    # 1 and 3 are two events of feed 10; 2 (feed 11) looks like both
    events = [make(1, 10, "Refugee Week Social"), make(2, 11, "Refugee week socials"),
              make(3, 10, "Refugee week social!!"), make(4, 12, "Refugee Week Social")]
    found = merged(events)
    assert not any(1 in group and 3 in group for group in found)
    assert sorted(map(len, found)) == [1, 3]


def test_a_recurring_series_copied_in_two_feeds_merges_instance_by_instance(merged: Merge) -> None:
    # one source UID, two RECURRENCE-IDs: two occurrences, each with its copy in the partner's feed
    week = timedelta(days=7)
    events = [make(1, 10, "Choir", uid="choir@g", published="c1@hub"),
              make(2, 10, "Choir", uid="choir@g", start=SIX_PM + week, published="c2@hub"),
              make(3, 11, "Choir", uid="choir@g", published="c1@hub"),
              make(4, 11, "Choir", uid="choir@g", start=SIX_PM + week, published="c2@hub")]
    assert merged(events) == [[1, 3], [2, 4]]


def test_an_organisers_merge_joins_even_two_events_of_one_feed(merged: Merge) -> None:
    events = [make(1, 10, "Drop-in (morning)"), make(2, 10, "Drop-in (afternoon)", start=SIX_PM + timedelta(hours=3))]
    assert merged(events) == [[1], [2]]
    assert merged(events, decided(merge=((1, 2),))) == [[1, 2]]


def test_copies_of_one_published_uid_are_one_event_whatever_their_times(merged: Merge) -> None:
    # a partner's stale copy of an entry that has since moved an hour later: one UID, so one listing
    fresh = make(1, 10, "Vigil", uid="v@x", published="v@hub", start=SIX_PM + timedelta(hours=1))
    stale = make(2, 11, "Vigil (tbc)", uid="v@x", published="v@hub", location="Somewhere else")
    assert merged([fresh, stale, make(3, 11, "Vigil")]) == [[1, 2], [3]]


# ---------------------------------------------------------------- titles on their normal form

def test_co_hosts_titles_written_differently_are_one_event(merged: Merge) -> None:
    place = "Salford Museum and Art Gallery, Peel Park"
    a = make(1, 10, "Postcard & poster workshop", location=place)
    b = make(2, 11, "Postcard and Poster Workshop #CT4R", location=place)
    c = make(3, 12, "WAST: Postcard and poster workshop 🎨", location=place, names=("Women Asylum Seekers Together",
                                                                                  "WAST"))
    assert merged([a, b, c]) == [[1, 2, 3]]


def test_titles_whose_numbers_differ_are_two_events(merged: Merge) -> None:
    assert merged([make(1, 10, "Local action 17 #CT4R"), make(2, 11, "Local action 18 #CT4R")]) == [[1], [2]]
    assert merged([make(1, 10, "Local action 17 #CT4R"), make(2, 11, "Local Action 17")]) == [[1, 2]]


def test_ten_thousand_alike_titles_at_one_start_are_matched_only_with_their_own_copies() -> None:
    national = [make(k, k % 100, f"Local action {k} #CT4R") for k in range(10_000)]
    copies = [make(10_000 + k, 100 + k, f"Local Action {k}") for k in (17, 4242)]
    found = clusters([*national, *copies])
    assert len(found) == 10_000
    assert [group for group in found if len(group) > 1] == [[17, 10_017], [4242, 14_242]]


def test_pairs_are_compared_only_when_they_share_a_rare_word() -> None:
    texts = ["local action 1", "local action 2", "local action 3", "action 3 local"]
    assert sorted(sharing_rare_words(texts, common=2)) == [(2, 3)]
    assert sorted(sharing_rare_words(texts, common=4)) == [(i, j) for i in range(4) for j in range(i + 1, 4)]


def test_places_compared_through_blocking_join_what_every_pair_joins(monkeypatch: pytest.MonkeyPatch) -> None:
    # one line, two of them placed far apart by their feeds' coordinates, one unplaced: each placed one is at
    # the unplaced one's place (by the line), so all three are one event, pair by pair or blocked
    events = [make(1, 10, "Vigil", location="Town square", lat=53.48, lon=-2.24),
              make(2, 11, "Vigil", location="Town square", lat=53.41, lon=-2.98),
              make(3, 12, "Vigil", location="Town square"),
              *(make(k, k, "Vigil", location=f"Square {k}", lat=50 + k / 100, lon=-4.0) for k in range(100, 200))]
    expected = [[1, 2, 3], *([k] for k in range(100, 200))]
    for pairwise_up_to in (10**9, 0):
        monkeypatch.setattr(merge, "PAIRWISE_PLACES", pairwise_up_to)
        assert clusters(events) == expected
