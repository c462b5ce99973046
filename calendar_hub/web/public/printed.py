"""Printed listings: a week's events, or one town's, as an A4 PDF for windows and noticeboards.

Made from the app's Jinja templates (`templates/print/`, which extend a print base) with WeasyPrint, in the
language of the address (`/cy/weeks/x.pdf` is Welsh), and kept per data version and language like pages.
WeasyPrint needs Debian's Pango (scripts/test installs it); it is imported only when a PDF is asked for, so
a hub without Pango serves everything else and answers a PDF with 503 and a sentence saying why.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import segno
from babel.dates import format_date, format_time
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import language
from calendar_hub.catalogue import Catalogue, WeekInfo
from calendar_hub.catalogue.counts import tally
from calendar_hub.catalogue.listing import Listing
from calendar_hub.web.common import cached_output
from calendar_hub.web.present import by_region_and_town
from calendar_hub.web.public import brand
from calendar_hub.web.public.brand import Brand
from calendar_hub.web.responses import send

__all__ = ["PdfUnavailable", "available", "day_words", "html_to_pdf", "long_date", "qr_svg", "send_pdf", "site_of",
           "time_words", "town_context", "week_context"]


class PdfUnavailable(Exception):
    """WeasyPrint cannot run here (not installed, or Pango missing): PDFs cannot be made."""


@functools.cache
def available() -> bool:
    """Whether WeasyPrint imports (it loads Pango through cffi on import, and fails with OSError without it)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # Everything a printed listing shows is in its HTML and the one stylesheet: it never fetches anything,
    # so an address in feed text can never make the hub request it.
    raise ValueError(f"printed listings fetch nothing ({url[:60]})")


def html_to_pdf(html: str, stylesheet: str) -> bytes:
    """The PDF of `html` with the CSS file `stylesheet`; raises PdfUnavailable without WeasyPrint."""
    if not available():
        raise PdfUnavailable
    import weasyprint
    from weasyprint.urls import URLFetcher

    class FetchNothing(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            return _refuse_fetch(url)

    document = weasyprint.HTML(string=html, base_url="about:blank", url_fetcher=FetchNothing())
    pdf: bytes = document.write_pdf(stylesheets=[weasyprint.CSS(filename=stylesheet)])
    return pdf


def qr_svg(url: str, title: str) -> Markup:
    """An inline SVG QR code of `url` (error correction M: it survives a crease or a drawing pin)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=4, border=4, title=title, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704  (segno escapes the title; the rest is its own markup)


def long_date(day: date) -> str:
    """'Saturday 5 December 2026' / 'Dydd Sadwrn 5 Rhagfyr 2026', in the current language."""
    return format_date(day, format="EEEE d MMMM y", locale=language.babel_locale())


def day_words(listing: Listing, zone: ZoneInfo) -> str:
    """The day or days a listing runs on, in words in the current language: 'Saturday 5 December'."""
    locale = language.babel_locale()
    if listing.all_day and listing.start_date:
        first = listing.start_date
        last = (listing.end_date - timedelta(days=1)) if listing.end_date else first
    else:
        first, last = listing.start.astimezone(zone).date(), listing.end.astimezone(zone).date()
        if listing.end.astimezone(zone).time() == listing.end.astimezone(zone).time().min and last > first:
            last -= timedelta(days=1)
    words = format_date(first, format="EEEE d MMMM", locale=locale)
    if last > first:
        words += " – " + format_date(last, format="EEEE d MMMM", locale=locale)
    return words


def time_words(listing: Listing, zone: ZoneInfo) -> str:
    """'10:00–12:00', or 'All day', in the current language."""
    if listing.all_day:
        return language.gettext("All day")
    locale = language.babel_locale()
    start, end = listing.start.astimezone(zone), listing.end.astimezone(zone)
    text = format_time(start, format="HH:mm", locale=locale)
    if end > start and end.date() == start.date():
        text += "–" + format_time(end, format="HH:mm", locale=locale)
    return text


def site_of(app: Any) -> Brand:
    """The hub's identity as the app's pages now show it, in the current language (the stored one)."""
    return brand.current(app)


def _common(request: Request, catalogue: Catalogue, week: WeekInfo) -> dict[str, Any]:
    base = request.app.state.hub.settings.base_url.rstrip("/")
    return {"week": week, "zone": catalogue.zone, "base_url": base, "site": site_of(request.app),
            "long_date": long_date, "day_words": day_words, "time_words": time_words,
        "calendar_url": f"{base}/weeks/{week.slug}.ics", "week_url": base + language.link(f"/weeks/{week.slug}")}


def week_context(request: Request, catalogue: Catalogue, week: WeekInfo,
                 listings: list[Listing]) -> tuple[str, dict[str, Any]]:
    """The week's PDF: ("print/week.html", what it shows): every event not cancelled, by region and town."""
    values = _common(request, catalogue, week)
    shown = [item for item in listings if not item.cancelled]
    values.update(regions=by_region_and_town(shown), tally=tally(listings),
                  qr=qr_svg(values["week_url"], language.gettext("The week's page on the web")))
    return "print/week.html", values


def town_context(request: Request, catalogue: Catalogue, week: WeekInfo, town: str, listings: list[Listing],
                 page: str) -> tuple[str, dict[str, Any]]:
    """A town's PDF: ("print/town.html", what it shows), its QR code to `page` (a path) on the hub."""
    values = _common(request, catalogue, week)
    url = values["base_url"] + page
    values.update(town=town, listings=listings, town_url=url,
                  qr=qr_svg(url, language.gettext("This listing on the web")))
    return "print/town.html", values


async def send_pdf(request: Request, catalogue: Catalogue, key: tuple[str, ...],
                   context: Callable[[], tuple[str, dict[str, Any]]]) -> Response:
    """The PDF for `key`, built once per data version and language in a worker thread; 503 without WeasyPrint."""
    if not available():
        raise HTTPException(503, language.gettext(
            "Printable listings cannot be made on this server just now: the software that makes PDFs is not "
            "installed. The same listing is on the web page."))
    stylesheet = str(request.app.state.hub.settings.static_dir / "print.css")

    def build() -> tuple[bytes, str]:
        template, values = context()
        html = request.app.state.templates.get_template(template).render(values)
        return html_to_pdf(html, stylesheet), "application/pdf"

    output = await cached_output(catalogue, ("pdf", language.current(), *key), build)
    name = "-".join(key[1:]) + (f"-{language.current()}" if language.current() != language.DEFAULT else "") + ".pdf"
    return send(request, output, max_age=300, filename=name)
