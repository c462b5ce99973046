"""The offline place data shipped in `places/data/`: postcode sectors and outward codes, local
authorities, and a gazetteer of UK and Irish places.  Read once per process, on first use.

The files are built by `scripts/build_places.py` from GeoNames and the ONS Postcode Directory, except
`bt_districts.tsv`, the small table of Northern Ireland's postcode districts and their post towns
(see the data folder's README).
"""

from __future__ import annotations

import csv
import functools
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

DATA = Path(__file__).parent / "data"
EARTH_KM = 6371.0088


@dataclass(frozen=True, slots=True)
class Area:
    """A local authority: its name, nation and region (ITL1), and the centre of its postcodes."""

    code: str
    name: str
    nation: str
    region: str
    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True, slots=True)
class PostcodeArea:
    """A postcode sector ("M2 5") or outward code ("M2"): its centroid, spread, authority and town."""

    key: str
    lat: float
    lon: float
    radius_km: float
    area: str
    town: str


@dataclass(frozen=True, slots=True)
class Town:
    """A gazetteer entry: a GeoNames place, or a local authority known by name (a London borough)."""

    name: str
    lat: float
    lon: float
    population: int
    nation: str
    area: str
    radius_km: float
    alias: bool = False   # matched by one of its other names ("Caerdydd"), not its main one


_Point = TypeVar("_Point", PostcodeArea, Town)


class PlaceData:
    """Lookups over the shipped files: by postcode key, by folded name, and by nearest sector."""

    def __init__(self, folder: Path = DATA) -> None:
        self.areas: dict[str, Area] = {}
        for row in _rows(folder / "areas.tsv"):
            self.areas[row[0]] = Area(row[0], row[1], row[2], row[3], float(row[4]), float(row[5]), float(row[6]))
        self.postcodes: dict[str, PostcodeArea] = {}
        for row in _rows(folder / "postcodes.tsv"):
            self.postcodes[row[0]] = PostcodeArea(row[0], float(row[1]), float(row[2]), float(row[3]), row[4],
                                                  row[5])
        names: dict[str, list[Town]] = defaultdict(list)
        for row in _rows(folder / "towns.tsv"):
            population = int(row[3])
            town = Town(row[0], float(row[1]), float(row[2]), population, row[5], row[6],
                        town_radius(population))
            names[fold(row[0])].append(town)
            alias = Town(town.name, town.lat, town.lon, population, town.nation, town.area, town.radius_km, True)
            for other in filter(None, row[7].split("|")):
                key = fold(other)
                if key and key != fold(row[0]):
                    names[key].append(alias)
        for area in self.areas.values():  # boroughs and districts GeoNames lacks: "Lewisham", "Tower Hamlets"
            for name in area_names(area.name):
                names[fold(name)].append(Town(area.name, area.lat, area.lon, 0, area.nation, area.code,
                                              area.radius_km))
        self.names = dict(names)
        self.areas.setdefault(NORTHERN_IRELAND.code, NORTHERN_IRELAND)
        for district in bt_districts(folder / "bt_districts.tsv", self.names):
            self.postcodes.setdefault(district.key, district)
        self._sectors: dict[tuple[int, int], list[PostcodeArea]] = defaultdict(list)
        for entry in self.postcodes.values():
            if " " in entry.key:  # sectors only: the finer grid
                self._sectors[cell(entry.lat, entry.lon)].append(entry)
        self._towns: dict[tuple[int, int], list[Town]] = defaultdict(list)
        for towns in names.values():
            for town in towns:
                if not town.alias and town.population >= 1000:
                    self._towns[cell(town.lat, town.lon)].append(town)

    def nearest_sector(self, lat: float, lon: float, within_km: float = 15.0) -> PostcodeArea | None:
        """The postcode sector whose centre is nearest to the point, if one is within `within_km`."""
        return _nearest(self._sectors, lat, lon, within_km)

    def nearest_town(self, lat: float, lon: float, within_km: float = 25.0) -> Town | None:
        """The gazetteer place of 1,000 people or more nearest to the point (for Northern Ireland and Ireland)."""
        return _nearest(self._towns, lat, lon, within_km)


