"""Tests for calendar_hub.ingest.sanitize: what reaches a page is safe, what reaches plain text reads well."""

from __future__ import annotations

import re

import pytest

from calendar_hub.ingest.sanitize import (
    ALLOWED_TAGS,
    clean_html,
    clean_url,
    looks_like_html,
    text_to_html,
    to_html,
    to_text,
)

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
    ("http://[::1", ""),
    (None, ""),
    ("", ""),
])
def test_clean_url(value: object, expected: str) -> None:
    assert clean_url(value) == expected
