"""Every view is a subscription (calendar_hub/web/public/subscribe.py): each page's Subscribe box carries exactly its
filters into the webcal, https, Google and Outlook.com links, the calendar is named by them, and /subscribe helps."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, quote, unquote, urlsplit

import icalendar
import pytest
from starlette.testclient import TestClient

from tests.hubdata import WEEK, HubData

NEAR = {"near": "M14 5TG", "km": "10"}
NAME = "Communities Together for Refugees: within 10 km of M14 5TG"


def _box(page: str) -> str:
    """The Subscribe box of a page."""
    start = page.index('<section class="subscribe"')
    return page[start:page.index("</section>", start)]


def _links(page: str) -> dict[str, str]:
    box = _box(page)
    links = {kind: html.unescape(href) for kind, href in re.findall(r'<a class="([\w-]+)" href="([^"]+)"', box)}
    found = re.search(r'<code id="subscribe-address" class="address">([^<]+)</code>', box)
    assert found, box
    links["https"] = html.unescape(found.group(1))
    return links


def _listed(page: str) -> set[str]:
    return {html.unescape(uid) for uid in re.findall(r'<li class="event[^"]*" data-uid="([^"]+)"', page)}


def test_a_near_me_weeks_subscribe_links_carry_its_filters_and_return_exactly_its_events(
        hub: HubData, client: TestClient) -> None:
    page = client.get(f"/weeks/{WEEK}", params=NEAR).text
    links = _links(page)
    https = links["https"]
    assert https == f"http://hub.test/weeks/{WEEK}.ics?near=M14+5TG&km=10"
    assert links["webcal"] == "webcal://" + https.removeprefix("http://")
    google = urlsplit(links["google"])
    assert (google.netloc, google.path) == ("calendar.google.com", "/calendar/render")
    assert parse_qs(google.query)["cid"] == [links["webcal"]]
    outlook = urlsplit(links["outlook-com"])
    assert (outlook.netloc, outlook.path) == ("outlook.live.com", "/calendar/0/addfromweb")
    assert parse_qs(outlook.query) == {"url": [https], "name": [NAME]}
    assert f'<strong class="calendar-name">{NAME}</strong>' in html.unescape(_box(page))
    # fetched, the filtered calendar has exactly the events the page lists, and is named by its filters
    listed = _listed(page)
    assert listed and len(listed) < len(_listed(client.get(f"/weeks/{WEEK}").text))
    calendar = icalendar.Calendar.from_ical(client.get(https.removeprefix("http://hub.test")).content)
    assert {str(event["UID"]) for event in calendar.walk("VEVENT")} == listed
    assert str(calendar["X-WR-CALNAME"]) == NAME and str(calendar["NAME"]) == NAME


@pytest.mark.parametrize(("path", "params", "expected", "name"), [
    ("/", {"near": "Cardiff", "km": "25"}, "/calendar.ics?near=Cardiff&km=25",
     "Calendar Hub: all events: within 25 km of Cardiff"),
    ("/", {}, "/calendar.ics", "Calendar Hub: all events"),
    ("/map", {"week": WEEK, "region": "North West"}, f"/weeks/{WEEK}.ics?region=North+West",
     "Communities Together for Refugees: in North West"),
    (f"/weeks/{WEEK}/map", {"near": "Liverpool", "km": "5"}, f"/weeks/{WEEK}.ics?near=Liverpool&km=5",
     "Communities Together for Refugees: within 5 km of Liverpool"),
    ("/groups/sanctuary-manchester", {}, "/groups/sanctuary-manchester.ics", "Sanctuary Manchester"),
])
def test_every_page_that_lists_events_offers_its_own_calendar(hub: HubData, client: TestClient, path: str,
                                                              params: dict[str, str], expected: str,
                                                              name: str) -> None:
    page = client.get(path, params=params)
    assert page.status_code == 200
    links = _links(page.text)
    assert links["https"] == "http://hub.test" + expected
    assert links["webcal"] == "webcal://hub.test" + expected
    assert unquote(parse_qs(urlsplit(links["outlook-com"]).query)["name"][0]) == name
    assert 'href="/subscribe"' in _box(page.text)
    calendar = icalendar.Calendar.from_ical(client.get(expected).content)
    assert str(calendar["X-WR-CALNAME"]) == name


def test_the_home_pages_calendar_links_are_webcal(hub: HubData, client: TestClient) -> None:
    page = client.get("/").text
    assert 'href="/calendar.ics"' not in page and f'href="/weeks/{WEEK}.ics"' not in page
    assert 'href="webcal://hub.test/calendar.ics">Subscribe to every event' in page
    assert f'href="webcal://hub.test/weeks/{WEEK}.ics">Subscribe' in page


def test_the_subscribe_page_gives_steps_for_each_app_and_a_copy_button(hub: HubData, client: TestClient) -> None:
    response = client.get("/subscribe")
    assert response.status_code == 200
    page = response.text
    for words in ("iPhone", "Mac", "Google Calendar", "Android", "Outlook on the web", "Outlook on Windows",
                  "Thunderbird", "New Calendar Subscription", "From URL", "Subscribe from web", "On the Network"):
        assert words in page, words
    # the address is text without JavaScript; the copy button waits, hidden, for subscribe.js
    assert '<button type="button" class="copy" data-copy="subscribe-address" hidden>' in page
    assert '<script src="/static/hub/subscribe.js" defer></script>' in page
    assert client.get("/static/hub/subscribe.js").status_code == 200
    assert quote("http://hub.test/calendar.ics", safe="") in page  # the Google and Outlook.com links
