"""The command line, as an operator uses it: init, load twice, refresh, feeds."""

from __future__ import annotations

import dataclasses
import io
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import Session

from calendar_hub import store
from calendar_hub.cli import main, served_address
from calendar_hub.registry_export import export_registry
from tests.feedserver import FeedServer
from tests.hubdata import moved_hub

DATA = Path(__file__).parent / "data"


def test_init_load_refresh_and_feeds(tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = moved_hub(tmp_path).folder
    env = {"CALENDAR_HUB_DATABASE_URL": database_url, "CALENDAR_HUB_PARSE_WORKERS": "1"}
    assert main(["init"], environ=env) == 0
    assert main(["load", str(folder)], environ=env) == 0
    assert "loaded 3 groups and 1 week from" in capsys.readouterr().out
    assert main(["load", str(folder)], environ=env) == 0
    assert "nothing added, updated or deactivated" in capsys.readouterr().out
    assert main(["refresh"], environ=env) == 0
    out = capsys.readouterr().out
    assert "3 feeds in" in out and "3 stored" in out
    assert "cardiff-migrant-welcome" in out and "stored" in out
    assert main(["refresh"], environ=env) == 0
    assert "3 unchanged" in capsys.readouterr().out
    assert main(["feeds"], environ=env) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["group", "URL", "status", "last", "success", "events", "skipped",
                                             "message"]
    assert "1 item had no event date" in table  # the news item without an event date


def test_a_bad_registry_is_an_error_with_a_message(tmp_path: Path, database_url: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.toml").write_text('[[group]]\nslug = "Bad Slug"\nname = "x"\n')
    assert main(["load", str(tmp_path)], environ={"CALENDAR_HUB_DATABASE_URL": database_url}) == 1
    assert "bad.toml" in capsys.readouterr().err


def test_discover_names_the_feed_behind_a_page(feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    calendar = (DATA / "ics" / "cancelled_event.ics").read_bytes()
    feed_server.serve("/events.ics", calendar)
    page = feed_server.serve("/", b'<html><head><title>Friends of Refugees</title>'
                                  b'<link rel="alternate" type="text/calendar" href="/events.ics"></head></html>',
                             content_type="text/html")
    env = {"CALENDAR_HUB_FETCH_PRIVATE_ADDRESSES": "true"}  # the test server is on loopback
    assert main(["discover", page], environ=env) == 0
    out = capsys.readouterr().out
    assert feed_server.url("/events.ics") in out and "ical" in out


def test_discover_refuses_a_private_address_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discover", "http://127.0.0.1:9/calendar"], environ={}) == 1
    assert "private or local network" in capsys.readouterr().out


def test_discover_says_why_a_page_has_no_feed(feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> None:
    page = feed_server.serve("/", b"<html><head><title>Riverside Greens - Home</title></head><body>Hi</body></html>",
                             content_type="text/html")
    assert main(["discover", page], environ={"CALENDAR_HUB_FETCH_PRIVATE_ADDRESSES": "true"}) == 1
    out = capsys.readouterr().out
    assert out.startswith("no calendar found:") and "Riverside Greens - Home" in out


def test_demo_prepares_the_hub_and_an_organiser_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import re

    from sqlmodel import Session

    from calendar_hub import cli
    from calendar_hub.console import accounts
    from calendar_hub.store.engine import make_engine

    served: list[str] = []
    monkeypatch.setattr(cli, "cmd_serve", lambda args, settings: served.append(settings.database_url) or 0)
    assert main(["demo", "--folder", str(tmp_path), "--port", "8123"], environ={"CALENDAR_HUB_PARSE_WORKERS": "1"}) == 0
    out = capsys.readouterr().out
    found = re.search(r"/admin/ as (\S+), password (\S+)", out)
    assert found and served == [f"sqlite:///{tmp_path / 'calendar-hub.db'}"]
    engine = make_engine(served[0])
    with Session(engine) as session:
        assert accounts.authenticate(found.group(1), found.group(2), address="127.0.0.1", session=session)
    engine.dispose()


@pytest.mark.parametrize("stop", ["returns", "ctrl-c"])
def test_the_demo_removes_its_temporary_folder_when_it_stops(stop: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from calendar_hub import cli

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen: list[Path] = []

    def serve(args: object, settings: object) -> int:
        [folder] = tmp_path.glob("calendar-hub-demo-*")
        assert (folder / "calendar-hub.db").is_file() and (folder / "registry" / "hub.toml").is_file()
        seen.append(folder)
        if stop == "ctrl-c":
            raise KeyboardInterrupt
        return 0

    monkeypatch.setattr(cli, "cmd_serve", serve)
    assert main(["demo", "--port", "8123"], environ={"CALENDAR_HUB_PARSE_WORKERS": "1"}) == (0 if stop == "returns"
                                                                                             else 130)
    assert seen and list(tmp_path.glob("calendar-hub-demo-*")) == []


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_real_demo_leaves_no_folder_behind_when_stopped(stop: signal.Signals, tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root, "TMPDIR": str(tmp_path), "CALENDAR_HUB_PARSE_WORKERS": "1"}
    demo = subprocess.Popen([sys.executable, "-m", "calendar_hub", "demo", "--port", str(free_port())], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert demo.stdout is not None
        said = [demo.stdout.readline() for _ in range(3)]
        assert said[0].startswith(f"demo folder: {tmp_path}/calendar-hub-demo-")
        assert said[0].endswith(" (removed when the demo stops)\n")
        assert len(list(tmp_path.glob("calendar-hub-demo-*"))) == 1
        for line in demo.stdout:
            if line.startswith("serving on "):
                break
        demo.send_signal(stop)
        _out, err = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert demo.returncode in (130, 128 + stop, -stop)
    assert "Traceback" not in err
    assert list(tmp_path.glob("calendar-hub-demo-*")) == []


# ---------------------------------------------------------------- serve: its secret and its proxies

EXAMPLE_ENV = Path(__file__).parents[1] / "deploy" / "calendar-hub.env.example"
GOOD_KEY = "k" * 32


def example_secret_key() -> str:
    """The CALENDAR_HUB_SECRET_KEY line deploy/calendar-hub.env.example ships."""
    for line in EXAMPLE_ENV.read_text().splitlines():
        if line.startswith("CALENDAR_HUB_SECRET_KEY="):
            return line.split("=", 1)[1]
    raise AssertionError("the example environment has no secret key")


@pytest.mark.parametrize("key", [example_secret_key(), "x" * 31, "ü" * 15, ""],
                         ids=["the example", "31 bytes", "30 bytes in 15 letters", "none"])
def test_serve_refuses_a_published_or_short_secret_key_saying_how_to_make_one(
        key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    started: list[object] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, *a, **k: started.append(server))
    environ = {"CALENDAR_HUB_DATABASE_URL": f"sqlite:///{tmp_path}/hub.db", "CALENDAR_HUB_SECRET_KEY": key}
    assert main(["serve", "--port", "1"], environ=environ) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("calendar-hub: CALENDAR_HUB_SECRET_KEY")
    assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in err
    assert started == [] and not (tmp_path / "hub.db").exists()


def served_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **environ: str) -> uvicorn.Config:
    """The uvicorn config `serve` starts with these settings (the server itself is not run)."""
    started: list[uvicorn.Server] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, *a, **k: started.append(server))
    env = {"CALENDAR_HUB_DATABASE_URL": f"sqlite:///{tmp_path}/hub.db", "CALENDAR_HUB_SECRET_KEY": GOOD_KEY,
           "CALENDAR_HUB_SERVE_REFRESH": "false", **{f"CALENDAR_HUB_{k.upper()}": v for k, v in environ.items()}}
    assert main(["serve", "--port", "0"], environ=env) == 0     # any free port: serve checks it can listen
    [server] = started
    return server.config


def test_serve_believes_no_forwarded_header_unless_a_proxy_is_named(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # uvicorn's own variable changes nothing either
    config = served_config(tmp_path, monkeypatch)
    assert config.proxy_headers is False
    config = served_config(tmp_path, monkeypatch, trusted_proxies="10.0.0.0/8, 127.0.0.1")
    assert config.proxy_headers is True
    assert config.forwarded_allow_ips == ["10.0.0.0/8", "127.0.0.1/32"]


def test_a_trusted_proxy_that_is_no_address_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    environ = {"CALENDAR_HUB_DATABASE_URL": f"sqlite:///{tmp_path}/hub.db", "CALENDAR_HUB_SECRET_KEY": GOOD_KEY,
               "CALENDAR_HUB_TRUSTED_PROXIES": "proxy.example.org"}
    assert main(["serve", "--port", "1"], environ=environ) == 1
    assert "'proxy.example.org' is no address or network" in capsys.readouterr().err


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        return int(listening.getsockname()[1])


def test_serve_without_a_base_url_publishes_links_to_the_host_and_port_it_serves(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from starlette.testclient import TestClient

    started: list[uvicorn.Server] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda server, *a, **k: started.append(server))
    host, port = "127.0.0.1", free_port()
    env = {"CALENDAR_HUB_DATABASE_URL": f"sqlite:///{tmp_path}/hub.db", "CALENDAR_HUB_SERVE_REFRESH": "false", **KEY}
    assert main(["serve", "--host", host, "--port", str(port)], environ=env) == 0
    expected = f"http://127.0.0.1:{port}"
    [said] = capsys.readouterr().out.splitlines()   # one line says which base the links use, and why
    assert f"published links use {expected}/" in said and "CALENDAR_HUB_BASE_URL is not set" in said
    [server] = started
    assert server.config.port == port
    with TestClient(server.config.app) as client:
        calendar = client.get("/calendar.ics", headers={"Host": "attacker.example", "X-Forwarded-Host": "evil"}).text
    assert f"SOURCE;VALUE=URI:{expected}/calendar.ics" in calendar and "attacker" not in calendar

    env["CALENDAR_HUB_BASE_URL"] = "https://hub.example.org"      # set: it is used as it is, whatever the port
    assert main(["serve", "--host", host, "--port", str(port)], environ=env) == 0
    [said] = capsys.readouterr().out.splitlines()
    assert "published links use https://hub.example.org/ (from CALENDAR_HUB_BASE_URL)" in said
    assert started[-1].config.app is not server.config.app


@pytest.mark.parametrize(("host", "port", "address"), [
    ("127.0.0.1", 18001, "http://127.0.0.1:18001"), ("0.0.0.0", 80, "http://127.0.0.1:80"),
    ("::", 8000, "http://[::1]:8000"), ("::1", 8000, "http://[::1]:8000"), ("hub.local", 8000, "http://hub.local:8000"),
])
def test_the_served_address_is_one_a_browser_on_this_machine_reaches(host: str, port: int, address: str) -> None:
    assert served_address(host, port) == address


class Terminal(io.StringIO):
    """Standard input as a person at a terminal types it."""

    def isatty(self) -> bool:
        return True


def _one_group_left(tmp_path: Path, database_url: str) -> tuple[Path, list[str], dict[str, str]]:
    """A hub loaded with the fixture's three groups, and a registry folder naming only the first of them."""
    data = moved_hub(tmp_path)
    env = {"CALENDAR_HUB_DATABASE_URL": database_url}
    assert main(["load", str(data.folder)], environ=env) == 0
    smaller = tmp_path / "smaller"
    export_registry(dataclasses.replace(data.registry, groups=data.registry.groups[:1], weeks=()), smaller)
    return smaller, sorted(g.slug for g in data.registry.groups[1:]), env


def _active(database_url: str) -> list[str]:
    engine = store.make_engine(database_url)
    try:
        with Session(engine) as session:
            return sorted(g.slug for g in store.active_groups(session=session))
    finally:
        engine.dispose()


def test_load_lists_the_groups_a_registry_no_longer_names_and_deactivates_them_only_with_prune(
        tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    smaller, dropped, env = _one_group_left(tmp_path, database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))                  # a script, a pipe: nobody to ask
    capsys.readouterr()
    assert main(["load", str(smaller)], environ=env) == 0
    out = capsys.readouterr().out
    assert f"left active 2 groups the registry no longer names: {', '.join(dropped)}" in out
    assert f"`calendar-hub load {smaller} --prune` deactivates them" in out
    assert len(_active(database_url)) == 3

    assert main(["load", str(smaller), "--prune"], environ=env) == 0
    out = capsys.readouterr().out
    assert f"deactivated 2 groups the registry no longer names: {', '.join(dropped)}" in out
    remaining = _active(database_url)
    assert len(remaining) == 1 and not set(dropped) & set(remaining)


@pytest.mark.parametrize(("answer", "left"), [("n\n", 3), ("\n", 3), ("yes\n", 1)])
def test_load_on_a_terminal_asks_before_deactivating_groups(
        tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        answer: str, left: int) -> None:
    smaller, dropped, env = _one_group_left(tmp_path, database_url)
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    capsys.readouterr()
    assert main(["load", str(smaller)], environ=env) == 0
    out = capsys.readouterr().out
    assert f"The registry no longer names 2 active groups: {', '.join(dropped)}" in out and "[y/N]" in out
    assert len(_active(database_url)) == left
    assert ("deactivated 2 groups" in out) == (left == 1) and ("--prune` deactivates them" in out) == (left == 3)


UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test"    # a closed loopback port: refused at once
KEY = {"CALENDAR_HUB_SECRET_KEY": "k" * 48}
DEMO_REGISTRY = Path(__file__).resolve().parents[1] / "feeds" / "demo"


def _commands(tmp_path: Path) -> dict[str, list[str]]:
    """Every command that opens the database, with arguments that are right."""
    return {"init": ["init"], "load": ["load", str(DEMO_REGISTRY)], "refresh": ["refresh"], "feeds": ["feeds"],
            "export-registry": ["export-registry", str(tmp_path / "out")], "serve": ["serve", "--port", "0"]}


@pytest.fixture
def never_served(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve` fails the test instead of serving, should it get that far."""
    def refuse(server: uvicorn.Server, *args: object, **kwargs: object) -> None:
        raise AssertionError("serve started the server")

    monkeypatch.setattr(uvicorn.Server, "run", refuse)


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    said = captured.err.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("calendar-hub: ") and "Traceback" not in captured.err, said
    return said[0]


@pytest.mark.parametrize("command", ["init", "load", "refresh", "feeds", "export-registry", "serve"])
@pytest.mark.usefixtures("never_served")
def test_an_unreachable_postgresql_is_one_line_and_status_1(command: str, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    env = {"CALENDAR_HUB_DATABASE_URL": UNREACHABLE, **KEY}
    assert main(_commands(tmp_path)[command], environ=env) == 1
    line = _one_line(capsys)
    assert line.startswith('calendar-hub: the database cannot be reached (connection failed: connection to server at '
                           '"127.0.0.1", port 1 failed: Connection refused')
    assert line.endswith(": check that its server is running and that CALENDAR_HUB_DATABASE_URL names it, with the "
                         "right host, port, user and database")


@pytest.mark.parametrize("command", ["init", "load", "refresh", "feeds", "export-registry", "serve"])
@pytest.mark.usefixtures("never_served")
def test_a_sqlite_file_in_a_missing_folder_is_one_line_saying_to_create_it(command: str, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "not made yet"
    env = {"CALENDAR_HUB_DATABASE_URL": f"sqlite:///{missing / 'hub.db'}", **KEY}
    assert main(_commands(tmp_path)[command], environ=env) == 1
    assert _one_line(capsys) == (f"calendar-hub: the folder {missing} for the SQLite database does not exist: "
                                 f"create it (mkdir -p '{missing}') or point CALENDAR_HUB_DATABASE_URL at a folder "
                                 "that does")
    assert not missing.exists()


def test_a_sqlite_path_that_is_a_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init"], environ={"CALENDAR_HUB_DATABASE_URL": f"sqlite:///{tmp_path}"}) == 1
    assert f"the SQLite database {tmp_path} is a folder" in _one_line(capsys)


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("CALENDAR_HUB_WINDOW_FUTURE_DAYS", "a year", "is not a whole number: set it to a whole number such as 400 "
                                                  "(the default), or leave it unset"),
    ("CALENDAR_HUB_PARSE_SECONDS", "thirty", "is not a number: set it to a number such as 30 (the default), "
                                             "or leave it unset"),
    ("CALENDAR_HUB_SERVE_REFRESH", "maybe", "is neither true nor false: set it to true or false (the default is "
                                            "true), or leave it unset"),
    ("CALENDAR_HUB_FETCH_CONCURRENCY", "-4", "is below zero: give 0 or more, or leave it unset for the default, 20"),
])
@pytest.mark.parametrize("command", ["init", "load", "refresh", "feeds", "export-registry", "serve"])
@pytest.mark.usefixtures("never_served")
def test_a_bad_setting_is_one_line_saying_what_to_give(command: str, variable: str, value: str, words: str,
                                                       tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {"CALENDAR_HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}", **KEY, variable: value}
    assert main(_commands(tmp_path)[command], environ=env) == 1
    assert _one_line(capsys) == f"calendar-hub: {variable}={value!r} {words}"


def test_export_registry_to_a_file_or_an_unwritable_place_is_one_line(tmp_path: Path, database_url: str,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    env = {"CALENDAR_HUB_DATABASE_URL": database_url}
    (tmp_path / "a file").write_text("x")
    assert main(["export-registry", str(tmp_path / "a file")], environ=env) == 1
    assert f"{tmp_path / 'a file'} is a file: name a folder" in _one_line(capsys)
    blocked = tmp_path / "a file" / "below"                            # no folder can be made under a file
    assert main(["export-registry", str(blocked)], environ=env) == 1
    assert f"cannot write the registry to {blocked}" in _one_line(capsys)


@pytest.mark.usefixtures("never_served")
def test_serve_on_a_port_in_use_or_an_address_not_of_this_machine_is_one_line(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    env = {"CALENDAR_HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}", **KEY}
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)], environ=env) == 1
    assert _one_line(capsys) == (f"calendar-hub: port {port} on 127.0.0.1 is already in use: stop what listens "
                                 "there, or choose another with --port")
    assert main(["serve", "--host", "192.0.2.1", "--port", "8000"], environ=env) == 1   # TEST-NET-1: not ours
    line = _one_line(capsys)   # the reason is the system's words (here, the suite's guard on name look-ups)
    assert line.startswith("calendar-hub: cannot listen on 192.0.2.1 port 8000 (")
    assert line.endswith("): give --host an address of this machine (127.0.0.1, 0.0.0.0) and --port a free port")


def test_a_user_caused_failure_in_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "CALENDAR_HUB_DATABASE_URL": UNREACHABLE, "PYTHONPATH": root}
    done = subprocess.run([sys.executable, "-m", "calendar_hub", "init"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("calendar-hub: the database cannot be reached")
    assert "check that its server is running" in done.stderr
