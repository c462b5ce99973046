"""Single events sent through /submit: checked, held for an organiser, approved into every output or rejected."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from calendar_hub import clock, store
from calendar_hub.console import submissions
from calendar_hub.errors import Conflict, InputError
from calendar_hub.identity import published_uid
from calendar_hub.ingest.fetch import fetch
from calendar_hub.ingest.refresh import refresh
from calendar_hub.settings import Settings
from calendar_hub.store.models import AuditEntry, Event, Feed, Group, SubmittedEvent, Week
from tests.feedserver import FeedServer
from tests.hubdata import WEEK, HubData, served
from tests.pages import calendar_events, post, sign_in, token

LONDON = ZoneInfo("Europe/London")
CONTACT = "sam@manchester.example.org"
NEXT_YEAR = clock.now().year + 1


def fields(hub: HubData, **overrides: str) -> dict[str, str]:
    """A form for a picnic in the week of action, with some fields changed."""
    return {"group_name": "sanctuary manchester", "contact": CONTACT, "title": "Welcome picnic",
            "day": hub.day("2026-12-09").isoformat(), "start_time": "14:00", "end_time": "16:30",
            "location": "Whitworth Park, Manchester M14 5TG", "url": "https://manchester.example.org/picnic",
            "description": "Bring food to share.\n\nAll welcome.", "week": WEEK, **overrides}


def send(client: TestClient, data: dict[str, str]) -> Any:
    return client.post("/submit/", data={**data, "csrf_token": token(client, "/submit/")})


def sent(engine: Engine) -> list[SubmittedEvent]:
    with Session(engine) as session:
        return list(session.exec(select(SubmittedEvent).order_by(col(SubmittedEvent.id))).all())


def group_id(engine: Engine, slug: str) -> int:
    with Session(engine) as session:
        found = session.exec(select(Group).where(Group.slug == slug)).one().id
    assert found is not None
    return found


def api_events(client: TestClient, **params: str) -> dict[str, dict[str, Any]]:
    return {e["title"]: e for e in client.get("/api/events.json", params=params).json()["events"]}


def approve(client: TestClient, submission: SubmittedEvent, group: str) -> str:
    return unquote(post(client, f"/admin/submissions/{submission.id}/approve", group=group))


# ---------------------------------------------------------------- the whole flow

def test_a_sent_event_waits_then_an_organiser_approves_it_into_every_output(
        people: dict[str, str], console_client: TestClient, engine: Engine, hub: HubData) -> None:
    form = console_client.get("/submit/")
    assert form.status_code == 200 and "Send us one event" in form.text
    assert "Communities Together for Refugees" in form.text                      # the week to choose
    response = send(console_client, fields(hub))
    assert response.status_code == 200
    assert "Thank you" in response.text and "waits for an organiser" in response.text
    assert [s.status for s in sent(engine)] == ["pending"]
    assert "Welcome picnic" not in api_events(console_client)                             # nothing public yet
    assert "Welcome picnic" not in calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)

    assert sign_in(console_client, people["organiser"]) == 303
    waiting = console_client.get("/admin/submissions").text
    manchester = group_id(engine, "sanctuary-manchester")
    assert f'href="mailto:{CONTACT}"' in waiting and "Whitworth Park, Manchester M14 5TG" in waiting
    assert f'<option value="{manchester}" selected>Sanctuary Manchester' in waiting  # the name matched
    assert "<dt>Week of action</dt><dd>Communities Together for Refugees</dd>" in waiting
    [submission] = sent(engine)
    assert "published now" in approve(console_client, submission, str(manchester))

    start = hub.local("2026-12-09 14:00")
    event = calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)["Welcome picnic"]
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (start, start + timedelta(hours=2, minutes=30))
    listed = api_events(console_client, week=WEEK)["Welcome picnic"]
    assert listed["start"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert [g["slug"] for g in listed["groups"]] == ["sanctuary-manchester"]
    assert listed["weeks"] == [WEEK] and listed["categories"] == ["CT4R"]
    assert "Welcome picnic" in console_client.get(f"/weeks/{WEEK}").text
    assert "Welcome picnic" in console_client.get("/groups/sanctuary-manchester").text
    [submission] = sent(engine)
    assert (submission.status, submission.group_id, submission.decided_by) == ("approved", manchester,
                                                                               people["organiser"])
    assert submission.event_uid == listed["uid"] == published_uid(f"submitted-{submission.id}", "")
    with Session(engine) as session:
        feed = session.exec(select(Feed).where(Feed.origin == "submitted")).one()
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]
    assert (feed.url, feed.group_id, feed.kind) == ("submitted:sanctuary-manchester", manchester, "")
    assert actions[-3:] == ["submission.send", "feed.add", "submission.approve"]
    assert "Approved" not in console_client.get("/admin/submissions").text.split("Decided")[0]
    assert "already been dealt with" in approve(console_client, submission, str(manchester))


def test_times_are_read_in_the_hubs_zone_on_both_sides_of_the_october_change_and_a_new_group_is_made(
        people: dict[str, str], console_client: TestClient, engine: Engine, hub: HubData) -> None:
    summer, winter = date(NEXT_YEAR, 7, 15), date(NEXT_YEAR, 11, 4)
    for title, day in (("Summer supper", summer), ("Winter supper", winter)):
        data = fields(hub, group_name="Leeds Welcome Kitchen", title=title, day=day.isoformat(),
                      start_time="7pm", end_time="21:00", week="")
        assert send(console_client, data).status_code == 200
    assert sign_in(console_client, people["admin"]) == 303
    first, second = sent(engine)
    assert '<option value="new" selected>' in console_client.get("/admin/submissions").text   # no such group yet
    approve(console_client, first, "new")
    leeds = group_id(engine, "leeds-welcome-kitchen")
    assert f'<option value="{leeds}" selected>Leeds Welcome Kitchen' in console_client.get("/admin/submissions").text
    approve(console_client, second, str(leeds))

    listed = api_events(console_client, group="leeds-welcome-kitchen")
    assert listed["Summer supper"]["start"] == f"{summer.isoformat()}T18:00:00Z"      # BST: UTC+1
    assert listed["Winter supper"]["start"] == f"{winter.isoformat()}T19:00:00Z"      # GMT after October
    assert listed["Winter supper"]["end"] == f"{winter.isoformat()}T21:00:00Z"
    page = console_client.get("/groups/leeds-welcome-kitchen").text
    assert page.count(", 19:00–21:00") == 2                                          # local, both
    with Session(engine) as session:
        group = session.exec(select(Group).where(Group.slug == "leeds-welcome-kitchen")).one()
        feeds = session.exec(select(Feed).where(Feed.group_id == group.id)).all()
    assert (group.name, group.origin, group.active, group.contact) == ("Leeds Welcome Kitchen", "console", True,
                                                                       CONTACT)
    assert [(f.url, f.origin) for f in feeds] == [("submitted:leeds-welcome-kitchen", "submitted")]


def test_an_all_day_event_over_several_days_keeps_its_days(people: dict[str, str], console_client: TestClient,
                                                           engine: Engine, hub: HubData) -> None:
    first = hub.day("2026-12-11")
    data = fields(hub, title="Welcome weekend", all_day="yes", start_time="", end_time="", day=first.isoformat(),
                  last_day=(first + timedelta(days=2)).isoformat())
    assert send(console_client, data).status_code == 200
    assert sign_in(console_client, people["organiser"]) == 303
    approve(console_client, sent(engine)[0], "new")
    listed = api_events(console_client, week=WEEK)["Welcome weekend"]
    assert (listed["all_day"], listed["start"], listed["end"]) == (True, first.isoformat(),
                                                                   (first + timedelta(days=3)).isoformat())
    event = calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)["Welcome weekend"]
    assert event.decoded("DTSTART") == first                                          # VALUE=DATE


def test_a_rejected_event_is_kept_with_its_reason_and_published_nowhere(
        people: dict[str, str], console_client: TestClient, engine: Engine, hub: HubData) -> None:
    send(console_client, fields(hub))
    assert sign_in(console_client, people["organiser"]) == 303
    [submission] = sent(engine)
    assert "say why" in unquote(post(console_client, f"/admin/submissions/{submission.id}/reject", note="  "))
    assert sent(engine)[0].status == "pending"
    post(console_client, f"/admin/submissions/{submission.id}/reject", note="a national event, not a local one")
    [submission] = sent(engine)
    assert (submission.status, submission.note, submission.decided_by, submission.event_uid) == (
        "rejected", "a national event, not a local one", people["organiser"], "")
    page = console_client.get("/admin/submissions").text
    assert "No event is waiting" in page and "a national event, not a local one" in page
    assert "Welcome picnic" not in api_events(console_client)
    with Session(engine) as session:
        assert session.exec(select(Feed).where(Feed.origin == "submitted")).all() == []
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "submission.reject")).one()


def test_approval_is_one_transaction(hub: HubData, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    checked = submissions.check_form(fields(hub, group_name="Bristol Welcome"), weeks=_weeks(engine), zone=LONDON,
                                     now=clock.now())
    with Session(engine) as session:
        made = submissions.submit(checked, address="192.0.2.1", session=session)
    assert made.id is not None

    def broken(*args: Any) -> str:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(submissions, "content_hash", broken)  # after the group and feed are made
    with Session(engine) as session, pytest.raises(RuntimeError):
        submissions.approve(made.id, group_id=None, session=session, actor="olu@hub.test")
    with Session(engine) as session:
        assert session.exec(select(Group).where(Group.name == "Bristol Welcome")).all() == []
        assert session.exec(select(Feed).where(Feed.origin == "submitted")).all() == []
        assert session.get(SubmittedEvent, made.id).status == "pending"  # type: ignore[union-attr]


def test_a_paused_group_cannot_be_credited(hub: HubData, engine: Engine) -> None:
    checked = submissions.check_form(fields(hub), weeks=_weeks(engine), zone=LONDON, now=clock.now())
    with Session(engine) as session:
        made = submissions.submit(checked, address="192.0.2.1", session=session)
        group = session.exec(select(Group).where(Group.slug == "liverpool-welcome")).one()
        group.active = False
        session.add(group)
        session.commit()
        assert made.id is not None and group.id is not None
        with pytest.raises(InputError, match="paused"):
            submissions.approve(made.id, group_id=group.id, session=session, actor="olu@hub.test")
        assert session.exec(select(Feed).where(Feed.origin == "submitted")).all() == []


# ---------------------------------------------------------------- safety

def test_a_form_without_its_csrf_token_is_refused(console_client: TestClient, engine: Engine,
                                                 hub: HubData) -> None:
    console_client.get("/submit/")
    assert console_client.post("/submit/", data=fields(hub)).status_code == 403
    assert console_client.post("/submit/", data={**fields(hub), "csrf_token": "forged"}).status_code == 403
    assert sent(engine) == []


def test_a_filled_in_honeypot_drops_the_event_without_a_word(console_client: TestClient, engine: Engine,
                                                            hub: HubData) -> None:
    response = send(console_client, {**fields(hub), "subject": "cheap watches"})
    assert response.status_code == 200 and "Thank you" in response.text
    assert sent(engine) == []
    with Session(engine) as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "submission.send")).all() == []
    assert send(console_client, {**fields(hub), "subject": ""}).status_code == 200 and len(sent(engine)) == 1


def test_one_address_may_send_five_events_an_hour(console_client: TestClient, engine: Engine,
                                                  hub: HubData) -> None:
    earlier = submissions.check_form(fields(hub), weeks=_weeks(engine), zone=LONDON, now=clock.now())
    with Session(engine) as session:  # sent from here more than an hour ago: they do not count
        for _ in range(3):
            submissions.submit(earlier, address="testclient", session=session, now=clock.now() - timedelta(hours=2))
    for n in range(submissions.PER_ADDRESS_PER_HOUR):
        assert send(console_client, fields(hub, title=f"Picnic {n}")).status_code == 200
    response = send(console_client, fields(hub, title="One too many"))
    assert response.status_code == 429 and response.headers["retry-after"] == "3600"
    assert "in the last hour" in response.text and 'role="alert"' in response.text
    assert 'value="One too many"' in response.text                                    # kept to send later
    assert len(sent(engine)) == 3 + submissions.PER_ADDRESS_PER_HOUR


def test_one_contact_may_have_twenty_events_waiting(console_client: TestClient, engine: Engine,
                                                    hub: HubData) -> None:
    checked = submissions.check_form(fields(hub, contact=CONTACT.upper()), weeks=_weeks(engine), zone=LONDON,
                                     now=clock.now())
    with Session(engine) as session:
        for n in range(submissions.PENDING_PER_CONTACT):
            submissions.submit(checked, address=f"192.0.2.{n}", session=session)
    response = send(console_client, fields(hub))
    assert response.status_code == 429 and "already wait for an organiser" in response.text
    assert send(console_client, fields(hub, contact="someone.else@example.org")).status_code == 200


@pytest.mark.parametrize(("overrides", "words"), [
    ({"start_time": "16:00", "end_time": "15:00"}, "must end after it starts"),
    ({"day": "2020-12-09"}, "That time has passed"),
    ({"day": f"{NEXT_YEAR + 2}-06-01", "week": ""}, "up to two years ahead"),
    ({"contact": "sam at manchester"}, "an e-mail address we can reach you at"),
    ({"title": "x" * 201}, "keep the title under 200 characters"),
    ({"title": "   "}, "give the event a title"),
    ({"start_time": ""}, "give a start time, or tick"),
    ({"start_time": "25:00"}, "not a time we can read"),
    ({"day": "next Tuesday"}, "not a day we can read"),
    ({"location": ""}, "say where it happens"),
    ({"url": "javascript:alert(1)"}, "must be a web address"),
    ({"url": "ftp://manchester.example.org/file"}, "must be a web address"),
    ({"week": "no-such-week"}, "choose a week of action from the list"),
    ({"day": f"{NEXT_YEAR}-02-01"}, "is not on those days"),
    ({"day": f"{NEXT_YEAR}-03-28", "week": "", "start_time": "01:30", "end_time": "03:00"}, "clocks go forward"),
    ({"last_day": "2020-01-01"}, "last day is before the first day"),
])
def test_problems_are_said_in_words_and_what_was_typed_is_kept(overrides: dict[str, str], words: str,
                                                               console_client: TestClient, engine: Engine,
                                                               hub: HubData) -> None:
    if overrides.get("start_time") == "01:30":  # the last Sunday of March, whatever the year
        last_sunday = max(date(NEXT_YEAR, 3, d) for d in range(25, 32) if date(NEXT_YEAR, 3, d).weekday() == 6)
        overrides = {**overrides, "day": last_sunday.isoformat()}
    response = send(console_client, fields(hub, **overrides))
    assert response.status_code == 400
    alert = re.search(r'<p class="problem" role="alert"[^>]*>(.*?)</p>', response.text, re.S)
    assert alert and words in alert.group(1).replace("\n", " "), response.text[:2000]
    assert 'aria-invalid="true"' in response.text
    assert 'value="https://manchester.example.org/picnic"' in response.text or "url" in overrides
    assert "Bring food to share.\n\nAll welcome.</textarea>" in response.text
    assert sent(engine) == []


def test_days_and_times_are_read_as_people_write_them(engine: Engine) -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def read(**overrides: str) -> submissions.Checked:
        typed = {"group_name": "Leeds Welcome", "contact": "Hi@Leeds.example.org", "title": "Supper",
                 "day": "5/12/2026", "start_time": "7.30pm", "end_time": "9pm", "location": "Online", **overrides}
        return submissions.check_form(typed, weeks=[], zone=LONDON, now=now)

    supper = read()
    assert (supper.start, supper.end) == (datetime(2026, 12, 5, 19, 30, tzinfo=UTC), datetime(2026, 12, 5, 21, 0,
                                                                                                 tzinfo=UTC))
    assert supper.contact == "hi@leeds.example.org" and supper.url == "" and supper.categories == ()
    # The hour the clocks go back happens twice: the first one (still summer time) is taken.
    twice = read(day="2027-10-31", start_time="01:30", end_time="02:30")
    assert twice.start == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    overnight = read(start_time="22:00", end_time="02:00", last_day="6/12/2026")
    assert overnight.end - overnight.start == timedelta(hours=4)
    days = read(all_day="yes", start_time="", end_time="", last_day="2026-12-06")
    assert (days.all_day, days.start_date, days.end_date) == (True, date(2026, 12, 5), date(2026, 12, 7))
    assert days.start == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
    assert read(url="www.leeds.example.org/supper").url == "https://www.leeds.example.org/supper"
    assert read(title="Sup\x00per  night").title == "Supper night"              # PostgreSQL refuses NUL
    assert read(day="2026-11-22", all_day="yes", start_time="", end_time="").start_date == date(2026, 11, 22)
    with pytest.raises(submissions.FormProblems) as caught:
        read(group_name="", contact="", title="")
    assert set(caught.value.problems) == {"group_name", "contact", "title"}


def test_hostile_text_reaches_every_page_escaped(people: dict[str, str], console_client: TestClient,
                                                 engine: Engine, hub: HubData) -> None:
    title = '<script>alert("t")</script> Picnic'
    description = "<img src=x onerror=alert(1)>\n\n<b>Second</b> paragraph"
    hostile = fields(hub, title=title, description=description, group_name="<i>Gang</i>",
                     location="<svg onload=alert(2)> Park")
    refused = send(console_client, {**hostile, "end_time": "13:00"})                         # the form, sent back
    assert refused.status_code == 400
    send(console_client, hostile)
    assert sign_in(console_client, people["organiser"]) == 303
    pages = [refused.text, console_client.get("/admin/submissions").text]
    approve(console_client, sent(engine)[0], "new")
    assert group_id(engine, "i-gang-i")                                               # made from "<i>Gang</i>"
    pages += [console_client.get(path).text
              for path in (f"/weeks/{WEEK}", "/groups/i-gang-i", "/", "/admin/submissions")]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page and "<svg onload" not in page
        assert "<i>Gang" not in page and "<b>Second" not in page
        assert "&lt;script&gt;alert(" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in pages[3]                         # the group page's details
    listed = api_events(console_client, week=WEEK)[title]
    assert listed["description"] == description and listed["location"] == "<svg onload=alert(2)> Park"
    event = calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)[title]
    assert str(event["DESCRIPTION"]).startswith("<img src=x onerror=alert(1)>")     # plain text, as ICS is
    atom = console_client.get("/feed.atom").text
    assert "<img src=x" not in atom and "<script>alert" not in atom


def test_only_organisers_and_admins_see_and_decide_sent_events(people: dict[str, str], console_client: TestClient,
                                                               engine: Engine, hub: HubData) -> None:
    send(console_client, fields(hub))
    [submission] = sent(engine)
    response = console_client.get("/admin/submissions")
    assert response.status_code == 303 and response.headers["location"] == "/admin/login?next=/admin/submissions"
    action = f"/admin/submissions/{submission.id}/approve"
    assert console_client.post(action, data={"csrf_token": token(console_client), "group": "new"}).status_code == 403
    assert sign_in(console_client, people["editor"]) == 303
    assert console_client.get("/admin/submissions").status_code == 403
    response = console_client.post(action, data={"csrf_token": token(console_client, "/admin/"), "group": "new"})
    assert response.status_code == 403
    assert "/admin/submissions" not in console_client.get("/admin/").text                   # not in an editor's nav
    assert [s.status for s in sent(engine)] == ["pending"]


# ---------------------------------------------------------------- refreshes and the registry leave them be

def test_a_refresh_never_fetches_a_submitted_feed_and_keeps_its_event_and_uid(
        people: dict[str, str], console_client: TestClient, engine: Engine, settings: Settings,
        hub: HubData, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    send(console_client, fields(hub))
    assert sign_in(console_client, people["organiser"]) == 303
    approve(console_client, sent(engine)[0], str(group_id(engine, "sanctuary-manchester")))
    before = calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)["Welcome picnic"]
    fetched: list[str] = []

    async def spying(console_client: Any, url: str, **kwargs: Any) -> Any:
        fetched.append(url)
        return await fetch(console_client, url, **kwargs)

    monkeypatch.setattr("calendar_hub.ingest.refresh.fetch", spying)
    report = asyncio.run(refresh(engine, settings, due_only=False))
    assert len(fetched) == 3 and not any(url.startswith("submitted:") for url in fetched)
    assert not any(job.origin == "submitted" for job, _outcome in report.outcomes)
    with Session(engine) as session:  # the registry loaded again: its feeds are its own, this one is not
        store.apply_registry(served(hub, feed_server), session=session)
        feed = session.exec(select(Feed).where(Feed.origin == "submitted")).one()
        assert feed.active and feed.last_attempt_at is None
        assert session.exec(select(Event).where(Event.feed_id == feed.id)).one().title == "Welcome picnic"
    after = calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)["Welcome picnic"]
    assert str(after["UID"]) == str(before["UID"]) == sent(engine)[0].event_uid
    page = console_client.get("/admin/").text
    assert "Sent through /submit" in page and page.count("Not fetched yet") == 0


def test_the_form_has_a_label_for_every_field_and_join_points_to_it(console_client: TestClient) -> None:
    page = console_client.get("/submit/").text
    ids = re.findall(r'<(?:input|select|textarea) id="([^"]+)"', page)
    assert {"group_name", "contact", "title", "day", "all_day", "start_time", "end_time", "last_day", "location",
            "description", "url", "week", "subject"} <= set(ids)
    for found in ids:
        assert f'<label for="{found}">' in page, found
    assert 'name="csrf_token"' in page and 'class="trap" aria-hidden="true"' in page
    assert 'href="/submit/"' in console_client.get("/join/").text


def _weeks(engine: Engine) -> list[Week]:
    with Session(engine) as session:
        return submissions.open_weeks(session=session, today=clock.today(LONDON))


def test_an_event_sent_for_a_week_that_names_its_groups_is_taken_into_it(hub: HubData, engine: Engine,
                                                                         console_client: TestClient) -> None:
    with Session(engine) as session:  # the week takes only its named groups' events
        week = session.exec(select(Week).where(Week.slug == WEEK)).one()
        week.groups = ["liverpool-welcome"]
        session.add(week)
        store.bump_version(session=session)
        session.commit()
    checked = submissions.check_form(fields(hub, group_name="Bristol Welcome"), weeks=_weeks(engine), zone=LONDON,
                                     now=clock.now())
    with Session(engine) as session:
        made = submissions.submit(checked, address="192.0.2.1", session=session)
        assert made.id is not None
        approved = submissions.approve(made.id, group_id=None, session=session, actor="olu@hub.test")
        week = session.exec(select(Week).where(Week.slug == WEEK)).one()
        assert week.included == [approved.event_uid] and week.origin == "console"
    assert "Welcome picnic" in calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)


def test_a_sent_event_is_decided_once_even_by_two_organisers_at_the_same_time(hub: HubData,
                                                                              engine: Engine) -> None:
    checked = submissions.check_form(fields(hub), weeks=_weeks(engine), zone=LONDON, now=clock.now())
    with Session(engine) as session:
        made = submissions.submit(checked, address="192.0.2.1", session=session)
    assert made.id is not None
    manchester = group_id(engine, "sanctuary-manchester")
    # Both organisers loaded the page while it waited; one approves, then the other's decision arrives.
    with Session(engine) as first, Session(engine) as second:
        first.get(SubmittedEvent, made.id)
        second.get(SubmittedEvent, made.id)
        submissions.approve(made.id, group_id=manchester, session=first, actor="olu@hub.test")
        with pytest.raises(Conflict, match="already been dealt with"):
            submissions.reject(made.id, "spam", session=second, actor="ada@hub.test")
        with pytest.raises(Conflict, match="already been dealt with"):
            submissions.approve(made.id, group_id=manchester, session=second, actor="ada@hub.test")
    with Session(engine) as session:
        decided = session.get(SubmittedEvent, made.id)
        assert decided is not None and (decided.status, decided.decided_by, decided.address) == (
            "approved", "olu@hub.test", "")
        assert len(session.exec(select(Event).where(Event.source_uid == f"submitted-{made.id}")).all()) == 1


# ---------------------------------------------------------------- the form's hints and its place in the navigation

def test_a_date_field_gives_no_example_day_that_a_browser_may_show_in_another_order(client: TestClient) -> None:
    import lxml.html

    page = lxml.html.fromstring(client.get("/submit/").text)
    dates = page.xpath("//input[@type='date']")
    assert {field.get("name") for field in dates} == {"day", "last_day"}
    for field in dates:
        hints = " ".join(page.get_element_by_id(i).text_content() for i in field.get("aria-describedby", "").split())
        # an en-US browser shows mm/dd/yyyy, most others dd/mm/yyyy: a written day would read wrong in one of them
        assert not re.search(r"\d", hints), hints
    assert "Pick the day" in page.get_element_by_id("day-hint").text_content()


@pytest.mark.parametrize("path", ["/", "/groups", "/about", "/join/", "/submit/"])
def test_every_public_page_links_to_submit_in_the_navigation(path: str, client: TestClient) -> None:
    import lxml.html

    page = lxml.html.fromstring(client.get(path).text)
    assert "/submit/" in page.xpath("//nav[@aria-label='Main']//a/@href")
