"""The registry of groups, their feeds and the weeks of action: TOML files in, a frozen `Registry` out.

No database, no network: files only.  `read_registry` reads every `*.toml` file of a
folder (sorted by name) and raises ConfigError naming the file and the group or week
for anything wrong; the hub's identity (`[hub]`) is read by `calendar_hub.site`.
Writing a registry back (`hub.toml`, with copies of local feed files) is
`registry_export`'s.
The format is documented for operators in `feeds/README.md`.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from slugify import slugify

from calendar_hub import services as service_vocabulary
from calendar_hub.errors import ConfigError
from calendar_hub.occurrence import KINDS
from calendar_hub.site import SiteSpec, read_site
from calendar_hub.states import Origin

__all__ = [
    "AREAS_MOST",
    "AREA_LENGTH",
    "DESCRIPTION_LENGTH",
    "FEED_KINDS",
    "SLUG_RE",
    "FeedSpec",
    "GroupSpec",
    "Registry",
    "SiteSpec",
    "WeekSpec",
    "read_registry",
    "slug_for",
]

FEED_KINDS = KINDS
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SLUG_LENGTH = 80           # made from a name: room left under the console's 100 for a "-2"

_GROUP_KEYS = ("slug", "name", "website", "home", "region", "lat", "lon", "contact", "services", "description", "areas",
               "feeds")
DESCRIPTION_LENGTH = 500   # a group's description is a few lines for the directory, not its whole story
AREAS_MOST, AREA_LENGTH = 20, 100
_WEEK_KEYS = ("slug", "name", "start", "end", "tags", "description", "groups", "featured", "include", "exclude")
_FEED_KEYS = ("url", "kind", "private", "origin")
_FEED_ORIGINS = (Origin.REGISTRY, Origin.WEB)


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One published calendar or events feed; `kind` is "ical", "rss" or "" (sniff the body).

    `private`: the operator lets this feed reach private addresses (no SSRF guard on its fetches).
    `origin`: "web" for a feed that came through /join or the console, written by `export-registry` so that
    loading the copy keeps it a web feed, fetched through the guard; "registry" for the operator's own.
    """

    url: str
    kind: str = ""
    private: bool = False
    origin: Origin = Origin.REGISTRY


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A member group: who they are, where they are based, what they do and the feeds they publish.

    `services` are slugs of `calendar_hub.services.SERVICES`; `areas` the places it serves, as people name them.
    """

    slug: str
    name: str
    website: str = ""
    home: str = ""          # place name or postcode of the group's base
    region: str = ""
    lat: float | None = None
    lon: float | None = None
    contact: str = ""
    feeds: tuple[FeedSpec, ...] = ()
    services: tuple[str, ...] = ()
    description: str = ""
    areas: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WeekSpec:
    """A week of action: its days (`start`..`end`, both inclusive), selector tags and optional groups.

    `featured`, `include` and `exclude` are published event UIDs an organiser chose: shown first,
    taken in whatever the tags say, kept out whatever they say.
    """

    slug: str
    name: str
    start: date
    end: date
    tags: tuple[str, ...]
    description: str = ""
    groups: tuple[str, ...] = ()
    featured: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Registry:
    """Every group and week of action the hub knows, in file order, and the hub's identity (`[hub]`)."""

    groups: tuple[GroupSpec, ...]
    weeks: tuple[WeekSpec, ...]
    site: SiteSpec = SiteSpec()

    def group(self, slug: str) -> GroupSpec | None:
        """The group with this slug, or None."""
        return next((g for g in self.groups if g.slug == slug), None)

    def week(self, slug: str) -> WeekSpec | None:
        """The week of action with this slug, or None."""
        return next((w for w in self.weeks if w.slug == slug), None)


def read_registry(folder: Path) -> Registry:
    """Read every `*.toml` in `folder` (sorted) into one Registry; raises ConfigError on any mistake."""
    if not folder.is_dir():
        raise ConfigError(f"registry folder {folder} does not exist or is not a folder")
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise ConfigError(f"registry folder {folder} has no *.toml files")
    root = folder.resolve()
    groups: list[GroupSpec] = []
    weeks: list[WeekSpec] = []
    seen_groups: dict[str, Path] = {}
    seen_weeks: dict[str, Path] = {}
    week_files: dict[str, Path] = {}
    site, site_file = SiteSpec(), None
    for path in files:
        data = _load(path)
        unknown = sorted(set(data) - {"group", "week", "hub"})
        if unknown:
            raise ConfigError(f"{path}: unknown top-level key {unknown[0]!r} "
                              "(expected [hub], [[group]] or [[week]])")
        if "hub" in data:
            if site_file is not None:
                raise ConfigError(f"{path}: [hub] is already written in {site_file}: the hub has one identity")
            site, site_file = read_site(data["hub"], path, root), path
        for i, raw in enumerate(_tables(data, "group", path)):
            group = _group(raw, path, root, i)
            if group.slug in seen_groups:
                earlier = seen_groups[group.slug]
                raise ConfigError(f"{path}: group {group.slug!r}: slug already used in {earlier}")
            seen_groups[group.slug] = path
            groups.append(group)
        for i, raw in enumerate(_tables(data, "week", path)):
            week = _week(raw, path, i)
            if week.slug in seen_weeks:
                raise ConfigError(f"{path}: week {week.slug!r}: slug already used in {seen_weeks[week.slug]}")
            seen_weeks[week.slug] = path
            week_files[week.slug] = path
            weeks.append(week)
    for week in weeks:  # groups may be declared in a later file than the week naming them
        for slug in week.groups:
            if slug not in seen_groups:
                raise ConfigError(f"{week_files[week.slug]}: week {week.slug!r}: "
                                  f"groups names unknown group {slug!r}")
    return Registry(groups=tuple(groups), weeks=tuple(weeks), site=site)


