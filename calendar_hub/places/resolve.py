"""Reading a LOCATION line as a place on the map, offline.

In order: a UK postcode (full, to its sector's centre; or an outward code alone), then a town,
city, borough or district named in the line, matched segment by segment against the shipped
gazetteer of the UK and Ireland (never a world-wide one: "Lewisham" is also in Australia).
An ambiguous name ("Newport", "Richmond", "Bangor", "St Ives") is settled by a broader name in the
same line, else by the group's home; without either it is placed at the likeliest and marked
approximate.  A name found only inside a venue's name ("Moss" in "Moss Side Library") counts, for a
group with a home, only when it lies within `FAR_KM` of that home.  Online and to-be-confirmed lines are
left unplaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from calendar_hub.places.data import PlaceData, PostcodeArea, Town, fold, km_between

NEAR_KM = 25.0           # a narrower name within this of a broader one refines it ("Aigburth, Liverpool")
CLEAR_LEAD = 10          # a name is unambiguous when its largest place is this many times the next
AREA_KM = 10.0           # placed within this radius counts as "area" precision; beyond, "approximate"
FAR_KM = 50.0            # a name found inside a venue's name further than this from the group's home is not read
BROAD_NATIONS = {"uk", "united kingdom", "great britain", "gb", "england", "scotland", "wales", "northern ireland",
                 "ireland", "britain", "cymru"}

# Words that are also place names ("Street", "Church", "March"): matched only as a whole segment.
COMMON_WORDS = frozenset(fold(word) for word in """
    street road lane hall church chapel centre center house room market station library park green hope march
    reading sale deal wells bath common cross bridge gate end field hill mill college school university
    square place court tower theatre online zoom hub north south east west central city town village
    new old high low upper lower great little bank garden gardens castle abbey cathedral museum gallery
    corner the community grove street centre island bay beach forest heath moor wood well ford mount
