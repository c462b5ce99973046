"""Hiding every date of a recurring event: asked first with what subscribers will see, kept hidden as later
refreshes add dates, shown again from the hidden list or the undo; one date alone is still hidden by itself."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import unquote

import icalendar
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from calendar_hub import clock, store
from calendar_hub.console import accounts
from calendar_hub.ingest.refresh import refresh
from calendar_hub.registry import FeedSpec, GroupSpec, Registry
from calendar_hub.settings import Settings
from calendar_hub.store import HiddenSeries
from calendar_hub.store.models import AuditEntry
from tests.feedserver import FeedServer
from tests.pages import PASSWORD, confirm, post, sign_in, token

ADMIN = "ada@hub.test"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)   # a Tuesday; the drop-in meets on the Saturdays after it
SERIES = "Saturday drop-in"


def calendar(dates: int) -> bytes:
    """A weekly series of `dates` Saturdays from 5 December 2026, and a one-off picnic."""
    return ("\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
        "BEGIN:VEVENT", "UID:drop-in@riverside.example", "DTSTAMP:20261101T000000Z", "DTSTART:20261205T140000Z",
        "DTEND:20261205T160000Z", f"RRULE:FREQ=WEEKLY;COUNT={dates}", f"SUMMARY:{SERIES}", "LOCATION:Crosby",
        "END:VEVENT",
        "BEGIN:VEVENT", "UID:picnic@riverside.example", "DTSTAMP:20261101T000000Z", "DTSTART:20261206T120000Z",
        "DTEND:20261206T140000Z", "SUMMARY:Winter picnic", "LOCATION:Crosby", "END:VEVENT",
        "END:VCALENDAR"]) + "\r\n").encode()


def run(engine: Engine, settings: Settings) -> None:
    asyncio.run(refresh(engine, settings, due_only=False))


@pytest.fixture
def riverside(engine: Engine, settings: Settings, feed_server: FeedServer,
              console_client: TestClient) -> Iterator[TestClient]:
    """One group whose calendar holds a series of three Saturdays and a picnic, fetched once; an admin signed in."""
    with clock.travel_to(NOW):
        url = feed_server.serve("/riverside.ics", calendar(3))
        spec = GroupSpec(slug="riverside-greens", name="Riverside Greens", feeds=(FeedSpec(url=url, private=True),))
        with Session(engine) as session:
            store.apply_registry(Registry(groups=(spec,), weeks=()), session=session)
            accounts.add_user(ADMIN, PASSWORD, role="admin", group=None, session=session, actor="test")
        run(engine, settings)
        assert sign_in(console_client, ADMIN) == 303
        yield console_client


def published(client: TestClient, path: str = "/calendar.ics") -> list[str]:
    """The titles in a published calendar, once for each date."""
    found = icalendar.Calendar.from_ical(client.get(path).content).walk("VEVENT")
    return sorted(str(event["SUMMARY"]) for event in found)


def uids(page: str, title: str) -> list[str]:
    """The published UIDs the events page offers to hide for the events called `title`."""
    return re.findall(rf'<h2 class="h3">{re.escape(title)}</h2>.*?name="uid" value="([^"]+)"', page, flags=re.S)


def audit(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]


def test_hiding_a_whole_series_asks_first_saying_every_date_leaves_and_later_dates_stay_hidden(
        riverside: TestClient, engine: Engine, settings: Settings, feed_server: FeedServer) -> None:
    before = published(riverside)
    assert before == [SERIES] * 3 + ["Winter picnic"]
    events = riverside.get("/admin/events").text
    assert events.count(">Hide the whole series</button>") == 3   # on each date of the series
    picnic = events.split('<h2 class="h3">Winter picnic</h2>')[1].split("</li>")[0]
    assert "hide-series" not in picnic and ">Hide</button>" in picnic   # an event that does not repeat: one button
    uid = uids(events, SERIES)[1]                            # any date of the series names it

    csrf = token(riverside, "/admin/")
    asked = riverside.post("/admin/events/hide-series", data={"uid": uid, "reason": "moved to Sundays",
                                                                "csrf_token": csrf})
    assert asked.status_code == 200
    text = asked.text.replace("&#34;", '"')
    assert f"Hide every date of “{SERIES}”?" in text
    assert f"Every date of “{SERIES}” leaves every calendar and page: 3 dates, from Saturday 5 December 2026 to " \
           "Saturday 19 December 2026." in text
    assert "Riverside Greens stop showing them" in text
    assert "Dates its calendar adds to this series later stay hidden too." in text
    assert published(riverside) == before and "series.hide" not in audit(engine)   # asking changed nothing

    done = confirm(riverside, "/admin/events/hide-series", uid=uid, reason="moved to Sundays")
    assert f"every date of “{SERIES}” (3 dates) has left every calendar and page" in done
    assert "Undo: show the series again" in done
    assert published(riverside) == ["Winter picnic"]
    assert published(riverside, "/groups/riverside-greens.ics") == ["Winter picnic"]
    assert riverside.get(f"/events/{uid}").status_code == 410                  # its page: no longer listed
    assert uids(riverside.get("/admin/events").text, SERIES) == []
    assert audit(engine)[-1] == "series.hide"

    # The calendar adds a fourth Saturday: a refresh brings it in, and it stays hidden with the others.
    with clock.travel_to(NOW):
        feed_server.serve("/riverside.ics", calendar(4))
        run(engine, settings)
    assert published(riverside) == ["Winter picnic"]

    hidden = riverside.get("/admin/hidden").text
    assert SERIES in hidden and "moved to Sundays" in hidden and "3 when hidden" in hidden
    [row] = re.findall(r'action="/admin/events/show-series".*?name="id" value="(\d+)"', hidden, flags=re.S)
    said = unquote(post(riverside, "/admin/events/show-series", id=row))
    assert f"Every date of “{SERIES}” is back" in said
    assert published(riverside) == [SERIES] * 4 + ["Winter picnic"]      # the later date with the rest
    assert audit(engine)[-1] == "series.show"
    assert "That series was not hidden" in unquote(post(riverside, "/admin/events/show-series", id=row))


def test_the_undo_after_hiding_a_series_shows_it_again(riverside: TestClient, engine: Engine) -> None:
    uid = uids(riverside.get("/admin/events").text, SERIES)[0]
    done = confirm(riverside, "/admin/events/hide-series", uid=uid, reason="posted by mistake")
    undo = re.search(r'<form method="post" action="(/admin/events/show-series)".*?name="id" value="(\d+)"', done,
                     flags=re.S)
    assert undo
    post(riverside, undo.group(1), id=undo.group(2))
    assert published(riverside) == [SERIES] * 3 + ["Winter picnic"]
    with Session(engine) as session:
        assert session.exec(select(HiddenSeries)).all() == []


def test_a_series_is_not_hidden_without_a_reason_nor_by_an_editor(riverside: TestClient, engine: Engine) -> None:
    uid = uids(riverside.get("/admin/events").text, SERIES)[0]
    csrf = token(riverside, "/admin/")
    refused = riverside.post("/admin/events/hide-series", data={"uid": uid, "reason": " ", "confirm": "yes",
                                                                  "csrf_token": csrf})
    assert refused.status_code == 303 and "Say why" in unquote(refused.headers["location"])
    gone = riverside.post("/admin/events/hide-series", data={"uid": "no-such@hub.test", "reason": "spam",
                                                               "csrf_token": csrf})
    assert "nothing was hidden" in unquote(gone.headers["location"])
    assert published(riverside) == [SERIES] * 3 + ["Winter picnic"]
    with Session(engine) as session:
        accounts.add_user("eve@riverside.test", PASSWORD, role="editor", group="riverside-greens", session=session,
                          actor="test")
    riverside.post("/admin/logout", data={"csrf_token": csrf})
    assert sign_in(riverside, "eve@riverside.test") == 303
    response = riverside.post("/admin/events/hide-series", data={"uid": uid, "reason": "spam", "confirm": "yes",
                                                                   "csrf_token": token(riverside, "/admin/")})
    assert response.status_code == 403
    assert "series.hide" not in audit(engine)
