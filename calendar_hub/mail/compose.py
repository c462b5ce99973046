"""A message as it is sent: plain text and HTML parts from the templates (`templates/mail/`), in the follower's
language, with the headers every list message needs.

    template name + context -> (subject, text, html) -> message -> (Message-ID, RFC 5322 text, ASCII only)

Each message names its Message-ID and Date (RFC 5322 3.6), and one to a follower carries List-Unsubscribe and
List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058 3.1), so a mail program can offer to stop in one
press.  Parts are quoted-printable, so the stored text is ASCII whatever the language.
"""

from __future__ import annotations

import binascii
import decimal
import functools
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from email.header import Header
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from markupsafe import Markup

from calendar_hub import language
from calendar_hub.catalogue.listing import Listing
from calendar_hub.mail.links import absolute
from calendar_hub.publish.api import event_url
from calendar_hub.registry import SiteSpec
from calendar_hub.settings import Settings

__all__ = ["Composed", "Entry", "Fragments", "environment", "event_when", "km_words", "message", "render"]

Composed = tuple[str, str, str]   # subject, plain text, HTML


@functools.cache
def environment(templates_dir: Path) -> jinja2.Environment:
    """The mail templates' environment: gettext as on the pages, HTML escaped, plain text not."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir)),
                             autoescape=jinja2.select_autoescape(["html"]), extensions=["jinja2.ext.i18n"],
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.install_gettext_callables(language.gettext, language.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(event_when=event_when, km_words=km_words, current_language=language.current)
    return env


def render(settings: Settings, name: str, code: str, **context: Any) -> Composed:
    """`mail/<name>.txt` and `.html` rendered in the language `code`; the subject is the text's first line."""
    env = environment(settings.templates_dir)
    with language.use(code):
        values = {**_values(settings, code), **context}
        text = env.get_template(f"mail/{name}.txt").render(values)
        html = env.get_template(f"mail/{name}.html").render(values)
    subject, _blank, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n"), html


@dataclass(frozen=True, slots=True)
class Entry:
    """One event in a message: its text and HTML as `mail/_events.*` write it, and its distance from the follower."""

    text: str
    html: Markup
    km: float | None