""".split())
# A line that starts by naming a way of meeting on the web ("Microsoft Teams meeting", "Webinar", "Zoom"),
# or that holds the address of a meeting service anywhere ("Join: https://meet.jit.si/..."), is online.
ONLINE_SERVICES = ("zoom", "microsoft teams", "ms teams", "teams", "google meet", "hangouts", "jitsi", "jitsi meet",
                   "webex", "cisco webex", "skype", "whereby", "gotomeeting", "goto meeting", "crowdcast", "discord",
                   "bigbluebutton", "big blue button", "facebook live", "youtube", "youtube live", "twitch")
ONLINE_WORDS = ("online", "on-line", "on line", "virtual", "virtually", "webinar", "web conference", "livestream",
                "live stream", "live-stream", "streamed", "streaming", "remote", "internet", "video call",
                "conference call")
ONLINE_ADDRESSES = (r"zoom\.us", r"zoom\.com", r"meet\.google\.com", r"teams\.microsoft\.com", r"teams\.live\.com",
                    r"meet\.jit\.si", r"jitsi\.", r"webex\.com", r"skype\.com", r"join\.skype", r"whereby\.com",
                    r"gotomeeting\.com", r"meet\.goto\.com", r"crowdcast\.io", r"discord\.gg", r"discord\.com",
                    r"youtube\.com/live", r"youtu\.be", r"facebook\.com/events/[^\s]*/live", r"twitch\.tv")
# ...unless the word begins the name of a street or a building: "Teams Lane", "Remote Road".
_NOT_A_STREET = r"(?!\s+(?:road|rd|lane|street|st|avenue|close|way|drive|house|hall|centre|center|farm|park)\b)"
ONLINE = re.compile(
    r"^\s*(?:(?:" + "|".join(re.escape(w) for w in ONLINE_WORDS) + r")\b" + _NOT_A_STREET +
    r"|(?:(?:via|on|by|using|over)\s+)?(?:" + "|".join(re.escape(s) for s in ONLINE_SERVICES) + r")\b"
    + _NOT_A_STREET + r")|" + "|".join(ONLINE_ADDRESSES), re.IGNORECASE)
UNKNOWN = re.compile(r"^\s*(tbc|tba|tbd|to be (confirmed|announced|decided)|various|see description|"
                     r"n/?a|none|unknown|location to follow|venue to follow)\b\W*$", re.IGNORECASE)
FULL_POSTCODE = re.compile(r"(?<![A-Z0-9])([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9])[A-Z]{2}(?![A-Z0-9])")
OUTWARD = re.compile(r"(?<![A-Za-z0-9-])([A-Z]{1,2}[0-9][A-Z0-9]?)\W*$")
NOT_BEFORE_OUTWARD = frozenset("room unit flat suite studio floor level block hall gate platform building lab "
                               "wing stage screen court plot bay the junction j near off via bus route no number "
                               "table desk seat zone area".split())
SEGMENTS = re.compile(r"\s*(?:[,;|/()\n\r\t]|\s-\s|\s–\s)\s*")
WORD = re.compile(r"[^\W\d_][\w'’.-]*", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Place:
    """Where an event is on the map, how it was placed and how far from the truth it may be.

    `placed_by`: "coordinates" (the feed gave them), "postcode", "town", "geocoder" or "group"
    (the group's home, when the line gives nothing better).  `label` is what was matched
    ("M2 5", "SE6", "Cardiff").  `radius_km` is the expected distance from the real place.
    """

    lat: float
    lon: float
    placed_by: str
    radius_km: float
    label: str = ""
    nation: str = ""
    region: str = ""
    town: str = ""
    ambiguous: bool = False

    @property
    def precision(self) -> str:
        """"exact", "area" (a postcode or town), or "approximate" (a group's home, a wide or ambiguous name)."""
        if self.placed_by == "coordinates":
            return "exact"
        if self.placed_by == "group" or self.ambiguous or self.radius_km > AREA_KM:
            return "approximate"
        return "area"

    def note(self) -> str:
        """How it was placed, in English words for the map's popups and the API (`translated_note` gives a
        page's language)."""
        within = WITHIN % {"km": f"{self.radius_km:.0f}" if self.radius_km >= 1.5 else "1"}
        if self.placed_by == "coordinates":
            return NOTES[0]
        if self.placed_by == "postcode":
            return NOTES[1] % {"label": self.label, "within": within}
        if self.placed_by == "geocoder":
            return NOTES[2] % {"within": within}
        if self.placed_by == "group":
            return NOTES[3] % {"label": self.label or self.town}
        if self.ambiguous:
            return NOTES[4] % {"label": self.label}
        return NOTES[5] % {"label": self.label, "within": within}


def N_(message: str) -> str:  # noqa: N802 (gettext's own name for it)
    """Marks `message` for the catalogue; it is translated where a page shows it (`translated_note`)."""
    return message


# How a place was found, as `Place.note` words it: the catalogue keeps the English, pages translate it.
NOTES = (
    N_("Exact place given by the group's calendar"),
    N_("Placed by its postcode (%(label)s), %(within)s"),
    N_("Placed by looking up its address, %(within)s"),
    N_("Approximate: the group's home, %(label)s"),
    N_("Approximate: there is more than one %(label)s; placed at the likeliest"),
    N_("Placed by the place name %(label)s, %(within)s"),
)
WITHIN = N_("within about %(km)s km")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)  # text, name, text, name, ..., text
    return re.compile("".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
                              for index, part in enumerate(parts)) + "$")


_NOTE_PATTERNS = tuple((template, _pattern(template)) for template in NOTES)
_WITHIN_PATTERN = _pattern(WITHIN)


def translated_note(note: str, gettext: Callable[[str], str]) -> str:
    """`note` (one of `Place.note`'s) in the language `gettext` gives; a note of another shape as it is."""
    for template, pattern in _NOTE_PATTERNS:
        found = pattern.match(note)
        if found is None:
            continue
        values = found.groupdict()
        if "within" in values and (km := _WITHIN_PATTERN.match(values["within"])) is not None:
            values["within"] = gettext(WITHIN) % km.groupdict()
        return gettext(template) % values
    return note


