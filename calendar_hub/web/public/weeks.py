"""A week of action as campaign evidence: its page (figures, map, groups taking part, share links), its share
image, and its printed listings (the week's PDF and one per town).

The figures are the hub's one count (`catalogue.counts`), as on the console's coverage page.  Every output
here is built in a worker thread and kept per data version and language, as pages are.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import language
from calendar_hub.catalogue import Catalogue, GroupInfo, WeekInfo
from calendar_hub.catalogue.counts import taking_part, tally
from calendar_hub.catalogue.listing import Listing
from calendar_hub.publish import share_image
from calendar_hub.registry import slug_for
from calendar_hub.web.common import cached_output, current_catalogue
from calendar_hub.web.present import ONLINE, UNKNOWN_TOWN, by_region_and_town, is_online
from calendar_hub.web.public import printed
from calendar_hub.web.public.render import cached, read, render, search_box, subscription_for, with_query
from calendar_hub.web.responses import send

__all__ = ["ROUTES_BEFORE_PAGE", "Participants", "participants", "share_links", "share_png", "town_anchor",
           "town_listings", "town_pdf", "week_page", "week_pdf"]


class Participants:
    """The groups taking part in a week: `active` have an action in it, `signed_up` are named by it without one."""

    def __init__(self, active: list[GroupInfo], signed_up: list[GroupInfo], count: int) -> None:
        self.active = active
        self.signed_up = signed_up
        self.count = count  # the figure "13 groups taking part", as `taking_part` counts it


def participants(catalogue: Catalogue, week: WeekInfo, listings: list[Listing]) -> Participants:
    """The groups of `week` (`taking_part`), as the catalogue knows them, each list by name."""
    active, named = taking_part(listings, week.groups)
    known = {group.slug: group for group in catalogue.groups}
    # A group credited on an event but gone from the registry is still shown, as the event shows it.
    refs = {group.slug: group for item in listings for group in item.groups}
    shown = [known.get(slug) or GroupInfo(slug=slug, name=refs[slug].name, website=refs[slug].website, home="",
                                          region="", lat=None, lon=None) for slug in active]
    by_name = lambda g: (g.name.casefold(), g.slug)  # noqa: E731
    return Participants(sorted(shown, key=by_name), sorted((known[s] for s in named if s in known), key=by_name),
                        len(active) + len(named))


def share_links(name: str, url: str) -> list[tuple[str, str]]:
    """[(service, address)] that share `url` and `name` by e-mail, WhatsApp, Facebook, X, Bluesky and LinkedIn.

    Plain links to each service's own share address: no third-party script runs on the page.
    """
    text = f"{name} {url}"
    return [
        (language.gettext("E-mail"), "mailto:?" + urlencode({"subject": name, "body": url}, quote_via=quote)),
        ("WhatsApp", "https://wa.me/?" + urlencode({"text": text})),
        ("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
        ("X", "https://x.com/intent/post?" + urlencode({"text": name, "url": url})),
        ("Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": text})),
        ("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})),
    ]


def town_anchor(town: str) -> str:
    """The id of a town's heading on its week's page ("town-manchester"): the address a town's PDF points to."""
    return "town-" + slug_for(town)


def town_listings(catalogue: Catalogue, week: WeekInfo, town_slug: str) -> tuple[str, list[Listing]]:
    """(the town's name, its events in `week` in time order, cancelled ones left out) for `slug_for(town)`."""
    found = [item for item in catalogue.find(week=week.slug)
             if item.town and not item.cancelled and not is_online(item) and slug_for(item.town) == town_slug]
    return (found[0].town if found else ""), found


def _week(catalogue: Catalogue, slug: str) -> WeekInfo:
    week = catalogue.week(slug)
    if week is None:
        raise HTTPException(404, language.gettext("There is no such week of action."))
    return week


