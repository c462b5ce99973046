"""Tests for calendar_hub.ingest.sanitize: what reaches a page is safe, what reaches plain text reads well."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from calendar_hub.ingest.sanitize import (
    ALLOWED_TAGS,
    clean_event,
    clean_html,
    clean_linked,
    clean_result,
    clean_text,
    clean_url,
    looks_like_html,
    text_to_html,
    to_html,
    to_text,
)
from calendar_hub.ingest.sources import jsonfeed, parse_body
from calendar_hub.ingest.sources.eventpage import events_from_page
from calendar_hub.occurrence import EventIn, LinkedItem, ParseContext, ParseResult
from calendar_hub.settings import Settings
from tests.feedserver import FeedServer
from tests.hubdata import HubData, run_refresh

REL = 'rel="noopener nofollow ugc"'


@pytest.mark.parametrize(("dirty", "clean"), [
    ("<p>Hello <b>world</b></p>", "<p>Hello <b>world</b></p>"),
    ("<script>alert(1)</script><p>ok</p>", "<p>ok</p>"),
    ('<p onclick="steal()" style="color:red">ok</p>', "<p>ok</p>"),
    ('<img src="x" onerror="alert(1)">text', "text"),
    ('<a href="javascript:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ('<a href="https://example.org/" target="_blank" rel="opener">x</a>',
     f'<a href="https://example.org/" {REL}>x</a>'),
    ('<a href="mailto:hello@example.org">mail</a>', f'<a href="mailto:hello@example.org" {REL}>mail</a>'),
    ('<a href="data:text/html,evil">x</a>', f"<a {REL}>x</a>"),
    ("<iframe src='https://evil.example'>inner</iframe>after", "after"),
    ("<style>p{}</style><title>T</title><ul><li>one</li></ul>", "<ul><li>one</li></ul>"),
    ("<!-- secret --><em>kept</em>", "<em>kept</em>"),
    ("<div>one</div><div>two</div>", "one<br>two<br>"),
    ("<h2>Heading</h2><p>text</p>", "Heading<br><p>text</p>"),
    ("   ", ""),
    ("", ""),
])
def test_clean_html(dirty: str, clean: str) -> None:
    assert clean_html(dirty) == clean


def test_clean_html_keeps_only_the_allow_list() -> None:
    out = clean_html('<table><tr><td><span class="x"><u>u</u><blockquote><strong>s</strong></blockquote>'
                     '</span></td></tr></table><h1 id="h">Title</h1><font color="red">f</font>')
    # The parser moves the row's line break out of the table (HTML's "foster parenting").
    assert out == "<br>u<blockquote><strong>s</strong></blockquote><br>Title<br>f"
    assert set(re.findall(r"</?([a-z0-9]+)", out)) <= set(ALLOWED_TAGS)


@pytest.mark.parametrize(("value", "expected"), [
    ("<p>Hello&nbsp;<b>world</b></p>\n<p>Second   para<br>line two</p>", "Hello world\n\nSecond para\nline two"),
    ("<ul><li>one</li><li>two</li></ul>after", "- one\n- two\n\nafter"),
    ("a<br>b<br><br>c", "a\nb\n\nc"),  # Google writes a blank line as two <br>
    ("<div>one</div><div>two</div>", "one\ntwo"),
    ("<p>Tea &amp; cake</p><script>var x = '<p>';</script>", "Tea & cake"),
    ("Plain text\r\n\r\n\r\n\r\nwith   spaces &amp; more", "Plain text\n\nwith spaces & more"),
    ("a < b and c > d", "a < b and c > d"),
    ("  line one  \n  line two  ", "line one\nline two"),
    ("", ""),
])
def test_to_text(value: str, expected: str) -> None:
    assert to_text(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("Bring gloves.\nTea after.\n\nAll welcome.", "<p>Bring gloves.<br>Tea after.</p><p>All welcome.</p>"),
    ("Fish & chips <3", "<p>Fish &amp; chips &lt;3</p>"),
    ("Details: https://example.org/a?b=1&c=2.",
     f'<p>Details: <a href="https://example.org/a?b=1&amp;c=2" {REL}>https://example.org/a?b=1&amp;c=2</a>.</p>'),
    ("Not a link: javascript:alert(1)", "<p>Not a link: javascript:alert(1)</p>"),
])
def test_text_to_html(value: str, expected: str) -> None:
    assert text_to_html(value) == expected


def test_to_html_chooses_by_content() -> None:
    assert to_html("Line one\nLine two") == "<p>Line one<br>Line two</p>"
    assert to_html("<b>bold</b> <script>x</script>") == "<b>bold</b>"
    assert to_html("Tea &amp; cake") == "<p>Tea &amp; cake</p>"
    assert to_html("  ") == ""
    assert looks_like_html("a <br/> b") and not looks_like_html("3 < 4 > 2")


@pytest.mark.parametrize(("value", "expected"), [
    ("https://example.org/events/1", "https://example.org/events/1"),
    ("  http://example.org/  ", "http://example.org/"),
    ("HTTPS://EXAMPLE.ORG/", "HTTPS://EXAMPLE.ORG/"),
    ("javascript:alert(1)", ""),
    ("mailto:hello@example.org", ""),
    ("ftp://example.org/file", ""),
    ("/relative/path", ""),
    ("https://", ""),
    ("https://example.org/a b", ""),
    ("https://example.org/\nX-Injected: 1", ""),
    ("https://example.org/a\x7fb", ""),
    ("https://example.org/a\ud800b", ""),
    ("http://[::1", ""),
    (None, ""),
    ("", ""),
])
def test_clean_url(value: object, expected: str) -> None:
    assert clean_url(value) == expected


# ---------------------------------------------------------------- HTML to text through nh3: no attribute text leaks

@pytest.mark.parametrize(("value", "expected"), [
    ('<a title="x>y" href="https://e.org">link</a>', "link"),
    ('<p>before <img alt=">" src="x.png"> after</p>', "before after"),
    ("<p title='a>b' data-x=\"<p>\">text</p>", "text"),
    ("<p>a<!-- x > y <p>hidden --> b</p>", "a b"),
    ("<p>a<!-- unclosed <b>bold</b>", "a"),
    ("<![CDATA[<p>Hi <b>there</b></p>]]>", "Hi there"),
    ("<p>x</p><![CDATA[ <b>y</b> ]]>", "x\n\ny"),
    ("<p>Tea &amp; cake &lt;3 &quot;q&quot; &#x41;&#66; &nbsp;x</p>", 'Tea & cake <3 "q" AB x'),
    ("<p>&lt;b&gt;not a tag&lt;/b&gt;</p>", "<b>not a tag</b>"),
    ("<b>a < b</b> c > d", "a < b c > d"),
    ("<p>one</p><p lang=\"en\" title=\"t\">two</p>", "one\n\ntwo"),
    ("<div>first<script>var s = '</div>';</script></div><div>second</div>", "first\nsecond"),
    ("<ul><li class=\"a>b\">one</li><li>two</li></ul>", "- one\n- two"),
])
def test_to_text_reads_html_as_a_browser_would(value: str, expected: str) -> None:
    assert to_text(value) == expected


@pytest.mark.parametrize("value", [
    '<a title="x>y" href="https://e.org">link</a>',
    '<img alt=">" src="x.png">',
    '<p lang="en" title="secret">text</p>',
])
def test_clean_html_keeps_no_attribute_but_href(value: str) -> None:
    cleaned = clean_html(value)
    assert "title" not in cleaned and "lang" not in cleaned and "alt" not in cleaned and "secret" not in cleaned
    assert "y" not in cleaned.replace("nofollow ugc", "")


# ---------------------------------------------------------------- control characters, DEL and lone surrogates

@pytest.mark.parametrize(("value", "expected"), [
    ("plain", "plain"),
    ("tab\tand\nnewline", "tab\tand\nnewline"),
    ("a\x00b\x01c\x08d\x0be\x0cf\x1bg\x1fh\x7fi", "abcdefghi"),
    ("line\rtwo\r\nthree", "line\ntwo\nthree"),
    ("lone \ud800 high and \udfff low", "lone  high and  low"),
    ("pair \U0001f600 and C1 \x85 kept", "pair \U0001f600 and C1 \x85 kept"),
])
def test_clean_text(value: str, expected: str) -> None:
    assert clean_text(value) == expected


@pytest.mark.parametrize("function", [to_text, to_html, clean_html, text_to_html])
def test_every_step_takes_out_controls_and_surrogates(function: object) -> None:
    assert callable(function)
    for value in ("a\x00b\x07c\x7fd\ud83de", "<p>a\x00b\x07c\x7fd\ud83de</p>"):
        out = function(value)
        assert out and not re.search("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]", out), (value, out)
        assert "abcde" in out


DIRTY = "x\x00\x1b[31m\x7f\ud800y"


def test_clean_event_cleans_every_text_field() -> None:
    moment = datetime(2026, 12, 5, 10, tzinfo=UTC)
    event = EventIn(source_uid="uid" + DIRTY, recurrence_id="", title="Walk\x07\r\nin\x00 the park", start=moment,
                    end=moment, description_html="<p>" + DIRTY + "</p>", description_text=DIRTY,
                    location="Hall\x1f\rRoad", url="https://example.org/" + DIRTY, categories=("a\x00", "\x01", "a"))
    cleaned = clean_event(event)
    assert cleaned.source_uid == "uid" + "x[31my"
    assert cleaned.title == "Walk in the park"
    assert cleaned.description_html == "<p>x[31my</p>" and cleaned.description_text == "x[31my"
    assert cleaned.location == "Hall Road"
    assert cleaned.categories == ("a",)
    assert cleaned.url == "https://example.org/x[31my"
    assert clean_event(cleaned) is cleaned  # nothing to do: the same object
    item = clean_linked(LinkedItem(source_uid=DIRTY, title=DIRTY, link="https://example.org/", categories=(DIRTY,)))
    assert (item.source_uid, item.title, item.categories) == ("x[31my", "x[31my", ("x[31my",))
    result = clean_result(ParseResult(events=[event], problems=[DIRTY], reasons={"why" + DIRTY: 2, "whyx[31my": 1}))
    assert result.events == [cleaned] and result.problems == ["x[31my"] and result.reasons == {"whyx[31my": 3}


CONTEXT = ParseContext(url="https://example.org/feed", zone=ZoneInfo("Europe/London"),
                       window_start=datetime(2026, 1, 1, tzinfo=UTC), window_end=datetime(2027, 12, 31, tzinfo=UTC))
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")


def _text_fields(event: EventIn | LinkedItem) -> list[str]:
    return [getattr(event, name) for name in type(event).__slots__ if isinstance(getattr(event, name), str)] \
        + list(event.categories)


def _assert_clean(events: list[EventIn] | list[LinkedItem]) -> None:
    assert events
    for event in events:
        for value in _text_fields(event):
            assert not CONTROLS.search(value), (event, value)


def test_every_parser_hands_on_clean_text() -> None:
    ics = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u\x01id\r\nDTSTART:20260601T100000Z\r\n"
           b"SUMMARY:Walk\x07 in the \x7fpark\r\nDESCRIPTION:bell\x07 and escape\x1b\r\nLOCATION:Hall\x00 Road\r\n"
           b"CATEGORIES:one\x02,two\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    _assert_clean(parse_body(ics, kind="ical", context=CONTEXT).events)
    rss = (b'<?xml version="1.0"?><rss version="2.0" xmlns:ev="http://purl.org/rss/1.0/modules/event/"><channel>'
           b"<title>t</title><item><title>Walk &#xD800; park&#x7f;</title><guid>g&#x7f;1</guid>"
           b"<description>&lt;p title=\"x&gt;y\"&gt;bell&#x7f;&lt;/p&gt;</description>"
           b"<ev:startdate>2026-06-01T10:00:00Z</ev:startdate><ev:location>Hall&#x7f; Road</ev:location>"
           b"<category>one&#x7f;</category></item></channel></rss>")
    events = parse_body(rss, kind="rss", context=CONTEXT).events
    _assert_clean(events)
    assert events[0].description_text == "bell" and "y" not in events[0].description_html
    feed = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "i\ud800d", "url": "https://example.org/e", "title": "Walk\x00 \ud83d", "tags": ["a\x1b"],
         "content_html": '<a title="x>y" href="https://e.org">link\x00</a>'}]}).encode()
    linked = jsonfeed.parse(feed, context=CONTEXT).linked
    _assert_clean(linked)
    assert linked[0].description_text == "link"
    page = ('<html><head><script type="application/ld+json">' + json.dumps({
        "@context": "https://schema.org", "@type": "Event", "name": "Walk\x07 \ud800", "startDate": "2026-06-01T10:00Z",
        "description": '<a title="x>y" href="https://e.org">link\x01</a>', "keywords": "k\x1b",
        "location": {"@type": "Place", "name": "Hall\x7f", "address": "Road\x00"}}) + "</script></head></html>")
    found = events_from_page(page.encode("utf-8", "surrogatepass"), url="https://example.org/e", context=CONTEXT)
    _assert_clean(found)
    assert found[0].description_text == "link"


LEAKY = '<a title="x>LEAKED" href="https://e.org/">Details\x07 here</a><img alt=">LEAKED2" src="x.png">'


def test_a_description_with_hostile_attributes_reaches_no_output_with_them(
        hub: HubData, engine: Engine, settings: Settings, client: TestClient, feed_server: FeedServer) -> None:
    body = hub.feed_file("manchester_google.ics").read_bytes()
    old = b"DESCRIPTION:<p>Meet at the <b>Central Library</b> steps. #CT4R</p><script>alert(1)</script>"
    assert old in body
    feed_server.serve("/manchester_google.ics", body.replace(old, b"DESCRIPTION:" + LEAKY.encode()))
    run_refresh(engine, settings)
    ics = client.get("/calendar.ics")
    walk = next(e for e in icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
                if str(e["SUMMARY"]) == "Welcome Walk")
    assert "Details here" in str(walk["DESCRIPTION"])
    atom = client.get("/feed.atom").text
    api = client.get("/api/events.json").text
    for name, output in (("ics", ics.text), ("atom", atom), ("json", api)):
        assert "Details" in output, name
        assert "LEAKED" not in output and "\x07" not in output and "\\u0007" not in output, name