class Fragments:
    """Each event's text and HTML, rendered once per language for a whole run (thousands of messages share them)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._made: dict[tuple[str, str], tuple[str, Markup]] = {}
        self._modules: dict[str, tuple[Any, Any]] = {}

    def entry(self, item: Listing, km: float | None, code: str) -> Entry:
        found = self._made.get((item.uid, code))
        if found is None:
            if code not in self._modules:
                env = environment(self.settings.templates_dir)
                values = _values(self.settings, code)
                self._modules[code] = (env.get_template("mail/_events.txt").make_module(values),
                                       env.get_template("mail/_events.html").make_module(values))
            text_module, html_module = self._modules[code]
            with language.use(code):
                found = (str(text_module.event_text(item, self.settings.zone)).strip("\n"),
                         Markup(html_module.event_html(item, self.settings.zone)))
            self._made[(item.uid, code)] = found
        return Entry(found[0], found[1], km)


def _values(settings: Settings, code: str) -> dict[str, Any]:
    """What every mail template is given: the settings, the site, the zone and the absolute addresses it links to."""
    return {"settings": settings, "site": SiteSpec(), "zone": settings.zone,
            "page": lambda path: absolute(settings, path, code),
            "event_page": lambda item: absolute(settings, event_url("", item.uid), code),
            "event_ics": lambda item: settings.base_url.rstrip("/") + event_url("", item.uid) + ".ics"}


def message(settings: Settings, *, to: str, composed: Composed, now: datetime,
            unsubscribe: str = "", manage: str = "") -> tuple[str, str]:
    """The whole message to `to`: its Message-ID, and its text (ASCII, CRLF lines) to store and send.

    Written out here rather than through `email.message.EmailMessage`, which takes milliseconds a message: a
    multipart/alternative of two quoted-printable UTF-8 parts (RFC 2045 6.7, RFC 2046 5.1.4), non-ASCII header
    text as RFC 2047 encoded words.  The tests read every message back with the email package.
    """
    subject, text, html = composed
    domain = _domain(settings)
    message_id = make_msgid(domain=domain)
    boundary = "=_" + secrets.token_hex(12)
    headers = [("From", _address(settings.mail_from or f"{SiteSpec().name} <noreply@{domain}>")), ("To", to),
               ("Subject", _words(subject)), ("Date", format_datetime(now)), ("Message-ID", message_id),
               ("Auto-Submitted", "auto-generated"),   # RFC 3834: no out-of-office replies, please
               ("MIME-Version", "1.0")]
    if unsubscribe:
        headers += [("List-Unsubscribe", f"<{unsubscribe}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
    if manage:
        headers.append(("List-Help", f"<{manage}>"))
    headers.append(("Content-Type", f'multipart/alternative; boundary="{boundary}"'))
    lines = [f"{name}: {value}" for name, value in headers]
    lines += ["", f"--{boundary}", *_part("plain", text), f"--{boundary}", *_part("html", html), f"--{boundary}--", ""]
    return message_id, "\r\n".join(lines)


def _part(subtype: str, body: str) -> list[str]:
    encoded = binascii.b2a_qp(body.replace("\r\n", "\n").encode("utf-8"), istext=True).decode("ascii")
    return [f'Content-Type: text/{subtype}; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable", "",
            *encoded.split("\n")]


@functools.lru_cache(maxsize=1024)
def _words(text: str) -> str:
    """Header text as it may travel: itself when ASCII, else RFC 2047 encoded words (folded)."""
    text = " ".join(text.split())
    return text if text.isascii() else Header(text, "utf-8").encode(linesep="\r\n")


@functools.lru_cache(maxsize=64)
def _address(value: str) -> str:
    """An address header whose display name may be non-ASCII ("Wythnos Weithredu <events@…>")."""
    name, address = parseaddr(value)
    if not name:
        return address
    if name.isascii():
        return formataddr((name, address))
    return f"{_words(name)} <{address}>"


def event_when(listing: Listing, zone: ZoneInfo) -> str:
    """When an event is, in the current language: "Sat 5 Dec 2026, 10:00–12:00", "Sat 5 Dec 2026"."""
    code = language.current()
    if listing.all_day and listing.start_date:
        return _day(listing.start_date, code)
    start, end = listing.start.astimezone(zone), listing.end.astimezone(zone)
    text = f"{_day(start.date(), code)}, {_clock(start.hour, start.minute, code)}"
    if end > start and end.date() == start.date():
        text += f"–{_clock(end.hour, end.minute, code)}"
    return text


@functools.lru_cache(maxsize=4096)
def _day(day: date, code: str) -> str:
    """A day as `event_when` writes it in `code` (Babel takes a fraction of a millisecond; a run has few days)."""
    return format_date(day, "EEE d MMM y", locale=language.babel_locale(code))


@functools.lru_cache(maxsize=4096)
def _clock(hour: int, minute: int, code: str) -> str:
    return format_time(time(hour, minute), "HH:mm", locale=language.babel_locale(code))


def km_words(km: float | None) -> str:
    """A distance as the current language writes it ("2.3 km"); "" for none."""
    if km is None:
        return ""
    # Babel rounds the decimal of the float's repr half to even; rounded here first, the few distinct results
    # are formatted once each (Babel takes a tenth of a millisecond a number, and a digest lists thirty).
    tenths = km < 10
    rounded = decimal.Decimal(repr(km)).quantize(_TENTH if tenths else _ONE, rounding=decimal.ROUND_HALF_EVEN)
    return _km_text(rounded, tenths, language.current())


_TENTH, _ONE = decimal.Decimal("0.1"), decimal.Decimal("1")


@functools.lru_cache(maxsize=4096)
def _km_text(rounded: decimal.Decimal, tenths: bool, code: str) -> str:
    return f"{format_decimal(rounded, format='#,##0.0' if tenths else '#,##0', locale=language.babel_locale(code))} km"


def _domain(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or "localhost"
