"""Signing in and out: the throttle counts every attempt, locks out only an account and address together, waits grow;
sessions end on the server when their account signs out or gets a new password."""

from __future__ import annotations

import base64
import json
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import itsdangerous
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from calendar_hub import clock, store
from calendar_hub.console import accounts
from calendar_hub.settings import Settings
from calendar_hub.web.app import create_app
from calendar_hub.web.console.auth import SESSION_COOKIE
from tests.pages import PASSWORD, post, sign_in

ORGANISER = "olu@hub.test"
ATTACKER = ("203.0.113.66", 40000)
WRONG = "not the password"


@pytest.fixture
def organiser(engine: Engine) -> str:
    with Session(engine) as session:
        accounts.add_user(ORGANISER, PASSWORD, role="organiser", group=None, session=session, actor="test")
    return ORGANISER


def attempt(engine: Engine, password: str, *, address: str = "198.51.100.7", email: str = ORGANISER,
            after: timedelta = timedelta(0)) -> accounts.SignInAttempt:
    """One sign-in attempt in a session of its own, `after` from now."""
    with Session(engine) as session:
        return accounts.attempt_sign_in(email, password, address=address, session=session, now=clock.now() + after)


def counts(engine: Engine, *keys: str) -> dict[str, int]:
    with Session(engine) as session:
        return store.login_failure_counts(keys, session=session)


# ---------------------------------------------------------------- the throttle

def test_forty_parallel_wrong_passwords_count_forty_and_only_the_allowed_ones_are_checked(
        organiser: str, engine: Engine) -> None:
    start = threading.Barrier(40)

    def guess(_n: int) -> accounts.SignInAttempt:
        start.wait()
        return attempt(engine, WRONG)

    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(guess, range(40)))
    assert sum(result.checked for result in results) == accounts.FAILURES_ALLOWED
    assert all(result.user is None for result in results)
    assert counts(engine, f"pair:198.51.100.7 {organiser}", "ip:198.51.100.7") == {
        f"pair:198.51.100.7 {organiser}": 40, "ip:198.51.100.7": 40}
    refused = attempt(engine, PASSWORD)
    assert refused.user is None and not refused.checked and refused.wait > timedelta(0)


def test_an_attackers_failures_from_one_address_leave_the_organiser_signing_in_from_their_own(
        organiser: str, console_client: TestClient) -> None:
    attacker = TestClient(console_client.app, client=ATTACKER, follow_redirects=False)
    for _ in range(accounts.FAILURES_ALLOWED * 2):
        assert sign_in(attacker, organiser, WRONG) == 400
    assert sign_in(attacker, organiser) == 400               # the right password, from the attacker's address: waits
    assert sign_in(console_client, organiser) == 303         # from the organiser's own address: in at once
    assert "Feed health" in console_client.get("/admin/").text


def test_one_address_is_limited_across_accounts(organiser: str, engine: Engine) -> None:
    for n in range(accounts.ADDRESS_FAILURES_ALLOWED):
        assert attempt(engine, WRONG, email=f"guess{n}@hub.test").checked
    refused = attempt(engine, PASSWORD)                       # a new account from the same address waits too
    assert not refused.checked and refused.user is None
    assert attempt(engine, PASSWORD, address="198.51.100.8").user is not None  # another address does not


def test_past_the_limit_the_wait_doubles_with_each_failure_up_to_an_hour(organiser: str, engine: Engine) -> None:
    pair = f"pair:198.51.100.7 {organiser}"
    waits = [attempt(engine, WRONG).wait for _ in range(accounts.FAILURES_ALLOWED)]
    assert waits == [timedelta(0)] * (accounts.FAILURES_ALLOWED - 1) + [accounts.FIRST_WAIT]
    last, wait = timedelta(0), accounts.FIRST_WAIT
    for minutes in (2, 4, 8, 16, 32, 60, 60):
        last += wait + timedelta(seconds=1)                   # the clock travels past the wait: no sleeping
        failed = attempt(engine, WRONG, after=last)
        assert failed.checked and failed.wait == timedelta(minutes=minutes)
        wait = failed.wait
    early = attempt(engine, PASSWORD, after=last + wait - timedelta(seconds=5))
    assert not early.checked and early.user is None and early.wait <= timedelta(seconds=5)
    assert counts(engine, pair) == {pair: accounts.FAILURES_ALLOWED + 8}
    signed = attempt(engine, PASSWORD, after=last + wait + timedelta(seconds=1))
    assert signed.checked and signed.user is not None           # the right password once the wait is over
    assert counts(engine, pair) == {}                           # and the pair's count starts again
    assert attempt(engine, WRONG, after=last + wait + timedelta(seconds=2)).wait == timedelta(0)


