"""The hub's identity (calendar_hub/site.py, store/site.py, web/public/brand.py): the registry's [hub] table is
read strictly, stored on loading, and shown by every public page, the calendars, the Atom feed and the PDFs;
without one the hub is "Calendar Hub"; loading another registry changes it everywhere."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import icalendar
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from calendar_hub import store
from calendar_hub.errors import ConfigError
from calendar_hub.registry import read_registry
from calendar_hub.registry_export import export_registry
from calendar_hub.site import DEFAULT_NAME, SiteSpec, contrast, sniff
from calendar_hub.web.public import printed
from tests.hubdata import HubData

DEMO = Path(__file__).resolve().parent.parent / "feeds" / "demo"
WEEK = "communities-together"
BASE = "http://hub.test"
NAME, WELSH_NAME = "Welcome Together", "Croeso Gyda'n Gilydd"
PUBLIC = ["/", "/map", "/groups", "/groups/sanctuary-stockport", "/about", "/subscribe", f"/weeks/{WEEK}",
          f"/weeks/{WEEK}/map", "/join/", "/submit/"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
PDFTOTEXT = "/usr/bin/pdftotext"
needs_poppler = pytest.mark.skipif(not Path(PDFTOTEXT).exists(), reason="pdftotext (Debian's poppler-utils) is "
                                   "not installed: scripts/test installs it")
needs_weasyprint = pytest.mark.skipif(not printed.available(), reason="WeasyPrint cannot load Pango here")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>'


class _Head(HTMLParser):
    """The <title>, the <meta> properties and names, and the <img> sources of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.title, self.meta, self.images, self._in_title = "", dict[str, str](), list[str](), False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "title":
            self._in_title = True
        elif tag == "meta" and "content" in values:
            self.meta[values.get("property") or values.get("name", "")] = values["content"]
        elif tag == "img":
            self.images.append(values.get("src", ""))

    def handle_endtag(self, tag: str) -> None:
        self._in_title = self._in_title and tag != "title"

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def head(html: str) -> _Head:
    parsed = _Head()
    parsed.feed(html)
    return parsed


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """A PDF's text read back with Poppler, its whitespace made single spaces."""
    path = tmp_path / "listing.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, timeout=60)
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


def registry_with(tmp_path: Path, hub: str, files: dict[str, bytes] | None = None) -> Path:
    """A registry folder of one group and a `[hub]` table (TOML text), with image files beside it."""
    folder = tmp_path / "registry"
    folder.mkdir()
    for name, data in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (folder / "hub.toml").write_text(hub + '\n[[group]]\nslug = "g"\nname = "G"\n', encoding="utf-8")
    return folder


# -- reading -------------------------------------------------------------------------------------------------


def test_the_demo_identity_is_read_with_its_images_and_welsh_words() -> None:
    site = read_registry(DEMO).site
    assert site.name == NAME and site.in_language("cy").name == WELSH_NAME
    assert site.in_language("cy").contact == site.contact == "hello@welcome-together.example.org"
    assert site.logo is not None and site.logo.media_type == "image/svg+xml" and site.logo.name.endswith(".svg")
    assert site.share_image is not None and site.share_image.media_type == "image/png"
    assert [p.name for p in site.partners] == ["Sanctuary Cities Network", "Welsh Welcome Alliance"]
    assert site.colours is not None and site.colours.accent == "#0f6b5c"
    assert contrast(site.colours.accent_text, site.colours.accent) >= 4.5


def test_a_welsh_word_left_out_falls_back_to_the_default_languages(tmp_path: Path) -> None:
    folder = registry_with(tmp_path, '[hub]\nname = "Ours"\ntagline = "Our line"\n[hub.cy]\nname = "Ein"\n')
    welsh = read_registry(folder).site.in_language("cy")
    assert (welsh.name, welsh.tagline) == ("Ein", "Our line")


def test_short_colours_are_written_out_and_missing_variants_made_readable(tmp_path: Path) -> None:
    folder = registry_with(tmp_path, '[hub]\nname = "Ours"\n[hub.colours]\naccent = "#06C"\n')
    colours = read_registry(folder).site.colours
    assert colours is not None and colours.accent == "#0066cc"
    assert contrast(colours.accent_dark, "#23262e") >= 4.5 and contrast(colours.accent_dark_text,
                                                                        colours.accent_dark) >= 4.5


