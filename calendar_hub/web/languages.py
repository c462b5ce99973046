"""Which language a request is answered in: its address first, then a remembered choice, then Accept-Language.

Every page has a stable address per language: `/weeks/x` in English, `/cy/weeks/x` in Welsh, so a Welsh page
can be shared as it is. `LanguageMiddleware` takes the prefix off before routing (the routes know one set of
paths) and writes the rest of the request in that language (`calendar_hub.language.use`).

A visitor who chose a language with the switch (`/language/cy?next=/weeks/x`, which sets the `language`
cookie), or whose browser prefers Welsh to English, and who opens a page's English address, is sent on to the
Welsh one. That choice is the visitor's own: the English page itself never depends on it, and it says so to
caches with `Vary`. Data (calendars, feeds, JSON, static files) has one address for every language.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import quote, urlencode

from babel import negotiate_locale
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from calendar_hub import language

__all__ = ["COOKIE", "DATA_SUFFIXES", "LanguageMiddleware", "choose", "is_page", "switch_url"]

COOKIE = "language"
COOKIE_SECONDS = 365 * 24 * 3600
# Addresses that are never pages in a language: data, files and the organisers' console (English only).
_NOT_PAGES = ("/static/", "/api/", "/admin", "/healthz", "/language/", "/robots.txt", "/sitemap.xml",
              "/favicon.ico")
DATA_SUFFIXES = {  # what the hub publishes as data, not as pages
    ".ics", ".atom", ".json", ".geojson", ".xml", ".txt", ".csv", ".png", ".svg", ".ico"}


def is_page(path: str) -> bool:
    """Whether `path` (without a language prefix) is a page, which each language has its own address for."""
    return not path.startswith(_NOT_PAGES) and PurePosixPath(path).suffix not in DATA_SUFFIXES


def _split(path: str) -> tuple[str, str]:
    """The language a path's prefix names and the path without it: "/cy/weeks/x" -> ("cy", "/weeks/x")."""
    for code in language.LANGUAGES:
        if code != language.DEFAULT and (path == f"/{code}" or path.startswith(f"/{code}/")):
            return code, path[len(code) + 1:] or "/"
    return language.DEFAULT, path


def preferred(headers: Headers) -> str:
    """The language this visitor asked for: the switch's cookie, else the best of Accept-Language we have."""
    cookies = Request({"type": "http", "headers": headers.raw}).cookies
    if cookies.get(COOKIE) in language.LANGUAGES:
        return cookies[COOKIE]
    wanted = []
    for part in headers.get("accept-language", "")[:400].split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            wanted.append((quality, tag.strip().replace("-", "_")))
    ordered = [tag for _q, tag in sorted(wanted, key=lambda pair: -pair[0])]  # sorted() keeps ties in order
    return negotiate_locale(ordered, list(language.LANGUAGES), sep="_") or language.DEFAULT


class LanguageMiddleware:
    """Strips the language prefix, answers in that language, and sends a visitor on to the language they chose."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        code, path = _split(scope["path"])
        if code != language.DEFAULT:
            if not is_page(path):  # /cy/calendar.ics: data has one address
                await Response(status_code=404)(scope, receive, send)
                return
            scope = {**scope, "path": path, "raw_path": path.encode(), "language": code}
        elif is_page(path) and scope["method"] in ("GET", "HEAD"):
            wanted = preferred(Headers(scope=scope))
            if wanted != language.DEFAULT:
                query = scope.get("query_string", b"").decode("latin-1")
                target = language.link(path, wanted) + (f"?{query}" if query else "")
                await _varies(RedirectResponse(target, status_code=302))(scope, receive, send)
                return

            async def send_varied(message: dict[str, object]) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))  # type: ignore[call-overload]
                    headers.append((b"vary", b"Accept-Language, Cookie"))
                    message = {**message, "headers": headers}
                await send(message)

            with language.use(code):
                await self.app(scope, receive, send_varied)  # type: ignore[arg-type]
            return
        with language.use(code):
            await self.app(scope, receive, send)


def _varies(response: Response) -> Response:
    response.headers["Vary"] = "Accept-Language, Cookie"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


async def choose(request: Request) -> Response:
    """GET /language/{code}?next=/path: remember the visitor's language and open `next` in it."""
    code = request.path_params["code"]
    if code not in language.LANGUAGES:
        return Response(language.gettext("No such language."), status_code=404, media_type="text/plain")
    target = request.query_params.get("next", "/")
    # Only a path on this site: never "//elsewhere" or "https://elsewhere" (no open redirect).
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    _code, path = _split(target.split("?", 1)[0])
    query = target.split("?", 1)[1] if "?" in target else ""
    response = RedirectResponse(language.link(path, code) + (f"?{query}" if query else ""), status_code=303)
    response.set_cookie(COOKIE, code, max_age=COOKIE_SECONDS, path="/", samesite="lax", httponly=True)
    response.headers["Cache-Control"] = "no-store"
    return response


def switch_url(code: str, path: str, query: str = "") -> str:
    """The switch's link to this page (`path` as routed, without a prefix) in `code`."""
    next_path = path + (f"?{query}" if query else "")
    return f"/language/{quote(code)}?{urlencode({'next': next_path})}"
