"""Printed listings (calendar_hub/web/public/printed.py): a town's PDF holds exactly that town's events in time
order, with a QR code to the town's place on the week page; the Welsh PDF is in Welsh; the week's PDF holds every
event of the week; without WeasyPrint a PDF is a 503 with a sentence.  Read back with Poppler and zbar."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from starlette.testclient import TestClient

from calendar_hub.web.public import printed

WEEK = "communities-together"
LONDON = ZoneInfo("Europe/London")
PDFTOTEXT, PDFTOPPM, ZBARIMG = "/usr/bin/pdftotext", "/usr/bin/pdftoppm", "/usr/bin/zbarimg"
needs_poppler = pytest.mark.skipif(not Path(PDFTOTEXT).exists(), reason="pdftotext (Debian's poppler-utils) is "
                                   "not installed: scripts/test installs it")
needs_weasyprint = pytest.mark.skipif(not printed.available(), reason="WeasyPrint cannot load Pango here: "
                                      "scripts/test installs Debian's libpango-1.0-0 and libpangoft2-1.0-0")


def _text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text, its whitespace made single spaces (a long title may wrap)."""
    path = tmp_path / "listing.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, timeout=60)
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


def _events(client: TestClient) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = client.get(f"/api/events.json?week={WEEK}").json()["events"]
    return [event for event in events if event["status"] != "CANCELLED"]


def _manchester(client: TestClient) -> list[dict[str, Any]]:
    return sorted((e for e in _events(client) if e["town"] == "Manchester" and e["location"] != "Online"),
                  key=lambda e: (e["start"], e["uid"]))


@needs_poppler
@needs_weasyprint
def test_a_towns_pdf_holds_exactly_its_events_in_time_order(demo: Path, client: TestClient, tmp_path: Path) -> None:
    page = client.get(f"/weeks/{WEEK}").text
    assert f'href="/weeks/{WEEK}/towns/manchester.pdf"' in page  # linked from the town's heading
    response = client.get(f"/weeks/{WEEK}/towns/manchester.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = _text(response.content, tmp_path)
    assert "What's on in Manchester for Communities Together for Refugees" in text
    assert printed.site_of(client.app).name.upper() in text.upper()  # the site's name (printed in capitals)
    ours = _manchester(client)
    assert len(ours) >= 3
    positions = [text.find(event["title"]) for event in ours]
    assert -1 not in positions, [e["title"] for e, at in zip(ours, positions, strict=True) if at < 0]
    assert positions == sorted(positions)  # in time order
    mine = {event["title"] for event in ours}
    others = [e["title"] for e in _events(client)
              if e["title"] not in mine and not any(e["title"] in title for title in mine)]
    assert others and not [title for title in others if title in text]
    first = datetime.fromisoformat(ours[0]["start"]).astimezone(LONDON)
    assert format_date(first, format="EEEE d MMMM", locale="en_GB") + f" {first:%H:%M}" in text
    assert f"http://hub.test/weeks/{WEEK}.ics" in text  # the week's calendar


@needs_poppler
@needs_weasyprint
@pytest.mark.skipif(not (Path(PDFTOPPM).exists() and Path(ZBARIMG).exists()),
                    reason="pdftoppm and zbarimg (Debian's poppler-utils, zbar-tools) are not installed")
def test_a_towns_qr_code_decodes_to_the_towns_place_on_the_week_page(
        demo: Path, client: TestClient, tmp_path: Path) -> None:
    for prefix in ("", "/cy"):
        (tmp_path / "listing.pdf").write_bytes(client.get(f"{prefix}/weeks/{WEEK}/towns/manchester.pdf").content)
        subprocess.run([PDFTOPPM, "-png", "-r", "150", "-f", "1", "-l", "1", str(tmp_path / "listing.pdf"),
                        str(tmp_path / "page")], check=True, timeout=60)
        image = next(tmp_path.glob("page*.png"))
        decoded = subprocess.run([ZBARIMG, "--raw", "-q", str(image)], capture_output=True, timeout=60)
        assert decoded.stdout.decode().strip() == f"http://hub.test{prefix}/weeks/{WEEK}#town-manchester"
        image.unlink()
    # ...and the address leads to the town's heading
    assert '<h3 id="town-manchester" class="town">Manchester</h3>' in client.get(f"/weeks/{WEEK}").text


@needs_poppler
@needs_weasyprint
def test_the_welsh_pdf_has_welsh_headings_and_dates(demo: Path, client: TestClient, tmp_path: Path) -> None:
    response = client.get(f"/cy/weeks/{WEEK}/towns/manchester.pdf")
    assert response.status_code == 200
    text = _text(response.content, tmp_path)
    assert "Manchester: beth sy'n digwydd ar gyfer Communities Together for Refugees" in text
    assert "Sganiwch y cod" in text and "Calendr yr wythnos" in text
    assert "What's on" not in text and "Scan the code" not in text
    first = datetime.fromisoformat(_manchester(client)[0]["start"]).astimezone(LONDON)
    assert format_date(first, format="EEEE d MMMM", locale="cy_GB") in text
    assert response.content != client.get(f"/weeks/{WEEK}/towns/manchester.pdf").content


@needs_poppler
@needs_weasyprint
def test_the_weeks_pdf_holds_every_event_of_the_week(demo: Path, client: TestClient, tmp_path: Path) -> None:
    response = client.get(f"/weeks/{WEEK}.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = _text(response.content, tmp_path)
    events = _events(client)
    assert len(events) > 20
    assert [e["title"] for e in events if e["title"] not in text] == []
    assert "North West" in text and "Scotland" in text
    again = client.get(f"/weeks/{WEEK}.pdf", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304  # kept per data version and language
    assert client.get(f"/cy/weeks/{WEEK}.pdf").headers["etag"] != response.headers["etag"]


def test_a_town_without_events_and_a_week_that_does_not_exist_are_not_found(demo: Path, client: TestClient) -> None:
    assert client.get(f"/weeks/{WEEK}/towns/atlantis.pdf").status_code == 404
    assert client.get("/weeks/no-such-week.pdf").status_code == 404
    assert client.get(f"/weeks/{WEEK}/towns/online.pdf").status_code == 404


def test_without_weasyprint_a_pdf_is_a_503_saying_why_and_the_page_still_works(
        demo: Path, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(printed, "available", lambda: False)
    response = client.get(f"/weeks/{WEEK}/towns/manchester.pdf")
    assert response.status_code == 503
    assert "the software that makes PDFs is not installed" in response.text
    assert client.get(f"/weeks/{WEEK}").status_code == 200
    welsh = client.get(f"/cy/weeks/{WEEK}.pdf")
    assert welsh.status_code == 503 and "Ni ellir creu rhestrau" in welsh.text


def test_printed_listings_fetch_nothing() -> None:
    with pytest.raises(ValueError, match="fetch nothing"):
        printed._refuse_fetch("http://127.0.0.1/secret")


@needs_weasyprint
def test_an_address_in_feed_text_is_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        asked.append(url)
        raise ValueError("printed listings fetch nothing")

    monkeypatch.setattr(printed, "_refuse_fetch", refuse)
    html = '<p>Hi <img src="http://127.0.0.1:9/x.png"> <img src="file:///etc/passwd"></p>'
    stylesheet = Path(__file__).resolve().parents[1] / "static" / "print.css"
    assert printed.html_to_pdf(html, str(stylesheet)).startswith(b"%PDF")
    assert sorted(asked) == ["file:///etc/passwd", "http://127.0.0.1:9/x.png"]  # asked of the guard, refused
