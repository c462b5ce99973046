"""What a group does for people: the vocabulary of services a group may list, slug in, label out.

A short, fixed list, so that the directory can be filtered by it and partners can rely on the slugs; the
registry refuses a slug that is not here (`feeds/README.md` lists them). The labels are English, marked for
translation: `label(slug)` gives the current language's.
"""

from __future__ import annotations

from collections.abc import Sequence

from calendar_hub import language
from calendar_hub.errors import ConfigError

__all__ = ["SERVICES", "N_", "checked", "known", "label", "labels"]


def N_(message: str) -> str:
    """Marks `message` for the catalogue without translating it (it is translated when shown)."""
    return message


# slug -> English label, in the order forms and filters offer them
SERVICES: dict[str, str] = {
    "english-classes": N_("English classes (ESOL)"),
    "conversation": N_("Conversation clubs"),
    "legal-advice": N_("Legal advice"),
    "advice": N_("Advice and signposting"),
    "befriending": N_("Befriending"),
    "drop-in": N_("Drop-in"),
    "food": N_("Food"),
    "clothing": N_("Clothing"),
    "housing": N_("Housing"),
    "health": N_("Health"),
    "mental-health": N_("Mental health"),
    "interpreting": N_("Interpreting"),
    "employment": N_("Employment and volunteering"),
    "womens-group": N_("Women's group"),
    "youth": N_("Young people"),
    "families": N_("Children and families"),
    "sport": N_("Sport"),
    "arts": N_("Arts and music"),
    "campaigning": N_("Campaigning"),
    "sanctuary-awards": N_("Sanctuary awards"),
}


def known(slug: str) -> bool:
    """Whether `slug` is a service of the vocabulary."""
    return slug in SERVICES


def label(slug: str) -> str:
    """The service's name in the current language; raises KeyError for a slug not in the vocabulary."""
    return language.gettext(SERVICES[slug])


def labels(slug: str) -> dict[str, str]:
    """The service's name in every language the site speaks, by language code."""
    names = {}
    for code in language.LANGUAGES:
        with language.use(code):
            names[code] = label(slug)
    return names


def checked(slugs: Sequence[str], where: str) -> tuple[str, ...]:
    """`slugs` as a tuple when each is a known service, listed once; raises ConfigError naming the known ones."""
    for slug in slugs:
        if not known(slug):
            raise ConfigError(f"{where}: unknown service {slug!r} (known services: {', '.join(SERVICES)})")
    if len(set(slugs)) != len(slugs):
        raise ConfigError(f"{where}: a service is listed twice in 'services'")
    return tuple(slugs)
