"""Coverage of a week of action: counts and gaps (calendar_hub/console/coverage.py), charts, the page, exports."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from calendar_hub.catalogue import Catalogue, GroupInfo, WeekInfo, home_place
from calendar_hub.catalogue.listing import GroupRef, Listing
from calendar_hub.console import coverage
from calendar_hub.console import groups as console
from calendar_hub.publish.api import listing_to_dict
from calendar_hub.web.console.coverage import bar_chart, contact_link
from tests.factories import LONDON, london, make_group, make_listing, utc
from tests.hubdata import WEEK, HubData
from tests.pages import sign_in

# Saturday 13 to Friday 19 June 2026.
JUNE = WeekInfo(slug="june-week", name="June week", start=date(2026, 6, 13), end=date(2026, 6, 19), tags=(),
                description="", groups=())
PAGES = [f"/admin/weeks/{WEEK}/coverage", f"/admin/weeks/{WEEK}/export.csv", f"/admin/weeks/{WEEK}/export.json",
         "/admin/weeks"]


def _group(slug: str, name: str, home: str, contact: str = "") -> GroupInfo:
    return GroupInfo(slug=slug, name=name, website="", home=home, region="", lat=None, lon=None,
                     place=home_place(home, None, None), contact=contact)


GROUPS = [
    _group("riverside-greens", "Riverside Greens", "Lewisham"),
    _group("manchester-welcome", "Manchester Welcome", "Manchester"),
    _group("cardiff-welcome", "Cardiff Welcome", "Cardiff"),
    _group("glasgow-friends", "Glasgow Friends", "Glasgow", contact="Jo Brown <jo@glasgow.example.org>"),
    _group("leeds-network", "Leeds Network", "Leeds", contact="0113 496 0000"),
]


def _listings() -> list[Listing]:
    """Lewisham on Saturday, Manchester on Sunday, Cardiff Tuesday and Wednesday (all day), online on Friday;
    Glasgow's only event, on Monday, is cancelled; Leeds has none."""
    def credit(slug: str) -> tuple[GroupRef, ...]:
        group = next(g for g in GROUPS if g.slug == slug)
        return (make_group(group.slug, group.name),)

    return [
        make_listing(uid="a@test", town="Lewisham", groups=credit("riverside-greens"), weeks=(JUNE.slug,)),
        make_listing(uid="b@test", title="Welcome walk", start=london(2026, 6, 14, 10), end=london(2026, 6, 14, 12),
                     nation="England", region="North West", town="Manchester", groups=credit("manchester-welcome"),
                     weeks=(JUNE.slug,)),
        make_listing(uid="c@test", title="Craft fair", all_day=True, start_date=date(2026, 6, 16),
                     end_date=date(2026, 6, 18), nation="Wales", region="Wales", town="Cardiff",
                     groups=credit("cardiff-welcome"), weeks=(JUNE.slug,)),
        make_listing(uid="d@test", title="Vigil", start=london(2026, 6, 15, 18), end=london(2026, 6, 15, 19),
                     status="CANCELLED", nation="Scotland", region="Scotland", town="Glasgow",
                     groups=credit("glasgow-friends"), weeks=(JUNE.slug,)),
        make_listing(uid="e@test", title="Online talk", start=london(2026, 6, 19, 19), end=london(2026, 6, 19, 20),
                     location="Online (Zoom)", lat=None, lon=None, nation="", region="", town="",
                     groups=credit("riverside-greens"), weeks=(JUNE.slug,)),
    ]


def _catalogue(listings: list[Listing] | None = None, week: WeekInfo = JUNE) -> Catalogue:
    return Catalogue(version=1, built_at=utc(2026, 6, 1), zone=LONDON, listings=_listings() if listings is None
                     else listings, groups=GROUPS, weeks=[week])


# ---------------------------------------------------------------- counts and gaps


def test_counts_leave_out_cancelled_events_and_list_every_region_and_day() -> None:
    report = coverage.week_coverage(_catalogue(), JUNE)
    assert (len(report.actions), report.cancelled) == (4, 1)
    assert report.nations == (("England", 2), ("Scotland", 0), ("Wales", 1), ("Northern Ireland", 0),
                              (coverage.UNPLACED, 1))
    assert [name for name, _count in report.regions[:12]] == list(coverage.REGIONS)
    regions = dict(report.regions)
    assert (regions["London"], regions["North West"], regions["Wales"], regions["Scotland"]) == (1, 1, 1, 0)
    assert regions[coverage.ONLINE_ROW] == 1 and coverage.UNPLACED not in regions  # the Zoom talk: online
    assert report.regions_with_action == 3 and report.towns == 3 and report.groups == 3
    assert (report.tally.local, report.tally.online, report.tally.cancelled) == (3, 1, 1)


def test_every_day_of_the_week_is_counted_including_days_with_no_event() -> None:
    report = coverage.week_coverage(_catalogue(), JUNE)
    assert report.days == (
        (date(2026, 6, 13), 1), (date(2026, 6, 14), 1),
        (date(2026, 6, 15), 0),  # only a cancelled event
        (date(2026, 6, 16), 1), (date(2026, 6, 17), 1),  # the two-day craft fair counts on both
        (date(2026, 6, 18), 0), (date(2026, 6, 19), 1),
    )


