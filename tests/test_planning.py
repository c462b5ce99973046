"""Planning weeks of action in the console: the form, its preview, events taken in or out by hand, the registry."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from calendar_hub import cli, store
from calendar_hub.ingest.refresh import refresh
from calendar_hub.registry import read_registry
from calendar_hub.settings import Settings
from calendar_hub.store.models import AuditEntry, Group, Week
from tests.feedserver import FeedServer
from tests.hubdata import WEEK, HubData, moved_hub, served
from tests.pages import calendar_events, confirm, post, sign_in, token

TAKEN_IN_CT4R = {"Welcome Walk", "Refugee Week Social", "Film night: Flee", "Solidarity vigil #CT4R",
                 "Supper club & stories #CT4R"}


def week_form(hub: HubData, **changes: str) -> dict[str, str]:
    form = {"name": "Winter of Welcome", "slug": "winter-welcome", "start": hub.day("2026-12-05").isoformat(),
            "end": hub.day("2026-12-13").isoformat(), "tags": "#CT4R", "description": "Local actions all winter."}
    return {**form, **changes}


def sections(page: str) -> dict[str, str]:
    """The preview's "Taken" and "Left out" lists, as text."""
    taken = page.split("<h3>Taken", 1)[1].split("<h3>Left out", 1)
    return {"taken": taken[0], "left": taken[1]}


def refresh_all(engine: Engine, settings: Settings) -> None:
    asyncio.run(refresh(engine, settings, due_only=False))


def test_an_organiser_previews_a_week_then_makes_it_and_it_is_published(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    assert sign_in(console_client, people["organiser"]) == 303
    assert console_client.get("/admin/weeks/new").status_code == 200
    response = console_client.post("/admin/weeks/new", data={**week_form(hub), "preview": "1",
                                                             "csrf_token": token(console_client, "/admin/")})
    assert response.status_code == 200
    shown = sections(response.text)
    for title in TAKEN_IN_CT4R:
        assert title.replace("&", "&amp;") in shown["taken"], title
    assert "#ct4r in the title" in shown["taken"] and "category CT4R" in shown["taken"]
    assert "#ct4r in the description" in shown["taken"]
    assert "Craft fair" in shown["left"] and "carries none of the week&#39;s tags" in shown["left"]
    with Session(engine) as session:  # a preview saves nothing
        assert session.exec(select(Week).where(Week.slug == "winter-welcome")).first() is None

    assert post(console_client, "/admin/weeks/new", **week_form(hub)).startswith(
        "/admin/weeks/winter-welcome/edit?done=")
    page = console_client.get("/weeks/winter-welcome")
    assert page.status_code == 200 and "Local actions all winter." in page.text
    assert set(calendar_events(console_client.get("/weeks/winter-welcome.ics").content)) == TAKEN_IN_CT4R
    with Session(engine) as session:
        week = session.exec(select(Week).where(Week.slug == "winter-welcome")).one()
        assert week.origin == "console" and week.tags == ["CT4R"]
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "week.add")).one()
        assert entry.actor == people["organiser"] and entry.target == "winter-welcome"


def test_a_week_that_names_groups_takes_only_their_events(hub: HubData, people: dict[str, str],
                                                          console_client: TestClient) -> None:
    sign_in(console_client, people["organiser"])
    console_client.post("/admin/weeks/new", data={**week_form(hub), "groups": ["liverpool-welcome"],
                                                  "csrf_token": token(console_client, "/admin/")})
    titles = set(calendar_events(console_client.get("/weeks/winter-welcome.ics").content))
    assert titles and titles < TAKEN_IN_CT4R
    assert "Solidarity vigil #CT4R" in titles and "Film night: Flee" not in titles
    page = console_client.get("/admin/weeks/winter-welcome/edit").text
    assert "not by a group taking part" in sections(page)["left"]


def test_the_live_preview_answers_for_the_week_as_typed(hub: HubData, people: dict[str, str],
                                                        console_client: TestClient) -> None:
    csrf = token(console_client)
    assert console_client.post("/admin/weeks/preview", data={**week_form(hub), "csrf_token": csrf}).status_code == 403
    sign_in(console_client, people["organiser"])
    csrf = token(console_client, "/admin/")
    fragment = console_client.post("/admin/weeks/preview", data={**week_form(hub, tags="TogetherWithRefugees"),
                                                          "csrf_token": csrf})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Craft fair #TogetherWithRefugees" in sections(fragment.text)["taken"]
    assert "Film night" in sections(fragment.text)["left"]
    everything = console_client.post("/admin/weeks/preview", data={**week_form(hub, tags=""), "csrf_token": csrf}).text
    assert "the week takes every event in its days (no tags set)" in everything
    assert "Craft fair" in sections(everything)["taken"] and "Film night" in sections(everything)["taken"]
    assert console_client.post("/admin/weeks/preview", data={**week_form(hub)}).status_code == 403  # no token


