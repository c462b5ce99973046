"""Writing a registry back as TOML: `write_registry` writes one `hub.toml`, `export_registry` does so with copies
of the local feed files beside it; both raise ConfigError.

The reading half, and the types, are `calendar_hub.registry`'s (which offers these two as well).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from calendar_hub.errors import ConfigError
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.site import Image, SiteSpec
from calendar_hub.states import Origin

__all__ = ["REGISTRY_FILE", "export_registry", "write_registry"]

REGISTRY_FILE = "hub.toml"


def write_registry(registry: Registry, folder: Path) -> None:
    """Write `registry` as `folder/hub.toml`; raises ConfigError if it could not be read back from there."""
    folder.mkdir(parents=True, exist_ok=True)
    others = sorted(p.name for p in folder.glob("*.toml") if p.name != REGISTRY_FILE)
    if others:
        raise ConfigError(f"{folder}: holds other registry files ({', '.join(others)}) "
                          "that would be read too")
    root = folder.resolve()
    out: list[str] = ["# Calendar Hub registry: groups, their feeds and the weeks of action.", ""]
    out += _site_toml(registry.site, folder)
    for g in registry.groups:
        out.append("[[group]]")
        out.append(f"slug = {_str(g.slug)}")
        out.append(f"name = {_str(g.name)}")
        for key, value in (("website", g.website), ("home", g.home), ("region", g.region)):
            if value:
                out.append(f"{key} = {_str(value)}")
        if g.lat is not None and g.lon is not None:
            out.append(f"lat = {float(g.lat)!r}")
            out.append(f"lon = {float(g.lon)!r}")
        if g.contact:
            out.append(f"contact = {_str(g.contact)}")
        if g.services:
            out.append("services = [" + ", ".join(_str(s) for s in g.services) + "]")
        if g.description:
            out.append(f"description = {_str(g.description)}")
        if g.areas:
            out.append("areas = [" + ", ".join(_str(a) for a in g.areas) + "]")
        feeds = [_feed_toml(f, root, g.slug) for f in g.feeds]
        out.append("feeds = [" + ", ".join(feeds) + "]")
        out.append("")
    for w in registry.weeks:
        out.append("[[week]]")
        out.append(f"slug = {_str(w.slug)}")
        out.append(f"name = {_str(w.name)}")
        out.append(f"start = {w.start.isoformat()}")
        out.append(f"end = {w.end.isoformat()}")
        out.append("tags = [" + ", ".join(_str(t) for t in w.tags) + "]")
        if w.description:
            out.append(f"description = {_str(w.description)}")
        for key, values in (("groups", w.groups), ("featured", w.featured), ("include", w.include),
                            ("exclude", w.exclude)):
            if values:
                out.append(f"{key} = [" + ", ".join(_str(v) for v in values) + "]")
        out.append("")
    (folder / REGISTRY_FILE).write_text("\n".join(out), encoding="utf-8")


def export_registry(registry: Registry, folder: Path) -> int:
    """Write `registry` as `folder/hub.toml`, copying each local feed file into `folder/feeds/<group>/`.

    Returns how many files were copied; raises ConfigError as `write_registry` does, or when a local
    feed file is missing.
    """
    copied = 0
    groups: list[GroupSpec] = []
    for group in registry.groups:
        feeds: list[FeedSpec] = []
        for feed in group.feeds:
            if urlsplit(feed.url).scheme == "file":
                source = Path(url2pathname(unquote(urlsplit(feed.url).path)))
                target = folder / "feeds" / group.slug / source.name
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, target)
                except OSError as e:
                    raise ConfigError(f"group {group.slug!r}: cannot copy local feed {source}: {e}") from e
                copied += 1
                feed = dataclasses.replace(feed, url=target.resolve().as_uri())
            feeds.append(feed)
        groups.append(dataclasses.replace(group, feeds=tuple(feeds)))
    write_registry(dataclasses.replace(registry, groups=tuple(groups)), folder)
    return copied


def _site_toml(site: SiteSpec, folder: Path) -> list[str]:
    """The `[hub]` table of `site` (nothing for the defaults), its images written to `folder/images/`."""
    if site == SiteSpec():
        return []

    def image(picture: Image) -> str:
        target = folder / "images" / picture.name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(picture.data)
        except OSError as e:
            raise ConfigError(f"cannot write the hub's image {target}: {e}") from e
        return _str(f"images/{picture.name}")

    out = ["[hub]"]
    for key, value in (("name", site.name), ("tagline", site.tagline), ("about", site.about),
                       ("contact", site.contact)):
        if value:
            out.append(f"{key} = {_str(value)}")
    for key, picture in (("logo", site.logo), ("share_image", site.share_image)):
        if picture is not None:
            out.append(f"{key} = {image(picture)}")
    if site.colours is not None:
        out += ["", "[hub.colours]", *(f"{key} = {_str(getattr(site.colours, key))}" for key in
                                      ("accent", "accent_text", "accent_dark", "accent_dark_text"))]
    for partner in site.partners:
        out += ["", "[[hub.partners]]", f"name = {_str(partner.name)}"]
        if partner.url:
            out.append(f"url = {_str(partner.url)}")
        if partner.logo is not None:
            out.append(f"logo = {image(partner.logo)}")
    for code, words in site.translations:
        out += ["", f"[hub.{code}]", *(f"{key} = {_str(value)}" for key, value in
                                      (("name", words.name), ("tagline", words.tagline), ("about", words.about))
                                      if value)]
    return [*out, ""]


def _str(value: str) -> str:
    """A TOML basic string (TOML 1.0 'String': escape quote, backslash and control characters)."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _feed_toml(feed: FeedSpec, root: Path, slug: str) -> str:
    url = feed.url
    if urlsplit(url).scheme == "file":
        local = Path(url2pathname(unquote(urlsplit(url).path))).resolve()
        if not local.is_relative_to(root):
            raise ConfigError(f"group {slug!r}: local feed {url} is outside {root}; "
                              "a registry can only name files inside its folder")
        url = local.relative_to(root).as_posix()
    keys = [f"url = {_str(url)}"]
    if feed.kind:
        keys.append(f"kind = {_str(feed.kind)}")
    if feed.private:
        keys.append("private = true")
    if feed.origin != Origin.REGISTRY:
        keys.append(f"origin = {_str(feed.origin)}")  # so that `load` keeps a web feed a web feed, guarded
    return "{ " + ", ".join(keys) + " }" if len(keys) > 1 else _str(url)
