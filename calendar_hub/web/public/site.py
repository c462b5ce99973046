"""What browsers and crawlers ask every site for: the favicon, robots.txt and sitemap.xml."""

from __future__ import annotations

from urllib.parse import quote
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from calendar_hub import clock, language
from calendar_hub.catalogue import Catalogue
from calendar_hub.web.common import cached_output, current_catalogue
from calendar_hub.web.public.search import tag_counts
from calendar_hub.web.responses import send

__all__ = ["favicon", "hreflang", "robots", "sitemap", "sitemap_urls"]

SITEMAP_LIMIT = 50_000  # URLs in one sitemap file (sitemaps.org protocol)
SITEMAP_TYPE = "application/xml; charset=utf-8"
# Form targets and the console: nothing there for a search engine, and /join/ and /submit/ set cookies.
CLOSED = ("/admin/", "/join/", "/submit/", "/metrics")


async def favicon(request: Request) -> Response:
    """GET /favicon.ico: the hub's icon (an SVG), for browsers that ask before reading the page's <link rel=icon>."""
    icon = request.app.state.hub.settings.static_dir / "favicon.svg"
    return Response(icon.read_bytes(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


async def robots(request: Request) -> Response:
    """GET /robots.txt (RFC 9309): every public page may be crawled; the console and the forms may not."""
    base = request.app.state.hub.settings.base_url.rstrip("/")
    lines = ["User-agent: *", "Allow: /", *(f"Disallow: {path}" for path in CLOSED), f"Sitemap: {base}/sitemap.xml"]
    return PlainTextResponse("\n".join(lines) + "\n", headers={"Cache-Control": "public, max-age=3600"})


def sitemap_urls(catalogue: Catalogue, base: str) -> list[str]:
    """The public pages worth finding: the fixed pages, every week (and its map), every group, the tags of upcoming
    events, upcoming events."""
    urls = [f"{base}/", f"{base}/map", f"{base}/groups", f"{base}/about", f"{base}/calendar", f"{base}/tags"]
    for week in catalogue.weeks:
        urls += [f"{base}/weeks/{quote(week.slug)}", f"{base}/weeks/{quote(week.slug)}/map"]
    urls += [f"{base}/groups/{quote(group.slug)}" for group in catalogue.groups]
    urls += [f"{base}/tags/{quote(tag, safe='')}" for tag, _count in tag_counts(catalogue)]
    seen: set[str] = set()
    for item in catalogue.find(after=clock.now()):
        if len(urls) >= SITEMAP_LIMIT // len(language.LANGUAGES):  # each page is listed in every language
            break
        if item.uid not in seen:  # a series' occurrences share one page
            seen.add(item.uid)
            urls.append(f"{base}/events/{quote(item.uid, safe='')}")
    return urls


async def sitemap(request: Request) -> Response:
    """GET /sitemap.xml: the sitemaps.org list of public pages in every language, each with its other languages'
    addresses (xhtml:link hreflang), built in a worker thread and cached per hour."""
    catalogue = await current_catalogue(request)
    base = request.app.state.hub.settings.base_url.rstrip("/")

    def build() -> tuple[bytes, str]:
        entries = "".join(_entries(url[len(base):], base) for url in sitemap_urls(catalogue, base))
        return (('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                 'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
                 f"{entries}</urlset>\n").encode(), SITEMAP_TYPE)

    # Upcoming events move with the clock: rebuilt at least hourly, not only on changes.
    output = await cached_output(catalogue, ("sitemap", base, clock.now().strftime("%Y%m%d%H")), build)
    return send(request, output, max_age=3600)


def hreflang(code: str) -> str:
    """The hreflang of a language's pages: "en-GB" for English (the site's English is British), else the code."""
    return "en-GB" if code == language.DEFAULT else code


def _entries(path: str, base: str) -> str:
    """The page at `path` once per language, each naming all its languages (Google's sitemap hreflang form)."""
    alternates = [(hreflang(code), base + language.link(path, code)) for code in language.LANGUAGES]
    alternates.append(("x-default", base + path))
    links = "".join(f'<xhtml:link rel="alternate" hreflang="{tag}" href="{escape(url)}"/>' for tag, url in alternates)
    return "".join(f"<url><loc>{escape(base + language.link(path, code))}</loc>{links}</url>\n"
                   for code in language.LANGUAGES)
