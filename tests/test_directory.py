"""The group directory: what a group does in the registry, the database and the console; /groups with its filters,
a group's page, and /groups.geojson and /api/groups.json for partners, which always pick the same groups."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from calendar_hub import services, store
from calendar_hub.errors import ConfigError
from calendar_hub.registry import FeedSpec, GroupSpec, Registry, read_registry
from calendar_hub.registry_export import write_registry
from calendar_hub.store import Engine
from calendar_hub.store.engine import alembic_config, make_engine
from calendar_hub.store.models import AuditEntry, Group
from tests.pages import post, sign_in, token

DEMO = Path(__file__).resolve().parent.parent / "feeds" / "demo"
NORTH_WEST = {"sanctuary-stockport", "manchester-welcome-circle", "merseyside-refugee-welcome",
              "aigburth-community-hub"}
ESOL = {"sanctuary-stockport", "manchester-welcome-circle", "coventry-migrant-welcome",
        "plymouth-welcomes-refugees", "sheffield-conversation-club", "cardiff-migrant-welcome"}


def registry_file(folder: Path, group: str) -> Path:
    """A registry folder holding one group table (plus its feed file) as written."""
    (folder / "feeds").mkdir(parents=True, exist_ok=True)
    (folder / "feeds" / "a.ics").write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", encoding="utf-8")
    (folder / "hub.toml").write_text('[[group]]\nslug = "leeds-welcome"\nname = "Leeds Welcome"\n'
                                     f'feeds = ["feeds/a.ics"]\n{group}\n', encoding="utf-8")
    return folder


def listed(page: str, list_id: str = "group-list") -> list[str]:
    """The slugs of a directory page's list, in order."""
    found = re.search(rf'<ul class="groups-list" id="{list_id}">(.*?)</ul>\s*</section>', page, re.S)
    return re.findall(r'<li class="group-card" data-slug="([^"]+)"', found.group(1)) if found else []


# -- the registry ---------------------------------------------------------------------------------------


def test_the_demo_groups_say_what_they_do_and_where() -> None:
    registry = read_registry(DEMO)
    assert len(registry.groups) == 13
    for group in registry.groups:
        assert group.services and all(services.known(s) for s in group.services), group.slug
        assert 40 < len(group.description) <= 500 and group.areas, group.slug
    stockport = registry.group("sanctuary-stockport")
    assert stockport is not None and stockport.areas == ("Stockport", "Tameside")
    assert {g.slug for g in registry.groups if "english-classes" in g.services} == ESOL


def test_the_vocabulary_has_short_slugs_and_a_welsh_label_for_each() -> None:
    assert 15 <= len(services.SERVICES) <= 25
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", slug) for slug in services.SERVICES)
    for slug in services.SERVICES:
        labels = services.labels(slug)
        assert labels["en"] == services.SERVICES[slug]
        assert labels["cy"] and labels["cy"] != labels["en"], slug   # every label is translated
    assert services.labels("english-classes")["cy"] == "Dosbarthiadau Saesneg (ESOL)"


@pytest.mark.parametrize(("written", "message"), [
    ('services = ["english-classes", "knitting"]',
     "group 'leeds-welcome': unknown service 'knitting' (known services: english-classes, conversation, "),
    ('services = ["food", "food"]', "a service is listed twice in 'services'"),
    ('services = "food"', "'services' must be a list of strings"),
    (f'description = "{"x" * 501}"', "description is 501 characters long (at most 500"),
    ("description = 5", "'description' must be a string"),
    ('areas = ["Leeds", "leeds"]', "an area is listed twice in 'areas'"),
    ('areas = ["Leeds", " "]', "areas must not be empty"),
    (f'areas = ["{"y" * 101}"]', "an area is longer than 100 characters"),
    ("areas = [" + ", ".join(f'"Area {i}"' for i in range(21)) + "]", "at most 20 areas"),
])
def test_a_wrong_service_description_or_area_stops_the_load_naming_it(tmp_path: Path, written: str,
                                                                       message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        read_registry(registry_file(tmp_path, written))


def test_a_description_is_one_paragraph_however_the_file_wraps_it(tmp_path: Path) -> None:
    folder = registry_file(tmp_path, 'description = """A drop-in\n   on Tuesdays."""\nareas = [" Leeds  North "]')
    group = read_registry(folder).groups[0]
    assert (group.description, group.areas) == ("A drop-in on Tuesdays.", ("Leeds North",))


def test_export_writes_what_a_group_does_back_and_reads_it_the_same(tmp_path: Path) -> None:
    registry_file(tmp_path, "")
    group = GroupSpec("leeds-welcome", "Leeds Welcome", home="Leeds", services=("food", "english-classes"),
                      description='A "welcome" table, every Friday.', areas=("Leeds", "Bradford"),
                      feeds=(FeedSpec("https://leeds.example.org/cal.ics"),))
    registry = Registry(groups=(group, GroupSpec("quiet", "Quiet")), weeks=())
    write_registry(registry, tmp_path)
    written = (tmp_path / "hub.toml").read_text(encoding="utf-8")
    assert 'services = ["food", "english-classes"]' in written and 'areas = ["Leeds", "Bradford"]' in written
    assert written.count("services =") == 1   # a group that says nothing gets no empty keys
    assert read_registry(tmp_path) == registry


def test_loading_stores_what_a_group_does_and_export_gives_it_back(tmp_path: Path, engine: Engine) -> None:
    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy)
    registry = read_registry(copy)
    with Session(engine) as session:
        store.apply_registry(registry, session=session)
        again = store.apply_registry(registry, session=session)
        held = {g.slug: g for g in store.current_registry(session=session).groups}
    assert not again.changed    # the new fields compare equal once stored: loading twice changes nothing
    for group in registry.groups:
        assert (held[group.slug].services, held[group.slug].description, held[group.slug].areas) == \
            (group.services, group.description, group.areas)
    changed = Registry(groups=tuple(g if g.slug != "belfast-unity-choir" else
                                    GroupSpec(**{**{f: getattr(g, f) for f in g.__slots__}, "services": ("sport",)})
                                    for g in registry.groups), weeks=registry.weeks)
    with Session(engine) as session:
        assert store.apply_registry(changed, session=session).counts["updated", "group"] == 1


