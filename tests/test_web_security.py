"""Hostile requests against the web app: Host and forwarded headers reach no output, cached or not; forwarded
addresses are believed only from named proxies; every response carries the security headers; no inline script."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from calendar_hub import clock
from calendar_hub.catalogue import Catalogue
from calendar_hub.catalogue.hub import Hub
from calendar_hub.cli import main
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from calendar_hub.web.headers import tile_source
from tests.browsers import CHROMIUM
from tests.feedserver import FeedServer
from tests.hubdata import WEEK, HubData
from tests.liveserver import live

ROOT = Path(__file__).parents[1]
EVIL = "evil.example"
HOSTILE = {"Host": EVIL, "X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9",
           "Forwarded": f"for=203.0.113.9;host={EVIL};proto=https", "X-Original-URL": f"http://{EVIL}/"}
GROUP = "cardiff-migrant-welcome"
PUBLIC = ["/", f"/weeks/{WEEK}", f"/weeks/{WEEK}/map", "/map", f"/embed/weeks/{WEEK}/map", "/groups",
          f"/groups/{GROUP}", "/about", "/calendar.ics", f"/weeks/{WEEK}.ics", f"/groups/{GROUP}.ics", "/feed.atom",
          f"/feed.atom?week={WEEK}", "/api/events.json", f"/api/events.json?group={GROUP}", "/api/events.geojson",
          f"/api/events.geojson?week={WEEK}", "/healthz", "/join/", "/submit/", "/admin/login", "/admin/",
          "/weeks/no-such-week", "/static/hub/hub.css"]
REDIRECTS = ["/join", "/submit", "/admin", "/groups/", "/map/"]


def leaks(response: httpx.Response) -> list[str]:
    """Where the hostile host shows in a response: its headers by name, "body"."""
    found = [name for name, value in response.headers.items() if EVIL in value.lower()]
    body = re.sub(rb"\r\n[ \t]", b"", response.content)  # ICS lines are folded at 75 octets (RFC 5545 3.1)
    return found + (["body"] if EVIL.encode() in body.lower() else [])


# ---------------------------------------------------------------- absolute URLs only from the base URL

def test_hostile_host_and_forwarded_headers_reach_no_output_cached_or_not(hub: HubData, settings: Settings) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        for path in PUBLIC:
            hostile = client.get(path, headers=HOSTILE)
            assert hostile.status_code in (200, 303, 404), (path, hostile.status_code)
            assert leaks(hostile) == [], path
            clean = client.get(path)  # the copy built for the hostile request, when the output is cached
            assert clean.status_code == hostile.status_code and leaks(clean) == [], path
            if path not in ("/join/", "/submit/", "/admin/login"):  # their forms carry a new CSRF token
                assert clean.content == hostile.content, path
            if path.startswith("/feed.atom"):
                assert f"<id>http://hub.test{path}</id>" in clean.text


@pytest.mark.parametrize("path", REDIRECTS)
def test_redirects_to_add_a_slash_are_relative_not_built_from_host(settings: Settings, path: str) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        response = client.get(path, headers=HOSTILE)
    assert response.status_code in (303, 307), response.status_code
    assert response.headers["location"].startswith("/") and not response.headers["location"].startswith("//")
    assert leaks(response) == []


@pytest.mark.parametrize("path", ["/feed.atom", "/calendar.ics", f"/weeks/{WEEK}.ics", "/api/events.json"])
def test_an_unknown_query_parameter_reaches_no_cached_output(hub: HubData, settings: Settings,
                                                             monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    from calendar_hub.web.public import outputs

    monkeypatch.setattr(outputs, "PAGE_SIZE", 2)  # so that the JSON has a `next` link
    with TestClient(create_app(settings)) as client:
        poisoned = client.get(path, params={"utm_source": f"https://{EVIL}/"}, headers=HOSTILE)
        clean = client.get(path)
    assert poisoned.status_code == clean.status_code == 200
    assert leaks(poisoned) == [] and leaks(clean) == []
    if path == "/api/events.json":
        assert clean.json()["next"] == "http://hub.test/api/events.json?offset=2"


def test_query_parameters_no_page_reads_make_no_copy_of_it(hub: HubData, settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as client:
        pages = [client.get(f"/map?utm_source=newsletter-{n}&near=Manchester") for n in range(20)]
        outputs = app.state.hub.catalogue().outputs
        assert len(outputs) == 1   # an attacker cannot fill the cache with copies of the largest page
        assert len({page.content for page in pages}) == 1
        assert client.get("/map?near=Cardiff").content != pages[0].content
        assert len(outputs) == 2


# ---------------------------------------------------------------- client addresses

@contextmanager
def served(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch, **environ: str) -> Iterator[str]:
    """The app exactly as `calendar-hub serve` starts it (its uvicorn config), on a free loopback port."""
    real_run = uvicorn.Server.run
    started: list[uvicorn.Server] = []


    def record(server: uvicorn.Server, *args: object, **kwargs: object) -> None:
        started.append(server)
        server.started = True  # as far as `uvicorn.run` can tell: it exits when a server did not start

    monkeypatch.setattr(uvicorn.Server, "run", record)
    env = {"CALENDAR_HUB_DATABASE_URL": settings.database_url, "CALENDAR_HUB_BASE_URL": settings.base_url,
           "CALENDAR_HUB_SECRET_KEY": "s" * 48, "CALENDAR_HUB_SERVE_REFRESH": "false",
           "CALENDAR_HUB_CHANGE_CHECK_SECONDS": "0", "CALENDAR_HUB_PARSE_WORKERS": "1", **environ}
    assert main(["serve", "--host", "127.0.0.1", "--port", "0"], environ=env) == 0
    [server] = started
    server.started = False
    thread = threading.Thread(target=real_run, args=(server,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def submitted(base: str, forwarded_for: list[str]) -> list[int]:
    """The statuses of one /submit form sent once per X-Forwarded-For value, all from this machine."""
    day = (clock.now() + timedelta(days=20)).date().isoformat()
    statuses = []
    with httpx.Client(base_url=base) as client:
        for n, address in enumerate(forwarded_for):
            page = client.get("/submit/").text
            found = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert found, page[:300]
            form = {"group_name": "Leeds Welcome Kitchen", "contact": f"sam{n}@leeds.example.org",
                    "title": f"Supper {n}", "day": day, "start_time": "18:00", "end_time": "20:00",
                    "location": "Online", "url": "", "description": "", "week": "", "csrf_token": found.group(1)}
            statuses.append(client.post("/submit/", data=form, headers={"X-Forwarded-For": address}).status_code)
    return statuses


def test_rotating_x_forwarded_for_changes_nothing_without_a_trusted_proxy(
        tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    rotated = [f"198.51.100.{n}" for n in range(1, 7)]
    with served(tmp_path, settings, monkeypatch) as base:
        assert submitted(base, rotated) == [200] * 5 + [429]  # one address: this machine's


def test_a_trusted_proxy_is_believed(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    rotated = [f"198.51.100.{n}" for n in range(1, 7)]
    with served(tmp_path, settings, monkeypatch, CALENDAR_HUB_TRUSTED_PROXIES="127.0.0.1") as base:
        assert submitted(base, rotated) == [200] * 6  # six visitors behind the proxy


# ---------------------------------------------------------------- security headers

def test_every_response_carries_the_security_headers(hub: HubData, settings: Settings) -> None:
    with TestClient(create_app(settings), follow_redirects=False) as client:
        for path in [*PUBLIC, *REDIRECTS, "/static/leaflet/leaflet.js", "/no-such-page",
                     "/api/events.json?start=5%20December"]:
            response = client.get(path)
            refused = client.post(path, data={"uid": "x"})
            for each in (response, refused):
                assert each.headers["x-content-type-options"] == "nosniff", path
                assert each.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
                policy = rules(each)
                assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'", path
                assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'", path
                assert policy["img-src"] == "'self' data: https://tile.openstreetmap.org", path
                assert policy["frame-ancestors"] == ("*" if path.startswith("/embed/") else "'none'"), path
                assert "strict-transport-security" not in each.headers  # the base URL is http


def test_an_unexpected_error_answers_500_with_the_security_headers_too(settings: Settings) -> None:
    class Broken(Hub):
        def catalogue(self) -> Catalogue:
            raise RuntimeError("the catalogue could not be built")

        def fresh(self) -> None:
            return None

    with TestClient(create_app(settings, hub=Broken(settings)), raise_server_exceptions=False) as client:
        response = client.get("/")
    assert response.status_code == 500
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert rules(response)["script-src"] == "'self'"
    assert "the catalogue could not be built" not in response.text


def rules(response: httpx.Response) -> dict[str, str]:
    """The response's Content-Security-Policy, by directive."""
    return dict(rule.strip().split(" ", 1) for rule in response.headers["content-security-policy"].split(";"))


