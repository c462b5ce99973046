"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when configured), feed servers, the refreshed
end-to-end hub and its people, test clients of the app, a headless browser, and rows in both orders.

Set CALENDAR_HUB_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run every
database test against PostgreSQL as well; each test gets its own schema there (browser tests stay on SQLite).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import argon2
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session
from starlette.testclient import TestClient

from calendar_hub import clock, store
from calendar_hub.console import accounts
from calendar_hub.demo import prepare_demo, waiting_work
from calendar_hub.ingest import worker
from calendar_hub.ingest.refresh import refresh
from calendar_hub.registry import read_registry
from calendar_hub.settings import Settings
from calendar_hub.store.engine import make_engine, normalise_url, upgrade
from calendar_hub.web.app import create_app
from tests.browsers import CHROMIUM, CHROMIUM_ARGS
from tests.factories import ORDERS, Ordered
from tests.feedserver import FeedServer, running
from tests.hubdata import HubData, moved_hub, run_refresh, served
from tests.liveserver import live
from tests.mailserver import MailServer
from tests.mailserver import running as mail_running
from tests.pages import PASSWORD

DEMO = Path(__file__).resolve().parents[1] / "feeds" / "demo"
BROKEN_DEMO_FEED = "amnesty-croydon-old.txt"  # the demo's feed that fails, for the console to show

DATA = Path(__file__).parent / "data"
PG_URL = os.environ.get("CALENDAR_HUB_TEST_DATABASE_URL", "")


# ---------------------------------------------------------------- no network but loopback

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _allowed(address: Any) -> bool:
    if isinstance(address, (str, bytes)):
        return True  # a Unix socket (PostgreSQL's, say)
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _allowed(address):
        raise OSError(f"tests may only connect to loopback addresses, not {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _allowed(address):
        raise OSError(f"tests may only connect to loopback addresses, not {address!r}")
    return _real_connect_ex(self, address)


_real_getaddrinfo = socket.getaddrinfo


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    if name is None or name == "localhost" or _allowed((name, 0)):
        return _real_getaddrinfo(host, *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, f"tests look up no names but localhost, not {name!r}")


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a non-loopback address, or lookup of a name other than localhost, fails loudly."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)


# ---------------------------------------------------------------- passwords

@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2's own cheapest profile, made for tests: the same hashing code, a thousandth of the work."""
    monkeypatch.setattr(accounts, "_hasher", argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST))


@pytest.fixture(autouse=True)
def _suite_keeps_its_priority(monkeypatch: pytest.MonkeyPatch) -> None:
    """`calendar-hub refresh` run inside the test process (`cli.main`) must not lower the suite's own priority for
    every test after it; a refresh in a process of its own still does (tests/test_refresh_priority.py)."""
    monkeypatch.setattr(worker, "lower_priority", lambda niceness: os.nice(0))


# ---------------------------------------------------------------- the hub's clock

@pytest.fixture(autouse=True)
def _hub_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """`@pytest.mark.now("2026-10-01T12:00:00+00:00")` runs the hub as if it were then (time moves on from it).

    For tests whose fixtures carry fixed dates: the hub's window, "upcoming" and pages then see the same
    day whatever day the suite runs. Tests without the mark run on the real clock, and their fixtures are
    moved relative to today (tests/hubdata.py) or made from it.
    """
    marker = request.node.get_closest_marker("now")
    if marker is None:
        yield
        return
    with clock.travel_to(datetime.fromisoformat(marker.args[0])):
        yield


