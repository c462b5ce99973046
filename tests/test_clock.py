"""The hub's one clock: `travel_to` moves every reading of now, lets time run on, and puts the real clock back."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from calendar_hub import clock
from calendar_hub.store.models import Group

THEN = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)


def test_travel_moves_now_and_today_and_time_runs_on() -> None:
    with clock.travel_to(THEN):
        first = clock.now()
        assert abs(first - THEN) < timedelta(seconds=1)
        assert clock.today(UTC) == date(2026, 11, 20)
        assert clock.today(ZoneInfo("Asia/Tokyo")) == date(2026, 11, 21)   # already the next day there
        time.sleep(0.01)
        assert clock.now() > first
        assert abs(Group(slug="g", name="G").created_at - THEN) < timedelta(seconds=1)   # stored stamps too
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)


def test_travels_nest_and_unwind() -> None:
    with clock.travel_to(THEN):
        with clock.travel_to(THEN + timedelta(days=400)):
            assert clock.today(UTC) == date(2027, 12, 25)
        assert clock.today(UTC) == date(2026, 11, 20)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"), clock.travel_to(datetime(2026, 11, 20)):
        pass


@pytest.mark.now("2031-03-30T00:30:00+00:00")
def test_the_mark_runs_a_test_at_its_instant() -> None:
    assert clock.today(ZoneInfo("Europe/London")) == date(2031, 3, 30)
    assert clock.now().year == 2031
