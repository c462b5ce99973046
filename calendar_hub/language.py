"""The languages the public site speaks, and the one the current request is in.

English is the language of the source text; every other language is a gettext catalogue in
`calendar_hub/locale/<code>/LC_MESSAGES/messages.po`, read when first needed (no compiled `.mo` files are
kept). Adding a language is adding its catalogue and a line to `LANGUAGES`.

The language of what is being made (a page, a PDF, a message) is held in a context variable: `use("cy")`
around the work, `gettext` and `format_*` read it. Work handed to a worker thread keeps it, as Starlette's
thread pool runs each call in a copy of the caller's context.
"""

from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
import io
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = ["DEFAULT", "LANGUAGES", "LOCALE_DIR", "babel_locale", "current", "gettext", "link", "ngettext",
           "translations", "use"]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DEFAULT = "en"
# code -> (its name in itself, the Babel locale for dates and numbers); the first is the source language
LANGUAGES: dict[str, tuple[str, str]] = {"en": ("English", "en_GB"), "cy": ("Cymraeg", "cy_GB")}

_current: ContextVar[str] = ContextVar("calendar_hub_language", default=DEFAULT)


def current() -> str:
    """The code of the language being written in now: "en" or "cy"."""
    return _current.get()


@contextlib.contextmanager
def use(code: str) -> Iterator[None]:
    """Write in `code` inside the block (an unknown code writes in the default language)."""
    token = _current.set(code if code in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


@functools.cache
def translations(code: str) -> _gettext.NullTranslations:
    """The catalogue of `code`, compiled in memory from its `.po` file; the source language has none."""
    po = LOCALE_DIR / code / "LC_MESSAGES" / "messages.po"
    if code == DEFAULT or not po.is_file():
        return _gettext.NullTranslations()
    with po.open("rb") as file:
        catalog = read_po(file, locale=LANGUAGES[code][1])
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)  # a fuzzy entry is a guess to review, not a translation
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def gettext(message: str) -> str:
    """`message` in the current language (itself when the catalogue lacks it)."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` in the current language (Welsh has six)."""
    return translations(current()).ngettext(singular, plural, n)


def babel_locale(code: str | None = None) -> Locale:
    """The Babel locale of `code`, by default the current language, for dates, times and numbers."""
    return _locale(code or current())


@functools.cache
def _locale(code: str) -> Locale:
    return Locale.parse(LANGUAGES[code][1])


def link(path: str, code: str | None = None) -> str:
    """The address of the page at `path` (as served in English) in `code`, by default the current language.

    Each language's pages have their own stable addresses: English at `/weeks/x`, Welsh at `/cy/weeks/x`.
    Data (feeds, `.ics`, JSON, static files) has one address whatever the language; give those unchanged.
    """
    code = code or current()
    if code == DEFAULT or not path.startswith("/"):
        return path
    return f"/{code}" if path == "/" else f"/{code}{path}"
