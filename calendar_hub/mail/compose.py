"""A message as it is sent: plain text and HTML parts from the templates (`templates/mail/`), in the follower's
language, with the headers every list message needs.

    template name + context -> (subject, text, html) -> message -> (Message-ID, RFC 5322 text, ASCII only)

Each message names its Message-ID and Date (RFC 5322 3.6), and one to a follower carries List-Unsubscribe and
List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058 3.1), so a mail program can offer to stop in one
press.  Parts are quoted-printable, so the stored text is ASCII whatever the language.
"""

from __future__ import annotations

import functools
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from calendar_hub import language
from calendar_hub.catalogue.listing import Listing
from calendar_hub.mail.links import absolute
from calendar_hub.publish.api import event_url
from calendar_hub.registry import SiteSpec
from calendar_hub.settings import Settings

__all__ = ["Composed", "environment", "event_when", "km_words", "message", "render"]

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
        values = {"settings": settings, "site": context.pop("site", SiteSpec()), "zone": settings.zone,
                  "page": lambda path: absolute(settings, path, code),
                  "event_page": lambda item: absolute(settings, event_url("", item.uid), code),
                  "event_ics": lambda item: settings.base_url.rstrip("/") + event_url("", item.uid) + ".ics",
                  **context}
        text = env.get_template(f"mail/{name}.txt").render(values)
        html = env.get_template(f"mail/{name}.html").render(values)
    subject, _blank, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n"), html


def message(settings: Settings, *, to: str, composed: Composed, now: datetime,
            unsubscribe: str = "", manage: str = "") -> tuple[str, str]:
    """The whole message to `to`: its Message-ID, and its text (ASCII) to store and send."""
    subject, text, html = composed
    mail = EmailMessage(policy=SMTP)
    mail["From"] = settings.mail_from or f"{SiteSpec().name} <noreply@{_domain(settings)}>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(now)
    message_id = make_msgid(domain=_domain(settings))
    mail["Message-ID"] = message_id
    mail["Auto-Submitted"] = "auto-generated"   # RFC 3834: no out-of-office replies, please
    if unsubscribe:
        mail["List-Unsubscribe"] = f"<{unsubscribe}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if manage:
        mail["List-Help"] = f"<{manage}>"
    mail.set_content(text, cte="quoted-printable")
    mail.add_alternative(html, subtype="html", cte="quoted-printable")
    return message_id, mail.as_string()


def event_when(listing: Listing, zone: ZoneInfo) -> str:
    """When an event is, in the current language: "Sat 5 Dec 2026, 10:00–12:00", "Sat 5 Dec 2026"."""
    locale = language.babel_locale()
    if listing.all_day and listing.start_date:
        return format_date(listing.start_date, "EEE d MMM y", locale=locale)
    start, end = listing.start.astimezone(zone), listing.end.astimezone(zone)
    text = f"{format_date(start.date(), 'EEE d MMM y', locale=locale)}, {format_time(start, 'HH:mm', locale=locale)}"
    if end > start and end.date() == start.date():
        text += f"–{format_time(end, 'HH:mm', locale=locale)}"
    return text


def km_words(km: float | None) -> str:
    """A distance as the current language writes it ("2.3 km"); "" for none."""
    if km is None:
        return ""
    return f"{format_decimal(km, format='#,##0.0' if km < 10 else '#,##0', locale=language.babel_locale())} km"


def _domain(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or "localhost"
