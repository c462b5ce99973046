"""Merging duplicates across feeds: same UID, or same start with a near-identical title at the same place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calendar_hub.merge import Candidate, clusters, fold, similar

SIX_PM = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)


def make(key: int, feed: int, title: str, *, uid: str = "", start: datetime = SIX_PM, location: str = "",
         lat: float | None = None, lon: float | None = None) -> Candidate:
    return Candidate(key=key, feed_id=feed, source_uid=uid or f"uid-{key}", start=start, title=title,
                     location=location, lat=lat, lon=lon)


def merged(candidates: list[Candidate]) -> list[list[int]]:
    forwards = clusters(candidates)
    assert clusters(list(reversed(candidates))) == forwards  # order never changes the answer
    return forwards


def test_the_same_uid_and_start_in_two_feeds_is_one_event() -> None:
    assert merged([make(1, 10, "Picnic", uid="x@g"), make(2, 11, "Picnic in the park", uid="x@g")]) == [[1, 2]]


def test_near_identical_titles_at_the_same_venue_are_one_event() -> None:
    a = make(1, 10, "Welcome Walk, Sefton Park", location="Palm House, Sefton Park, Liverpool L17 1AP")
    b = make(2, 11, "Welcome walk – Sefton Park", location="Palm House, Sefton Park, Liverpool")
    assert merged([a, b]) == [[1, 2]]


def test_a_chain_of_three_cohosts_is_one_event() -> None:
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
def test_different_events_stay_apart(other: Candidate) -> None:
    assert merged([make(1, 10, "Welcome walk", lat=53.478, lon=-2.246), other]) == [[1], [2]]


def test_folding_and_similarity() -> None:
    assert fold("Welcome Walk – Sefton Park!") == "welcome walk sefton park"
    assert fold("Café Crème") == "cafe creme"
    assert similar("refugee week social", "refugee week socials", 0.85)
    assert not similar("english class", "english conversation class for beginners", 0.85)
