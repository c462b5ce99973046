"""A week of action's share card: a 1200x630 PNG (the Open Graph size) with the site's name, the week's name,
dates and figures, and a small map, drawn from the data with Pillow.

The map is the UK drawn as light dots, one per postcode sector centre in the place data, with the week's
event places over it in the accent colour: no tiles, no network, the same picture on every machine.  The
words are in the current language (`calendar_hub.language`).  Bytes out; nothing here knows about the web.
"""

from __future__ import annotations

import dataclasses
import functools
import io
from collections.abc import Sequence
from pathlib import Path

from babel.dates import format_date
from PIL import Image, ImageDraw, ImageFont

from calendar_hub import language
from calendar_hub.catalogue import WeekInfo
from calendar_hub.catalogue.counts import in_words, taking_part, tally
from calendar_hub.catalogue.listing import Listing
from calendar_hub.places.data import place_data

__all__ = ["HEIGHT", "WIDTH", "week_card"]

WIDTH, HEIGHT = 1200, 630
BACKGROUND = (16, 52, 64)
TEXT = (255, 255, 255)
SOFT = (190, 214, 220)
LAND = (64, 104, 116)
ACCENT = (255, 196, 61)
# The map's box: the UK from Shetland to the Scillies, Northern Ireland to Kent.
WEST, EAST, SOUTH, NORTH = -8.3, 1.9, 49.85, 60.9
MAP_BOX = (800, 30, 1170, 600)
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core, when installed


@functools.cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans when the system has it (it has every Welsh letter: ŵ, ŷ), else Pillow's own scalable font."""
    path = DEJAVU / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _project(lat: float, lon: float) -> tuple[float, float]:
    """A point in the map's box: longitudes squeezed by the cosine of 55°N, so Britain keeps its shape."""
    left, top, right, bottom = MAP_BOX
    span_x, span_y = (EAST - WEST) * 0.574, NORTH - SOUTH
    scale = min((right - left) / span_x, (bottom - top) / span_y)
    x = left + (lon - WEST) * 0.574 * scale
    y = top + (NORTH - lat) * scale
    return x, y


@functools.cache
def _land() -> Image.Image:
    """The card's background with the UK as dots: drawn once per process (about 11,000 sector centres)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    data = place_data()
    points = [(entry.lat, entry.lon) for key, entry in data.postcodes.items() if " " in key]
    # Northern Ireland's postcodes are placed by district, not sector: its towns draw it instead.
    points += [(town.lat, town.lon) for towns in data.names.values() for town in towns
               if town.nation == "Northern Ireland" and not town.alias]
    for lat, lon in points:
        if WEST <= lon <= EAST and SOUTH <= lat <= NORTH:
            x, y = _project(lat, lon)
            draw.ellipse((x - 1.2, y - 1.2, x + 1.2, y + 1.2), fill=LAND)
    return image


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int,
          lines: int) -> list[str]:
    """`text` in at most `lines` lines no wider than `width`, the last cut with an ellipsis if need be."""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines:
        line = words.pop(0)
        while words and draw.textlength(f"{line} {words[0]}", font=font) <= width:
            line += " " + words.pop(0)
        out.append(line)
    if words and out:
        last = out[-1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1]
        out[-1] = last.rstrip() + "…"
    return out


def week_card(site_name: str, week: WeekInfo, listings: Sequence[Listing]) -> bytes:
    """The PNG share card of `week` from its `listings`, titled with `site_name`, in the current language."""
    image = _land().copy()
    draw = ImageDraw.Draw(image)
    for item in listings:
        if item.lat is not None and item.lon is not None and not item.cancelled:
            x, y = _project(item.lat, item.lon)
            draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=ACCENT, outline=BACKGROUND, width=2)
    left, width = 60, 700
    draw.rectangle((0, 0, 16, HEIGHT), fill=ACCENT)
    draw.text((left, 56), site_name, font=_font(32, bold=True), fill=ACCENT)
    y = 130
    for line in _wrap(draw, week.name, _font(64, bold=True), width, 3):
        draw.text((left, y), line, font=_font(64, bold=True), fill=TEXT)
        y += 78
    locale = language.babel_locale()
    dates = (format_date(week.start, format="EEEE d MMMM", locale=locale) + " – "
             + format_date(week.end, format="EEEE d MMMM y", locale=locale))
    draw.text((left, y + 14), dates, font=_font(26), fill=SOFT)  # Welsh dates run longest: they fit at 26
    active, named = taking_part(listings, week.groups)
    # A card is an invitation: the cancelled count, which the page gives for the record, is left off it.
    figures = in_words(dataclasses.replace(tally(listings), cancelled=0), len(active) + len(named))
    y += 84
    for line in _wrap(draw, figures, _font(36, bold=True), width, 3):
        draw.text((left, y), line, font=_font(36, bold=True), fill=TEXT)
        y += 48
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