def test_days_are_the_hubs_local_days_and_stay_within_the_week() -> None:
    late = make_listing(start=london(2026, 6, 13, 23, 30), end=london(2026, 6, 14, 0, 0))  # 22:30 UTC
    long = make_listing(uid="long@test", start=london(2026, 6, 1, 9), end=london(2026, 6, 30, 17))
    assert coverage.days_of(late, LONDON) == (date(2026, 6, 13), date(2026, 6, 13))  # ends at midnight
    counts = dict(coverage.by_day([late, long], JUNE.start, JUNE.end, LONDON))
    assert counts[date(2026, 6, 13)] == 2 and counts[date(2026, 6, 14)] == 1 and len(counts) == 7


def test_a_region_the_registry_names_outside_itl1_is_kept_after_the_twelve() -> None:
    rows = coverage.by_region([make_listing(region="north west"), make_listing(region="Greater Manchester")])
    assert len(rows) == 13 and dict(rows)["North West"] == 1 and rows[-1] == ("Greater Manchester", 1)


def test_regions_towns_and_groups_with_no_action() -> None:
    report = coverage.week_coverage(_catalogue(), JUNE)
    assert "London" not in report.quiet_regions and "Scotland" in report.quiet_regions
    assert len(report.quiet_regions) == 9
    assert [(t.name, t.region) for t in report.quiet_towns] == [("Leeds", "Yorkshire and The Humber"),
                                                                ("Glasgow", "Scotland")]
    # Glasgow's only event was cancelled: still one to nudge
    assert [g.slug for g in report.quiet_groups] == ["glasgow-friends", "leeds-network"]


def test_a_week_naming_its_groups_nudges_only_those() -> None:
    week = WeekInfo(slug=JUNE.slug, name="June week", start=JUNE.start, end=JUNE.end, tags=(), description="",
                    groups=("riverside-greens", "leeds-network"))
    report = coverage.week_coverage(_catalogue(week=week), week)
    assert [g.slug for g in report.quiet_groups] == ["leeds-network"]
    assert [t.name for t in report.quiet_towns] == ["Leeds"]


# ---------------------------------------------------------------- exports


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_the_csv_escapes_cells_a_spreadsheet_would_run_as_formulas() -> None:
    hostile = make_listing(title='=HYPERLINK("https://evil.example/","Click")', location="+44 20 7946 0000",
                           town="-Town", groups=(make_group("at", "@group"),), url="\tjunk")
    rows = _csv_rows(coverage.csv_export([hostile], LONDON))
    assert rows[0] == list(coverage.CSV_COLUMNS)
    row = dict(zip(coverage.CSV_COLUMNS, rows[1], strict=True))
    assert row["title"] == '\'=HYPERLINK("https://evil.example/","Click")'
    assert (row["location"], row["town"], row["groups"], row["url"]) == ("'+44 20 7946 0000", "'-Town", "'@group",
                                                                         "'\tjunk")
    assert coverage.safe_cell("\r=1") == "'\r=1" and coverage.safe_cell("Café 1+1") == "Café 1+1"


