"""Make text from feeds safe: `clean_html`/`to_html` for pages, `to_text` for plain text, `clean_url` for links.

Everything a feed says is untrusted.  HTML goes through nh3 (ammonia) with a short allow-list;
plain text never goes into a page without being escaped.  `clean_text` takes out the characters
no text should hold (C0 controls but tab and newline, DEL, lone surrogates), and `clean_result` /
`clean_event` apply it to everything a parser hands on, so no field reaches storage with them.
"""

from __future__ import annotations

import dataclasses
import html
import re
from typing import Any, TypeVar
from urllib.parse import urlsplit

import nh3

from calendar_hub.occurrence import UNTITLED, EventIn, LinkedItem, ParseResult

ALLOWED_TAGS = frozenset({"p", "br", "a", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote"})
# "*" with nothing in it: nh3 otherwise keeps `lang` and `title` on every element.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"*": set(), "a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener nofollow ugc"
# Elements dropped together with their content, not kept as text: Outlook's X-ALT-DESC is a
# whole HTML document whose <head> holds a <title> and a <style> sheet.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "head", "title", "template", "noscript",
                                  "iframe", "object", "svg", "math", "select", "textarea"})

# A tag a person would put in an event description: decides "is this HTML or plain text?".
_HTML_TAG = re.compile(
    r"<\s*/?\s*(?:p|br|a|b|i|u|s|em|strong|div|span|ul|ol|li|blockquote|h[1-6]|html|body|head|table"
    r"|tr|td|th|img|hr|font|pre|code|small|big|sub|sup|section|article|center|dl|dt|dd)\b[^>]*>",
    re.IGNORECASE,
)
# Block elements outside the allow-list: nh3 drops the tag, so keep the line break it meant.
_BLOCK_END = re.compile(
    r"</\s*(?:div|h[1-6]|tr|table|section|article|header|footer|dt|dd|pre|address|figure|center)\s*>",
    re.IGNORECASE,
)
_MANY_BREAKS = re.compile(r"(?:<br>\s*){3,}")

# Characters no stored text holds: C0 controls but tab and newline (CR is read as a line end
# first), DEL, and UTF-16 surrogates on their own (a JSON "\ud800" or an XML "&#xD800;" makes one;
# they cannot even be encoded as UTF-8).  C1 controls are left: Windows-1252 text decoded as Latin-1
# carries its curly quotes there.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_CR = re.compile(r"\r\n?")
# For to_text: the tags kept through nh3 because they say where a line or paragraph ends; nh3
# re-serialises them without attributes, so the regular expressions below only ever see bare tags.
_STRUCTURE = frozenset({"p", "br", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table",
                        "tr", "pre", "section", "article", "div", "dt", "dd", "header", "footer", "address",
                        "figure"})
# An XML CDATA section in HTML is a bogus comment ending at the first ">" (HTML 13.2.5.42), which
# would cut its content in two: producers who write one mean the markup inside it.
_CDATA = re.compile(r"<!\[CDATA\[(.*?)(?:\]\]>|\Z)", re.DOTALL)
_PARAGRAPH = re.compile(r"</?\s*(?:p|blockquote|h[1-6]|ul|ol|table|pre|section|article)\b[^>]*>",
                        re.IGNORECASE)