def test_events_are_taken_in_left_out_and_featured_by_hand(hub: HubData, people: dict[str, str],
                                                           console_client: TestClient, engine: Engine,
                                                           settings: Settings) -> None:
    sign_in(console_client, people["organiser"])
    uids = {e["title"]: e["uid"] for e in console_client.get("/api/events.json").json()["events"]}

    def choose(title: str, choice: str) -> None:
        post(console_client, f"/admin/weeks/{WEEK}/events", uid=uids[title], choice=choice, title=title)

    choose("Welcome Walk", "exclude")
    choose("English conversation class", "include")
    choose("Film night: Flee", "feature")
    refresh_all(engine, settings)  # choices are kept by published UID, so a refresh keeps them
    titles = set(calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content))
    assert "Welcome Walk" not in titles and "English conversation class" in titles
    page = console_client.get(f"/weeks/{WEEK}").text
    featured = page.split('id="featured-heading"', 1)[1].split("</section>", 1)[0]
    assert "Film night: Flee" in featured and "Solidarity vigil" not in featured
    edit = console_client.get(f"/admin/weeks/{WEEK}/edit").text
    assert "left out by hand" in sections(edit)["left"] and "taken in by hand" in sections(edit)["taken"]

    choose("Welcome Walk", "clear")
    choose("Film night: Flee", "unfeature")
    assert "Welcome Walk" in set(calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content))
    assert 'id="featured-heading"' not in console_client.get(f"/weeks/{WEEK}").text
    with Session(engine) as session:
        week = session.exec(select(Week).where(Week.slug == WEEK)).one()
        assert week.origin == "console" and week.excluded == [] and week.featured == []
        actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.target == WEEK))]
        assert actions == ["week.exclude", "week.include", "week.feature", "week.clear", "week.unfeature"]


def test_a_week_form_with_mistakes_comes_back_with_what_was_typed(hub: HubData, people: dict[str, str],
                                                                  console_client: TestClient, engine: Engine) -> None:
    sign_in(console_client, people["organiser"])
    csrf = token(console_client, "/admin/")
    for changes, problem in [
        ({"end": hub.day("2026-12-01").isoformat()}, "The last day is before the first day."),
        ({"start": "5th December"}, "Please give the first day as a date"),
        ({"slug": "new"}, "The short name may use only"),
        ({"slug": WEEK}, f"There is already a week called {WEEK}."),
        ({"name": " "}, "A week needs a name."),
    ]:
        response = console_client.post("/admin/weeks/new", data={**week_form(hub, **changes), "csrf_token": csrf})
        assert response.status_code == 400 and problem in response.text, changes
        assert "Local actions all winter." in response.text
    with Session(engine) as session:
        assert session.exec(select(Week).where(Week.slug != WEEK)).all() == []


def test_editing_a_registry_week_makes_it_the_consoles_and_load_keeps_it(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine,
        feed_server: FeedServer) -> None:
    registry = served(hub, feed_server)  # the registry as the hub fixture loaded it
    sign_in(console_client, people["organiser"])
    form = {**week_form(hub), "name": "Communities Together (winter)", "tags": "CT4R"}
    assert post(console_client, f"/admin/weeks/{WEEK}/edit", **form).startswith(f"/admin/weeks/{WEEK}/edit?done=")
    post(console_client, "/admin/groups", slug="new-welcome", name="New Welcome", home="Leeds")
    with Session(engine) as session:
        changes = store.apply_registry(registry, session=session)
        assert sorted(changes.kept) == [f"week {WEEK}"]
        assert not changes.deactivated  # the console's group is not paused for missing from the files
    assert "Communities Together (winter)" in console_client.get(f"/weeks/{WEEK}").text
    assert "New Welcome" in console_client.get("/groups").text
    assert "Craft fair #TogetherWithRefugees" not in calendar_events(console_client.get(f"/weeks/{WEEK}.ics").content)

    with Session(engine) as session:
        store.apply_registry(registry, session=session, overwrite_console=True)
        assert session.exec(select(Week).where(Week.slug == WEEK)).one().origin == "registry"
    assert "Communities Together for Refugees" in console_client.get(f"/weeks/{WEEK}").text


def test_archiving_a_week_takes_its_page_away_until_it_comes_back(hub: HubData, people: dict[str, str],
                                                                  console_client: TestClient) -> None:
    sign_in(console_client, people["organiser"])
    confirm(console_client, f"/admin/weeks/{WEEK}/archive")
    assert console_client.get(f"/weeks/{WEEK}").status_code == 404
    assert "(archived)" in console_client.get("/admin/weeks").text
    post(console_client, f"/admin/weeks/{WEEK}/restore")
    assert console_client.get(f"/weeks/{WEEK}").status_code == 200