async def week_page(request: Request) -> Response:
    """GET /weeks/{week}: its figures, map, groups and share links, then local listings by region and town."""
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    filters, problem = read(request, catalogue, week=request.path_params["week"])
    week = catalogue.week(request.path_params["week"])
    assert week is not None
    base = request.app.state.hub.settings.base_url.rstrip("/")
    page_url = base + language.link(f"/weeks/{week.slug}")
    image = f"/weeks/{week.slug}/share.png" if language.current() == language.DEFAULT else \
        f"/weeks/{week.slug}/share.{language.current()}.png"

    def context() -> dict[str, Any]:
        listings = filters.apply(catalogue)
        every = catalogue.find(week=week.slug)
        by_uid = {item.uid: item for item in listings}
        return {"listings": listings, "featured": [by_uid[uid] for uid in week.featured if uid in by_uid],
                "regions": by_region_and_town(listings), "tally": tally(listings), "week_tally": tally(every),
                "participants": participants(catalogue, week, every),
                "placed": sum(1 for item in every if item.lat is not None and not item.cancelled)}

    return await render(request, "week.html", catalogue, status_code=400 if problem else 200, context=context,
                        week=week, subscription=subscription_for(request, catalogue, filters),
                        map_url=with_query(f"/weeks/{week.slug}/map", filters),
                        geojson_url=f"/api/events.geojson?week={quote(week.slug)}",
                        share=share_links(week.name, page_url), share_url=page_url, share_image=base + image,
                        town_anchor=town_anchor, town_pdf=lambda town: f"/weeks/{week.slug}/towns/{slug_for(town)}.pdf",
                        unprintable=(ONLINE, UNKNOWN_TOWN), long_date=printed.long_date,
                        **search_box(request, filters, problem))


async def share_png(request: Request) -> Response:
    """GET /weeks/{week}/share.png (English) and /weeks/{week}/share.{code}.png: the week's 1200x630 share card.

    An image is data, with one address whatever the page's language; its words are in a language, so each
    language's card has its own address, which that language's page names as its og:image.
    """
    code = request.path_params.get("code", language.DEFAULT)
    if code not in language.LANGUAGES or (code == language.DEFAULT and "code" in request.path_params):
        raise HTTPException(404, language.gettext("There is no such image."))
    catalogue = await current_catalogue(request)
    week = _week(catalogue, request.path_params["week"])

    def build() -> tuple[bytes, str]:
        with language.use(code):  # the hub's name in the card's language, as its words are
            site = printed.site_of(request.app)
            return share_image.week_card(site.name, week, catalogue.find(week=week.slug)), "image/png"

    output = await cached_output(catalogue, ("share.png", code, week.slug), build)
    return send(request, output, max_age=300)


async def week_pdf(request: Request) -> Response:
    """GET /weeks/{week}.pdf (and /cy/weeks/{week}.pdf): every event of the week on A4, by region and town."""
    catalogue = await current_catalogue(request)
    week = _week(catalogue, request.path_params["week"])
    return await printed.send_pdf(request, catalogue, ("week", week.slug), lambda: printed.week_context(
        request, catalogue, week, catalogue.find(week=week.slug)))


async def town_pdf(request: Request) -> Response:
    """GET /weeks/{week}/towns/{town}.pdf: "What's on in <town> for <week>", for a window or a noticeboard."""
    catalogue = await current_catalogue(request)
    week = _week(catalogue, request.path_params["week"])
    town, listings = town_listings(catalogue, week, request.path_params["town"])
    if not listings:
        raise HTTPException(404, language.gettext("This week of action has no event listed in that town."))
    page = language.link(f"/weeks/{week.slug}") + "#" + town_anchor(town)
    return await printed.send_pdf(request, catalogue, ("town", week.slug, slug_for(town)), lambda: printed.town_context(
        request, catalogue, week, town, listings, page))


ROUTES_BEFORE_PAGE = (  # (path, handler, name), to be routed before /weeks/{week}, which would take them
    ("/weeks/{week}.pdf", week_pdf, "week_pdf"),
    ("/weeks/{week}/share.png", share_png, "week_share"),
    ("/weeks/{week}/share.{code}.png", share_png, "week_share_language"),
    ("/weeks/{week}/towns/{town}.pdf", town_pdf, "town_pdf"),
)