_BR = re.compile(r"<\s*br\b[^>]*>", re.IGNORECASE)
_LIST_ITEM = re.compile(r"<\s*li\b[^>]*>", re.IGNORECASE)
_LINE = re.compile(r"</?\s*(?:li|div|tr|dt|dd|header|footer|address|figure)\b[^>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"</?[A-Za-z!?][^>]*>")
# Breaks are marked first and merged after: "</p><p>" is one paragraph break, "</div><div>" one
# line break, and "<br><br>" (how Google Calendar writes a blank line) a paragraph break.
_BREAKS = re.compile(r"(?:[ \t\n]*\x00[PBL])+[ \t\n]*")
_BLANK_LINES = re.compile(r"\n{3,}")

_URL_IN_TEXT = re.compile(r"\bhttps?://[^\s<>\"']+")
_URL_TRAILING = ".,;:!?)]}'\""


def clean_text(text: str) -> str:
    """The text without C0 controls (tab and newline kept; CR and CRLF become newlines), DEL and lone surrogates."""
    if "\r" in text:
        text = _CR.sub("\n", text)
    return _UNWANTED.sub("", text) if _UNWANTED.search(text) else text


def clean_event(event: EventIn) -> EventIn:
    """The event with every text field through `clean_text`; one-line fields stay on one line."""
    changes = _cleaned(event, ("source_uid", "recurrence_id", "description_html", "description_text", "url",
                               "status"), ("title", "location"))
    if "title" in changes and not changes["title"]:
        changes["title"] = UNTITLED   # a title of control characters only is no title
    return dataclasses.replace(event, **changes) if changes else event


def clean_linked(item: LinkedItem) -> LinkedItem:
    """The linked item with every text field through `clean_text`."""
    changes = _cleaned(item, ("source_uid", "link", "description_html", "description_text"), ("title",))
    return dataclasses.replace(item, **changes) if changes else item


def clean_result(result: ParseResult) -> ParseResult:
    """The parser's result with its events, linked items, problems and reasons through `clean_text`, in place."""
    result.events = [clean_event(event) for event in result.events]
    result.linked = [clean_linked(item) for item in result.linked]
    result.problems = [clean_text(problem) for problem in result.problems]
    if any(_UNWANTED.search(reason) or "\r" in reason for reason in result.reasons):
        reasons: dict[str, int] = {}
        for reason, count in result.reasons.items():
            key = clean_text(reason)
            reasons[key] = reasons.get(key, 0) + count
        result.reasons = reasons
    return result


_Item = TypeVar("_Item", EventIn, LinkedItem)


def _cleaned(item: _Item, texts: tuple[str, ...], lines: tuple[str, ...]) -> dict[str, Any]:
    """The fields of `item` that `clean_text` changes, with their new values; categories too."""
    changes: dict[str, Any] = {}
    for name in texts + lines:
        value: str = getattr(item, name)
        cleaned = clean_text(value)
        if name in lines and cleaned != value:
            cleaned = " ".join(cleaned.split())
        if cleaned != value:
            changes[name] = cleaned
    categories = tuple(dict.fromkeys(c for c in (" ".join(clean_text(c).split()) for c in item.categories) if c))
    if categories != item.categories:
        changes["categories"] = categories
    return changes


def looks_like_html(text: str) -> bool:
    """True if `text` contains an HTML tag a description would use (so it is HTML, not plain text)."""
    return "<" in text and _HTML_TAG.search(text) is not None


def clean_html(text: str) -> str:
    """Sanitised HTML from untrusted HTML: allow-listed tags only, http/https/mailto links with rel=nofollow."""
    text = clean_text(text)
    if not text.strip():
        return ""
    prepared = _BLOCK_END.sub(lambda m: m.group(0) + "<br>", _CDATA.sub(r"\1", text))
    cleaned = nh3.clean(
        prepared,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return _MANY_BREAKS.sub("<br><br>", cleaned).strip()


def text_to_html(text: str) -> str:
    """Safe HTML for plain text: escaped, blank lines become paragraphs, line breaks <br>, URLs links."""
    normalised = clean_text(text)
    parts = []
    for paragraph in re.split(r"\n[ \t]*\n", normalised):
        lines = [_linkify(html.escape(" ".join(line.split()), quote=False)) for line in paragraph.split("\n")]
        kept = [line for line in lines if line]
        if kept:
            parts.append("<p>" + "<br>".join(kept) + "</p>")
    return "".join(parts)


def to_html(html_or_text: str) -> str:
    """Safe HTML for a description that may be HTML or plain text (an ICS DESCRIPTION is usually text)."""
    html_or_text = clean_text(html_or_text)
    if not html_or_text.strip():
        return ""
    if looks_like_html(html_or_text):
        return clean_html(html_or_text)
    return text_to_html(html.unescape(html_or_text) if "&" in html_or_text else html_or_text)


def to_text(html_or_text: str) -> str:
    """Plain text from HTML or text: tags dropped, entities decoded, spaces collapsed, paragraphs kept as lines."""
    text = clean_text(html_or_text)
    if not text:
        return ""
    if looks_like_html(text):
        # nh3 reads the HTML as a browser would (comments, attributes holding ">", CDATA) and
        # leaves only bare structural tags and escaped text.  In HTML a newline in the source is
        # only a space: the tags say where lines end.  NUL, the break mark, was taken out above.
        text = nh3.clean(_CDATA.sub(r"\1", text), tags=set(_STRUCTURE), clean_content_tags=set(DROPPED_WITH_CONTENT),
                         attributes={"*": set()}, strip_comments=True)
        text = " ".join(text.split())
        text = _PARAGRAPH.sub("\x00P", text)
        text = _BR.sub("\x00B", text)
        text = _LIST_ITEM.sub("\x00L- ", text)
        text = _ANY_TAG.sub("", _LINE.sub("\x00L", text))
        text = _BREAKS.sub(_merge_breaks, text)
    if "&" in text:
        text = html.unescape(text)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_url(value: object) -> str:
    """The URL as a string if it is an absolute http(s) address, else ""."""
    if value is None:
        return ""
    url = str(value).strip()
    if not url or len(url) > 2000 or any(ch.isspace() or ord(ch) < 32 for ch in url) or _UNWANTED.search(url):
        return ""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not host:
        return ""
    return url


def _merge_breaks(match: re.Match[str]) -> str:
    """One run of break marks as a line break, or a paragraph break if it holds one."""
    marks = match.group(0)
    return "\n\n" if "P" in marks or marks.count("B") > 1 else "\n"


def _linkify(escaped: str) -> str:
    """Turn bare http(s) URLs in already-escaped text into links; trailing punctuation stays text."""
    if "http" not in escaped:
        return escaped

    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        tail = ""
        while url and url[-1] in _URL_TRAILING:
            tail = url[-1] + tail
            url = url[:-1]
        href = html.unescape(url)
        if not clean_url(href):
            return match.group(0)
        return f'<a href="{html.escape(href)}" rel="{LINK_REL}">{url}</a>{tail}'

    return _URL_IN_TEXT.sub(link, escaped)
