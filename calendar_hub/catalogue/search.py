"""Finding events by words and by tag: an index of one catalogue's listings, built once, on its first search.

A search is words: each must match (AND), case- and accent-insensitively ("cafe" finds "Café", "ysgol" finds
"Ysgol"), a word of the event that starts with it ("class" finds "classes"), in its title, description (the
text, not the HTML), place or the names of its groups (a query word of one or two letters must be a whole
word).  Results come in time order; `ranked` puts those whose
title holds every word first.  A query that ends "in <place>" or "near <place>" names where, not what:
`place_phrase` splits it off, for the caller to resolve in the gazetteer.

Tags are those the catalogue matches weeks by (`weeks.selectors`: categories and #hashtags, normalised).
Nothing here runs SQL or reads the clock.
"""

from __future__ import annotations

import bisect
import gc
import re
import unicodedata
from array import array
from collections.abc import Sequence

from calendar_hub.catalogue.listing import Listing
from calendar_hub.catalogue.weeks import normalise_tag, selectors

__all__ = ["MAX_QUERY", "MAX_WORDS", "PREFIX_FROM", "SearchIndex", "fold", "place_phrase", "query_words", "singular",
           "tags_of"]

MAX_QUERY = 200        # characters of a query read; the rest is left out
MAX_WORDS = 12         # words of a query read
PREFIX_FROM = 3        # a query word this long or longer finds the words starting with it ("class": "classes")
DESCRIPTION_READ = 4000  # characters of a description indexed: past that it is the small print
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_WORD = re.compile(r"\w+")
_PLACE = re.compile(r"^(?:(?P<what>.*)\s)?(?:in|near|yn|ger)\s+(?P<where>\S.*)$", re.IGNORECASE | re.DOTALL)


def fold(text: str) -> str:
    """`text` without case or accents, for comparing: "Café Ŵyl" -> "cafe wyl"."""
    if text.isascii():
        return text.lower()
    return _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def query_words(text: str) -> tuple[str, ...]:
    """The words of a query, folded, each once, in order, at most `MAX_WORDS`: "Café, CAFE talk" -> ("cafe", "talk")."""
    return tuple(dict.fromkeys(_WORD.findall(fold(text[:MAX_QUERY]))))[:MAX_WORDS]


def singular(word: str) -> str:
    """An English plural's singular, roughly, for matching word beginnings: "classes" -> "class", "walks" ->
    "walk", "dances" -> "dance"; other words as they are ("class", "bus", "cymraeg")."""
    if len(word) > PREFIX_FROM + 2 and word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if len(word) > PREFIX_FROM and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def place_phrase(text: str) -> tuple[str, str] | None:
    """(the words before, the place) when a query ends "in <place>" or "near <place>" (Welsh "yn", "ger"):
    "English classes in Leeds" -> ("English classes", "Leeds"); None when it does not.

    The last such word counts ("Food in the park in Leeds" -> ("Food in the park", "Leeds")): the caller
    resolves the place and, when the gazetteer does not know it, searches for every word instead.
    """
    found = _PLACE.match(" ".join(text[:MAX_QUERY].split()))
    if found is None:
        return None
    return (found.group("what") or "").strip(" ,"), found.group("where").strip(" ,.")


def tags_of(listing: Listing) -> frozenset[str]:
    """The tags a listing carries, as the catalogue matches weeks by them."""
    return selectors(listing.title, listing.description_text, listing.categories)


