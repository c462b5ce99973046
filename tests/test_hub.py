"""The running hub hands out its catalogue without making requests pay for rebuilds while feeds keep changing."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from calendar_hub import clock
from calendar_hub.catalogue import Catalogue, GroupInfo
from calendar_hub.catalogue import hub as hub_module
from calendar_hub.catalogue.hub import Hub
from calendar_hub.catalogue.outputs import Outputs
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.factories import LONDON, FixedHub, fixed_catalogue, many_listings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def paced(monkeypatch: pytest.MonkeyPatch) -> tuple[Hub, Clock, list[int]]:
    """A hub whose database changes before every check and whose every rebuild takes 3 s of its clock."""
    clock = Clock()
    versions = iter(range(1, 1000))
    built: list[int] = []

    class Built:
        def __init__(self, version: int) -> None:
            self.version = version
            self.index_built = False

        @property
        def index(self) -> None:
            self.index_built = True

        def succeed(self, previous: Built, *, stale_seconds: float) -> None:
            assert previous is not self

    def build_catalogue(**_kwargs: Any) -> Built:
        clock.now += 3.0
        built.append(len(built) + 1)
        return Built(-len(built))   # never the version read, so every check finds a change

    monkeypatch.setattr(hub_module.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(hub_module.store, "current_version", lambda **_kwargs: next(versions))
    monkeypatch.setattr(hub_module, "build_catalogue", build_catalogue)
    return Hub(Settings(database_url="sqlite://", change_check_seconds=1.0)), clock, built


def test_while_feeds_keep_changing_a_rebuild_is_followed_by_twice_its_length_without_one(
        paced: tuple[Hub, Clock, list[int]]) -> None:
    hub, clock, built = paced
    first = hub.catalogue()
    assert built == [1]                     # ended at 1003: nothing more until 1003 + 2 x 3
    clock.now = 1008.9
    assert hub.fresh() is first and hub.catalogue() is first and built == [1]
    clock.now = 1009.0
    assert hub.fresh() is None
    assert hub.catalogue() is first         # built whole in the background, the one held served meanwhile
    hub.settle()
    second = hub.fresh()                    # ended at 1012: nothing more until 1012 + 2 x 3
    assert second is not None and second is not first and built == [1, 2]
    clock.now = 1017.9
    assert hub.fresh() is second


def test_a_catalogue_built_in_the_background_comes_with_its_search_index_once_searches_were_made(
        paced: tuple[Hub, Clock, list[int]]) -> None:
    hub, clock, _built = paced
    first = hub.catalogue()
    clock.now = 1009.0
    hub.catalogue()
    hub.settle()
    second = hub.catalogue()
    assert second is not first and not second.index_built   # nobody searched: the index stays to be built lazily
    _ = second.index
    clock.now = 1100.0
    hub.catalogue()
    hub.settle()
    third = hub.catalogue()
    assert third is not second and third.index_built          # built before it was served


def test_with_no_check_interval_every_request_sees_the_newest_data(
        paced: tuple[Hub, Clock, list[int]]) -> None:
    hub, _clock, built = paced
    hub.settings = Settings(database_url="sqlite://", change_check_seconds=0.0)
    hub.catalogue()
    hub.catalogue()
    assert built == [1, 2]


def test_pages_work_out_their_events_in_worker_threads_never_on_the_event_loop(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A map of 10,000 events took seconds to render on the event loop, and every other request waited.
    listings = many_listings(300)
    group = listings[0].groups[0]
    week = fixed_catalogue(listings).weeks[0]
    catalogue = Catalogue(version=1, built_at=clock.now(), zone=LONDON, listings=listings, weeks=[week],
                          groups=[GroupInfo(slug=group.slug, name=group.name, website="", home="", region="",
                                            lat=None, lon=None)])
    on_the_loop: list[str] = []
    for name in ("find", "regions"):
        original = getattr(Catalogue, name)

        def watched(self: Catalogue, *args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            try:
                asyncio.get_running_loop()
                on_the_loop.append(_name)
            except RuntimeError:
                pass   # a worker thread: where the work belongs
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Catalogue, name, watched)
    settings = Settings(database_url="sqlite://", base_url="http://hub.test", serve_refresh=False)
    with TestClient(create_app(settings, hub=FixedHub(settings, catalogue))) as client:
        for path in ["/", "/map", "/weeks/great-green-week-2026", "/weeks/great-green-week-2026/map",
                     "/embed/weeks/great-green-week-2026/map", "/groups", f"/groups/{group.slug}", "/about"]:
            assert client.get(path).status_code == 200, path
    assert on_the_loop == []


def test_a_burst_of_requests_for_one_output_builds_it_once_and_all_get_it() -> None:
    outputs = Outputs()
    started, release = threading.Event(), threading.Event()
    builds: list[int] = []

    def build() -> tuple[bytes, str]:
        builds.append(1)
        started.set()
        release.wait(timeout=30)
        return b"BEGIN:VCALENDAR", "text/calendar"

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        first = pool.submit(outputs.get, ("ics",), build)
        assert started.wait(timeout=30)
        others = [pool.submit(outputs.get, ("ics",), build) for _ in range(7)]
        release.set()
        got = [first.result(timeout=30), *(f.result(timeout=30) for f in others)]
    assert builds == [1]
    assert all(output is got[0] for output in got)


def test_a_failed_build_fails_everyone_waiting_for_it_and_the_next_request_tries_again() -> None:
    outputs = Outputs()
    calls: list[int] = []

    def broken() -> tuple[bytes, str]:
        calls.append(1)
        raise ValueError("no such week")

    for _ in range(2):
        with pytest.raises(ValueError, match="no such week"):
            outputs.get(("week",), broken)
    assert calls == [1, 1]
    assert outputs.cached(("week",)) is None


def test_after_a_change_the_last_body_is_served_while_the_new_one_is_built_in_the_background() -> None:
    old = Outputs()
    before = old.get(("ics",), lambda: (b"old", "text/calendar"))
    new = Outputs(old, stale_seconds=60)
    assert old.superseded and new.cached(("ics",)) is None
    assert new.stale(("ics",)) is before
    done = threading.Event()

    def build() -> tuple[bytes, str]:
        done.set()
        return b"new", "text/calendar"

    new.rebuild_later(("ics",), build)
    assert done.wait(timeout=30)
    for _ in range(3000):   # the background build stores its body right after building it
        if new.cached(("ics",)) is not None:
            break
        time.sleep(0.01)
    assert new.get(("ics",), lambda: (b"not built again", "")).body == b"new"
    # Bodies are carried from one version to the next, but none is served stale once it is too old,
    # and none at all without a stale time.
    newer = Outputs(new, stale_seconds=60)
    assert newer.stale(("ics",)).body == b"new"   # type: ignore[union-attr]
    assert Outputs(new, stale_seconds=0).stale(("ics",)) is None
    aged = Outputs(new, stale_seconds=1e-9)
    time.sleep(0.01)
    assert aged.stale(("ics",)) is None


def test_a_replaced_version_builds_nothing_more_in_the_background() -> None:
    old = Outputs()
    Outputs(old, stale_seconds=60)
    built: list[int] = []
    old.rebuild_later(("ics",), lambda: (built.append(1) or b"", ""))   # type: ignore[func-returns-value]
    flushed = threading.Event()
    Outputs().rebuild_later(("flush",), lambda: (flushed.set() or b"", ""))   # type: ignore[func-returns-value]
    assert flushed.wait(timeout=30)   # rebuilds run one after another: the replaced one's would have run first
    assert built == []


def test_after_an_organiser_hides_an_event_no_page_built_before_is_served() -> None:
    before, after, again = (fixed_catalogue(many_listings(3)) for _ in range(3))
    before.output(("page", "/"), lambda: (b"with the event", "text/html"))
    after.hidden = frozenset({before.listings[0].uid})
    after.succeed(before, stale_seconds=60)
    assert after.stale(("page", "/")) is None    # hidden: every request waits for the page without it
    again.hidden = after.hidden
    after.output(("page", "/"), lambda: (b"without the event", "text/html"))
    again.succeed(after, stale_seconds=60)
    assert again.stale(("page", "/")).body == b"without the event"   # type: ignore[union-attr]
