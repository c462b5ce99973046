"""The weekly digest and the week alert, sent through a real SMTP relay on 127.0.0.1 and read back with the email
package: what they list (time, place, groups, distance, links), their headers, both parts, both languages, and
nothing when nothing new matches."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
from babel.numbers import format_decimal
from markupsafe import escape
from sqlalchemy.engine import Engine
from sqlmodel import Session

from calendar_hub import clock, language, store
from calendar_hub.catalogue import Catalogue
from calendar_hub.catalogue.hub import Hub
from calendar_hub.mail import compose, digest, outbox
from calendar_hub.places import km_between
from calendar_hub.publish.api import event_url
from calendar_hub.settings import Settings
from calendar_hub.store import Follower
from tests.hubdata import WEEK, HubData
from tests.mailserver import MailServer

MANCHESTER = (53.4808, -2.2426)


def relayed(settings: Settings, server: MailServer) -> Settings:
    return settings.replace(smtp_host="127.0.0.1", smtp_port=server.port, smtp_security="none",
                            mail_from="Calendar Hub <events@hub.test>", mail_per_minute=0)


def follower(engine: Engine, email: str, *, code: str = "en", near: str = "", km: float | None = None,
             week: str = "", group: str = "") -> Follower:
    """A follower confirmed a fortnight ago, so a digest is due now."""
    lat, lon = MANCHESTER if near else (None, None)
    with Session(engine) as session:
        made = store.save_follower(Follower(
            email=email, token=secrets.token_urlsafe(24), language=code, near=near, lat=lat, lon=lon, km=km,
            week_slug=week, group_slug=group, created_at=clock.now() - timedelta(days=15),
            confirmed_at=clock.now() - timedelta(days=14)), session=session)
        session.commit()
        session.refresh(made)
        return made


def build(engine: Engine, settings: Settings) -> digest.BuildReport:
    catalogue = Hub(settings, engine=engine).catalogue()
    with Session(engine) as session:
        return digest.build_due(catalogue, settings, now=clock.now(), session=session)


def parts(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def catalogue_of(engine: Engine, settings: Settings) -> Catalogue:
    return Hub(settings, engine=engine).catalogue()


def test_the_digest_lists_what_is_near_with_time_place_groups_distance_and_links(
        hub: HubData, engine: Engine, settings: Settings, mail_server: MailServer) -> None:
    reader = follower(engine, "near@example.org", near="Manchester", km=25.0)
    report = build(engine, settings)
    assert (report.digests, report.alerts) == (1, 0)
    assert outbox.send_due(engine, relayed(settings, mail_server)).sent == 1
    [mail] = mail_server.to("near@example.org")
    plain, html = parts(mail)
    catalogue = catalogue_of(engine, settings)
    index = digest.Index(catalogue, now=clock.now())
    expected = digest.matches(reader, index)
    assert expected and all(item.lat is not None for item in expected)
    for item in expected:
        page = "http://hub.test" + event_url("", item.uid)
        assert item.title in plain and page in plain and page + ".ics" in plain
        assert page in html and page + ".ics" in html
        assert all(group.name in plain for group in item.groups)
    assert " km" in plain and "Add to your calendar" in plain
    assert mail["Subject"].startswith(f"{len(expected)} new event")
    assert mail["List-Unsubscribe"].strip() == f"<http://hub.test/follow/unsubscribe/{reader.token}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Message-ID"].strip().endswith("@hub.test>") and mail["Date"]
    assert f"http://hub.test/follow/manage/{reader.token}" in plain and f"/follow/manage/{reader.token}" in html
    far = [item for item in catalogue.listings if item.lat is not None and item.lon is not None
           and km_between(*MANCHESTER, item.lat, item.lon) > 25]
    assert far and not any(event_url("", item.uid) in plain for item in far)


def test_nothing_is_sent_when_nothing_new_matches_and_a_new_event_is_sent_alone(
        hub: HubData, engine: Engine, settings: Settings, mail_server: MailServer) -> None:
    follower(engine, "week@example.org", week=WEEK)
    assert build(engine, settings).digests == 1
    assert build(engine, settings).digests == 0          # the same moment: built already
    with clock.travel_to(clock.now() + timedelta(days=7)):
        again = build(engine, settings)
    assert (again.digests, again.nothing_new) == (0, 1)  # next week, the same events: nothing goes
    with clock.travel_to(clock.now() + timedelta(days=7)):
        outbox.send_due(engine, relayed(settings, mail_server))
    digests = [m for m in mail_server.to("week@example.org") if "new event" in m["Subject"]]
    assert len(digests) == 1                             # (a week alert may have gone too: the week is near)


def test_the_digest_in_welsh_is_welsh_in_both_parts_with_welsh_links(
        hub: HubData, engine: Engine, settings: Settings, mail_server: MailServer) -> None:
    reader = follower(engine, "cymraeg@example.org", code="cy", week=WEEK)
    build(engine, settings)
    outbox.send_due(engine, relayed(settings, mail_server))
    [mail] = mail_server.to("cymraeg@example.org")
    plain, html = parts(mail)
    assert "digwyddiad" in mail["Subject"] and "newydd ar y gweill" in mail["Subject"]
    assert "Ychwanegu at eich calendr" in plain and "Ychwanegu at eich calendr" in html
    assert f"http://hub.test/cy/follow/manage/{reader.token}" in plain
    assert mail["List-Unsubscribe"].strip() == f"<http://hub.test/cy/follow/unsubscribe/{reader.token}>"
    assert '<html lang="cy">' in html
    assert "Add to your calendar" not in plain


@pytest.mark.parametrize(("code", "words"), [("en", "starts in 2 days"), ("cy", "yn dechrau ymhen 2 ddiwrnod")])
def test_followers_of_a_week_are_told_a_few_days_before_it_starts(
        hub: HubData, engine: Engine, settings: Settings, mail_server: MailServer, code: str, words: str) -> None:
    follower(engine, f"{code}@example.org", code=code, week=WEEK)
    week = catalogue_of(engine, settings).week(WEEK)
    assert week is not None
    two_days_before = datetime.combine(week.start - timedelta(days=2), datetime.min.time(),
                                       tzinfo=settings.zone).replace(hour=12)
    with clock.travel_to(two_days_before):
        first = build(engine, settings)
        second = build(engine, settings)
        outbox.send_due(engine, relayed(settings, mail_server))
    assert (first.alerts, second.alerts) == (1, 0)       # once per week
    [alert] = [m for m in mail_server.to(f"{code}@example.org") if words in m["Subject"]]
    plain, html = parts(alert)
    assert week.name in alert["Subject"] and week.name in plain and week.name in html
    assert f"/weeks/{WEEK}" in plain and alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize("code", ["en", "cy"])
def test_what_you_follow_names_the_group_and_the_week_not_their_slugs(
        hub: HubData, engine: Engine, settings: Settings, mail_server: MailServer, code: str) -> None:
    catalogue = catalogue_of(engine, settings)
    index = digest.Index(catalogue, now=clock.now())
    group = next(info for info in catalogue.groups if index.by_group.get(info.slug) and info.name != info.slug)
    week = catalogue.week(WEEK)
    assert week is not None and week.name != week.slug
    follower(engine, f"group-{code}@example.org", code=code, group=group.slug)
    follower(engine, f"week-{code}@example.org", code=code, week=WEEK)
    build(engine, settings)
    outbox.send_due(engine, relayed(settings, mail_server))
    [by_group] = [m for m in mail_server.to(f"group-{code}@example.org")]
    digests = [m for m in mail_server.to(f"week-{code}@example.org") if m["Subject"].count("·")]
    for mail, name, slug in [(by_group, group.name, group.slug), *((m, week.name, WEEK) for m in digests)]:
        plain, html = parts(mail)
        line = next(text for text in plain.splitlines() if name in text)
        assert line.endswith("):") and slug not in line
        assert name in html or str(escape(name)) in html


def test_distances_read_as_babel_writes_them_in_both_languages() -> None:
    values = [0.05, 0.15, 0.25, 2.45, 2.35, 9.94, 9.95, 9.96, 10.5, 11.5, 12.5, 1234.5, 25.0, 5.0]
    values += [n / 1000 for n in range(0, 60_000, 37)]
    for code in ("en", "cy"):
        with language.use(code):
            for km in values:
                expected = format_decimal(km, format="#,##0.0" if km < 10 else "#,##0", locale=language.babel_locale())
                assert compose.km_words(km) == f"{expected} km"