@pytest.mark.parametrize(("hub", "message"), [
    ('[hub]\nnmae = "x"\n', "hub.toml: [hub]: unknown key 'nmae'"),
    ('[hub]\nname = "x"\n[hub.cy]\nlogo = "a.png"\n', "[hub.cy]: unknown key 'logo'"),
    ('[hub]\n[hub.colours]\naccent = "red"\n', "accent 'red' must be a colour written #rgb or #rrggbb"),
    ('[hub]\n[hub.colours]\naccent = "#0b5cad;} body{display:none"\n', "must be a colour written #rgb or #rrggbb"),
    ('[hub]\n[hub.colours]\naccent = "#12345"\n', "must be a colour written #rgb or #rrggbb"),
    ('[hub]\n[hub.colours]\naccent = "#ffff00"\n', "accent #ffff00 is too faint on #f4f5f7"),
    ('[hub]\n[hub.colours]\naccent = "#0b5cad"\naccent_text = "#0b5cae"\n', "accent_text #0b5cae is too faint"),
    ('[hub]\n[hub.colours]\naccent_dark = "#ffffff"\n', "[hub.colours]: 'accent' is required"),
    ('[hub]\n[hub.colours]\nshade = "#000"\n', "[hub.colours]: unknown key 'shade'"),
    ('[hub]\nlogo = "images/none.png"\n', "logo 'images/none.png' cannot be read"),
    ('[hub]\nlogo = "notes.txt"\n', "logo 'notes.txt' is not a PNG, JPEG, WebP or SVG image"),
    ('[hub]\nshare_image = "../outside.png"\n', "share_image '../outside.png' is outside the registry folder"),
    ('[hub]\ncontact = "not an address"\n', "contact 'not an address' must be an e-mail address"),
    ('[hub]\n[[hub.partners]]\nname = "P"\nurl = "javascript:alert(1)"\n', "must start with http:// or https://"),
    ('[hub]\n[[hub.partners]]\nurl = "https://p.example.org"\n', "[[hub.partners]] #1: 'name' is required"),
    ('[hub]\n[[hub.partners]]\nname = "P"\nsite = "x"\n', "[[hub.partners]] #1: unknown key 'site'"),
    ('[hub]\nname = 3\n', "'name' must be a string"),
])
def test_a_mistake_in_the_hub_table_is_refused_naming_the_file_and_key(tmp_path: Path, hub: str,
                                                                       message: str) -> None:
    (tmp_path / "outside.png").write_bytes(PNG)
    folder = registry_with(tmp_path, hub, {"notes.txt": b"just words"})
    with pytest.raises(ConfigError) as refused:
        read_registry(folder)
    assert message in str(refused.value) and "hub.toml" in str(refused.value)


