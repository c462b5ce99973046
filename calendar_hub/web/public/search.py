"""Finding events without knowing a week exists: /search?q=… over every upcoming event, and the tags: /tags (every
tag in use, with its upcoming events counted) and /tags/{tag} (its upcoming events and its calendar).

The words are matched by `catalogue.search`; "English classes in Leeds" searches for "English classes" within
10 km of Leeds (`web.query`), and the page says so.  Results and tag pages come 30 to a page, as on the home page.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from calendar_hub import clock, language
from calendar_hub.catalogue import Catalogue
from calendar_hub.catalogue.listing import Listing
from calendar_hub.catalogue.search import query_words
from calendar_hub.catalogue.weeks import normalise_tag
from calendar_hub.web.common import current_catalogue
from calendar_hub.web.public.browse import calendar_link
from calendar_hub.web.public.render import cached, page_number, read, render, search_box, subscription_for, with_query
from calendar_hub.web.query import Filters, unknown_names

__all__ = ["RESULTS_ON_A_PAGE", "search_page", "tag_counts", "tag_page", "tags_page", "upcoming"]

RESULTS_ON_A_PAGE = 30


def upcoming(items: list[Listing]) -> list[Listing]:
    """Those of `items` that have not ended (an instant event: not yet begun)."""
    now = clock.now()
    return [item for item in items if item.end > now or item.start >= now]


def _paged(request: Request, path: str, filters: Filters, page: int) -> dict[str, Any]:
    paged = with_query(path, filters, keep_week=True)
    return {"page": page, "paged": paged,
            "canonical_path": paged if page == 1 else f"{paged}{'&' if '?' in paged else '?'}page={page}"}


async def search_page(request: Request) -> Response:
    """GET /search?q=…: upcoming events holding every word, those with them all in the title first, then soonest;
    the other filters narrow it, and `page` pages on."""
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    page = page_number(request)
    filters, problem = read(request, catalogue)
    filters = dataclasses.replace(filters, unknown=unknown_names(request.query_params, also=("page",)))
    words = query_words(filters.q or "")
    asked = bool(words) or filters.near_from_q

    def context() -> dict[str, Any]:
        found = catalogue.index.ranked(words, upcoming(filters.apply(catalogue))) if asked else []
        shown = found[RESULTS_ON_A_PAGE * (page - 1):RESULTS_ON_A_PAGE * page]
        return {"results": shown, "total": len(found), "more": len(found) > RESULTS_ON_A_PAGE * page}

    box = search_box(request, filters, problem)
    paging = _paged(request, "/search", filters, page)
    box["canonical_path"] = paging.pop("canonical_path")
    typed = " ".join(request.query_params.get("q", "").split())[:200]
    return await render(request, "search.html", catalogue, status_code=400 if problem else 200, context=context,
                        typed=typed, asked=asked, calendar_url=calendar_link("/calendar", filters),
                        # The filters besides the words (and the place they named), and the same words without them.
                        others=dataclasses.replace(filters, q=None, **_unplaced(filters)),
                        words_only=with_query("/search", Filters(q=filters.q, **_placed(filters))),
                        subscription=subscription_for(request, catalogue, filters), **paging, **box)


def _placed(filters: Filters) -> dict[str, Any]:
    return {"near": filters.near, "km": filters.km, "origin": filters.origin} if filters.near_from_q else {}


def _unplaced(filters: Filters) -> dict[str, Any]:
    return {"near": None, "km": None, "origin": None} if filters.near_from_q else {}


def tag_counts(catalogue: Catalogue) -> list[tuple[str, int]]:
    """[(tag, upcoming events carrying it)] for every tag of an upcoming event, by name."""
    now = clock.now()
    listings = catalogue.listings
    counts = []
    for tag, positions in catalogue.index.tags().items():
        count = sum(1 for p in positions if listings[p].end > now or listings[p].start >= now)
        if count:
            counts.append((tag, count))
    return sorted(counts)


async def tags_page(request: Request) -> Response:
    """GET /tags: every tag of an upcoming event, with how many carry it, each linking to its page."""
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    return await render(request, "tags.html", catalogue, context=lambda: {"tags": tag_counts(catalogue)},
                        quote=quote)


async def tag_page(request: Request) -> Response:
    """GET /tags/{tag}: the upcoming events carrying the tag, 30 to a page, and its calendar to subscribe to.

    The tag in the address is read as the catalogue normalises tags ("#CT4R" is "ct4r"); one no event carries
    is a 404.
    """
    catalogue = await current_catalogue(request)
    if (hit := cached(request, catalogue)) is not None:
        return hit
    tag = normalise_tag(request.path_params["tag"])
    if not tag or not catalogue.index.has_tag(tag):
        raise HTTPException(404, language.gettext("No event carries the tag %(tag)s.") % {"tag": f"#{tag}"})
    page = page_number(request)
    filters, problem = read(request, catalogue, tag=tag)
    filters = dataclasses.replace(filters, unknown=unknown_names(request.query_params, also=("page",)))
    path = f"/tags/{quote(tag, safe='')}"

    def context() -> dict[str, Any]:
        found = upcoming(filters.apply(catalogue))
        shown = found[RESULTS_ON_A_PAGE * (page - 1):RESULTS_ON_A_PAGE * page]
        return {"results": shown, "total": len(found), "more": len(found) > RESULTS_ON_A_PAGE * page}

    box = search_box(request, filters, problem)
    paging = _paged(request, path, dataclasses.replace(filters, tag=None), page)
    box["canonical_path"] = paging.pop("canonical_path")
    return await render(request, "tag.html", catalogue, status_code=400 if problem else 200, context=context,
                        tag=tag, tag_path=path, calendar_url=calendar_link("/calendar", filters),
                        subscription=subscription_for(request, catalogue, filters), **paging, **box)
