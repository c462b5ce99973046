"""What the hub counts as a "local action", in one place: the week pages, the map's summary and the console's
coverage page and exports all count with `tally`, so their figures agree.

A listing is exactly one of: "cancelled" (called off: never counted as action), "online" (its location line
says it happens on the web and the feed gave no coordinates: counted apart), or a "local action" (everything
else, placed or not).  The regions of a tally are the named regions of its local actions: "Region not given"
is not a region.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from babel.numbers import format_decimal
from markupsafe import Markup, escape

from calendar_hub import language
from calendar_hub.catalogue.listing import Listing
from calendar_hub.places import online

__all__ = ["CANCELLED", "LOCAL", "ONLINE", "Kind", "Tally", "credited", "is_online", "kind", "tally",
           "taking_part", "in_words"]

Kind = Literal["local action", "online", "cancelled"]
LOCAL: Kind = "local action"
ONLINE: Kind = "online"
CANCELLED: Kind = "cancelled"


def is_online(listing: Listing) -> bool:
    """Whether an event happens online: the places' test on its location line, unless the feed placed it."""
    return listing.lat is None and bool(listing.location) and online(listing.location)


def kind(listing: Listing) -> Kind:
    """How a listing is counted: "cancelled" first, then "online", else "local action"."""
    if listing.cancelled:
        return CANCELLED
    return ONLINE if is_online(listing) else LOCAL


@dataclass(frozen=True, slots=True)
class Tally:
    """The counts of a set of listings: local actions, online events, cancelled ones, and the regions."""

    local: int = 0
    online: int = 0
    cancelled: int = 0
    regions: int = 0

    @property
    def counted(self) -> int:
        """Local actions and online events together: what happens, cancelled events left out."""
        return self.local + self.online


def tally(listings: Iterable[Listing]) -> Tally:
    """The `Tally` of `listings` (regions compared without case: "north west" is "North West")."""
    local = online_count = cancelled = 0
    regions: set[str] = set()
    for item in listings:
        counted_as = kind(item)
        if counted_as == LOCAL:
            local += 1
            if item.region:
                regions.add(item.region.casefold())
        elif counted_as == ONLINE:
            online_count += 1
        else:
            cancelled += 1
    return Tally(local=local, online=online_count, cancelled=cancelled, regions=len(regions))


def credited(listings: Iterable[Listing]) -> frozenset[str]:
    """The slugs of the groups credited on a listing of `listings` that is not cancelled."""
    return frozenset(group.slug for item in listings if not item.cancelled for group in item.groups)


def taking_part(listings: Iterable[Listing], named: Sequence[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """The groups taking part: (those credited on `listings`, those of `named` without one, in `named`'s order)."""
    active = credited(listings)
    return active, tuple(dict.fromkeys(slug for slug in named if slug not in active))


def in_words(counts: Tally, groups: int | None = None, *, strong: bool = False) -> str:
    """A tally in words, in the current language, plurals right: "33 local actions in 9 regions, 13 groups
    taking part, 2 online" with `groups`; without, "31 local actions in 9 regions, and 1 online".

    With `strong` the figures are <strong> and the result is Markup; the week page, its share image and
    its PDFs all say it this way.
    """
    def say(text: str, n: int, *, figure: bool = True) -> str:
        written = format_decimal(n, locale=language.babel_locale())
        if not strong:
            return text % {"num": written}
        return Markup(escape(text)) % {"num": Markup("<strong>%s</strong>") % written if figure else written}

    ngettext = language.ngettext
    sentence = say(ngettext("%(num)s local action", "%(num)s local actions", counts.local), counts.local)
    if counts.regions:
        sentence += " " + say(ngettext("in %(num)s region", "in %(num)s regions", counts.regions), counts.regions)
    online = say(ngettext("%(num)s online", "%(num)s online", counts.online), counts.online)
    if groups is not None:
        sentence += ", " + say(ngettext("%(num)s group taking part", "%(num)s groups taking part", groups), groups)
        if counts.online:
            sentence += ", " + online
    elif counts.online:
        sentence += language.gettext(", and ") + online
    if counts.cancelled:
        sentence += " " + say(ngettext("(%(num)s cancelled, not counted)", "(%(num)s cancelled, not counted)",
                                       counts.cancelled), counts.cancelled, figure=False)
    return Markup(sentence) if strong else sentence