# Northern Ireland as one area: its postcode districts (BT1..BT94) are placed at their post town, not by ONS data.
NORTHERN_IRELAND = Area("N92000002", "Northern Ireland", "Northern Ireland", "Northern Ireland", 54.61, -6.63, 60.0)


def bt_districts(path: Path, names: dict[str, list[Town]]) -> list[PostcodeArea]:
    """Northern Ireland's outward codes ("BT14"), each at the gazetteer place its row names (`placed_at`,
    the largest Northern Irish place of that name), with its post town; rows whose place is missing are skipped."""
    found = []
    for district, post_town, placed_at, radius in _rows(path) if path.exists() else []:
        towns = [t for t in names.get(fold(placed_at), []) if t.nation == "Northern Ireland"]
        if towns:
            town = max(towns, key=lambda t: (not t.alias, t.population))
            found.append(PostcodeArea(district, town.lat, town.lon, float(radius), NORTHERN_IRELAND.code, post_town))
    return found


CELL_KM = 5.5  # a grid cell is a tenth of a degree: at least 5.5 km of longitude up to 60°N, 11 km of latitude


def cell(lat: float, lon: float) -> tuple[int, int]:
    """The grid cell of a point (floor, so cells either side of the meridian do not merge)."""
    return math.floor(lat * 10), math.floor(lon * 10)


def _nearest(grid: dict[tuple[int, int], list[_Point]], lat: float, lon: float, within_km: float) -> _Point | None:
    """The point nearest to (lat, lon) within `within_km`, searching rings of cells outwards.

    After ring k every unsearched point is at least k cells, so k * CELL_KM, away: the search stops
    as soon as the best found is nearer than that.  Distances are equirectangular, well within 1%
    of the great circle over these few kilometres.
    """
    row, col = cell(lat, lon)
    east = math.cos(math.radians(lat)) * 111.32
    best, best_km = None, within_km
    for ring in range(int(within_km / CELL_KM) + 2):
        for r in range(row - ring, row + ring + 1):
            edge = abs(r - row) == ring
            for c in range(col - ring, col + ring + 1) if edge else (col - ring, col + ring):
                for entry in grid.get((r, c), ()):
                    distance = math.hypot((entry.lat - lat) * 110.57, (entry.lon - lon) * east)
                    if distance <= best_km:
                        best, best_km = entry, distance
        if best is not None and best_km <= ring * CELL_KM:
            break
    return best


@functools.cache
def place_data() -> PlaceData:
    """The shipped place data, read on first use and kept for the life of the process."""
    return PlaceData()


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        next(reader)
        return list(reader)


def area_names(name: str) -> list[str]:
    """The names people use for an authority: 'City of Edinburgh' -> also 'Edinburgh'; 'Glasgow City' -> 'Glasgow'."""
    found = [name]
    for prefix in ("City of ", "County of ", "London Borough of ", "Royal Borough of "):
        if name.startswith(prefix):
            found.append(name[len(prefix):])
    if name.endswith(" City"):
        found.append(name[:-5])
    return found


def town_radius(population: int) -> float:
    """A rough radius for a town of this size: 1 km for a village, about 5 km for Manchester, 20 for London."""
    return max(1.0, round(math.sqrt(population) / 150, 1))


_NOT_WORD = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """A name as compared: accents and case dropped, "St." and "Saint" one, punctuation as spaces."""
    text = unicodedata.normalize("NFKD", text.replace("&", " and "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().replace("'", "")
    words = _NOT_WORD.sub(" ", text).split()
    return " ".join("st" if word == "saint" else word for word in words)


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (haversine on the mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(min(a, 1.0)))
