"""Choosing among many groups in the console: by region, sorted, a whole region at once; short names from names."""

from __future__ import annotations

import re

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from calendar_hub.console import calendars, joining, pickers
from calendar_hub.store.models import Feed, Group, Week
from tests.hubdata import HubData
from tests.pages import sign_in, token

REGIONS = {"sanctuary-manchester": "North West", "liverpool-welcome": "North West",
           "cardiff-migrant-welcome": "Wales"}


def _regions(engine: Engine) -> None:
    with Session(engine) as session:
        for group in session.exec(select(Group)).all():
            group.region = REGIONS.get(group.slug, "")
            session.add(group)
        session.commit()


def _week_form(hub: HubData, **changes: object) -> dict[str, object]:
    form = {"name": "Winter of Welcome", "slug": "winter-welcome", "start": hub.day("2026-12-05").isoformat(),
            "end": hub.day("2026-12-13").isoformat(), "tags": "", "description": ""}
    return {**form, **changes}


def test_groups_are_listed_by_region_then_name_with_no_region_last() -> None:
    groups = [Group(slug="b", name="bravo", region="Wales"), Group(slug="a", name="Alpha", region="Wales"),
              Group(slug="z", name="Zulu", region=""), Group(slug="c", name="Charlie", region="north east")]
    regions = pickers.by_region(groups)
    assert [(r.name, [g.slug for g in r.groups]) for r in regions] == [
        ("north east", ["c"]), ("Wales", ["a", "b"]), (pickers.NO_REGION, ["z"])]
    assert pickers.with_regions(["z", "a"], ["Wales"], groups) == ["z", "a", "b"]
    assert pickers.with_regions([], [], groups) == []


def test_the_week_form_shows_each_region_as_a_fieldset(hub: HubData, people: dict[str, str],
                                                       console_client: TestClient, engine: Engine) -> None:
    _regions(engine)
    sign_in(console_client, people["organiser"])
    page = console_client.get("/admin/weeks/new").text
    legends = re.findall(r'<fieldset class="region" data-region>\s*<legend>([^<]+?) <span', page)
    assert legends == ["North West", "Wales"]
    north_west = page.split("<legend>North West", 1)[1].split("</fieldset>", 1)[0]
    assert re.findall(r'name="groups" value="([^"]+)"', north_west) == ["liverpool-welcome", "sanctuary-manchester"]
    assert 'name="all_in_region" value="North West"' in north_west and "Select all in North West" in north_west
    assert 'type="search"' in page and "console-pickers.js" in page


def test_select_all_in_a_region_takes_its_groups_without_javascript(hub: HubData, people: dict[str, str],
                                                                    console_client: TestClient,
                                                                    engine: Engine) -> None:
    _regions(engine)
    sign_in(console_client, people["organiser"])
    csrf = token(console_client, "/admin/")
    # The preview shows every group of the region ticked.
    preview = console_client.post("/admin/weeks/new", data={**_week_form(hub), "all_in_region": ["North West"],
                                                            "preview": "1", "csrf_token": csrf}).text
    ticked = re.findall(r'name="groups" value="([^"]+)" checked', preview)
    assert ticked == ["liverpool-welcome", "sanctuary-manchester"]
    saved = console_client.post("/admin/weeks/new", data={**_week_form(hub), "all_in_region": ["North West"],
                                                          "groups": ["cardiff-migrant-welcome"], "save": "1",
                                                          "csrf_token": csrf})
    assert saved.status_code == 303, saved.text[:500]
    with Session(engine) as session:
        week = session.exec(select(Week).where(Week.slug == "winter-welcome")).one()
        assert week.groups == ["cardiff-migrant-welcome", "liverpool-welcome", "sanctuary-manchester"]


def test_an_empty_short_name_is_made_from_the_name(hub: HubData, people: dict[str, str],
                                                   console_client: TestClient, engine: Engine) -> None:
    assert pickers.suggested_slug("", "Sanctuary Stockport") == "sanctuary-stockport"
    assert pickers.suggested_slug(" kept ", "Anything") == "kept"
    sign_in(console_client, people["organiser"])
    response = console_client.post("/admin/groups", data={"name": "Croeso Caerdydd & Friends", "slug": "",
                                                          "csrf_token": token(console_client, "/admin/")})
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/groups/croeso-caerdydd")
    with Session(engine) as session:
        assert session.exec(select(Group).where(Group.slug == "croeso-caerdydd-friends")).one().name == \
            "Croeso Caerdydd & Friends"
    assert 'data-slug-from="name"' in console_client.get("/admin/groups").text


def _feed_of(engine: Engine, slug: str) -> str:
    with Session(engine) as session:
        group = session.exec(select(Group).where(Group.slug == slug)).one()
        return session.exec(select(Feed).where(Feed.group_id == group.id)).first().url  # type: ignore[union-attr]


def test_the_same_calendar_in_another_shape_is_the_same_calendar() -> None:
    key = calendars.calendar_key
    assert key("webcal://Example.ORG:443/cal.ics#x") == key("https://example.org/cal.ics")
    assert key("http://example.org:80/cal/") == key("https://example.org/cal")
    assert key("https://example.org/cal.ics?a=1") != key("https://example.org/cal.ics?a=2")
    assert key("https://example.org/a.ics") != key("https://example.org/b.ics")


def test_a_join_request_for_a_calendar_a_group_has_is_flagged(hub: HubData, people: dict[str, str],
                                                             console_client: TestClient, engine: Engine) -> None:
    taken = _feed_of(engine, "sanctuary-manchester")
    with Session(engine) as session:
        for name, url in (("Copycat", taken.replace("http://", "webcal://", 1) + "#again"),
                          ("Newcomer", "https://newcomer.example.org/events.ics")):
            joining.submit({"name": name, "home": "", "contact": f"{name.lower()}@example.org", "address": url},
                           feed_url=url, feed_kind="ics", found_how="given", session=session)
    sign_in(console_client, people["organiser"])
    page = console_client.get("/admin/requests").text
    copycat, newcomer = page.split("Copycat", 1)[1].split("Newcomer", 1)
    assert "already belongs to" in copycat and "Sanctuary Manchester" in copycat
    assert "already belongs to" not in newcomer


def test_previewing_a_calendar_another_group_has_warns(hub: HubData, people: dict[str, str],
                                                      console_client: TestClient, engine: Engine) -> None:
    taken = _feed_of(engine, "sanctuary-manchester")
    sign_in(console_client, people["organiser"])
    csrf = token(console_client, "/admin/")
    elsewhere = console_client.post("/admin/groups/liverpool-welcome/feeds/preview", data={"url": taken,
                                                                                          "csrf_token": csrf})
    assert "already belongs to" in elsewhere.text and "Sanctuary Manchester" in elsewhere.text
    own = console_client.post("/admin/groups/sanctuary-manchester/feeds/preview", data={"url": taken,
                                                                                        "csrf_token": csrf})
    assert own.status_code == 200 and "already belongs to" not in own.text
