"""Pages at phone and desktop sizes in a real browser: the groups' table fits a phone, and the maps pass axe-core
with their tiles on (from a tile server stub on 127.0.0.1, so the Leaflet attribution is there as in production)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import struct
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from calendar_hub import store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from tests.browsers import AXE, CHROMIUM, serious_violations
from tests.hubdata import WEEK, moved_hub
from tests.liveserver import live, serving

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ATTRIBUTION_CHECK = "axe.run('.leaflet-control-attribution', {runOnly: ['color-contrast', 'link-in-text-block']})"


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG (RFC 2083) of one colour: what a tile server sends, without the picture."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# OpenStreetMap's water: under Leaflet's translucent attribution box its default link colour is too pale.
TILE = _png(256, 256, (0xAA, 0xD3, 0xDF))


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that closes a tile's connection early (the page moved on) is no error."""


class Tiles:
    """A tile server stub on 127.0.0.1: the same light tile at every /z/x/y.png; it counts what it served."""

    def __init__(self) -> None:
        self.served = 0
        tiles = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (the name http.server calls)
                tiles.served += 1
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(TILE)))
                self.end_headers()
                self.wfile.write(TILE)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (quiet)
                pass

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/{{z}}/{{x}}/{{y}}.png"


@pytest.fixture
def tiles() -> Iterator[Tiles]:
    stub = Tiles()
    with serving(stub.httpd):
        yield stub


@pytest.fixture
def loaded(tmp_path: Path, engine: Engine, settings: Settings) -> None:
    with Session(engine) as session:
        store.apply_registry(moved_hub(tmp_path).registry, session=session)
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, refresh(engine, settings, due_only=False)).result()


@pytest.mark.usefixtures("loaded")
def test_the_groups_page_fits_a_phone_without_sideways_scrolling(browser: Any, settings: Settings) -> None:
    with live(create_app(settings.replace(tile_url=""))) as base:
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{base}/groups")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # the Region column goes as a whole, heading and cells, so each heading stays over its cells
        assert page.evaluate("""() => [...document.querySelectorAll('table.groups tr')].every(row =>
            [...row.children].filter(cell => cell.offsetParent !== null).length === 3)""")
        page.close()


@pytest.mark.usefixtures("loaded")
@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` in tests/js")
@pytest.mark.parametrize("path", ["/map", f"/weeks/{WEEK}/map"])
def test_axe_finds_no_serious_problem_on_the_maps_with_tiles_on(browser: Any, settings: Settings, tiles: Tiles,
                                                                 path: str) -> None:
    with live(create_app(settings.replace(tile_url=tiles.url))) as base:
        for viewport in (DESKTOP, PHONE):
            page = browser.new_page(viewport=viewport)
            page.goto(base + path)
            page.wait_for_selector("#map[data-markers]", timeout=15_000)
            page.wait_for_selector(".leaflet-tile-loaded", timeout=15_000)
            page.wait_for_selector(".leaflet-control-attribution a", timeout=5_000)
            assert serious_violations(page) == [], viewport
            # Over tiles axe may leave the attribution's contrast undecided ("incomplete"): it must decide, and pass.
            checked = page.evaluate(ATTRIBUTION_CHECK)
            assert [(v["id"], "violation") for v in checked["violations"]] + [
                (v["id"], "undecided") for v in checked["incomplete"]] == [], viewport
            assert {v["id"] for v in checked["passes"]} == {"color-contrast", "link-in-text-block"}, viewport
            page.close()
    assert tiles.served > 0
