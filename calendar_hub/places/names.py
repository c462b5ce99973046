"""Places' names in the language a page is written in: "Cardiff" is "Caerdydd" on a Welsh page.

The names come from `data/welsh_names.tsv` (compiled by hand: the gazetteer's English name, then the Welsh).
A name that is also a place outside Wales ("Newport", "Bangor") is given in Welsh only when the caller says the
place is in Wales (`region="Wales"`): Newport on the Isle of Wight keeps its name.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

__all__ = ["WELSH_NAMES", "local_name", "welsh_names"]

WELSH_NAMES = Path(__file__).parent / "data" / "welsh_names.tsv"
_TOWNS = Path(__file__).parent / "data" / "towns.tsv"


@functools.cache
def welsh_names() -> dict[str, str]:
    """English name -> Welsh name, as the data file has them."""
    with WELSH_NAMES.open(encoding="utf-8", newline="") as file:
        rows = csv.DictReader((line for line in file if not line.startswith("#")), delimiter="\t")
        return {row["name"]: row["welsh"] for row in rows}


@functools.cache
def _also_outside_wales() -> frozenset[str]:
    """The names in `welsh_names` that the gazetteer also has for a town outside Wales."""
    wanted = welsh_names()
    with _TOWNS.open(encoding="utf-8", newline="") as file:
        return frozenset(row["name"] for row in csv.DictReader(file, delimiter="\t")
                         if row["name"] in wanted and row["nation"] != "Wales")


def local_name(name: str, language: str, *, region: str | None = None) -> str:
    """`name` as `language` ("en", "cy") writes it: the Welsh name in Welsh when there is one, else `name`.

    `region` is the place's region ("Wales", "North West"), when known; a name shared with places outside Wales is
    only given in Welsh with `region="Wales"`.
    """
    if language != "cy":
        return name
    welsh = welsh_names().get(name)
    if welsh is None:
        return name
    if name in _also_outside_wales() and region != "Wales":
        return name
    return welsh
