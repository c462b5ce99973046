"""The console at national scale: plain words on feed health and group pages, a calendar's status on its group's
page, the events list paged and searched, hiding one date of a series said precisely, a sign-in warning only
when the next wrong password would start a wait."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from calendar_hub import clock, store
from calendar_hub.console import accounts
from calendar_hub.ingest.refresh import refresh
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from tests.feedserver import FeedServer
from tests.pages import PASSWORD, post, sign_in, token

ADMIN = "ada@hub.test"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)       # a Tuesday; the series meets on the Saturdays after it
SINGLE = 115                                         # one-off litter picks, every tenth of them in Bootle
SERIES = 3                                           # "Saturday drop-in": 5, 12 and 19 December 2026
TEMPLATES = Path(__file__).parent.parent / "templates" / "admin"


def big_calendar() -> bytes:
    """115 one-off events over the coming weeks and a weekly series of three Saturdays."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    for n in range(1, SINGLE + 1):
        day = date(2026, 12, 2) + timedelta(days=n // 3)
        lines += ["BEGIN:VEVENT", f"UID:pick-{n}@riverside.example", "DTSTAMP:20261101T000000Z",
                  f"DTSTART:{day:%Y%m%d}T100000Z", f"DTEND:{day:%Y%m%d}T120000Z", f"SUMMARY:Litter pick {n:03d}",
                  f"LOCATION:{'Bootle' if n % 10 == 0 else 'Crosby'}", "END:VEVENT"]
    lines += ["BEGIN:VEVENT", "UID:drop-in@riverside.example", "DTSTAMP:20261101T000000Z",
              "DTSTART:20261205T140000Z", "DTEND:20261205T160000Z", f"RRULE:FREQ=WEEKLY;COUNT={SERIES}",
              "SUMMARY:Saturday drop-in", "LOCATION:Crosby", "END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def register(engine: Engine, *feeds: tuple[str, str]) -> None:
    """Groups (slug, feed URL), each with one feed on loopback (which the operator allows for it)."""
    groups = tuple(GroupSpec(slug=slug, name=slug.replace("-", " ").title(), feeds=(FeedSpec(url=url, private=True),))
                   for slug, url in feeds)
    with Session(engine) as session:
        store.apply_registry(Registry(groups=groups, weeks=()), session=session)


def run(engine: Engine, settings: Settings) -> None:
    asyncio.run(refresh(engine, settings, due_only=False))


@pytest.fixture
def travelled() -> Iterator[None]:
    with clock.travel_to(NOW):
        yield


@pytest.fixture
def riverside(travelled: None, engine: Engine, settings: Settings, feed_server: FeedServer,
              console_client: TestClient) -> TestClient:
    """One group whose calendar holds 118 events, fetched once; an admin signed in."""
    register(engine, ("riverside-greens", feed_server.serve("/riverside.ics", big_calendar())))
    run(engine, settings)
    with Session(engine) as session:
        accounts.add_user(ADMIN, PASSWORD, role="admin", group=None, session=session, actor="test")
    assert sign_in(console_client, ADMIN) == 303
    return console_client


def items(page: str) -> list[tuple[str, str, str]]:
    """(title, when and where, uid) of every event on an events page."""
    return re.findall(r'<h2 class="h3">([^<]+)</h2>\s*<p class="muted">([^<]+)</p>.*?name="uid" value="([^"]+)"',
                      page, flags=re.S)


def page_links(page: str) -> dict[str, dict[str, list[str]]]:
    """The paging links of an events page: their words -> their query."""
    return {words: parse_qs(urlsplit(href.replace("&amp;", "&")).query)
            for href, words in re.findall(r'<a href="(/admin/events\?[^"]+)"[^>]*>([^<]+)</a>', page)}


def test_the_events_list_shows_fifty_a_page_and_its_links_keep_the_search(riverside: TestClient) -> None:
    total = SINGLE + SERIES
    first = riverside.get("/admin/events").text
    assert f"Events 1–50 of {total}." in first and len(items(first)) == 50
    assert page_links(first)["Next page"]["page"] == ["2"] and "Previous page" not in page_links(first)
    last = riverside.get("/admin/events", params={"page": "3"}).text
    assert f"Events 101–{total} of {total}." in last and len(items(last)) == total - 100
    assert "Next page" not in page_links(last)
    pages = [riverside.get("/admin/events", params={"page": n}).text for n in ("1", "2", "3")]
    seen = {uid for page in pages for _t, _w, uid in items(page)}
    assert len(seen) == total                                            # every event on exactly one page
    assert riverside.get("/admin/events", params={"page": "99"}).text.count('name="uid"') == total - 100
    assert riverside.get("/admin/events", params={"page": "x"}).text.count('name="uid"') == 50

    bootle = riverside.get("/admin/events", params={"q": "bootle"}).text   # a place
    assert {title for title, _w, _u in items(bootle)} == {f"Litter pick {n:03d}" for n in range(10, SINGLE + 1, 10)}
    assert "Next page" not in page_links(bootle) and "matching “bootle”" in bootle
    litter = riverside.get("/admin/events", params={"q": "Litter", "page": "2"}).text   # a title, on its page 2
    assert f"Events 51–100 of {SINGLE}" in litter
    links = page_links(litter)
    assert links["Next page"] == {"q": ["Litter"], "page": ["3"]} and links["Previous page"]["q"] == ["Litter"]
    assert len(items(riverside.get("/admin/events", params={"q": "riverside greens"}).text)) == 50   # a group


def test_hiding_one_date_of_a_series_says_that_date_goes_and_the_others_stay(riverside: TestClient) -> None:
    series = items(riverside.get("/admin/events", params={"q": "drop-in"}).text)
    assert len(series) == SERIES and "Hide this date" in riverside.get("/admin/events", params={"q": "drop-in"}).text
    [(title, _when, uid)] = [item for item in series if "Saturday 12 December" in item[1]]
    said = unquote(post(riverside, "/admin/events/hide", uid=uid, title=title, reason="cancelled that week"))
    assert "this date (Saturday 12 December 2026) of “Saturday drop-in” is hidden from every calendar" in said
    assert "the other 2 dates of the series stay" in said and "has left" not in said
    left = items(riverside.get("/admin/events", params={"q": "drop-in"}).text)
    assert sorted(w.split(",")[0] for _t, w, _u in left) == ["Saturday 19 December 2026", "Saturday 5 December 2026"]

    [(title, _when, uid)] = items(riverside.get("/admin/events", params={"q": "Litter pick 007"}).text)
    single_page = riverside.get("/admin/events", params={"q": "Litter pick 007"}).text
    assert "Hide this date" not in single_page and ">Hide</button>" in single_page
    said = unquote(post(riverside, "/admin/events/hide", uid=uid, title=title, reason="posted twice"))
    assert "“Litter pick 007” is hidden from every calendar, list and map." in said and "this date" not in said


def test_feed_health_and_the_group_page_speak_plainly(riverside: TestClient) -> None:
    health = riverside.get("/admin/").text
    assert "Unchanged since last check" in health and "Last read successfully" in health
    assert 'data-label="Unchanged since last check"' in health          # each cell names its column on a phone
    group = riverside.get("/admin/groups/riverside-greens").text
    assert "Calendar type: found when first read" in group      # the registry left it to be recognised
    status = re.search(r'<p class="feed-status" data-status="ok">(.*?)</p>', group, flags=re.S)
    assert status and "<strong>OK</strong>: last read" in status.group(1)
    found = re.search(r"(\d+) events found", status.group(1))
    assert found and int(found.group(1)) > 0
    for page in (health, group):
        for jargon in ("(304)", "HTTP ", "kind found on fetching", "Retry-After", "410 Gone", "redirects"):
            assert jargon not in page, jargon
    for template in TEMPLATES.glob("*.html"):   # nor anywhere else in the console
        text = template.read_text()
        for jargon in ("Unchanged (304)", "kind found on fetching", "(HTTP ", "with Retry-After", "(410 Gone)"):
            assert jargon not in text, (template.name, jargon)


def test_a_new_calendar_says_refreshing_now_until_its_first_fetch_and_why_it_fails(
        travelled: None, engine: Engine, settings: Settings, feed_server: FeedServer,
        console_client: TestClient) -> None:
    register(engine, ("riverside-greens", feed_server.serve("/riverside.ics", big_calendar())),
             ("broken-greens", feed_server.serve("/broken.ics", b"", status=500)))
    with Session(engine) as session:
        accounts.add_user(ADMIN, PASSWORD, role="admin", group=None, session=session, actor="test")
    assert sign_in(console_client, ADMIN) == 303
    note = "Refreshing now</strong>: events usually appear within a minute"
    for slug in ("riverside-greens", "broken-greens"):   # added, never fetched yet
        page = console_client.get(f"/admin/groups/{slug}").text
        assert note in page and 'data-status="refreshing"' in page and "Calendar type: " in page
    assert "Refreshing now: not read yet" in console_client.get("/admin/").text
    run(engine, settings)
    fetched = console_client.get("/admin/groups/riverside-greens").text
    assert note not in fetched and 'data-status="ok"' in fetched
    broken = console_client.get("/admin/groups/broken-greens").text
    assert note not in broken and 'data-status="failing"' in broken
    assert "It has not been read successfully yet." in broken
    assert re.search(r"<strong>Failing</strong>:\s*\S", broken)          # followed by the reason in words


def test_only_the_wrong_password_before_a_wait_warns_of_one(travelled: None, engine: Engine,
                                                             console_client: TestClient) -> None:
    with Session(engine) as session:
        accounts.add_user(ADMIN, PASSWORD, role="admin", group=None, session=session, actor="test")
    warning = "One more wrong password and signing in from here waits a minute."
    said = []
    for _ in range(accounts.FAILURES_ALLOWED):
        response = console_client.post("/admin/login", data={"email": ADMIN, "password": "not the password",
                                                              "csrf_token": token(console_client)})
        assert response.status_code == 400
        said.append(response.text)
    for text in said[:-2]:                                               # the first ones: no word of waiting
        assert "do not match" in text and warning not in text and "wait" not in text
    assert warning in said[-2] and "too many tries" not in said[-2]       # the next failure would start a wait
    assert "too many tries: wait a minute" in said[-1] and warning not in said[-1]
