"""Finding events by words and by tag: an index of a catalogue's listings, built on its first search and then
carried over each update of the catalogue (`SearchIndex.updated`: the words of the listings changed, not all).

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
import copy
import gc
import itertools
import re
import threading
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence

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


Read = tuple[frozenset[str], frozenset[str], frozenset[str]]   # every word, the title's words, the tags
Touched = dict[str, list[int]]   # word -> the slots (ascending) to take out of, or put in, its postings


def _read(listing: Listing) -> Read:
    """(every word, the title's words, the tags) of a listing."""
    title = frozenset(_WORD.findall(fold(listing.title)))
    rest = " ".join((listing.description_text[:DESCRIPTION_READ], listing.location, listing.town,
                     *(group.name for group in listing.groups)))
    return title | frozenset(_WORD.findall(fold(rest))), title, tags_of(listing)


class _Postings:
    """Words, sorted, each with the slots (ascending) of the listings holding it (see `SearchIndex`)."""

    def __init__(self, postings: dict[str, array[int]], vocabulary: list[str] | None = None) -> None:
        self.postings = postings
        self.vocabulary = sorted(postings) if vocabulary is None else vocabulary

    def holding(self, word: str) -> set[int]:
        """The slots of the listings with a word that starts with `word` (that is `word`, when it is shorter
        than `PREFIX_FROM`: "a" would otherwise be half the vocabulary)."""
        postings = self.postings
        if len(word) < PREFIX_FROM:
            return set(postings.get(word, ()))
        held: set[int] = set()
        one = singular(word)  # "classes" finds "class" too (the word itself, not "classic"), and "walks" "walk"
        if one != word:
            held.update(postings.get(one, ()))
        vocabulary = self.vocabulary
        for index in range(bisect.bisect_left(vocabulary, word), len(vocabulary)):
            if not vocabulary[index].startswith(word):
                break
            held.update(postings[vocabulary[index]])
        return held

    def matching(self, words: Sequence[str], within: set[int] | None = None) -> set[int] | None:
        """The slots holding every one of `words` (and in `within`); None when there are no words nor `within`."""
        chosen = within
        for word in sorted(words, key=len, reverse=True):  # the longest words usually match the fewest
            if chosen is not None and not chosen:
                break
            held = self.holding(word)
            chosen = held if chosen is None else chosen & held
        return chosen

    def revised(self, dropped: Touched, added: Touched) -> _Postings:
        """A copy with the slots `dropped` taken out of their words' postings and `added` put in; the arrays of
        the other words are shared, and this one is left as it was (other threads may be reading it)."""
        postings = dict(self.postings)
        gone, born = _revise(postings, dropped, added)
        vocabulary = self.vocabulary
        if gone:
            vocabulary = [word for word in vocabulary if word not in gone]
        if born:
            vocabulary = [*vocabulary, *sorted(born)]
            vocabulary.sort()   # two sorted runs: merged in one pass
        return _Postings(postings, vocabulary)


def _revise(postings: dict[str, array[int]], dropped: Touched, added: Touched) -> tuple[set[str], list[str]]:
    """Give the words `dropped` or `added` touch new arrays in `postings` (changed in place; the arrays it held
    are not): without the slots dropped (each held), with those added after (each above every slot held).
    Returns the words no listing holds any more, taken out, and the words that are new."""
    gone: set[str] = set()
    born: list[str] = []
    for word in dropped.keys() | added.keys():
        held = postings.get(word)
        if held is None:
            born.append(word)
            postings[word] = array("I", added[word])
            continue
        made = array("I")
        at = 0
        for slot in dropped.get(word, ()):
            cut = bisect.bisect_left(held, slot, lo=at)
            made.extend(held[at:cut])
            at = cut + 1
        made.extend(held[at:])
        made.extend(added.get(word, ()))
        if made:
            postings[word] = made
        else:
            del postings[word]
            gone.add(word)
    return gone, born


def _add(postings: dict[str, array[int]], words: frozenset[str], slot: int) -> None:
    for word in words:
        found = postings.get(word)
        if found is None:
            found = postings[word] = array("I")
        found.append(slot)


def _text_of(item: Listing) -> tuple[object, ...]:
    """What `_read` reads of a listing (a series' occurrences share it)."""
    return item.title, item.description_text, item.location, item.town, item.groups, item.categories


class SearchIndex:
    """Every word and tag of `listings` (in the catalogue's time order) with the slots of the listings holding it:
    a search costs a few bisections and set operations, not a pass over every event's text.

    A slot names a listing for as long as it is in the catalogue: in an index built whole it is the listing's
    position, and `updated` gives new listings new slots (above every other) and keeps the others', so that a
    change costs the postings of the words it touches, not a renumbering of all of them.  Positions are worked
    out from slots when a search asks (`_positions`, once per index).
    """

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
        read: dict[tuple[object, ...], Read] = {}
        for position, item in enumerate(listings):
            # A series' occurrences share their words: each text is read once.
            key = _text_of(item)
            found = read.get(key)
            if found is None:
                found = read[key] = _read(item)
            _add(words, found[0], position)
            _add(titles, found[1], position)
            _add(tagged, found[2], position)
        self._words = _Postings(words)
        self._titles = _Postings(titles)
        self._tags = tagged
        self._slot = {id(item): position for position, item in enumerate(listings)}
        self._slots = len(listings)                  # slots given so far: the next listing's is this
        self._identity = True                        # whether every slot is its listing's position
        self._at: dict[int, int] | None = None       # slot -> position, made by the first search that needs it
        self._at_lock = threading.Lock()

    def updated(self, listings: Sequence[Listing], removed: Iterable[Listing],
                added: Iterable[Listing]) -> SearchIndex:
        """The index of `listings`: those of this index without `removed`, with `added`.  Only the postings of
        the words and tags those hold are made again; this index is left as it was for those still reading it."""
        new = copy.copy(self)
        new.listings, new._at, new._at_lock = listings, None, threading.Lock()
        slot_of = new._slot = dict(self._slot)
        removed, added = list(removed), list(added)
        new._identity = self._identity and not removed and not added
        read: dict[tuple[object, ...], Read] = {}   # an event moved or made again keeps its text: read it once

        def words_of(item: Listing) -> Read:
            key = _text_of(item)
            found = read.get(key)
            if found is None:
                found = read[key] = _read(item)
            return found

        dropped: tuple[Touched, Touched, Touched] = (defaultdict(list), defaultdict(list), defaultdict(list))
        for item in removed:
            _touch(dropped, words_of(item), slot_of.pop(id(item)))
        for parts in dropped:
            for slots in parts.values():
                slots.sort()
        put: tuple[Touched, Touched, Touched] = (defaultdict(list), defaultdict(list), defaultdict(list))
        for item in added:
            slot_of[id(item)] = new._slots
            _touch(put, words_of(item), new._slots)
            new._slots += 1
        new._words = self._words.revised(dropped[0], put[0])
        new._titles = self._titles.revised(dropped[1], put[1])
        new._tags = dict(self._tags)
        _revise(new._tags, dropped[2], put[2])
        return new

    def _positions(self) -> dict[int, int] | None:
        """The position of each slot's listing, or None when slots are positions."""
        if self._at is None and not self._identity:
            with self._at_lock:
                if self._at is None:
                    # Iterated in C, not in Python: a third of the time of a loop over the listings.
                    self._at = dict(zip(map(self._slot.__getitem__, map(id, self.listings)), itertools.count(),
                                        strict=False))
        return self._at

    def positions(self, words: Sequence[str] = (), tag: str | None = None) -> list[int]:
        """The positions (in time order) of the listings matching every word (see `query_words`) and `tag`."""
        within = set(self._tags.get(normalise_tag(tag), ())) if tag is not None else None
        chosen = self._words.matching(words, within)
        if chosen is None:
            return list(range(len(self.listings)))
        at = self._positions()
        return sorted(chosen) if at is None else sorted(map(at.__getitem__, chosen))

    def select(self, words: Sequence[str] = (), tag: str | None = None) -> list[Listing]:
        """The listings matching every word and `tag`, in time order."""
        return [self.listings[position] for position in self.positions(words, tag)]

    def ranked(self, words: Sequence[str], candidates: Sequence[Listing]) -> list[Listing]:
        """`candidates` (matching listings of this index, in time order) with those whose title holds every word
        first, each part still in time order."""
        in_title = self._titles.matching(words) if words else None
        if not in_title:
            return list(candidates)
        slot_of = self._slot
        first = [item for item in candidates if slot_of[id(item)] in in_title]
        rest = [item for item in candidates if slot_of[id(item)] not in in_title]
        return first + rest

    def tags(self) -> dict[str, Sequence[int]]:
        """Every tag in use, with the positions of the listings carrying it (in time order)."""
        at = self._positions()
        if at is None:
            return dict(self._tags)
        return {tag: sorted(map(at.__getitem__, slots)) for tag, slots in self._tags.items()}

    def has_tag(self, tag: str) -> bool:
        """Whether any listing carries `tag` (normalised as the catalogue does)."""
        return normalise_tag(tag) in self._tags


def _touch(touched: tuple[Touched, Touched, Touched], read: Read, slot: int) -> None:
    for words, held in zip(read, touched, strict=True):
        for word in words:
            held[word].append(slot)