def test_a_quiet_quarter_hour_after_the_wait_forgets_the_failures(organiser: str, engine: Engine) -> None:
    for _ in range(accounts.FAILURES_ALLOWED):
        attempt(engine, WRONG)
    later = accounts.FIRST_WAIT + accounts.FAILURE_WINDOW + timedelta(seconds=1)
    assert attempt(engine, WRONG, after=later).wait == timedelta(0)


def test_the_sign_in_form_mentions_a_wait_only_when_one_applies(organiser: str, console_client: TestClient) -> None:
    first = console_client.post("/admin/login", data={"email": organiser, "password": WRONG,
                                                      "csrf_token": _token(console_client)})
    assert first.status_code == 400 and "do not match" in first.text and "too many tries" not in first.text
    for _ in range(accounts.FAILURES_ALLOWED - 2):
        assert sign_in(console_client, organiser, WRONG) == 400
    fifth = console_client.post("/admin/login", data={"email": organiser, "password": WRONG,
                                                      "csrf_token": _token(console_client)})
    assert "do not match" in fifth.text and "too many tries: wait a minute and try again" in fifth.text
    refused = console_client.post("/admin/login", data={"email": organiser, "password": PASSWORD,
                                                        "csrf_token": _token(console_client)})
    assert refused.status_code == 400 and "do not match" not in refused.text and "wait a minute" in refused.text
    with clock.travel_to(clock.now() + accounts.FIRST_WAIT + timedelta(seconds=5)):
        assert sign_in(console_client, organiser) == 303


def _token(client: TestClient) -> str:
    page = client.get("/admin/login").text
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


# ---------------------------------------------------------------- sessions that end

def test_a_cookie_copied_before_sign_out_is_refused_after_it(organiser: str, console_client: TestClient) -> None:
    assert sign_in(console_client, organiser) == 303
    copied = console_client.cookies[SESSION_COOKIE]
    elsewhere = TestClient(console_client.app, follow_redirects=False, cookies={SESSION_COOKIE: copied})
    assert elsewhere.get("/admin/").status_code == 200        # the copy works while the session lasts
    post(console_client, "/admin/logout")
    assert console_client.get("/admin/").status_code == 303
    again = TestClient(console_client.app, follow_redirects=False, cookies={SESSION_COOKIE: copied})
    response = again.get("/admin/")
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")
    assert sign_in(console_client, organiser) == 303          # signing in again makes a new session that works
    assert console_client.get("/admin/").status_code == 200
    assert again.get("/admin/").status_code == 303            # and the old copy stays refused


def test_a_new_password_ends_the_other_sessions(organiser: str, console_client: TestClient, engine: Engine) -> None:
    assert sign_in(console_client, organiser) == 303
    assert console_client.get("/admin/").status_code == 200
    with Session(engine) as session:
        accounts.add_user(organiser, "a brand new password", role="organiser", group=None, session=session,
                          actor="test")
    response = console_client.get("/admin/")
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/login")
    assert sign_in(console_client, organiser) == 400          # the old password no longer works
    assert sign_in(console_client, organiser, "a brand new password") == 303
    assert console_client.get("/admin/").status_code == 200


def test_a_cookie_signed_before_generations_existed_is_refused(organiser: str, settings: Settings,
                                                                engine: Engine) -> None:
    """Such a cookie (the key's own signature over only the account id and a token) names no generation."""
    key = secrets.token_urlsafe(48)
    with Session(engine) as session:
        user = accounts.find_user(organiser, session=session)
        assert user is not None and user.id is not None and user.session_generation == 0
    with TestClient(create_app(settings.replace(secret_key=key)), follow_redirects=False) as client:
        for cookie, status in (({"user_id": user.id, "csrf_token": "x"}, 303),
                               ({"user_id": user.id, "generation": 0, "csrf_token": "x"}, 200),
                               ({"user_id": user.id, "generation": 1, "csrf_token": "x"}, 303)):
            signed = itsdangerous.TimestampSigner(key).sign(base64.b64encode(json.dumps(cookie).encode()))
            client.cookies.clear()
            client.cookies.set(SESSION_COOKIE, signed.decode())
            assert client.get("/admin/").status_code == status, cookie