# -- reading -------------------------------------------------------------------------------------------


def _load(path: Path) -> dict[str, object]:
    try:
        text = path.read_bytes().decode("utf-8")
        return tomllib.loads(text)
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read: {e}") from e


def _tables(data: dict[str, object], key: str, path: Path) -> list[dict[str, object]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise ConfigError(f"{path}: {key!r} must be written as [[{key}]] tables")
    return value


def _check_keys(raw: dict[str, object], known: tuple[str, ...], where: str) -> None:
    for key in raw:
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r} (known keys: {', '.join(known)})")


def _text(raw: dict[str, object], key: str, where: str, *, required: bool = False) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key!r} must be a string, not {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise ConfigError(f"{where}: {key!r} is required")
    return value


def slug_for(name: str) -> str:
    """A short name for addresses made from a name, in Latin letters: "Sanctuary Stockport" -> "sanctuary-stockport",
    "Дом культуры" -> "dom-kultury"; "group" when nothing in the name can be written so."""
    return slugify(name, max_length=SLUG_LENGTH) or "group"


def _slug(raw: dict[str, object], path: Path, what: str, index: int) -> str:
    where = f"{path}: {what} #{index + 1}"
    slug = _text(raw, "slug", where, required=True)
    if not SLUG_RE.fullmatch(slug):
        raise ConfigError(f"{where}: slug {slug!r} must be lower-case letters, digits and hyphens, "
                          "starting with a letter or digit")
    return slug


def _strings(raw: dict[str, object], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key!r} must be a list of strings")
    return tuple(v.strip() for v in value)


def _group(raw: dict[str, object], path: Path, root: Path, index: int) -> GroupSpec:
    slug = _slug(raw, path, "group", index)
    where = f"{path}: group {slug!r}"
    _check_keys(raw, _GROUP_KEYS, where)
    website = _text(raw, "website", where)
    if website and urlsplit(website).scheme not in ("http", "https"):
        raise ConfigError(f"{where}: website {website!r} must start with http:// or https://")
    lat, lon = _coordinate(raw, "lat", 90.0, where), _coordinate(raw, "lon", 180.0, where)
    if (lat is None) != (lon is None):
        raise ConfigError(f"{where}: give both lat and lon, or neither")
    feeds_raw = raw.get("feeds", [])
    if not isinstance(feeds_raw, list):
        raise ConfigError(f"{where}: 'feeds' must be a list of URLs or {{ url = ..., kind = ... }} tables")
    feeds: list[FeedSpec] = []
    for entry in feeds_raw:
        feed = _feed(entry, path, root, where)
        if any(f.url == feed.url for f in feeds):
            raise ConfigError(f"{where}: feed {feed.url} is listed twice")
        feeds.append(feed)
    return GroupSpec(
        slug=slug, name=_text(raw, "name", where, required=True), website=website,
        home=_text(raw, "home", where), region=_text(raw, "region", where), lat=lat, lon=lon,
        contact=_text(raw, "contact", where), feeds=tuple(feeds),
        services=service_vocabulary.checked(_strings(raw, "services", where), where),
        description=_description(raw, where), areas=_areas(raw, where),
    )


def _description(raw: dict[str, object], where: str) -> str:
    # One paragraph of plain text: line breaks in the TOML are only where the operator wrapped it.
    description = " ".join(_text(raw, "description", where).split())
    if len(description) > DESCRIPTION_LENGTH:
        raise ConfigError(f"{where}: description is {len(description)} characters long "
                          f"(at most {DESCRIPTION_LENGTH}: a few lines for the directory)")
    return description


def _areas(raw: dict[str, object], where: str) -> tuple[str, ...]:
    areas = tuple(" ".join(a.split()) for a in _strings(raw, "areas", where))
    if any(not a for a in areas):
        raise ConfigError(f"{where}: areas must not be empty")
    if any(len(a) > AREA_LENGTH for a in areas):
        raise ConfigError(f"{where}: an area is longer than {AREA_LENGTH} characters")
    if len(areas) > AREAS_MOST:
        raise ConfigError(f"{where}: at most {AREAS_MOST} areas")
    if len({a.casefold() for a in areas}) != len(areas):
        raise ConfigError(f"{where}: an area is listed twice in 'areas'")
    return areas


def _coordinate(raw: dict[str, object], key: str, limit: float, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {key!r} must be a number, not {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise ConfigError(f"{where}: {key} = {value} is outside -{limit:g}..{limit:g}")
    return number


def _feed(entry: object, path: Path, root: Path, where: str) -> FeedSpec:
    kind, private, origin = "", False, Origin.REGISTRY
    if isinstance(entry, dict):
        _check_keys(entry, _FEED_KEYS, f"{where}: feed")
        url_value, kind_value = entry.get("url"), entry.get("kind", "")
        if not isinstance(url_value, str) or not url_value.strip():
            raise ConfigError(f"{where}: a feed table needs a 'url' string")
        if not isinstance(kind_value, str) or kind_value not in ("", *FEED_KINDS):
            raise ConfigError(f"{where}: feed kind {kind_value!r} must be one of {', '.join(FEED_KINDS)}")
        url, kind = url_value.strip(), kind_value
        private_value, origin_value = entry.get("private", False), entry.get("origin", Origin.REGISTRY)
        if not isinstance(private_value, bool):
            raise ConfigError(f"{where}: feed {url}: 'private' must be true or false, not {private_value!r}")
        if origin_value not in _FEED_ORIGINS:
            raise ConfigError(f"{where}: feed {url}: origin {origin_value!r} must be one of "
                              f"{', '.join(_FEED_ORIGINS)}")
        private, origin = private_value, Origin(origin_value)
        if origin == Origin.WEB and private:
            # A web feed's address was chosen by someone outside: it is always fetched through the guard.
            raise ConfigError(f"{where}: feed {url}: a feed that came through the web cannot be private")
    elif isinstance(entry, str) and entry.strip():
        url = entry.strip()
    else:
        raise ConfigError(f"{where}: each feed must be a URL string or a {{ url = ..., kind = ... }} table")
    resolved = _feed_url(url, path, root, where)
    if origin == Origin.WEB and urlsplit(resolved).scheme == "file":
        raise ConfigError(f"{where}: feed {url!r}: a feed that came through the web cannot be a local file")
    return FeedSpec(url=resolved, kind=kind, private=private, origin=origin)


def _feed_url(url: str, path: Path, root: Path, where: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https", "webcal", "webcals"):
        if not parts.netloc:
            raise ConfigError(f"{where}: feed {url!r} has no host")
        if scheme.startswith("webcal"):  # webcal:// is "subscribe to this https:// calendar"
            return urlunsplit(("https", *parts[1:]))
        return url
    if scheme == "file":
        raise ConfigError(f"{where}: feed {url!r}: give a local file as a path relative to {path.name}, "
                          "not a file:// URL")
    if scheme and len(scheme) > 1:  # one letter would be a Windows drive, caught below as absolute
        raise ConfigError(f"{where}: feed {url!r}: scheme {scheme!r} is not allowed "
                          "(use http, https, webcal or a relative path)")
    relative = Path(url)
    if relative.is_absolute() or relative.drive or url.startswith(("/", "\\")):
        raise ConfigError(f"{where}: feed {url!r}: a local file must be a path relative to {path.name}")
    target = (path.parent / relative).resolve()
    if not target.is_relative_to(root):
        raise ConfigError(f"{where}: feed {url!r} points outside the registry folder {root}")
    if not target.is_file():
        raise ConfigError(f"{where}: feed {url!r}: no such file {target}")
    return target.as_uri()


def _week(raw: dict[str, object], path: Path, index: int) -> WeekSpec:
    slug = _slug(raw, path, "week", index)
    where = f"{path}: week {slug!r}"
    _check_keys(raw, _WEEK_KEYS, where)
    for key in ("start", "end"):
        if key not in raw:
            raise ConfigError(f"{where}: {key!r} is required (a date like 2026-12-05, without quotes)")
    start, end = _day(raw["start"], "start", where), _day(raw["end"], "end", where)
    if start > end:
        raise ConfigError(f"{where}: start {start} is after end {end}")
    tags = tuple(t.lstrip("#").strip() for t in _strings(raw, "tags", where))
    if any(not t for t in tags):
        raise ConfigError(f"{where}: tags must not be empty")
    if len({t.casefold() for t in tags}) != len(tags):
        raise ConfigError(f"{where}: a tag is listed twice (tags match case-insensitively)")
    groups = _strings(raw, "groups", where)
    if len(set(groups)) != len(groups):
        raise ConfigError(f"{where}: a group is listed twice in 'groups'")
    chosen = {key: tuple(dict.fromkeys(u for u in _strings(raw, key, where) if u))
              for key in ("featured", "include", "exclude")}
    both = set(chosen["include"]) & set(chosen["exclude"])
    if both:
        raise ConfigError(f"{where}: event {sorted(both)[0]!r} is both included and excluded")
    return WeekSpec(slug=slug, name=_text(raw, "name", where, required=True), start=start, end=end,
                    tags=tags, description=_text(raw, "description", where), groups=groups, **chosen)


def _day(value: object, key: str, where: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ConfigError(f"{where}: {key!r} must be a date like 2026-12-05 (no quotes, no time), "
                          f"not {value!r}")
    return value
