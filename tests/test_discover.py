"""Feed discovery: address shapes and page links (pure), then `discover` against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest

from calendar_hub.ingest.discover import MAX_FETCHES, Discovery, classify, discover, known_shapes, links_in_page
from calendar_hub.ingest.discover.page import scan
from calendar_hub.ingest.discover.search import NOT_AN_ADDRESS, _tidy
from calendar_hub.ingest.discover.shapes import platform_shapes
from calendar_hub.ingest.fetch import Limits, make_client
from calendar_hub.settings import Settings
from tests.feedserver import FeedServer

DATA = Path(__file__).parent / "data" / "discover"
SETTINGS = Settings(fetch_connect_timeout=2.0, fetch_read_timeout=5.0, fetch_total_timeout=10.0)
LIMITS = Limits.from_settings(SETTINGS)
TEC_SITE = "lewes-refugee-welcome.example.org"
GROUP_ID = "c_5f1e0a7d2b8c4e36a9d1f0b2c3e4d5a6@group.calendar.google.com"
GROUP_ICS = "https://calendar.google.com/calendar/ical/c_5f1e0a7d2b8c4e36a9d1f0b2c3e4d5a6%40group.calendar.google.com" \
            "/public/basic.ics"
HOLIDAYS_ICS = "https://calendar.google.com/calendar/ical/en.uk%23holiday%40group.v.calendar.google.com/public/basic.ics"


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def on_server(server: FeedServer, name: str, *sites: str) -> bytes:
    """A fixture with its sites (https://site, and site inside webcal:// or encoded links) moved to the server."""
    body = data(name)
    for site in sites:
        body = body.replace(f"https://{site}".encode(), server.url("").encode())
        body = body.replace(site.encode(), f"127.0.0.1:{server.port}".encode())
    return body


def run(url: str, **options: Any) -> Discovery:
    async def go() -> Discovery:
        async with make_client(SETTINGS) as client:
            return await discover(client, url, limits=LIMITS, **options)

    return asyncio.run(go())


def urls(found: list[Any]) -> list[str]:
    return [f.url for f in found]


def urls_of(shapes: list[tuple[str, str]]) -> list[str]:
    return [url for url, _how in shapes]


# ---------------------------------------------------------------- known_shapes: the address alone


def test_webcal_becomes_https_keeping_host_port_path_and_query() -> None:
    assert known_shapes("webcal://Example.org:8443/cal/group.ics?key=1") == [
        ("https://Example.org:8443/cal/group.ics?key=1", "the webcal:// link, fetched over HTTPS")]
    assert urls_of(known_shapes("webcals://p12-caldav.icloud.com/published/2/MTIz")) == [
        "https://p12-caldav.icloud.com/published/2/MTIz"]


def test_webcal_scheme_option_gives_http_for_a_plain_http_server() -> None:
    assert urls_of(known_shapes("webcal://127.0.0.1:8080/cal.ics", webcal_scheme="http")) == [
        "http://127.0.0.1:8080/cal.ics"]


def test_google_embed_gives_each_calendars_public_ics_and_leaves_out_googles_holidays() -> None:
    embed = ("https://calendar.google.com/calendar/embed?height=600&wkst=2&ctz=Europe%2FLondon"
             "&src=Y181ZjFlMGE3ZDJiOGM0ZTM2YTlkMWYwYjJjM2U0ZDVhNkBncm91cC5jYWxlbmRhci5nb29nbGUuY29t"
             "&src=ZW4udWsjaG9saWRheUBncm91cC52LmNhbGVuZGFyLmdvb2dsZS5jb20"
             "&src=friends.of.refugees%40gmail.com&color=%23039BE5")
    assert urls_of(known_shapes(embed)) == [
        GROUP_ICS, "https://calendar.google.com/calendar/ical/friends.of.refugees%40gmail.com/public/basic.ics"]
    assert known_shapes(embed)[0][1] == "the public ICS export of the Google Calendar"


def test_google_holiday_calendar_alone_is_still_given() -> None:
    assert urls_of(known_shapes(
        "https://calendar.google.com/calendar/embed?src=en.uk%23holiday%40group.v.calendar.google.com")) == [
        HOLIDAYS_ICS]


def test_google_share_link_cid_is_decoded_from_base64() -> None:
    for link in ("https://calendar.google.com/calendar/u/0?cid=Y181ZjFlMGE3ZDJiOGM0ZTM2YTlkMWYwYjJjM2U0ZDVhNkBncm91c"
                 "C5jYWxlbmRhci5nb29nbGUuY29t",
                 "https://calendar.google.com/calendar/r?cid=" + GROUP_ID.replace("@", "%40")):
        assert urls_of(known_shapes(link)) == [GROUP_ICS]


def test_google_public_and_secret_ics_addresses_are_kept() -> None:
    assert urls_of(known_shapes(GROUP_ICS)) == [GROUP_ICS]
    secret = "https://calendar.google.com/calendar/ical/x%40gmail.com/private-0a1b2c3d/basic.ics"
    assert known_shapes(secret) == [(secret, "the secret ICS address of a Google Calendar")]


def test_subscribe_buttons_give_the_feed_they_subscribe_to() -> None:
    feed = "https://lewes-refugee-welcome.example.org/?post_type=tribe_events&ical=1&eventDisplay=list"
    google = ("https://www.google.com/calendar/render?cid=webcal%3A%2F%2Flewes-refugee-welcome.example.org%2F%3F"
              "post_type%3Dtribe_events%26ical%3D1%26eventDisplay%3Dlist")
    outlook = ("https://outlook.office.com/owa/?path=/calendar/action/compose&rru=addsubscription"
               "&url=webcal%3A%2F%2Flewes-refugee-welcome.example.org%2F%3Fpost_type%3Dtribe_events%26ical%3D1"
               "%26eventDisplay%3Dlist&name=Events")
    addfromweb = "https://outlook.office.com/calendar/0/addfromweb?url=https%3A%2F%2Fexample.org%2Fg.ics&name=G"
    assert urls_of(known_shapes(google)) == [feed]
    assert urls_of(known_shapes(outlook)) == [feed]
    assert urls_of(known_shapes(addfromweb)) == ["https://example.org/g.ics"]


def test_outlook_published_calendar_page_gives_its_ics() -> None:
    office = "https://outlook.office365.com/owa/calendar/4f1c0e@lewes.example.org/9a8b7c6d5e/calendar.html"
    live = ("https://outlook.live.com/owa/calendar/00000000-0000-0000-0000-000000000000/48be9371/cid-06E665F8FD44A075"
            "/index.html")
    old = "https://mail.lewes.example.org/owa/calendar/group@lewes.example.org/Calendar/reachcalendar.html"
    assert urls_of(known_shapes(office)) == [office.removesuffix("calendar.html") + "calendar.ics"]
    assert urls_of(known_shapes(live)) == [live.removesuffix("index.html") + "calendar.ics"]
    assert urls_of(known_shapes(old)) == [old.removesuffix(".html") + ".ics"]
    assert known_shapes("https://outlook.office365.com/owa/calendar/Bookings@lewes.example.org/bookings/") == []


def test_mobilizon_handles_and_mobilizon_hosts_give_the_groups_feeds() -> None:
    expected = ["https://mobilizon.example.org/@lewes_refugee_welcome/feed/ics",
                "https://mobilizon.example.org/@lewes_refugee_welcome/feed/atom"]
    assert urls_of(known_shapes("@lewes_refugee_welcome@mobilizon.example.org")) == expected
    assert urls_of(known_shapes("https://mobilizon.example.org/@lewes_refugee_welcome/events")) == expected
    assert urls_of(known_shapes("https://mobilizon.fr/@lewes_refugee_welcome@mobilizon.example.org")) == expected


@pytest.mark.parametrize("address", [
    "https://friendsofrefugees.example.org/", "https://mastodon.example.org/@someone", "javascript:alert(1)",
    "mailto:hello@example.org", "http://[::1", "", "   ", "webcal", "webcal://", "feed:", "x" * 10_000,
    "\x00\x01garbage",
])
def test_addresses_with_no_known_shape_give_nothing(address: str) -> None:
    assert known_shapes(address) == []


# ---------------------------------------------------------------- links_in_page and what pages reveal


def test_events_calendar_page_links_its_ical_feed_first_and_one_subscription_for_all_its_buttons() -> None:
    base = f"https://{TEC_SITE}/events/list/"
    found = links_in_page(data("wordpress_events_calendar.html"), base)
    assert [(f.kind, f.url) for f in found] == [
        ("ical", f"https://{TEC_SITE}/events/?ical=1"),
        ("ical", f"https://{TEC_SITE}/?post_type=tribe_events&ical=1&eventDisplay=list"),
        ("ical", f"https://{TEC_SITE}/events/list/?ical=1"),
        ("ical", f"https://{TEC_SITE}/events/list/?outlook-ical=1"),
        ("rss", f"https://{TEC_SITE}/feed/"),
        ("rss", f"https://{TEC_SITE}/events/feed/"),
    ]   # no comments feed, no REST API JSON, no webcal://, Google or Outlook address left
    assert found[0].how == "linked from the page as a calendar"
    assert found[0].title == "Lewes Refugee Welcome » iCal Feed"
    assert found[1].how == 'the calendar that a "subscribe" button points to'


def test_events_calendar_and_events_manager_sites_are_recognised_from_their_assets() -> None:
    tec = scan(data("wordpress_events_calendar.html"), f"https://{TEC_SITE}/events/list/")
    assert tec.clues.wordpress_home == f"https://{TEC_SITE}" and tec.clues.events_calendar
    em = scan(data("wordpress_events_manager.html"), "https://crawley-welcome.example.org/events/")
    assert links_in_page(data("wordpress_events_manager.html"), "https://crawley-welcome.example.org/events/")[0].url \
        == "https://crawley-welcome.example.org/feed/"
    assert [(c.kind, c.url) for c in platform_shapes(em.clues)] == [
        ("ical", "https://crawley-welcome.example.org/events.ics"),
        ("rss", "https://crawley-welcome.example.org/feed/"),
    ]


@pytest.mark.parametrize(("html", "page", "home"), [
    (b'<link rel="stylesheet" href="/blog/wp-content/themes/twentytwentyfour/style.css">',
     "https://lewes.example.org/blog/events/", "https://lewes.example.org/blog"),
    (b"<link rel='stylesheet' href='//lewes.example.org/wp-includes/css/dist/block-library/style.min.css'>",
     "https://lewes.example.org/events/", "https://lewes.example.org"),
    (b'<img src="https://i0.wp.com/other.example.org/wp-content/uploads/2026/11/walk.jpg">'
     b'<img src="https://other.example.org/wp-content/uploads/2026/11/supper.jpg">',
     "https://lewes.example.org/", ""),
])
def test_wordpress_is_recognised_from_its_own_assets_only(html: bytes, page: str, home: str) -> None:
    assert scan(html, page).clues.wordpress_home == home


def test_mobilizon_group_page_has_no_links_but_shows_its_group() -> None:
    page = scan(data("mobilizon_group.html"), "https://mobilizon.example.org/@lewes_refugee_welcome")
    assert page.candidates == [] and page.title == ""
    assert page.clues.mobilizon and page.clues.mobilizon_group == "https://mobilizon.example.org/@lewes_refugee_welcome"
    assert [c.url for c in platform_shapes(page.clues)][0] == \
        "https://mobilizon.example.org/@lewes_refugee_welcome/feed/ics"


def test_gancio_home_page_links_its_feeds_and_tag_pages_have_their_own() -> None:
    found = links_in_page(data("gancio_home.html"), "https://gancio.example.org/")
    assert [(f.kind, f.url) for f in found] == [("ical", "https://gancio.example.org/feed/ics"),
                                               ("rss", "https://gancio.example.org/feed/rss")]
    tag_page = scan(data("gancio_home.html"), "https://gancio.example.org/tag/refugee-week")
    assert tag_page.clues.gancio_site
    assert [c.url for c in platform_shapes(tag_page.clues)][:2] == [
        "https://gancio.example.org/feed/ics/tag/refugee-week", "https://gancio.example.org/feed/rss/tag/refugee-week"]


def test_gancio_widget_and_relative_ics_link_are_found_through_base_href() -> None:
    page = scan(data("static_site_gancio_widget.html"), "https://seaford-welcome.example.org/whats-on.html")
    assert page.title == "Seaford Welcome Hub – What's on"   # windows-1252, as the page declares
    assert [(c.kind, c.url) for c in page.candidates] == [
        ("ical", "https://seaford-welcome.example.org/calendar/seaford-welcome.ics")]
    assert [c.url for c in platform_shapes(page.clues)] == [
        "https://gancio.example.org/feed/ics?tags=refugee-week", "https://gancio.example.org/feed/rss?tags=refugee-week"]


def test_google_calendar_embedded_in_a_page_gives_the_groups_calendar_only() -> None:
    found = links_in_page(data("squarespace_google_embed.html"),
                          "https://www.brightonwelcomechoir.example.org/rehearsals-concerts")
    assert found == [found[0]] and found[0].url == GROUP_ICS
    assert found[0].how == "the public ICS export of the Google Calendar embedded in the page"


def test_page_without_feeds_gives_nothing_and_a_newsletter_subscribe_button_is_not_a_calendar() -> None:
    page = scan(data("wix_no_feed.html"), "https://www.friendsofrefugees.example.org/")
    assert page.candidates == [] and page.title == "Friends of Refugees – Home"
    assert page.events_page == "https://www.friendsofrefugees.example.org/whats-on"


def test_relative_feed_link_is_resolved_against_the_page() -> None:
    found = links_in_page(data("jekyll_news_only.html"), "https://hastings-sanctuary.example.org/")
    assert [(f.kind, f.url, f.how) for f in found] == [
        ("rss", "https://hastings-sanctuary.example.org/feed.xml", "linked from the page as an Atom feed")]


@pytest.mark.parametrize("html", [
    b"", b"\x00\xff\xfe garbage \x89PNG", b"<![if !supportLists]><a href='x.ics'>", b"<a href='http://[::1/x.ics'>ics</a>",
    b"<link rel=alternate type=text/calendar href='javascript:alert(1)'><a href='file:///etc/passwd'>iCal</a>"
    b"<a href='data:text/calendar,BEGIN:VCALENDAR'>ics</a><iframe src='ftp://x/cal.ics'>",
    b"<title>" + b"<b>" * 50_000 + b"<a href='/a.ics'>" * 100_000,
])
def test_hostile_pages_never_raise_and_give_only_web_addresses(html: bytes) -> None:
    found = links_in_page(html, "https://example.org/page")
    assert len(found) <= 50
    assert all(f.url.startswith(("http://", "https://")) for f in found)


# ---------------------------------------------------------------- classify


@pytest.mark.parametrize(("body", "content_type", "kind"), [
    (b"\xef\xbb\xbf\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\n", "", "ical"),
    (data("wordpress_news.xml"), "", "rss"),
    (data("jekyll_feed.xml"), "", "rss"),
    (b'<?xml version="1.0"?>\n<?xml-stylesheet type="text/xsl" href="/rss.xsl"?>\n<!-- hi -->\n<rss version="2.0">',
     "", "rss"),
    (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">', "", "rss"),
    (data("json_feed.json"), "application/feed+json", "jsonfeed"),
    (b'{"version": "http://jsonfeed.org/version/1", "title": "1.0, as some wrote it", "items": []}', "", "jsonfeed"),
    (b'{"version": "https://example.org/version/1", "items": []}', "application/json", "other"),
    (b'[{"id": 1, "title": "Gancio /feed/json is a list"}]', "application/json", "other"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "", "other"),
    (b"[" * 100_000 + b"https://jsonfeed.org/version/1", "", "other"),
    (b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x">\n<html>', "", "html"),
    (data("wix_no_feed.html"), "", "html"),
    (b"<p>a fragment</p>", "text/html; charset=utf-8", "html"),
    (data("winter_programme.pdf"), "application/pdf", "other"),
    (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">', "", "other"),
    (b"", "", "other"),
])
def test_classify(body: bytes, content_type: str, kind: str) -> None:
    assert classify(body, content_type) == kind


# ---------------------------------------------------------------- discover, against a real server


def test_an_ics_address_is_itself_the_calendar(feed_server: FeedServer) -> None:
    url = feed_server.serve("/calendar.ics", data("wordpress_events_calendar.ics"))
    result = run(url)
    assert result.message == ""
    assert [(f.url, f.kind, f.title, f.how) for f in result.feeds] == [
        (url, "ical", "Lewes Refugee Welcome", "the address itself is a calendar")]


def test_webcal_link_is_fetched_over_http_on_loopback(feed_server: FeedServer) -> None:
    url = feed_server.serve("/calendar.ics", data("mobilizon_group.ics"))
    result = run(f"webcal://127.0.0.1:{feed_server.port}/calendar.ics", webcal_scheme="http")
    assert urls(result.feeds) == [url] and result.feeds[0].title == "Lewes Refugee Welcome"
    assert result.feeds[0].how == "the webcal:// link, fetched over HTTP"


@pytest.mark.parametrize(("pasted", "address"), [
    ("  www.friendsofrefugees.example.org/whats-on ", "https://www.friendsofrefugees.example.org/whats-on"),
    ("<https://example.org/cal.ics>", "https://example.org/cal.ics"),
    ("example.org:8443", "https://example.org:8443"),
    ("webcal://example.org/cal.ics", "webcal://example.org/cal.ics"),
    ("@group@mobilizon.example.org", "@group@mobilizon.example.org"),
    ("not an address", "not an address"),
])
def test_pasted_addresses_are_tidied(pasted: str, address: str) -> None:
    assert _tidy(pasted) == address


def test_json_feed_address_is_itself_a_feed(feed_server: FeedServer) -> None:
    url = feed_server.serve("/feed.json", data("json_feed.json"), content_type="application/feed+json")
    assert [(f.kind, f.title, f.how) for f in run(url).feeds] == [
        ("jsonfeed", "Bexhill Walking Friends", "the address itself is a JSON Feed")]


def test_redirect_is_followed_and_links_resolve_against_the_final_address(feed_server: FeedServer) -> None:
    feed_server.serve("/forum-old", b"", status=301, headers={"Location": "/forum/"})
    feed_server.serve("/forum/", data("drupal_relative_calendar_link.html"), content_type="text/html")
    ics = feed_server.serve("/forum/events/calendar.ics", data("mobilizon_group.ics"))
    result = run(feed_server.url("/forum-old"))
    assert [(f.url, f.how, f.title) for f in result.feeds] == [
        (ics, "linked from the page as a calendar", "Lewes Refugee Welcome")]


def test_refused_and_missing_addresses_say_so(feed_server: FeedServer) -> None:
    assert run(feed_server.serve("/private", b"", status=403)).message == "the server refused us (403)"
    assert run(feed_server.url("/nowhere")).message.startswith("the address was not found (404)")


def test_page_without_feed_names_its_title_and_suggests_its_events_page(feed_server: FeedServer) -> None:
    url = feed_server.serve("/", on_server(feed_server, "wix_no_feed.html", "www.friendsofrefugees.example.org"),
                            content_type="text/html")
    result = run(url)
    assert result.feeds == []
    assert result.message == (
        'this address returns a web page ("Friends of Refugees – Home") with no calendar or feed linked from it; '
        f"try the site's events page instead: {feed_server.url('/whats-on')}")


def test_linked_feed_that_returns_a_web_page_is_reported(feed_server: FeedServer) -> None:
    url = feed_server.serve("/forum/", data("drupal_relative_calendar_link.html"), content_type="text/html")
    feed_server.serve("/forum/events/calendar.ics", data("wix_no_feed.html"), content_type="text/html")
    result = run(url)
    assert result.feeds == []
    assert result.message == (
        'this address returns a web page ("Meetings and events | Hove Refugee Forum"); the page links to a feed at '
        f"{feed_server.url('/forum/events/calendar.ics')} but it returns a web page, not a feed")


def test_pdf_is_named(feed_server: FeedServer) -> None:
    result = run(feed_server.serve("/programme.pdf", data("winter_programme.pdf"), content_type="application/pdf"))
    assert result == Discovery(feed_server.url("/programme.pdf"), [],
                               "this address returns a PDF document, not a calendar")


def test_events_calendar_site_gives_its_calendar_once_then_its_news_feeds(feed_server: FeedServer) -> None:
    page = feed_server.serve("/events/list/", on_server(feed_server, "wordpress_events_calendar.html", TEC_SITE),
                             content_type="text/html; charset=UTF-8")
    ics = data("wordpress_events_calendar.ics")
    paths = ("/events/?ical=1", "/?post_type=tribe_events&ical=1&eventDisplay=list", "/events/list/?ical=1",
             "/events/list/?outlook-ical=1")
    for second, path in enumerate(paths):   # The Events Calendar stamps each export with the time it was made
        feed_server.serve(path, ics.replace(b"DTSTAMP:20261101T093012", f"DTSTAMP:20261101T0930{second:02}".encode()))
    feed_server.serve("/feed/", data("wordpress_news.xml"), content_type="application/rss+xml")
    feed_server.serve("/events/feed/", data("wordpress_news.xml").replace(b"<title>Lewes", b"<title>Events: Lewes"),
                      content_type="application/rss+xml")
    result = run(page, webcal_scheme="http")
    assert result.message == ""
    assert [(f.kind, f.url, f.title) for f in result.feeds] == [
        ("ical", feed_server.url("/events/?ical=1"), "Lewes Refugee Welcome"),   # the same calendar four times: once
        ("rss", feed_server.url("/feed/"), "Lewes Refugee Welcome"),
        ("rss", feed_server.url("/events/feed/"), "Events: Lewes Refugee Welcome"),
    ]
    assert result.feeds[1].how == "linked from the page as an RSS feed; a news feed: its items have no event dates"
    assert len(feed_server.requests) <= MAX_FETCHES


def test_mobilizon_group_page_gives_the_groups_calendar_then_its_atom_feed(feed_server: FeedServer) -> None:
    group = "/@lewes_refugee_welcome"
    page = feed_server.serve(group, on_server(feed_server, "mobilizon_group.html", "mobilizon.example.org"),
                             content_type="text/html")
    ics = feed_server.serve(group + "/feed/ics", data("mobilizon_group.ics"))
    atom = feed_server.serve(group + "/feed/atom", data("mobilizon_group.atom"), content_type="application/atom+xml")
    result = run(page)
    assert [(f.url, f.kind, f.title, f.how) for f in result.feeds] == [
        (ics, "ical", "Lewes Refugee Welcome", "the calendar feed of this Mobilizon group"),
        (atom, "rss", "Lewes Refugee Welcome's public events feed on Mobilizon",
         "the Atom feed of this Mobilizon group; a news feed: its items have no event dates"),
    ]


def test_gancio_site_feeds_take_the_pages_link_title_when_they_have_none(feed_server: FeedServer) -> None:
    page = feed_server.serve("/", on_server(feed_server, "gancio_home.html", "gancio.example.org"),
                             content_type="text/html")
    feed_server.serve("/feed/ics", data("gancio.ics"))
    feed_server.serve("/feed/rss", data("wordpress_news.xml"), content_type="application/rss+xml")
    result = run(page)
    assert [(f.kind, f.url, f.title) for f in result.feeds] == [
        ("ical", feed_server.url("/feed/ics"), "Sussex Together"),
        ("rss", feed_server.url("/feed/rss"), "Lewes Refugee Welcome"),
    ]


def test_gancio_widget_and_a_relative_ics_link_both_give_calendars(feed_server: FeedServer) -> None:
    sites = ("seaford-welcome.example.org", "gancio.example.org")
    page = feed_server.serve("/whats-on.html", on_server(feed_server, "static_site_gancio_widget.html", *sites),
                             content_type="text/html")
    own = feed_server.serve("/calendar/seaford-welcome.ics", data("wordpress_events_calendar.ics"))
    gancio = feed_server.serve("/feed/ics?tags=refugee-week", data("gancio.ics"))
    result = run(page)
    assert urls(result.feeds) == [gancio, own]   # what the software behind a page publishes comes before its links
    assert result.feeds[0].how == "the calendar feed of the Gancio site whose events the page shows"


def test_news_feed_is_still_returned_when_it_is_the_only_feed(feed_server: FeedServer) -> None:
    page = feed_server.serve("/", data("jekyll_news_only.html"), content_type="text/html")
    feed_server.serve("/feed.xml", data("jekyll_feed.xml"), content_type="application/atom+xml")
    result = run(page)
    assert [(f.kind, f.url, f.title, f.how) for f in result.feeds] == [
        ("rss", feed_server.url("/feed.xml"), "Hastings Sanctuary",
         "linked from the page as an Atom feed; a news feed: its items have no event dates")]


def test_fetches_stay_within_the_budget_on_a_page_of_many_feed_links(feed_server: FeedServer) -> None:
    links = "".join(f'<a href="/cal/{n}.ics">Term {n} calendar</a>' for n in range(40))
    page = feed_server.serve("/", f"<html><title>Many</title><body>{links}</body></html>".encode(),
                             content_type="text/html")
    result = run(page)
    # and the site's robots.txt, once, before the links are followed
    assert [path for path, _h in feed_server.requests if path != "/robots.txt"] == ["/"] + [ANY] * (MAX_FETCHES - 1)
    assert feed_server.hits("/robots.txt") == 1
    assert result.feeds == [] and result.message.startswith('this address returns a web page ("Many"); the page')
    assert result.message.endswith(f"(we stopped after {MAX_FETCHES} addresses)")


def test_links_with_other_schemes_are_never_followed(feed_server: FeedServer) -> None:
    page = feed_server.serve("/", b"<html><head><title>Odd</title><link rel=alternate type=text/calendar "
                                  b"href='file:///etc/passwd'></head><body><a href='ftp://127.0.0.1/cal.ics'>iCal</a>"
                                  b"<a href='javascript:alert(1)'>Subscribe to our calendar</a></body></html>",
                             content_type="text/html")
    result = run(page)
    assert len(feed_server.requests) == 1
    assert result.message == 'this address returns a web page ("Odd") with no calendar or feed linked from it'


@pytest.mark.parametrize(("address", "message"), [
    ("", "the address is empty"),
    ("not an address at all", NOT_AN_ADDRESS),
    ("javascript:alert(1)", NOT_AN_ADDRESS),
    ("file:///etc/passwd", NOT_AN_ADDRESS),
    ("http://[::1", NOT_AN_ADDRESS),
    ("webcal://", NOT_AN_ADDRESS),
    ("http://127.0.0.1:abc/cal.ics", "this is not a valid web address"),
    ("https://" + "x" * 5000 + ".example.org/", NOT_AN_ADDRESS),
])
def test_garbage_addresses_never_raise(address: str, message: str) -> None:
    assert run(address) == Discovery(address, [], message)