def test_the_csv_has_one_row_per_listing_in_local_times() -> None:
    rows = _csv_rows(coverage.csv_export(reversed(_listings()), LONDON))
    by_title = {row[3]: dict(zip(coverage.CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert len(rows) == 6
    walk = by_title["Welcome walk"]
    assert (walk["date"], walk["start"], walk["end"], walk["region"], walk["status"]) == (
        "2026-06-14", "10:00", "12:00", "North West", "CONFIRMED")  # 09:00 UTC, British Summer Time
    fair = by_title["Craft fair"]
    assert (fair["date"], fair["start"], fair["end"]) == ("2026-06-16", "all day", "2026-06-17")
    assert by_title["Vigil"]["status"] == "CANCELLED"
    assert [row[0] for row in rows[1:]] == sorted(row[0] for row in rows[1:])


def test_the_json_export_is_the_public_shape_with_the_week() -> None:
    listings = _listings()
    data = json.loads(coverage.json_export(JUNE, listings, base_url="http://hub.test"))
    assert data["week"]["slug"] == JUNE.slug and data["week"]["start"] == "2026-06-13" and data["count"] == 5
    assert data["events"][0] == json.loads(json.dumps(listing_to_dict(listings[0], base_url="http://hub.test")))


# ---------------------------------------------------------------- charts


def test_a_chart_escapes_its_labels_and_writes_every_number() -> None:
    svg = str(bar_chart("by-region", "Actions <by> region", (("<script>alert(1)</script>", 3), ("London", 0))))
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert 'role="img"' in svg and 'aria-label="Actions &lt;by&gt; region"' in svg
    assert "<title>Actions &lt;by&gt; region</title>" in svg
    assert "<desc>&lt;script&gt;alert(1)&lt;/script&gt;: 3; London: 0</desc>" in svg
    assert svg.count('class="bar"') == 1  # no bar for zero, but its number is written
    assert re.search(r'<text class="number"[^>]*>3</text>', svg) and re.search(r'<text class="number"[^>]*>0</text>',
                                                                                svg)


def test_a_contact_links_to_mail_or_a_web_page_when_it_is_one() -> None:
    assert contact_link("Jo Brown <jo@glasgow.example.org>") == "mailto:jo@glasgow.example.org"
    assert contact_link("jo@glasgow.example.org") == "mailto:jo@glasgow.example.org"
    assert contact_link("https://leeds.example.org/contact") == "https://leeds.example.org/contact"
    assert contact_link("0113 496 0000") == "" and contact_link("javascript:alert(1)") == ""


# ---------------------------------------------------------------- the console


def test_coverage_pages_and_exports_need_an_organiser(people: dict[str, str], console_client: TestClient) -> None:
    for path in PAGES:
        response = console_client.get(path)
        assert response.status_code == 303 and response.headers["location"] == f"/admin/login?next={path}", path
    assert sign_in(console_client, people["editor"]) == 303
    for path in PAGES:
        assert console_client.get(path).status_code == 403, path


def _figures(page: str, chart: str) -> dict[str, int]:
    """The figures table under a chart's heading: {label: count}."""
    section = page[page.index(f'id="{chart}-heading"'):]
    table = section[section.index("<table"):section.index("</table>")]
    return {label: int(count) for label, count in
            re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', table)}


def test_the_coverage_page_shows_the_weeks_real_figures(people: dict[str, str], console_client: TestClient,
                                                        engine: Engine) -> None:
    with Session(engine) as session:
        console.add_group({"slug": "leeds-network", "name": "Leeds Network", "home": "Leeds",
                           "contact": "Jo Brown <jo@leeds.example.org>"}, session=session, actor="test")
    assert sign_in(console_client, people["organiser"]) == 303
    assert f'href="/admin/weeks/{WEEK}/coverage"' in console_client.get("/admin/weeks").text
    response = console_client.get(f"/admin/weeks/{WEEK}/coverage")
    assert response.status_code == 200
    page = response.text
    # seven listings, one cancelled (the film night)
    assert re.search(r"<strong>6</strong> local actions\s+in <strong>2</strong> regions\s+and <strong>3</strong> "
                     r"towns\s+by <strong>3</strong> groups", page)
    assert "1 cancelled event" in page
    regions = _figures(page, "by-region")
    assert list(regions)[:12] == list(coverage.REGIONS)
    assert (regions["North West"], regions["Wales"], regions["London"], regions["Scotland"]) == (5, 1, 0, 0)
    assert _figures(page, "by-nation") == {"England": 5, "Scotland": 0, "Wales": 1, "Northern Ireland": 0}
    days = _figures(page, "by-day")
    assert len(days) == 9 and sum(days.values()) == 7 and 0 in days.values()  # the craft fair runs two days
    assert page.count('<svg class="chart"') == 3 and page.count('role="img"') == 3
    assert '<text class="label" x="0" y="58">North West</text>' in page
    assert "<desc>England: 5; Scotland: 0; Wales: 1; Northern Ireland: 0</desc>" in page
    # the gaps and the nudge list
    assert "<li>Yorkshire and The Humber</li>" in page and "<li>North West</li>" not in page
    assert "<li>Leeds <span" in page
    assert '<a href="mailto:jo@leeds.example.org">Jo Brown &lt;jo@leeds.example.org&gt;</a>' in page
    assert f'href="/weeks/{WEEK}.ics"' in page and f'href="/admin/weeks/{WEEK}/export.csv"' in page


def test_the_exports_download_the_weeks_listings(people: dict[str, str], console_client: TestClient,
                                                 hub: HubData) -> None:
    assert sign_in(console_client, people["admin"]) == 303
    response = console_client.get(f"/admin/weeks/{WEEK}/export.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv; charset=utf-8")
    assert response.headers["content-disposition"] == f'attachment; filename="{WEEK}.csv"'
    assert response.headers["cache-control"] == "no-store"
    rows = _csv_rows(response.content)
    assert len(rows) == 8 and rows[0] == list(coverage.CSV_COLUMNS)
    walk = next(dict(zip(coverage.CSV_COLUMNS, row, strict=True)) for row in rows if row[3] == "Welcome Walk")
    assert (walk["date"], walk["start"], walk["end"], walk["town"]) == (
        hub.day("2026-12-05").isoformat(), "10:00", "12:00", "Manchester")
    data = console_client.get(f"/admin/weeks/{WEEK}/export.json").json()
    assert data["week"]["slug"] == WEEK and data["count"] == 7 and len(data["events"]) == 7
    public = console_client.get("/api/events.json", params={"week": WEEK}).json()["events"]
    assert sorted(e["uid"] for e in data["events"]) == sorted(e["uid"] for e in public)


def test_an_unknown_week_is_not_found(people: dict[str, str], console_client: TestClient) -> None:
    assert sign_in(console_client, people["organiser"]) == 303
    for path in ("/admin/weeks/no-such-week/coverage", "/admin/weeks/no-such-week/export.csv"):
        assert console_client.get(path).status_code == 404