class Resolver:
    """Resolves location lines, postcodes and coordinates against one `PlaceData`."""

    def __init__(self, data: PlaceData) -> None:
        self.data = data

    def resolve(self, text: str, *, hint: Place | None = None) -> Place | None:
        """The place a location line names, or None (online, to be confirmed, or no known place in it)."""
        text = " ".join(text.split())
        if not text or online(text) or UNKNOWN.match(text):
            return None
        return self.postcode(text) or self.town(text, hint=hint)

    def postcode(self, text: str) -> Place | None:
        """A full postcode's sector, else an outward code ending a segment ("Lewisham Islamic Centre, SE6")."""
        for match in FULL_POSTCODE.finditer(text.upper()):
            outward, sector_digit = match.group(1), match.group(2)
            entry = self.data.postcodes.get(f"{outward} {sector_digit}") or self.data.postcodes.get(outward)
            if entry is not None:
                return self._from_postcode(entry)
        for segment in SEGMENTS.split(text):
            ending = OUTWARD.search(segment)
            if ending is None:
                continue
            before = segment[:ending.start()].split()
            if before and fold(before[-1]) in NOT_BEFORE_OUTWARD:
                continue  # "Room G1", "Unit B2", "the M6"
            entry = self.data.postcodes.get(ending.group(1))
            if entry is not None:
                return self._from_postcode(entry)
        return None

    def town(self, text: str, *, hint: Place | None = None) -> Place | None:
        """The most specific known place the line names, checked against broader names after it."""
        segments = [s for s in SEGMENTS.split(text) if s.strip()]
        whole: list[tuple[str, list[Town]]] = []
        parts: list[tuple[int, str, list[Town]]] = []
        for index, segment in enumerate(segments):
            key = fold(_strip_postcode(segment))
            if key in BROAD_NATIONS:
                continue
            found = self.data.names.get(key) or self.data.names.get(_strip_article(key))
            if found:
                whole.append((_strip_postcode(segment), found))
                continue
            for name, towns in self._names_within(segment):
                parts.append((index, name, towns))
        chosen: Place | None = None
        # Broadest (latest) first, each earlier name refining it when it lies close by.
        for label, towns in reversed(whole):
            anchor = chosen or hint
            town, ambiguous = pick(towns, near=anchor)
            if chosen is None:
                chosen = self._from_town(town, label, ambiguous=ambiguous and anchor is None)
            elif km_between(town.lat, town.lon, chosen.lat, chosen.lon) <= NEAR_KM + chosen.radius_km:
                chosen = self._from_town(town, label, ambiguous=False)
        if chosen is not None:
            return chosen
        if hint is not None:
            # A word inside a venue's name read as a town far from the group's home ("Moss Side" as Moss, near
            # Doncaster, for a Manchester group) is a misreading: only the readings near the home count, and
            # without one the line names no place the hub knows (its event goes to the home, approximate).
            parts = [p for p in parts if _distance(pick(p[2], near=hint)[0], hint) <= FAR_KM]
        if parts:
            # A name inside a segment ("Manchester Central Library"): the largest place, then the latest.
            index, label, towns = max(parts, key=lambda p: (max(t.population for t in p[2]) >= 20_000, p[0],
                                                            len(p[1]), max(t.population for t in p[2])))
            town, ambiguous = pick(towns, near=hint)
            return self._from_town(town, label, ambiguous=ambiguous and hint is None)
        return None

    def locate(self, lat: float, lon: float, *, placed_by: str = "coordinates", label: str = "") -> Place:
        """A point given as coordinates, with the nation, region and town of the nearest postcode sector."""
        entry = self.data.nearest_sector(lat, lon)
        radius = 0.05 if placed_by == "coordinates" else 1.0
        if entry is None:  # Northern Ireland and Ireland have no postcodes here: go by the nearest town
            town = self.data.nearest_town(lat, lon)
            if town is None:
                return Place(lat, lon, placed_by, radius, label=label)
            region = town.nation if town.nation != "England" else ""
            return Place(lat, lon, placed_by, radius, label=label, nation=town.nation, region=region, town=town.name)
        area = self.data.areas.get(entry.area)
        return Place(lat, lon, placed_by, radius, label=label, nation=area.nation if area else "",
                     region=area.region if area else "", town=entry.town)

    def _names_within(self, segment: str) -> list[tuple[str, list[Town]]]:
        """Capitalised runs of one to four words inside a segment that name a place and are not common words."""
        words = WORD.findall(segment)
        found = []
        for size in range(min(4, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                run = words[start:start + size]
                if not all(w[0].isupper() or w.casefold() in ("upon", "on", "le", "in", "under", "by", "de")
                           for w in run) or not run[0][0].isupper():
                    continue
                key = fold(" ".join(run))
                if size == 1 and (key in COMMON_WORDS or len(key) < 3):
                    continue
                if key in BROAD_NATIONS:
                    continue
                towns = [t for t in self.data.names.get(key, []) if not t.alias or t.population >= 1000]
                if towns:
                    found.append((" ".join(run), towns))
        return found

    def _from_postcode(self, entry: PostcodeArea) -> Place:
        area = self.data.areas.get(entry.area)
        return Place(entry.lat, entry.lon, "postcode", entry.radius_km, label=entry.key,
                     nation=area.nation if area else "", region=area.region if area else "", town=entry.town)

    def _from_town(self, town: Town, label: str, *, ambiguous: bool) -> Place:
        area = self.data.areas.get(town.area)
        nation = town.nation or (area.nation if area else "")
        region = area.region if area else (nation if nation in ("Northern Ireland", "Ireland", "Wales", "Scotland")
                                           else "")
        return Place(town.lat, town.lon, "town", town.radius_km, label=_tidy(label), nation=nation, region=region,
                     town=town.name, ambiguous=ambiguous)


def pick(towns: list[Town], *, near: Place | None) -> tuple[Town, bool]:
    """One of the places sharing a name, and whether the choice is a guess.

    With a nearby place to go by (a broader name in the line, the group's home), the closest;
    else the largest, which is a guess unless it is `CLEAR_LEAD` times the next in size or the
    others are all close to it (a town and its borough).
    """
    if len(towns) == 1:
        return towns[0], False
    if near is not None:
        return min(towns, key=lambda t: km_between(t.lat, t.lon, near.lat, near.lon)), False
    ranked = sorted(towns, key=lambda t: (t.alias, -t.population))
    top = ranked[0]
    rivals = [t for t in ranked[1:] if km_between(t.lat, t.lon, top.lat, top.lon) > NEAR_KM and t.population >= 1000]
    if not rivals:
        return top, False
    return top, top.population < CLEAR_LEAD * max(t.population for t in rivals)


def _distance(town: Town, place: Place) -> float:
    return km_between(town.lat, town.lon, place.lat, place.lon)


def online(text: str) -> bool:
    """Whether a location line says the event happens online (Zoom, Teams, a webinar, a web address alone).

    The hub's one test: the map, the API, the console's preview and the pages' JSON-LD all go by it.
    A line that also gives a full postcode is a place (a hybrid event's room), not online.
    """
    stripped = text.strip()
    if FULL_POSTCODE.search(stripped.upper()):
        return False
    return bool(ONLINE.search(stripped)) or bool(re.fullmatch(r"https?://\S+", stripped))


def _strip_postcode(segment: str) -> str:
    """'Manchester M2 5PD' -> 'Manchester'; 'London SE6' -> 'London'."""
    segment = FULL_POSTCODE.sub("", segment.upper() if segment.isupper() else segment)
    return OUTWARD.sub("", segment).strip() or segment


def _strip_article(key: str) -> str:
    return key[4:] if key.startswith("the ") else key


def _tidy(label: str) -> str:
    return " ".join(label.split()).strip(" .")