# ---------------------------------------------------------------- databases

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="CALENDAR_HUB_TEST_DATABASE_URL is not set"))]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run on SQLite only: what they check is the pages, and every database test of the same
    behaviour runs on PostgreSQL as well, so a second browser run would double their time and find nothing new."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgresql = callspec is not None and callspec.params.get("database_url") == "postgresql"
        (dropped if on_postgresql and item.get_closest_marker("browser") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every migration applied, made once per test run and copied for each test."""
    path = tmp_path_factory.mktemp("template") / "hub.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty, migrated database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "hub.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
        yield f"sqlite:///{path}"
        return
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = make_url(normalise_url(PG_URL)).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    engine = make_engine(rendered)
    upgrade(engine)
    engine.dispose()
    try:
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    yield made
    made.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings for tests: the test database, no background refresh, changes seen at once (never a page built
    before them), one parse worker at the test's own priority (a shared machine's other work must not push a
    niced parse past its time limit)."""
    return Settings(database_url=database_url, base_url="http://hub.test", serve_refresh=False,
                    change_check_seconds=0.0, stale_seconds=0.0, parse_workers=1, refresh_nice=0,
                    fetch_total_timeout=10.0,
                    fetch_connect_timeout=2.0, fetch_read_timeout=5.0)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with running() as server:
        yield server


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A real SMTP relay on 127.0.0.1 that keeps what it accepts (tests/mailserver.py)."""
    with mail_running() as server:
        yield server


# ---------------------------------------------------------------- the end-to-end hub and its people

@pytest.fixture
def hub(tmp_path: Path, engine: Engine, settings: Settings, feed_server: FeedServer) -> HubData:
    """tests/data/hub moved to upcoming dates, its feeds served by `feed_server`, stored and refreshed once."""
    data = moved_hub(tmp_path)
    with Session(engine) as session:
        store.apply_registry(served(data, feed_server), session=session)
    report = run_refresh(engine, settings)
    assert [o.kind for _j, o in report.outcomes] == ["stored"] * 3, [o.error for _j, o in report.outcomes]
    return data


@pytest.fixture
def demo(tmp_path: Path, engine: Engine, settings: Settings) -> Path:
    """The demo registry (feeds/demo) moved to upcoming dates, stored and refreshed once; its folder."""
    folder = tmp_path / "demo"
    prepare_demo(DEMO, folder, today=clock.today(ZoneInfo("Europe/London")))
    with Session(engine) as session:
        store.apply_registry(read_registry(folder), session=session)
    report = run_refresh(engine, settings)
    assert all(o.kind == "stored" for job, o in report.outcomes if not job.url.endswith(BROKEN_DEMO_FEED)), [
        o.error for _j, o in report.outcomes]
    return folder


@pytest.fixture
def demo_site(tmp_path: Path, engine: Engine, settings: Settings) -> Iterator[str]:
    """The demo hub, stored, refreshed, with the work `calendar-hub demo` leaves waiting (a join request, a sent
    event), and served on 127.0.0.1 for browser tests; its base URL (no map tiles: nothing outside loopback is
    fetched)."""
    folder = tmp_path / "demo"
    prepare_demo(DEMO, folder, today=clock.today(ZoneInfo("Europe/London")))
    with Session(engine) as session:
        store.apply_registry(read_registry(folder), session=session)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's sync API keeps a loop in this thread
        pool.submit(asyncio.run, refresh(engine, settings, due_only=False)).result()
    with Session(engine) as session:
        waiting_work(settings, session=session)
    with live(create_app(settings.replace(tile_url=""))) as base:
        yield base


@pytest.fixture
def people(hub: HubData, engine: Engine) -> dict[str, str]:
    """An admin, an organiser and an editor of the Manchester group (their e-mail addresses by role)."""
    made = {"admin": "ada@hub.test", "organiser": "olu@hub.test", "editor": "eve@manchester.test"}
    with Session(engine) as session:
        for role, email in made.items():
            group = "sanctuary-manchester" if role == "editor" else None
            accounts.add_user(email, PASSWORD, role=role, group=group, session=session, actor="test")
    return made


# ---------------------------------------------------------------- clients of the app

@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A visitor's client of the app on the test settings; it follows redirects, as a browser does."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def console_client(settings: Settings) -> Iterator[TestClient]:
    """An organiser's client: redirects are not followed, so a test sees each 303 and where it points.

    Feeds and groups' sites added through the console are fetched with the SSRF guard, and here they
    live on 127.0.0.1: this app is told to allow private addresses.
    """
    with TestClient(create_app(settings.replace(fetch_private_addresses=True)), follow_redirects=False) as made:
        yield made


# ---------------------------------------------------------------- a browser

@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium through Playwright (imported here: only the browser tests need it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# ---------------------------------------------------------------- input order

@pytest.fixture(params=ORDERS)
def ordered(request: pytest.FixtureRequest) -> Ordered:
    """Runs the test on its rows as given and again reversed: answers that must not depend on input order."""
    return Ordered(request.param)
