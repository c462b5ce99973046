"""The hub's identity on the web: `site` in every template, its colours as /static/site.css, its images.

The identity is the catalogue's (`Catalogue.site`, stored by loading the registry), so every web process shows
the same one and a new one shows with the next data version.  Templates read it through `SiteView`, in the
page's language; images are served from /static/site/<digest>.<ext> with a year's cache (their names change
with their content), SVG with a policy that runs nothing in it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import language
from calendar_hub.catalogue.hub import Hub
from calendar_hub.site import Colours, Image, SiteSpec
from calendar_hub.web.common import current_catalogue

__all__ = ["Brand", "BrandPartner", "SiteView", "brand_of", "current", "loaded", "site_css", "site_image",
           "stylesheet"]

IMMUTABLE = "public, max-age=31536000, immutable"
IMAGE_PATH = "/static/site/"
# An SVG opened on its own is a document: nothing in it may run, fetch or be framed.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


@dataclass(frozen=True, slots=True)
class BrandPartner:
    """A partner as the footer shows it: its name, website and logo's address ("" without)."""

    name: str
    url: str
    logo_url: str


@dataclass(frozen=True, slots=True)
class Brand:
    """The identity in one language, with the addresses of its images and stylesheet."""

    name: str
    tagline: str
    about: str
    contact: str
    logo_url: str          # relative, for the page's own <img>
    share_url: str         # absolute, for og:image: the share image, else the logo, else ""
    stylesheet_url: str    # "" without configured colours
    partners: tuple[BrandPartner, ...]


def brand_of(spec: SiteSpec, code: str, base_url: str) -> Brand:
    """`spec` in language `code`, its images' addresses under `base_url` (no trailing slash) for sharing."""
    shown = spec.in_language(code)
    share = spec.share_image or spec.logo
    return Brand(name=shown.name, tagline=shown.tagline, about=shown.about, contact=spec.contact,
                 logo_url=_url(spec.logo), share_url=base_url + _url(share) if share else "",
                 stylesheet_url=f"/static/site.css?v={_digest(spec.colours)}" if spec.colours else "",
                 partners=tuple(BrandPartner(p.name, p.url, _url(p.logo)) for p in spec.partners))


class SiteView:
    """The `site` of every template: the current identity in the current language, read when a page asks."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._base = hub.settings.base_url.rstrip("/")
        self._made: dict[tuple[int, str], tuple[SiteSpec, Brand]] = {}

    def current(self) -> Brand:
        """The identity of the catalogue last built, in the current language."""
        spec, code = self._hub.site(), language.current()
        key = (id(spec), code)
        made = self._made.get(key)
        if made is None or made[0] is not spec:
            if len(self._made) > 16:
                self._made.clear()
            made = self._made[key] = (spec, brand_of(spec, code, self._base))
        return made[1]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current(), name)


def current(app: Any) -> Brand:
    """The hub's identity as `app`'s pages now show it, in the current language."""
    view: SiteView = app.state.templates.env.globals["site"]
    return view.current()


async def loaded(request: Request) -> None:
    """Make sure the identity is known before a page that reads no catalogue (a form, an error) is rendered.

    The error page shows the defaults when the database cannot be read: it must show whatever went wrong.
    """
    if request.app.state.hub.fresh() is None:
        try:
            await current_catalogue(request)
        except Exception:  # noqa: BLE001  (an error page is sent whatever the database does)
            return


def stylesheet(colours: Colours) -> str:
    """The configured colours as CSS custom properties, for light and dark schemes (hub.css uses them)."""
    # Colours were checked to be #rrggbb when the registry was read: nothing else can stand here.
    return (f":root{{--accent:{colours.accent};--accent-text:{colours.accent_text};}}\n"
            f"@media (prefers-color-scheme: dark){{:root{{--accent:{colours.accent_dark};"
            f"--accent-text:{colours.accent_dark_text};}}}}\n")


async def site_css(request: Request) -> Response:
    """GET /static/site.css: the configured colours (empty without); cached for a year when asked by version."""
    catalogue = await current_catalogue(request)
    colours = catalogue.site.colours
    body = stylesheet(colours) if colours else ""
    versioned = colours is not None and request.query_params.get("v") == _digest(colours)
    return Response(body, media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": IMMUTABLE if versioned else "public, max-age=300"})


async def site_image(request: Request) -> Response:
    """GET /static/site/<name>: an image of the identity, by the name its content gave it; 404 for any other."""
    catalogue = await current_catalogue(request)
    image = catalogue.site.images().get(request.path_params["name"])
    if image is None:
        raise HTTPException(404, "There is no such image.")
    headers = {"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    if image.media_type == "image/svg+xml":
        headers["Content-Security-Policy"] = SVG_POLICY
    return Response(image.data, media_type=image.media_type, headers=headers)


def _url(image: Image | None) -> str:
    return IMAGE_PATH + image.name if image is not None else ""


def _digest(colours: Colours | None) -> str:
    text = repr(colours).encode()
    return hashlib.sha256(text).hexdigest()[:12]