def test_only_organisers_plan_weeks(hub: HubData, people: dict[str, str], console_client: TestClient) -> None:
    assert console_client.get("/admin/weeks/new").headers["location"].startswith("/admin/login?next=")
    csrf = token(console_client)
    for path in ("/admin/weeks/new", f"/admin/weeks/{WEEK}/edit", f"/admin/weeks/{WEEK}/events",
                 f"/admin/weeks/{WEEK}/archive"):
        assert console_client.post(path, data={**week_form(hub), "uid": "x", "choice": "exclude",
                                               "csrf_token": csrf}).status_code == 403, path
    sign_in(console_client, people["editor"])
    assert console_client.get("/admin/weeks/new").status_code == 403
    assert console_client.get(f"/admin/weeks/{WEEK}/edit").status_code == 403
    response = console_client.post(f"/admin/weeks/{WEEK}/events", data={"uid": "x", "choice": "exclude",
                                                                     "csrf_token": token(console_client, "/admin/")})
    assert response.status_code == 403


def test_feed_text_in_the_planner_is_escaped(hub: HubData, people: dict[str, str], console_client: TestClient) -> None:
    sign_in(console_client, people["organiser"])
    hostile = '<script>alert(1)</script>'
    response = console_client.post("/admin/weeks/new",
                                   data={**week_form(hub, name=hostile, tags=hostile, description=hostile),
                                         "preview": "1", "csrf_token": token(console_client, "/admin/")})
    assert "<script>alert(1)" not in response.text and "&lt;script&gt;" in response.text
    # Event titles in the preview are escaped too ("Supper club & stories" is written &amp;).
    assert "Supper club &amp; stories" in console_client.post(
        "/admin/weeks/preview", data={**week_form(hub), "csrf_token": token(console_client, "/admin/")}).text


def test_export_registry_writes_groups_and_weeks_that_load_back(tmp_path: Path, engine: Engine,
                                                                 database_url: str) -> None:
    data = moved_hub(tmp_path)  # local feed files, as the demo has
    with Session(engine) as session:
        store.apply_registry(data.registry, session=session)
        week = session.exec(select(Week).where(Week.slug == WEEK)).one()
        week.excluded, week.featured, week.origin = ["gone@hub"], ["first@hub"], "console"
        session.add(Group(slug="made-here", name="Made \"here\" \\ too", home="Leeds", origin="console"))
        session.commit()
    out = tmp_path / "exported"
    assert cli.main(["export-registry", str(out)], environ={"CALENDAR_HUB_DATABASE_URL": database_url}) == 0
    again = read_registry(out)
    assert {g.slug for g in again.groups} == {g.slug for g in data.registry.groups} | {"made-here"}
    assert again.group("made-here") is not None and again.group("made-here").name == 'Made "here" \\ too'
    exported_week = again.week(WEEK)
    assert exported_week is not None and exported_week.exclude == ("gone@hub",)
    assert exported_week.featured == ("first@hub",) and exported_week.tags == data.registry.weeks[0].tags
    for group in again.groups:  # every local feed copied beside the new hub.toml, with the same bytes
        for feed in group.feeds:
            copied = Path(re.sub("^file://", "", feed.url))
            assert copied.is_relative_to(out.resolve()) and copied.read_bytes()
    with Session(engine) as session:  # loaded back, the files own everything again and nothing is lost
        store.apply_registry(again, session=session, overwrite_console=True)
        assert {g.slug for g in store.active_groups(session=session)} == {g.slug for g in again.groups}
        week = session.exec(select(Week).where(Week.slug == WEEK)).one()
        assert (week.origin, week.excluded, week.featured) == ("registry", ["gone@hub"], ["first@hub"])


@pytest.mark.parametrize("choice", ["include", "exclude"])
def test_a_registry_week_lists_events_taken_in_or_out_by_hand(tmp_path: Path, choice: str) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    key = "include" if choice == "include" else "exclude"
    (folder / "hub.toml").write_text(f'[[week]]\nslug = "w"\nname = "W"\nstart = 2027-06-14\nend = 2027-06-20\n'
                                     f'tags = []\n{key} = ["a@x", "a@x", "b@x"]\n', encoding="utf-8")
    week = read_registry(folder).weeks[0]
    assert getattr(week, key) == ("a@x", "b@x")


def test_a_paused_group_stays_named_by_its_week_when_the_week_is_saved(
        hub: HubData, people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    sign_in(console_client, people["organiser"])
    post(console_client, "/admin/weeks/new", **week_form(hub), groups=["liverpool-welcome", "cardiff-migrant-welcome"])
    confirm(console_client, "/admin/groups/liverpool-welcome/pause")
    page = console_client.get("/admin/weeks/winter-welcome/edit").text
    assert re.search(r'value="liverpool-welcome" checked> liverpool-welcome <span class="muted">\(paused\)', page)
    post(console_client, "/admin/weeks/winter-welcome/edit", **week_form(hub, name="Winter of Welcome II"),
         groups=["liverpool-welcome", "cardiff-migrant-welcome"])
    with Session(engine) as session:
        week = session.exec(select(Week).where(Week.slug == "winter-welcome")).one()
        assert (week.name, week.groups) == ("Winter of Welcome II", ["cardiff-migrant-welcome", "liverpool-welcome"])