def test_only_one_file_may_hold_the_hub_table(tmp_path: Path) -> None:
    folder = registry_with(tmp_path, '[hub]\nname = "One"\n')
    (folder / "weeks.toml").write_text('[hub]\nname = "Two"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"weeks.toml: \[hub\] is already written in .*hub.toml"):
        read_registry(folder)


def test_images_are_known_by_their_content_not_their_names() -> None:
    assert sniff(PNG) == "png" and sniff(b"\xff\xd8\xff\xe0rest") == "jpg"
    assert sniff(b"RIFF\0\0\0\0WEBPVP8 ") == "webp" and sniff(b'<?xml version="1.0"?>\n' + SVG) == "svg"
    assert sniff(b"<html><script>alert(1)</script></html>") is None and sniff(b"GIF89a") is None


def test_without_a_hub_table_the_identity_is_the_default(tmp_path: Path) -> None:
    site = read_registry(registry_with(tmp_path, "")).site
    assert site == SiteSpec() and site.name == DEFAULT_NAME == "Calendar Hub" and site.images() == {}


# -- stored and shown ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["en", "cy"])
def test_every_public_page_shows_the_identity(demo: Path, client: TestClient, code: str) -> None:
    name = NAME if code == "en" else WELSH_NAME
    prefix = "" if code == "en" else "/cy"
    share = read_registry(demo).site.share_image
    assert share is not None
    for path in PUBLIC:
        response = client.get(prefix + path)
        assert response.status_code == 200, path
        page = head(response.text)
        assert page.meta["og:site_name"] == name, path
        assert page.title.strip().endswith(name) or page.title.startswith(name), (path, page.title)
        assert page.meta["og:image"].startswith(BASE + "/"), path
        if "/weeks/" not in path or path.endswith("/map"):  # a week's page has its own share card
            assert page.meta["og:image"] == f"{BASE}/static/site/{share.name}", path
        assert re.search(r'<a class="brand" href="[^"]*"><img src="/static/site/[0-9a-f]{16}\.svg"[^>]*>'
                         rf'<span class="brand-name">{re.escape(name.replace(chr(39), "&#39;"))}</span>',
                         response.text), path
        assert "Sanctuary Cities Network" in response.text and "hello@welcome-together.example.org" in response.text
    week = head(client.get(f"{prefix}/weeks/{WEEK}").text)
    assert re.fullmatch(rf"{BASE}/weeks/{WEEK}/share(\.cy)?\.png", week.meta["og:image"])


def test_the_home_page_description_is_the_tagline_and_the_footer_names_the_partners(
        demo: Path, client: TestClient) -> None:
    page = client.get("/")
    assert head(page.text).meta["description"] == "Local welcome events, one calendar"
    assert head(client.get("/cy/").text).meta["description"] == "Digwyddiadau croeso lleol, un calendr"
    assert 'href="https://sanctuary-cities.example.org"><img src="/static/site/' in page.text
    assert 'alt="Welsh Welcome Alliance"' in page.text
    assert 'href="/static/site.css?v=' in page.text


def test_an_event_page_has_the_site_name_and_an_image(demo: Path, client: TestClient) -> None:
    uid = client.get(f"/api/events.json?week={WEEK}").json()["events"][0]["uid"]
    page = head(client.get(f"/events/{uid}").text)
    assert page.meta["og:site_name"] == NAME and page.meta["og:image"].startswith(BASE + "/static/site/")
    assert page.title.endswith(NAME)


def test_the_calendars_and_feed_are_named_after_the_hub(demo: Path, client: TestClient) -> None:
    calendar = icalendar.Calendar.from_ical(client.get("/calendar.ics").content)
    assert str(calendar["X-WR-CALNAME"]) == f"{NAME}: all events"
    assert f"gathered by {NAME}" in str(calendar["X-WR-CALDESC"])
    atom = client.get("/feed.atom").text
    assert f"<title>{NAME}: all events</title>" in atom


@needs_poppler
@needs_weasyprint
def test_the_printed_listing_carries_the_hubs_name(demo: Path, client: TestClient, tmp_path: Path) -> None:
    text = pdf_text(client.get(f"/weeks/{WEEK}.pdf").content, tmp_path).upper()
    assert NAME.upper() in text
    welsh = pdf_text(client.get(f"/cy/weeks/{WEEK}.pdf").content, tmp_path).upper()
    assert WELSH_NAME.upper().replace("'", "’") in welsh.replace("'", "’")


def test_images_are_served_by_content_with_a_years_cache(demo: Path, client: TestClient) -> None:
    site = read_registry(demo).site
    assert site.logo is not None and site.share_image is not None
    logo = client.get(f"/static/site/{site.logo.name}")
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/svg+xml"
    assert logo.content == site.logo.data and "immutable" in logo.headers["cache-control"]
    assert "sandbox" in logo.headers["content-security-policy"]
    assert "script-src" not in logo.headers["content-security-policy"]  # default-src 'none' covers scripts
    assert "default-src 'none'" in logo.headers["content-security-policy"]
    share = client.get(f"/static/site/{site.share_image.name}")
    assert share.headers["content-type"] == "image/png" and share.content == site.share_image.data
    assert share.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/site/0000000000000000.png").status_code == 404


def test_the_colours_stylesheet_holds_only_custom_properties(demo: Path, client: TestClient) -> None:
    page = client.get("/").text
    address = re.search(r'href="(/static/site\.css\?v=[0-9a-f]+)"', page)
    assert address is not None
    css = client.get(address.group(1))
    assert css.headers["content-type"].startswith("text/css") and "immutable" in css.headers["cache-control"]
    assert "--accent:#0f6b5c;" in css.text and "--accent:#5fd3bd;" in css.text
    properties = r"(--[a-z-]+:#[0-9a-f]{6};)+"
    dark = r"@media \(prefers-color-scheme: dark\)"
    assert re.fullmatch(rf":root\{{{properties}\}}\n{dark}\{{:root\{{{properties}\}}\}}\n", css.text), css.text
    assert "max-age=300" in client.get("/static/site.css?v=old").headers["cache-control"]


def test_without_a_hub_table_pages_say_calendar_hub(hub: HubData, client: TestClient) -> None:
    page = client.get("/")
    parsed = head(page.text)
    assert parsed.meta["og:site_name"] == "Calendar Hub" and "og:image" not in parsed.meta
    assert '<span class="brand-name">Calendar Hub</span>' in page.text and "/static/site" not in page.text
    assert str(icalendar.Calendar.from_ical(client.get("/calendar.ics").content)["X-WR-CALNAME"]) == \
        "Calendar Hub: all events"


def test_loading_another_registry_changes_the_identity_everywhere(
        demo: Path, engine: Engine, client: TestClient, tmp_path: Path) -> None:
    assert head(client.get("/").text).meta["og:site_name"] == NAME
    old = read_registry(demo).site
    assert old.logo is not None
    changed = tmp_path / "changed"
    shutil.copytree(demo, changed)
    toml = changed / "hub.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('name = "Welcome Together"', 'name = "Welcome Again"'),
                    encoding="utf-8")
    with Session(engine) as session:
        changes = store.apply_registry(read_registry(changed), session=session)
        assert changes.site and changes.changed
        assert not store.apply_registry(read_registry(changed), session=session).changed  # the same: no change
    assert head(client.get("/").text).meta["og:site_name"] == "Welcome Again"
    assert str(icalendar.Calendar.from_ical(client.get("/calendar.ics").content)["X-WR-CALNAME"]) == \
        "Welcome Again: all events"
    with Session(engine) as session:
        registry = read_registry(changed)
        store.apply_registry(dataclasses.replace(registry, site=SiteSpec()), session=session)
        assert store.stored_site(session=session) == SiteSpec()
    page = client.get("/").text
    assert head(page).meta["og:site_name"] == "Calendar Hub" and "/static/site/" not in page
    assert client.get(f"/static/site/{old.logo.name}").status_code == 404  # its images went with it


def test_the_stored_identity_is_exported_with_its_images(demo: Path, engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        held = store.current_registry(session=session)
    assert held.site == read_registry(demo).site
    export_registry(held, tmp_path / "exported")
    again = read_registry(tmp_path / "exported").site
    assert again == held.site and again.logo is not None and again.logo.data == held.site.images()[again.logo.name].data
