"""Reading what the hub serves and filling in its forms: calendars by title, CSRF tokens, signing in (with a test
client or in a browser), console posts."""

from __future__ import annotations

import re
from typing import Any

import icalendar
from starlette.testclient import TestClient

PASSWORD = "correct horse battery"


def calendar_events(body: bytes) -> dict[str, icalendar.Event]:
    """The VEVENTs of an ICS body, by their SUMMARY."""
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def token(client: TestClient, path: str = "/admin/login") -> str:
    """The CSRF token of the form on the page at `path` (following redirects to it)."""
    page = client.get(path, follow_redirects=True).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> int:
    """Sign in at /admin/login; returns the status code (303 when it worked, 400 when refused)."""
    response = client.post("/admin/login", data={"email": email, "password": password, "csrf_token": token(client)})
    return response.status_code


def post(client: TestClient, path: str, **data: str) -> str:
    """POST a console form with this session's token; returns where it sent us (its ?done= message)."""
    response = client.post(path, data={**data, "csrf_token": token(client, "/admin/")})
    assert response.status_code == 303, (response.status_code, response.text[:500])
    return response.headers["location"]


def confirm(client: TestClient, path: str, **data: str) -> str:
    """POST a console form that asks first, then say yes; returns the page after the change (with its undo)."""
    csrf = token(client, "/admin/")
    asked = client.post(path, data={**data, "csrf_token": csrf})
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.text, asked.text[:500]
    done = client.post(path, data={**data, "confirm": "yes", "csrf_token": csrf})
    assert done.status_code == 200, (done.status_code, done.text[:500])
    return done.text


def signed_in_page(browser: Any, site: str, email: str, *, start: str = "/admin/", password: str = PASSWORD,
                   **options: Any) -> Any:
    """A new Playwright page (`options` as for `browser.new_page`) that opens `start` on `site`, is sent to the
    sign-in form, signs in as `email` and is brought back to `start`; returns the page."""
    page = browser.new_page(**options)
    page.goto(site + start)
    assert "/admin/login" in page.url, page.url  # sent to sign in first
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(site + start.rstrip("/")) + r"/?$"))
    return page
