"""The hub's identity: the registry's `[hub]` table in, a frozen `SiteSpec` out, its images read and checked.

Files only, no database: `read_site` takes the parsed table and the registry's folder and raises ConfigError
naming the file and the key for anything wrong.  Colours are refused unless they are `#rgb` or `#rrggbb` and
readable (WCAG AA, 4.5:1) on the hub's light and dark backgrounds, so nothing else ever reaches a stylesheet.
Images must be PNG, JPEG, WebP or SVG by their content, whatever their names say.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from calendar_hub import language
from calendar_hub.errors import ConfigError

__all__ = ["DEFAULT_NAME", "IMAGE_BYTES", "LIGHT_BACKGROUND", "DARK_BACKGROUND", "Colours", "Image", "Partner",
           "SiteSpec", "Words", "contrast", "read_site", "sniff"]

DEFAULT_NAME = "Calendar Hub"
IMAGE_BYTES = 2_000_000          # a logo or share card, not a photo library
# hub.css's backgrounds nearest the accent's own lightness, the light scheme's greyest and the dark scheme's lightest
# (its --surface and --raised): an accent that reads on these reads on every background of its scheme.
LIGHT_BACKGROUND, DARK_BACKGROUND = "#f4f5f7", "#23262e"
_HUB_KEYS = ("name", "tagline", "about", "logo", "share_image", "colours", "partners", "contact",
             *(code for code in language.LANGUAGES if code != language.DEFAULT))
_WORD_KEYS = ("name", "tagline", "about")
_COLOUR_KEYS = ("accent", "accent_text", "accent_dark", "accent_dark_text")
_PARTNER_KEYS = ("name", "url", "logo")
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+")
_LENGTHS = {"name": 80, "tagline": 200, "about": 1000}
_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "svg": "image/svg+xml"}


@dataclass(frozen=True, slots=True)
class Words:
    """What the hub calls itself in one language: its name, a one-line tagline and a short about text."""

    name: str = DEFAULT_NAME
    tagline: str = ""
    about: str = ""


@dataclass(frozen=True, slots=True)
class Colours:
    """The accent as `#rrggbb`: on the light page, the text on it, and the same two in the dark scheme."""

    accent: str
    accent_text: str
    accent_dark: str
    accent_dark_text: str


@dataclass(frozen=True, slots=True)
class Image:
    """An image the hub serves at /static/site/`name` (`name` is its SHA-256's first 16 digits and extension)."""

    name: str
    media_type: str
    data: bytes = field(repr=False, compare=False)

    @classmethod
    def of(cls, data: bytes, kind: str) -> Image:
        """The image of `data`, whose sniffed kind ("png", "jpg", "webp" or "svg") is `kind`."""
        return cls(name=f"{hashlib.sha256(data).hexdigest()[:16]}.{kind}", media_type=_TYPES[kind], data=data)


@dataclass(frozen=True, slots=True)
class Partner:
    """An organisation the hub names in its footer, with its website and logo (both optional)."""

    name: str
    url: str = ""
    logo: Image | None = None


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """The hub's identity, as every page, feed, share card and PDF shows it (the registry's `[hub]` table).

    `words` are the default language's; `translations` override them per language code ("cy"), field by field.
    """

    words: Words = Words()
    translations: tuple[tuple[str, Words], ...] = ()
    logo: Image | None = None
    share_image: Image | None = None
    colours: Colours | None = None
    partners: tuple[Partner, ...] = ()
    contact: str = ""

    @property
    def name(self) -> str:
        return self.words.name

    @property
    def tagline(self) -> str:
        return self.words.tagline

    @property
    def about(self) -> str:
        return self.words.about

    def in_language(self, code: str) -> SiteSpec:
        """The identity with the words of language `code` (the default's where it has none of its own)."""
        words = dict(self.translations).get(code)
        return replace(self, words=words, translations=()) if words is not None else self

    def images(self) -> dict[str, Image]:
        """Every image the identity shows, by name."""
        found = [self.logo, self.share_image, *(p.logo for p in self.partners)]
        return {image.name: image for image in found if image is not None}


def read_site(raw: object, path: Path, root: Path) -> SiteSpec:
    """The `[hub]` table `raw` of registry file `path` (images relative to it, inside `root`) as a SiteSpec."""
    where = f"{path}: [hub]"
    table = _table(raw, where)
    _check_keys(table, _HUB_KEYS, where)
    words = _words(table, where, Words())
    translations = tuple((code, _words(_table(table[code], f"{path}: [hub.{code}]"), f"{path}: [hub.{code}]", words,
                                       translation=True))
                         for code in language.LANGUAGES if code in table)
    contact = _text(table, "contact", where)
    if contact and not _EMAIL.fullmatch(contact):
        raise ConfigError(f"{where}: contact {contact!r} must be an e-mail address")
    partners = table.get("partners", [])
    if not isinstance(partners, list):
        raise ConfigError(f"{where}: 'partners' must be written as [[hub.partners]] tables")
    return SiteSpec(words=words, translations=translations, contact=contact,
                    logo=_image(table, "logo", where, path, root), share_image=_image(table, "share_image", where,
                                                                                     path, root),
                    colours=_colours(table.get("colours"), f"{path}: [hub.colours]"),
                    partners=tuple(_partner(p, f"{path}: [[hub.partners]] #{i + 1}", path, root)
                                   for i, p in enumerate(partners)))


def sniff(data: bytes) -> str | None:
    """The kind of image `data` is by its first bytes ("png", "jpg", "webp", "svg"), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<svg", b"<!--")) and b"<svg" in head:
        return "svg"
    return None


def contrast(one: str, other: str) -> float:
    """The WCAG 2 contrast ratio of two `#rrggbb` colours, from 1 to 21."""
    high, low = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# -- reading -------------------------------------------------------------------------------------------------


def _table(raw: object, where: str) -> dict[str, object]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    return raw


def _check_keys(raw: dict[str, object], known: tuple[str, ...], where: str) -> None:
    for key in raw:
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r} (known keys: {', '.join(known)})")


def _text(raw: dict[str, object], key: str, where: str) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key!r} must be a string, not {type(value).__name__}")
    value = value.strip()
    if len(value) > _LENGTHS.get(key, 500):
        raise ConfigError(f"{where}: {key!r} is longer than {_LENGTHS.get(key, 500)} characters")
    return value


def _words(raw: dict[str, object], where: str, default: Words, *, translation: bool = False) -> Words:
    if translation:  # only the words are translated
        _check_keys(raw, _WORD_KEYS, where)
    return Words(name=_text(raw, "name", where) or default.name,
                 tagline=_text(raw, "tagline", where) or default.tagline,
                 about=_text(raw, "about", where) or default.about)


def _image(raw: dict[str, object], key: str, where: str, path: Path, root: Path) -> Image | None:
    name = _text(raw, key, where)
    if not name:
        return None
    file = (path.parent / name).resolve()
    if not file.is_relative_to(root):
        raise ConfigError(f"{where}: {key} {name!r} is outside the registry folder")
    try:
        data = file.read_bytes()
    except OSError as e:
        raise ConfigError(f"{where}: {key} {name!r} cannot be read: {e.strerror or e}") from e
    if len(data) > IMAGE_BYTES:
        raise ConfigError(f"{where}: {key} {name!r} is larger than {IMAGE_BYTES // 1_000_000} MB")
    kind = sniff(data)
    if kind is None:
        raise ConfigError(f"{where}: {key} {name!r} is not a PNG, JPEG, WebP or SVG image")
    return Image.of(data, kind)


def _partner(raw: object, where: str, path: Path, root: Path) -> Partner:
    table = _table(raw, where)
    _check_keys(table, _PARTNER_KEYS, where)
    name = _text(table, "name", where)
    if not name:
        raise ConfigError(f"{where}: 'name' is required")
    url = _text(table, "url", where)
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise ConfigError(f"{where}: url {url!r} must start with http:// or https://")
    return Partner(name=name, url=url, logo=_image(table, "logo", where, path, root))


def _colours(raw: object, where: str) -> Colours | None:
    if raw is None:
        return None
    table = _table(raw, where)
    _check_keys(table, _COLOUR_KEYS, where)
    given = {key: _hex(table[key], key, where) for key in _COLOUR_KEYS if key in table}
    if "accent" not in given:
        raise ConfigError(f"{where}: 'accent' is required")
    accent = given["accent"]
    dark = given.get("accent_dark") or _lightened(accent)
    colours = Colours(accent=accent, accent_text=given.get("accent_text") or _readable_on(accent),
                      accent_dark=dark, accent_dark_text=given.get("accent_dark_text") or _readable_on(dark))
    for key, fore, back in (("accent", accent, LIGHT_BACKGROUND), ("accent_text", colours.accent_text, accent),
                            ("accent_dark", dark, DARK_BACKGROUND),
                            ("accent_dark_text", colours.accent_dark_text, dark)):
        ratio = contrast(fore, back)
        if ratio < 4.5:
            raise ConfigError(f"{where}: {key} {fore} is too faint on {back} ({ratio:.1f}:1; "
                              "WCAG AA needs 4.5:1)")
    return colours


def _hex(value: object, key: str, where: str) -> str:
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise ConfigError(f"{where}: {key} {value!r} must be a colour written #rgb or #rrggbb")
    digits = value[1:].lower()
    return "#" + ("".join(c * 2 for c in digits) if len(digits) == 3 else digits)


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:  # WCAG 2.2 "relative luminance"
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _readable_on(colour: str) -> str:
    return max(("#ffffff", "#111111"), key=lambda text: contrast(text, colour))


def _lightened(colour: str) -> str:
    """`colour` mixed with white until it reads on the dark background (the dark scheme's accent)."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    for step in range(11):
        mixed = "#" + "".join(f"{round(c + (255 - c) * step / 10):02x}" for c in (r, g, b))
        if contrast(mixed, DARK_BACKGROUND) >= 4.5:
            return mixed
    return "#ffffff"
