"""The console at national scale: the dashboard leads with the work waiting and the navigation counts it; changes
that reach the public (archiving a week, pausing a group) ask first and can be undone; a sent event's week."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from calendar_hub import cli, clock, store
from calendar_hub.console import joining, submissions
from calendar_hub.settings import Settings
from calendar_hub.store.models import AuditEntry, Feed, Group, Week
from calendar_hub.web.app import create_app
from tests.hubdata import WEEK, HubData
from tests.pages import confirm, sign_in, token

LONDON = ZoneInfo("Europe/London")


def _wait_for_work(hub: HubData, engine: Engine) -> None:
    """One group asking to join, one sent event, and one failing feed, made as the public forms and a fetch do."""
    with Session(engine) as session:
        joining.submit({"name": "Leeds Welcome", "home": "Leeds", "contact": "hi@leeds.example.org",
                        "address": "https://leeds.example.org/"}, feed_url="https://leeds.example.org/feed.ics",
                       feed_kind="ics", found_how="the address itself", session=session)
        weeks = submissions.open_weeks(session=session, today=clock.today(LONDON))
        checked = submissions.check_form(_sent(hub), weeks=weeks, zone=LONDON, now=clock.now())
        submissions.submit(checked, address="192.0.2.1", session=session)
        feed = session.exec(select(Feed).order_by(col(Feed.id))).first()
        assert feed is not None
        feed.error, feed.consecutive_failures = "HTTP 404 from the calendar's address", 3
        session.add(feed)
        session.commit()


def _sent(hub: HubData, **overrides: str) -> dict[str, str]:
    return {"group_name": "Bristol Welcome", "contact": "sam@bristol.example.org", "title": "Welcome picnic",
            "day": hub.day("2026-12-09").isoformat(), "start_time": "14:00", "end_time": "16:30",
            "location": "Castle Park, Bristol", "url": "", "description": "", "week": WEEK, **overrides}


def _audit(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]


def test_the_dashboard_leads_with_the_work_waiting_and_the_navigation_counts_it(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    _wait_for_work(hub, engine)
    sign_in(console_client, people["organiser"])
    page = console_client.get("/admin/").text
    assert page.index("Work waiting") < page.index("Feed health</h2>")
    for href, words in (("/admin/requests", "1</strong>\n    group asking to join"),
                        ("/admin/submissions", "1</strong>\n    sent event to check"),
                        ("#feed-health", "1</strong>\n    failing feed")):
        assert re.search(rf'<a href="{re.escape(href)}"><strong>{words}', page), href
    assert '<a href="/admin/duplicates"><strong>' in page  # counted here, whatever the number
    # The navigation names each count in words for a screen reader, on every console page.
    for path in ("/admin/", "/admin/events"):
        nav = console_client.get(path).text.split('aria-label="Console"')[1].split("</nav>")[0]
        assert re.search(r'Join requests <span class="count" aria-hidden="true">1</span>'
                         r'<span class="visually-hidden"> \(1 waiting\)</span>', nav), path
        assert "Sent events" in nav and "(1 waiting)</span>" in nav.split("Sent events")[1].split("</a>")[0]
        assert "(1 failing)" in nav.split("Feed health")[1].split("</a>")[0]


def test_nothing_waiting_shows_no_counts_and_an_editor_sees_only_their_groups_feeds(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    sign_in(console_client, people["organiser"])
    nav = console_client.get("/admin/groups").text.split('aria-label="Console"')[1].split("</nav>")[0]
    assert 'class="count"' not in nav
    _wait_for_work(hub, engine)
    with Session(engine) as session:
        first = session.exec(select(Feed).order_by(col(Feed.id))).first()
        manchester = session.exec(select(Group).where(Group.slug == "sanctuary-manchester")).one()
        assert first is not None
        mine = first.group_id == manchester.id
    console_client.post("/admin/logout", data={"csrf_token": token(console_client, "/admin/")})
    sign_in(console_client, people["editor"])
    page = console_client.get("/admin/").text
    assert "/admin/requests" not in page and "/admin/submissions" not in page
    assert ("(1 failing)" in page) == mine


def test_archiving_a_week_asks_first_says_who_is_reached_and_can_be_undone(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    sign_in(console_client, people["organiser"])
    asked = console_client.post(f"/admin/weeks/{WEEK}/archive", data={"csrf_token": token(console_client, "/admin/")})
    assert asked.status_code == 200
    assert "not found" in asked.text and "by e-mail" in asked.text and 'name="confirm" value="yes"' in asked.text
    assert console_client.get(f"/weeks/{WEEK}").status_code == 200  # asking changed nothing
    assert "week.archive" not in _audit(engine)
    done = confirm(console_client, f"/admin/weeks/{WEEK}/archive")
    assert console_client.get(f"/weeks/{WEEK}").status_code == 404
    assert f'action="/admin/weeks/{WEEK}/restore"' in done and "Undo: bring the week back" in done
    undone = console_client.post(f"/admin/weeks/{WEEK}/restore", data={"csrf_token": token(console_client, "/admin/")})
    assert undone.status_code == 303 and console_client.get(f"/weeks/{WEEK}").status_code == 200
    assert _audit(engine)[-2:] == ["week.archive", "week.restore"]


def test_a_confirmation_without_its_csrf_token_is_refused(
        hub: HubData, people: dict[str, str], console_client: TestClient) -> None:
    sign_in(console_client, people["organiser"])
    refused = console_client.post(f"/admin/weeks/{WEEK}/archive", data={"confirm": "yes", "csrf_token": "forged"})
    assert refused.status_code == 403 and console_client.get(f"/weeks/{WEEK}").status_code == 200


def test_pausing_a_group_asks_first_and_can_be_undone(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    sign_in(console_client, people["organiser"])
    asked = console_client.post("/admin/groups/liverpool-welcome/pause",
                                data={"csrf_token": token(console_client, "/admin/")})
    assert asked.status_code == 200 and re.search(r"Its \d+ events? leaves? every calendar", asked.text)
    assert "group.pause" not in _audit(engine)
    with Session(engine) as session:
        assert session.exec(select(Group).where(Group.slug == "liverpool-welcome")).one().active
    done = confirm(console_client, "/admin/groups/liverpool-welcome/pause")
    assert 'action="/admin/groups/liverpool-welcome/resume"' in done
    console_client.post("/admin/groups/liverpool-welcome/resume", data={"csrf_token": token(console_client, "/admin/")})
    with Session(engine) as session:
        assert session.exec(select(Group).where(Group.slug == "liverpool-welcome")).one().active
    assert _audit(engine)[-2:] == ["group.pause", "group.resume"]


def test_a_sent_event_is_shown_in_and_taken_into_the_week_of_its_days_when_two_weeks_share_a_tag(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    with Session(engine) as session:
        week = session.exec(select(Week).where(Week.slug == WEEK)).one()
        week.groups = ["liverpool-welcome"]
        session.add(week)
        later: dict[str, Any] = {"slug": "next-year", "name": "Communities Together next year",
                                 "start_date": week.start_date + timedelta(days=364),
                                 "end_date": week.end_date + timedelta(days=364), "tags": list(week.tags),
                                 "groups": ["liverpool-welcome"]}
        store.add_week(Week(**later), session=session)  # added last: it used to win the shared tag
        store.bump_version(session=session)
        session.commit()
        weeks = submissions.open_weeks(session=session, today=clock.today(LONDON))
        made = submissions.submit(submissions.check_form(_sent(hub), weeks=weeks, zone=LONDON, now=clock.now()),
                                  address="192.0.2.1", session=session)
        name = week.name
    sign_in(console_client, people["organiser"])
    page = console_client.get("/admin/submissions").text
    assert f"<dd>{name}</dd>" in page and "next year" not in page
    with Session(engine) as session:
        assert made.id is not None
        approved = submissions.approve(made.id, group_id=None, session=session, actor="olu@hub.test", zone=LONDON)
        weeks_now = {w.slug: w for w in session.exec(select(Week)).all()}
        assert weeks_now[WEEK].included == [approved.event_uid]
        assert weeks_now["next-year"].included == []


def test_the_demo_has_something_in_every_console_view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    served: list[Settings] = []
    monkeypatch.setattr(cli, "cmd_serve", lambda args, settings: served.append(settings) or 0)
    assert cli.main(["demo", "--folder", str(tmp_path), "--port", "8123"],
                    environ={"CALENDAR_HUB_PARSE_WORKERS": "1"}) == 0
    found = re.search(r"/admin/ as (\S+), password (\S+)", capsys.readouterr().out)
    assert found and served
    with TestClient(create_app(served[0]), follow_redirects=False) as client:
        sign_in(client, found.group(1), found.group(2))
        page = client.get("/admin/").text
        for words in ("1</strong>\n    group asking to join", "1</strong>\n    sent event to check",
                      "1</strong>\n    suspected duplicate", "1</strong>\n    failing feed"):
            assert words in page, words
        assert "Leeds Welcome" in client.get("/admin/requests").text
        assert "Welcome tea dance" in client.get("/admin/submissions").text
        assert "Write for Rights" in client.get("/admin/duplicates").text
        assert "amnesty-croydon-old.txt" in page