def test_the_migration_gives_groups_stored_before_it_empty_services(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(engine)
    before = ScriptDirectory.from_config(config).get_revision("0015").down_revision
    assert isinstance(before, str)
    command.downgrade(config, before)
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO hub_group (slug, name, website, home, region, contact, active, origin, created_at, "
            "updated_at) VALUES ('g', 'G', '', '', '', '', true, 'registry', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    command.upgrade(config, "head")
    with Session(engine) as session:
        group = session.exec(select(Group)).one()
        assert (group.services, group.description, group.areas) == ([], "", [])
        group.services, group.areas = ["food"], ["Leeds"]
        session.commit()
    command.downgrade(config, before)   # and back again
    command.upgrade(config, "head")
    engine.dispose()


# -- the console ----------------------------------------------------------------------------------------


def test_an_organiser_edits_what_a_group_does_and_the_public_page_shows_it(people: dict[str, str],
                                                                           console_client: TestClient,
                                                                           engine: Engine) -> None:
    assert sign_in(console_client, people["organiser"]) == 303
    form = console_client.get("/admin/groups/sanctuary-manchester").text
    assert form.count('type="checkbox" name="services"') == len(services.SERVICES)
    assert 'value="english-classes"> English classes (ESOL)</label>' in form
    done = console_client.post("/admin/groups/sanctuary-manchester", data={
        "csrf_token": token(console_client, "/admin/"), "name": "Sanctuary Manchester", "home": "Manchester",
        "website": "", "contact": "hello@manchester.example.org",
        "description": "  A drop-in\nwith tea.  ", "areas": "Rusholme, Moss Side; rusholme",
        "services": ["legal-advice", "english-classes"]})
    assert done.status_code == 303 and "Saved" in html.unescape(done.headers["location"].replace("%20", " "))
    with Session(engine) as session:
        group = session.exec(select(Group).where(Group.slug == "sanctuary-manchester")).one()
        # in the vocabulary's order, each area once
        assert (group.services, group.description, group.areas) == (
            ["english-classes", "legal-advice"], "A drop-in with tea.", ["Rusholme", "Moss Side"])
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "group.edit")
                             .order_by(col(AuditEntry.id).desc())).first()
        assert entry is not None and entry.detail["services"] == [[], ["english-classes", "legal-advice"]]
        assert entry.detail["areas"] == [[], ["Rusholme", "Moss Side"]]
    page = console_client.get("/groups/sanctuary-manchester").text
    assert "A drop-in with tea." in page and "Legal advice" in page and "Rusholme, Moss Side" in page
    assert 'href="mailto:hello@manchester.example.org"' in page
    # unticking every box takes every service away
    post(console_client, "/admin/groups/sanctuary-manchester", name="Sanctuary Manchester",
         description="A drop-in with tea.", areas="Rusholme, Moss Side", contact="hello@manchester.example.org",
         home="Manchester")
    with Session(engine) as session:
        assert session.exec(select(Group).where(Group.slug == "sanctuary-manchester")).one().services == []


