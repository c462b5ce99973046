"""Finding events by words and by tag: an index of one catalogue's listings, built once, on its first search.

A search is words: each must match (AND), case- and accent-insensitively ("cafe" finds "Café", "ysgol" finds
"Ysgol"), a word of the event that starts with it ("class" finds "classes"), in its title, description (the
text, not the HTML), place or the names of its groups.  Results come in time order; `ranked` puts those whose
title holds every word first.  A query that ends "in <place>" or "near <place>" names where, not what:
`place_phrase` splits it off, for the caller to resolve in the gazetteer.

Tags are those the catalogue matches weeks by (`weeks.selectors`: categories and #hashtags, normalised).
Nothing here runs SQL or reads the clock.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from array import array
from collections.abc import Sequence

from calendar_hub.catalogue.listing import Listing
from calendar_hub.catalogue.weeks import normalise_tag, selectors

__all__ = ["MAX_QUERY", "MAX_WORDS", "SearchIndex", "fold", "place_phrase", "query_words", "tags_of"]

MAX_QUERY = 200        # characters of a query read; the rest is left out
MAX_WORDS = 12         # words of a query read
DESCRIPTION_READ = 4000  # characters of a description indexed: past that it is the small print
_MARKS = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_WORD = re.compile(r"\w+")
_PLACE = re.compile(r"^(?:(?P<what>.*)\s)?(?:in|near|yn|ger)\s+(?P<where>\S.*)$", re.IGNORECASE | re.DOTALL)


def fold(text: str) -> str:
    """`text` without case or accents, for comparing: "Café Ŵyl" -> "cafe wyl"."""
    return _MARKS.sub("", unicodedata.normalize("NFKD", text)).casefold()


def query_words(text: str) -> tuple[str, ...]:
    """The words of a query, folded, each once, in order, at most `MAX_WORDS`: "Café, CAFE talk" -> ("cafe", "talk")."""
    return tuple(dict.fromkeys(_WORD.findall(fold(text[:MAX_QUERY]))))[:MAX_WORDS]


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


def _words(listing: Listing) -> set[str]:
    text = " ".join((listing.title, listing.description_text[:DESCRIPTION_READ], listing.location, listing.town,
                     *(group.name for group in listing.groups)))
    return set(_WORD.findall(fold(text)))


class SearchIndex:
    """Every word and tag of `listings` (in the catalogue's time order) with the positions of the listings holding
    it: a search costs a few bisections and set operations, not a pass over every event's text."""

    def __init__(self, listings: Sequence[Listing]) -> None:
        self.listings = listings
        postings: dict[str, array[int]] = {}
        tagged: dict[str, array[int]] = {}
        titles: list[frozenset[str]] = []
        for position, item in enumerate(listings):
            for word in _words(item):
                found = postings.get(word)
                if found is None:
                    found = postings[word] = array("I")
                found.append(position)
            for tag in tags_of(item):
                found = tagged.get(tag)
                if found is None:
                    found = tagged[tag] = array("I")
                found.append(position)
            titles.append(frozenset(_WORD.findall(fold(item.title))))
        self._vocabulary = sorted(postings)
        self._postings = [postings[word] for word in self._vocabulary]
        self._tags = tagged
        self._titles = titles
        self._position = {id(item): position for position, item in enumerate(listings)}

    def _holding(self, word: str) -> set[int]:
        """The positions of the listings with a word that starts with `word`."""
        first = bisect.bisect_left(self._vocabulary, word)
        found: set[int] = set()
        for index in range(first, len(self._vocabulary)):
            if not self._vocabulary[index].startswith(word):
                break
            found.update(self._postings[index])
        return found

    def positions(self, words: Sequence[str] = (), tag: str | None = None) -> list[int]:
        """The positions (in time order) of the listings matching every word (see `query_words`) and `tag`."""
        chosen: set[int] | None = None
        if tag is not None:
            chosen = set(self._tags.get(normalise_tag(tag), ()))
        for word in sorted(words, key=len, reverse=True):  # the longest words usually match the fewest
            if chosen is not None and not chosen:
                break
            holding = self._holding(word)
            chosen = holding if chosen is None else chosen & holding
        return sorted(chosen) if chosen is not None else list(range(len(self.listings)))

    def select(self, words: Sequence[str] = (), tag: str | None = None) -> list[Listing]:
        """The listings matching every word and `tag`, in time order."""
        return [self.listings[position] for position in self.positions(words, tag)]

    def title_holds(self, listing_position: int, words: Sequence[str]) -> bool:
        """Whether the title of the listing at `listing_position` has a word starting with each of `words`."""
        title = self._titles[listing_position]
        return all(any(have.startswith(word) for have in title) for word in words)

    def ranked(self, words: Sequence[str], candidates: Sequence[Listing]) -> list[Listing]:
        """`candidates` (matching listings, in time order) with those whose title holds every word first."""
        if not words:
            return list(candidates)
        in_title = [item for item in candidates if self.title_holds(self._position[id(item)], words)]
        chosen = {id(item) for item in in_title}
        return in_title + [item for item in candidates if id(item) not in chosen]

    def tags(self) -> dict[str, Sequence[int]]:
        """Every tag in use, with the positions of the listings carrying it (in time order)."""
        return dict(self._tags)

    def has_tag(self, tag: str) -> bool:
        """Whether any listing carries `tag` (normalised as the catalogue does)."""
        return normalise_tag(tag) in self._tags
