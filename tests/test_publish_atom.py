"""The Atom publisher: parsed back with xml.etree and feedparser."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

import feedparser
import pytest

from calendar_hub.catalogue.listing import Listing
from calendar_hub.publish.atom import build_atom, when
from tests.factories import london, make_group, make_listing, many_listings

A = "{http://www.w3.org/2005/Atom}"
NOW = datetime(2026, 5, 3, 12, 0, tzinfo=UTC)
BASE = "https://hub.example.org"
HOSTILE = 'Café <script>alert("x")</script> "; ]]> &amp; a,b;c \\ back\nnew line 🏳️‍🌈'


def build(listings: list[Listing]) -> bytes:
    """The feed with fixed arguments."""
    return build_atom(listings, title="Great Green Week & friends", self_url=BASE + "/feed.atom",
                      base_url=BASE, now=NOW)


def entries(data: bytes) -> dict[str, ET.Element]:
    """Entries by atom:id."""
    root = ET.fromstring(data)
    return {e.findtext(A + "id", ""): e for e in root.iter(A + "entry")}


def test_feed_has_what_rfc4287_requires() -> None:
    root = ET.fromstring(build([make_listing()]))
    assert root.tag == A + "feed"
    assert root.findtext(A + "id") == BASE + "/feed.atom"
    assert root.findtext(A + "title") == "Great Green Week & friends"
    assert root.findtext(A + "updated") == "2026-05-03T12:00:00Z"
    links = {link.get("rel"): link.get("href") for link in root.iter(A + "link") if link in list(root)}
    assert links == {"self": BASE + "/feed.atom", "alternate": BASE}
    assert root.findtext(f"{A}author/{A}name") == "Great Green Week & friends"


def test_entry_fields() -> None:
    item = make_listing(groups=(make_group("a", "Alpha"), make_group("b", "Beta")))
    entry = entries(build([item]))["urn:uid:" + item.uid]
    assert entry.findtext(A + "title") == item.title
    assert entry.findtext(A + "published") == "2026-05-01T08:30:00Z"
    assert entry.findtext(A + "updated") == "2026-05-02T09:45:00Z"
    links = {link.get("rel"): link.get("href") for link in entry.iter(A + "link")}
    assert links == {"alternate": BASE + "/events/riverside-greens-litter-pick-20260613%40hub.example.org",
                     "related": item.url}   # the event's page on the hub, and the page its feed gave
    authors = [(a.findtext(A + "name"), a.findtext(A + "uri")) for a in entry.iter(A + "author")]
    assert authors == [("Alpha", BASE + "/groups/a"), ("Beta", BASE + "/groups/b")]
    assert [c.get("term") for c in entry.iter(A + "category")] == list(item.categories)
    summary = entry.find(A + "summary")
    assert summary is not None and summary.get("type") == "text"
    assert summary.text == (
        "Saturday 13 June 2026, 10:00 to 12:00 (BST)\n"
        "Where: Canal Basin, Wharf Road, Riverside RV1 2AB\n"
        "Organised by: Alpha, Beta\n\n"
        "Bring gloves. Tea afterwards."
    )


def test_entry_without_url_links_to_its_page_on_the_hub() -> None:
    entry = entries(build([make_listing(uid="x@calendar-hub", url="")]))["urn:uid:x@calendar-hub"]
    assert [(link.get("rel"), link.get("href")) for link in entry.iter(A + "link")] == [
        ("alternate", BASE + "/events/x%40calendar-hub")]


@pytest.mark.parametrize(
    ("listing", "words"),
    [
        (make_listing(start=london(2026, 6, 13, 10), end=london(2026, 6, 13, 12)),
         "Saturday 13 June 2026, 10:00 to 12:00 (BST)"),
        (make_listing(start=london(2026, 12, 3, 19, 30), end=london(2026, 12, 3, 21)),
         "Thursday 3 December 2026, 19:30 to 21:00 (GMT)"),
        (make_listing(start=london(2026, 12, 3, 20), end=london(2026, 12, 4, 0)),
         "Thursday 3 December 2026, 20:00 to 00:00 (GMT)"),
        # The night the clocks go back: 00:30 BST to 03:00 GMT.
        (make_listing(start=london(2026, 10, 25, 0, 30), end=london(2026, 10, 25, 3)),
         "Sunday 25 October 2026, 00:30 to 03:00 (BST to GMT)"),
        (make_listing(start=london(2026, 6, 13, 18), end=london(2026, 6, 14, 10)),
         "Saturday 13 June 2026, 18:00 to Sunday 14 June 2026, 10:00 (BST)"),
        (make_listing(all_day=True, start_date=date(2026, 6, 13), end_date=date(2026, 6, 14)),
         "Saturday 13 June 2026 (all day)"),
        (make_listing(all_day=True, start_date=date(2026, 10, 24), end_date=date(2026, 10, 26)),
         "Saturday 24 October 2026 to Sunday 25 October 2026 (all day)"),
    ],
)
def test_times_are_written_for_people_in_london(listing: Listing, words: str) -> None:
    assert when(listing) == words
    summary = entries(build([listing]))["urn:uid:" + listing.uid].findtext(A + "summary", "")
    assert summary.startswith(words)


def test_cancelled_is_said_in_the_title_and_summary() -> None:
    entry = entries(build([make_listing(uid="x", status="CANCELLED")]))["urn:uid:x"]
    assert entry.findtext(A + "title") == "CANCELLED: Litter pick on the towpath"
    assert entry.findtext(A + "summary", "").startswith("Cancelled. Was: Saturday 13 June 2026")


def test_hostile_text_is_escaped_and_survives() -> None:
    item = make_listing(
        uid="odd uid/<x>", title=HOSTILE + "\x00\x0b", description_text=HOSTILE, location=HOSTILE,
        categories=(HOSTILE,), groups=(make_group("g", HOSTILE),), url='https://example.org/?a=1&b="2"<',
    )
    data = build([item])
    assert b"<script>" not in data and b"]]>" not in data
    [entry] = entries(data).values()
    assert entry.findtext(A + "id") == "urn:uid:odd%20uid%2F%3Cx%3E"
    assert entry.findtext(A + "title") == HOSTILE
    assert {link.get("rel"): link.get("href") for link in entry.iter(A + "link")} == {
        "alternate": BASE + "/events/odd%20uid%2F%3Cx%3E", "related": item.url}
    assert entry.find(A + "category").get("term") == HOSTILE  # type: ignore[union-attr]
    assert entry.findtext(f"{A}author/{A}name") == HOSTILE
    assert HOSTILE in entry.findtext(A + "summary", "")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # feedparser's own sgmllib shim
def test_feedparser_reads_it_cleanly() -> None:
    items = [make_listing(uid="x", title=HOSTILE), make_listing(uid="y", status="CANCELLED")]
    parsed = feedparser.parse(build(items))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert [e.id for e in parsed.entries] == ["urn:uid:x", "urn:uid:y"]
    assert parsed.entries[0].title == HOSTILE
    assert parsed.entries[1].title.startswith("CANCELLED: ")
    assert parsed.entries[0].updated_parsed[:6] == (2026, 5, 2, 9, 45, 0)


def test_same_bytes_in_any_order() -> None:
    listings = many_listings(30) + [make_listing(uid="b"), make_listing(uid="a")]
    first = build(listings)
    assert build(listings[::-1]) == first
    ids = list(entries(first))
    assert ids.index("urn:uid:a") < ids.index("urn:uid:b")