def test_the_console_refuses_an_unknown_service_and_a_long_description(people: dict[str, str],
                                                                       console_client: TestClient) -> None:
    assert sign_in(console_client, people["organiser"]) == 303
    for extra, said in (({"services": ["knitting"]}, "There is no service called knitting"),
                        ({"description": "x" * 501}, "The description is too long (at most 500 characters)")):
        answer = console_client.post("/admin/groups/sanctuary-manchester", data={
            "csrf_token": token(console_client, "/admin/"), "name": "Sanctuary Manchester", **extra})
        assert answer.status_code == 400 and said in answer.text


def test_a_group_added_in_the_console_can_say_what_it_does(people: dict[str, str], console_client: TestClient,
                                                           engine: Engine) -> None:
    assert sign_in(console_client, people["admin"]) == 303
    post(console_client, "/admin/groups", slug="bradford-welcome", name="Bradford Welcome", services="food",
         areas="Bradford")
    with Session(engine) as session:
        group = session.exec(select(Group).where(Group.slug == "bradford-welcome")).one()
        assert (group.services, group.areas) == (["food"], ["Bradford"])
    assert "Food" in console_client.get("/admin/groups").text


# -- the directory --------------------------------------------------------------------------------------


def geojson_slugs(client: TestClient, query: str) -> list[str]:
    response = client.get(f"/groups.geojson{query}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/geo+json"
    return [feature["id"] for feature in response.json()["features"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("", None),
    ("?region=North+West", NORTH_WEST),
    ("?region=north+west", NORTH_WEST),
    ("?service=english-classes", ESOL),
    ("?service=english-classes&region=North+West", ESOL & NORTH_WEST),
    ("?near=Stockport&km=10", {"sanctuary-stockport", "manchester-welcome-circle"}),
    ("?service=arts&region=Wales", {"cardiff-migrant-welcome"}),
    ("?service=sport&region=Scotland", set()),
])
def test_the_list_and_the_map_pick_the_same_groups(demo: Path, client: TestClient, query: str,
                                                   expected: set[str] | None) -> None:
    page = client.get(f"/groups{query}")
    assert page.status_code == 200
    shown = listed(page.text)
    assert shown == geojson_slugs(client, query)  # one for one, in the same order
    assert set(shown) == (expected if expected is not None else {g.slug for g in read_registry(demo).groups})
    data = re.search(r'data-geojson="/groups\.geojson([^"]*)"', page.text)
    assert data is not None and parse_qs(html.unescape(data.group(1)).lstrip("?")) == parse_qs(query.lstrip("?"))
    api = client.get(f"/api/groups.json{query}").json()
    assert [g["slug"] for g in api["groups"]] == shown and api["count"] == len(shown)


def test_near_me_sorts_by_distance_and_says_how_far(demo: Path, client: TestClient) -> None:
    page = client.get("/groups?near=Liverpool&km=50").text
    shown = listed(page)
    assert shown[:2] == ["merseyside-refugee-welcome", "aigburth-community-hub"]   # 0 km, then 4 km
    assert "manchester-welcome-circle" in shown and "sheffield-conversation-club" not in shown
    distances = [float(d.replace(",", "")) for d in re.findall(r'<p class="distance"><strong>([\d.,]+) km', page)]
    assert distances == sorted(distances) and len(distances) >= len(shown) - 1
    assert "Nearest first, within 50 km of Liverpool." in page
    api = client.get("/api/groups.json?near=Liverpool&km=50").json()["groups"]
    assert [g["km"] for g in api] == sorted(g["km"] for g in api)


def test_an_unknown_place_still_lists_the_groups_and_says_so(demo: Path, client: TestClient) -> None:
    page = client.get("/groups?near=Nowhereshire&region=Wales")
    assert page.status_code == 400 and "Nowhereshire" in page.text
    assert listed(page.text) == ["cardiff-migrant-welcome"]
    assert client.get("/groups.geojson?near=Nowhereshire").status_code == 400


def test_an_unknown_service_is_refused_and_service_is_no_unknown_filter(demo: Path, client: TestClient) -> None:
    assert client.get("/groups?service=knitting").status_code == 400
    assert client.get("/api/groups.json?service=knitting").status_code == 400
    # Data answers its refusals as data: a sentence, not an HTML page, for every kind the hub publishes.
    for data in ("/groups.geojson", "/api/groups.json"):
        refused = client.get(f"{data}?service=knitting", headers={"Accept": "text/html"})
        assert refused.headers["content-type"].startswith("text/plain") and "knitting" in refused.text
    page = client.get("/groups?service=food&regoin=x").text
    assert "<code>regoin</code>" in page and "<code>service</code>" not in page


def test_each_directory_item_shows_home_services_description_and_upcoming_count(demo: Path,
                                                                                client: TestClient) -> None:
    page = client.get("/groups?service=sanctuary-awards").text
    item = page[page.index('data-slug="sanctuary-stockport"'):]
    item = item[:item.index("</li>\n    </ul>") if "</li>\n    </ul>" in item else item.index("</li>")]
    assert "Stockport · North West" in item and "<li>Sanctuary awards</li>" in item
    assert "A weekly drop-in at the Stockport hub" in item
    count = int(re.search(r"(\d+) upcoming events?</a>", item).group(1))  # type: ignore[union-attr]
    api = {g["slug"]: g for g in client.get("/api/groups.json").json()["groups"]}
    assert api["sanctuary-stockport"]["upcoming"] == count > 0


def test_the_json_api_tells_partners_everything_about_a_group(demo: Path, client: TestClient) -> None:
    response = client.get("/api/groups.json?region=Wales")
    assert response.headers["access-control-allow-origin"] == "*"
    (cardiff,) = response.json()["groups"]
    assert cardiff == {
        "slug": "cardiff-migrant-welcome", "name": "Cardiff Migrant Welcome",
        "url": "http://hub.test/groups/cardiff-migrant-welcome",
        "calendar": "http://hub.test/groups/cardiff-migrant-welcome.ics",
        "website": "https://cardiff-migrant-welcome.example.org", "contact": "", "home": "Cardiff",
        "region": "Wales",
        "services": [{"slug": slug, "label": services.SERVICES[slug], "labels": services.labels(slug)}
                     for slug in ("english-classes", "legal-advice", "families", "arts")],
        "description": read_registry(demo).groups[11].description,
        "areas": ["Cardiff", "Vale of Glamorgan", "Caerphilly"],
        "upcoming": cardiff["upcoming"], "lat": 51.4816, "lon": -3.1791,
    }
    assert cardiff["services"][1]["labels"] == {"en": "Legal advice", "cy": "Cyngor cyfreithiol"}
    geo = client.get("/groups.geojson?region=Wales").json()["features"][0]
    assert geo["geometry"] == {"type": "Point", "coordinates": [-3.1791, 51.4816]}
    assert geo["properties"]["upcoming"] == cardiff["upcoming"] and "lat" not in geo["properties"]


def test_the_outputs_are_kept_sent_with_etags_and_open_to_other_sites(demo: Path, client: TestClient) -> None:
    for path in ("/groups.geojson?service=food", "/api/groups.json?service=food"):
        first = client.get(path)
        assert first.headers["cache-control"] == "public, max-age=60"
        assert client.get(path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
        preflight = client.options(path, headers={"Origin": "https://partner.example",
                                                  "Access-Control-Request-Method": "GET"})
        assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
        assert client.get(f"/cy{path}").status_code == 404     # data has one address in every language
    assert client.get("/groups.geojson?service=food").json() != client.get("/groups.geojson?service=arts").json()


def test_the_directory_pages_are_kept_per_service(demo: Path, client: TestClient) -> None:
    food, arts = client.get("/groups?service=food").text, client.get("/groups?service=arts").text
    assert listed(food) != listed(arts)
    assert client.get("/groups?service=food").text == food


def test_a_group_page_shows_what_the_group_does_its_home_on_a_map_and_its_calendar(demo: Path,
                                                                                   client: TestClient) -> None:
    page = client.get("/groups/sanctuary-stockport").text
    for shown in ("A weekly drop-in at the Stockport hub", "Borough of Sanctuary", "What the group offers",
                  "English classes (ESOL)", "Areas served", "Stockport, Tameside",
                  'href="mailto:hello@sanctuary-stockport.example.org"',
                  'href="https://sanctuary-stockport.example.org" rel="noopener"', 'id="group-map"',
                  'data-lat="53.4106" data-lon="-2.1575"', "/groups/sanctuary-stockport.ics", "Upcoming events",
                  'href="/groups?service=english-classes"', "/static/hub/groups-map.js"):
        assert shown in page, shown
    assert '<li class="event' in page


def test_the_directory_and_a_group_page_are_in_welsh_under_cy(demo: Path, client: TestClient) -> None:
    page = client.get("/cy/groups?service=english-classes").text
    assert "Pwy arall sydd allan yna" in page and "Dosbarthiadau Saesneg (ESOL)" in page
    assert 'href="/cy/groups/sanctuary-stockport"' in page and "English classes (ESOL)" not in page
    assert "Who else is out there" not in page
    group = client.get("/cy/groups/cardiff-migrant-welcome").text
    assert "Beth mae’r grŵp yn ei gynnig" in group and "Cyngor cyfreithiol" in group
    assert "What the group offers" not in group


def test_the_registry_documentation_lists_the_whole_vocabulary() -> None:
    readme = (DEMO.parent / "README.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `([a-z-]+)` \| ([^|]+?) \|$", readme.split("### Services")[1].split("###")[0],
                                 re.M))
    assert documented == services.SERVICES