def test_hsts_is_sent_when_the_base_url_is_https(settings: Settings) -> None:
    with TestClient(create_app(settings.replace(base_url="https://hub.example.org"))) as client:
        for path in ("/", "/calendar.ics", "/admin/login", "/embed/weeks/none/map"):
            assert client.get(path).headers["strict-transport-security"] == "max-age=31536000", path


@pytest.mark.parametrize(("tile_url", "source"), [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
    ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
    ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8080"),
    ("/tiles/{z}/{x}/{y}.png", None), ("", None), ("https://x.example; script-src *", None)])
def test_images_are_allowed_from_the_configured_tile_server_only(tile_url: str, source: str | None) -> None:
    assert tile_source(tile_url) == source


class Scripts(HTMLParser):
    """The <script> elements of a page: their attributes and whether they hold text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.found.append(dict(attrs))
        elif any(name.startswith("on") or name == "style" for name, _v in attrs):
            self.found.append({"inline attribute on": tag})


DATA_SCRIPTS = ("application/ld+json", "application/json")  # data, which browsers never execute


def executable_inline(html: str) -> list[dict[str, str | None]]:
    parser = Scripts()
    parser.feed(html)
    return [attrs for attrs in parser.found if "src" not in attrs and attrs.get("type") not in DATA_SCRIPTS]


def test_no_template_has_an_inline_script_or_style_attribute() -> None:
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = re.sub(r"<pre>.*?</pre>", "", path.read_text(), flags=re.S)  # shown as text: the embed snippet
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", text, flags=re.S)
        assert executable_inline(text) == [], path.relative_to(ROOT)


def test_no_page_has_an_inline_script(hub: HubData, client: TestClient) -> None:
    pages = [p for p in PUBLIC if not p.endswith((".ics", ".atom", ".css")) and "/api/" not in p and "?" not in p
             and p != "/healthz"]
    for path in pages:
        response = client.get(path)
        assert "text/html" in response.headers["content-type"], path
        assert executable_inline(response.text) == [], path
    assert 'type="application/ld+json"' in client.get(f"/weeks/{WEEK}").text  # the events' JSON-LD, kept as data


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_the_maps_work_under_the_policy_with_tiles_from_the_configured_server(
        hub: HubData, settings: Settings, feed_server: FeedServer, browser: Any) -> None:
    tiles = settings.replace(tile_url=feed_server.url("/tiles/{z}/{x}/{y}.png"))  # 404s: only the asking counts
    refused: list[str] = []
    with live(create_app(tiles)) as base:
        page = browser.new_page()
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        for path in (f"/weeks/{WEEK}/map", "/map", f"/embed/weeks/{WEEK}/map", f"/weeks/{WEEK}"):
            page.goto(base + path)
            if "map" in path:
                page.wait_for_selector("#map[data-markers]", state="attached", timeout=15_000)
                page.wait_for_selector(".leaflet-marker-icon", timeout=15_000)
        page.close()
    assert refused == []
    assert any(path.startswith("/tiles/") for path, _headers in feed_server.requests)