def _read(listing: Listing) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(every word, the title's words, the tags) of a listing."""
    title = frozenset(_WORD.findall(fold(listing.title)))
    rest = " ".join((listing.description_text[:DESCRIPTION_READ], listing.location, listing.town,
                     *(group.name for group in listing.groups)))
    return title | frozenset(_WORD.findall(fold(rest))), title, tags_of(listing)


class _Postings:
    """Words, sorted, each with the positions (ascending) of the listings holding it."""

    def __init__(self, postings: dict[str, array[int]]) -> None:
        self.vocabulary = sorted(postings)
        self.positions = [postings[word] for word in self.vocabulary]

    def holding(self, word: str) -> set[int]:
        """The positions of the listings with a word that starts with `word` (that is `word`, when it is shorter
        than `PREFIX_FROM`: "a" would otherwise be half the vocabulary)."""
        first = bisect.bisect_left(self.vocabulary, word)
        if len(word) < PREFIX_FROM:
            found = first < len(self.vocabulary) and self.vocabulary[first] == word
            return set(self.positions[first]) if found else set()
        held: set[int] = set()
        one = singular(word)  # "classes" finds "class" too (the word itself, not "classic"), and "walks" "walk"
        if one != word:
            at = bisect.bisect_left(self.vocabulary, one)
            if at < len(self.vocabulary) and self.vocabulary[at] == one:
                held.update(self.positions[at])
        for index in range(first, len(self.vocabulary)):
            if not self.vocabulary[index].startswith(word):
                break
            held.update(self.positions[index])
        return held

    def matching(self, words: Sequence[str], within: set[int] | None = None) -> set[int] | None:
        """The positions holding every one of `words` (and in `within`); None when there are no words nor `within`."""
        chosen = within
        for word in sorted(words, key=len, reverse=True):  # the longest words usually match the fewest
            if chosen is not None and not chosen:
                break
            held = self.holding(word)
            chosen = held if chosen is None else chosen & held
        return chosen


def _add(postings: dict[str, array[int]], words: frozenset[str], position: int) -> None:
    for word in words:
        found = postings.get(word)
        if found is None:
            found = postings[word] = array("I")
        found.append(position)


class SearchIndex:
    """Every word and tag of `listings` (in the catalogue's time order) with the positions of the listings holding
    it: a search costs a few bisections and set operations, not a pass over every event's text."""

    def __init__(self, listings: Sequence[Listing]) -> None:
        self.listings = listings
        # Millions of small objects and nothing cyclic: the collector's passes over them would double the time.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._build(listings)
        finally:
            if collecting:
                gc.enable()

    def _build(self, listings: Sequence[Listing]) -> None:
        words: dict[str, array[int]] = {}
        titles: dict[str, array[int]] = {}
        tagged: dict[str, array[int]] = {}
        read: dict[tuple[object, ...], tuple[frozenset[str], frozenset[str], frozenset[str]]] = {}
        for position, item in enumerate(listings):
            # A series' occurrences share their words: each text is read once.
            key = (item.title, item.description_text, item.location, item.town, item.groups, item.categories)
            found = read.get(key)
            if found is None:
                found = read[key] = _read(item)
            _add(words, found[0], position)
            _add(titles, found[1], position)
            _add(tagged, found[2], position)
        self._words = _Postings(words)
        self._titles = _Postings(titles)
        self._tags = tagged
        self._position = {id(item): position for position, item in enumerate(listings)}

    def positions(self, words: Sequence[str] = (), tag: str | None = None) -> list[int]:
        """The positions (in time order) of the listings matching every word (see `query_words`) and `tag`."""
        within = set(self._tags.get(normalise_tag(tag), ())) if tag is not None else None
        chosen = self._words.matching(words, within)
        return sorted(chosen) if chosen is not None else list(range(len(self.listings)))

    def select(self, words: Sequence[str] = (), tag: str | None = None) -> list[Listing]:
        """The listings matching every word and `tag`, in time order."""
        return [self.listings[position] for position in self.positions(words, tag)]

    def ranked(self, words: Sequence[str], candidates: Sequence[Listing]) -> list[Listing]:
        """`candidates` (matching listings of this index, in time order) with those whose title holds every word
        first, each part still in time order."""
        in_title = self._titles.matching(words) if words else None
        if not in_title:
            return list(candidates)
        first = [item for item in candidates if self._position[id(item)] in in_title]
        rest = [item for item in candidates if self._position[id(item)] not in in_title]
        return first + rest

    def tags(self) -> dict[str, Sequence[int]]:
        """Every tag in use, with the positions of the listings carrying it (in time order)."""
        return dict(self._tags)

    def has_tag(self, tag: str) -> bool:
        """Whether any listing carries `tag` (normalised as the catalogue does)."""
        return normalise_tag(tag) in self._tags
