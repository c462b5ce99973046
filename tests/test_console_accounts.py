"""Accounts in the console at /admin/accounts: list, add, change a role, deactivate, one-time password links."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from calendar_hub import cli, clock
from calendar_hub.console import account_admin, accounts
from calendar_hub.errors import InputError
from calendar_hub.settings import Settings
from calendar_hub.store import PasswordLink
from calendar_hub.store.models import AuditEntry
from tests.pages import PASSWORD, sign_in, token

NEW_PASSWORD = "a long new password"


def _form(client: TestClient, path: str, **data: str) -> tuple[int, str]:
    response = client.post(path, data={**data, "csrf_token": token(client, "/admin/")})
    return response.status_code, response.text


def _link_in(page: str) -> str:
    found = re.search(r'id="one-time-link" readonly value="([^"]+)"', page)
    assert found, page[:2000]
    return html.unescape(found.group(1))


def _user_id(engine: Engine, email: str) -> int:
    with Session(engine) as session:
        user = accounts.find_user(email, session=session)
        assert user is not None and user.id is not None
        return user.id


def _actions(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        return [(e.actor, e.action, e.target) for e in session.exec(
            select(AuditEntry).where(col(AuditEntry.action).startswith("user."), AuditEntry.actor != "test")
            .order_by(col(AuditEntry.id))).all()]


def test_an_admin_adds_an_account_and_its_one_time_link_signs_the_new_organiser_in(
        people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    assert sign_in(console_client, people["admin"]) == 303
    page = console_client.get("/admin/accounts").text
    for email in people.values():
        assert email in page
    status, page = _form(console_client, "/admin/accounts/new", email="Nia@Hub.Test", role="organiser", group="")
    assert status == 200
    link = _link_in(page)
    assert link.startswith("http://hub.test/admin/password/")  # the configured base URL, not the Host header
    assert "Waiting to set a password" in page
    # Until the link is used, no password signs in to the new account.
    assert sign_in(TestClient(console_client.app), "nia@hub.test", "") == 400
    with Session(engine) as session:
        [stored] = session.exec(select(PasswordLink)).all()
        assert link.rsplit("/", 1)[1] not in stored.token_hash  # only the hash is kept

    with TestClient(console_client.app, follow_redirects=False) as newcomer:
        path = link.removeprefix("http://hub.test")
        assert "nia@hub.test" in newcomer.get(path).text
        csrf = token(newcomer, path)
        refused = newcomer.post(path, data={"password": "short", "again": "short", "csrf_token": csrf})
        assert refused.status_code == 400 and "at least 10" in refused.text
        done = newcomer.post(path, data={"password": NEW_PASSWORD, "again": NEW_PASSWORD, "csrf_token": csrf})
        assert done.status_code == 303 and done.headers["location"] == "/admin"
        assert newcomer.get("/admin/groups").status_code == 200  # signed in, as an organiser
        assert newcomer.get("/admin/accounts").status_code == 403
        # Used once, the link is gone.
        assert newcomer.get(path).status_code == 410
        again = newcomer.post(path, data={"password": "another long one", "again": "another long one",
                                          "csrf_token": token(newcomer, "/admin/")})
        assert again.status_code == 410
    with TestClient(console_client.app, follow_redirects=False) as later:
        assert sign_in(later, "nia@hub.test", NEW_PASSWORD) == 303
        assert sign_in(later, "nia@hub.test", "another long one") == 400
    assert _actions(engine) == [(people["admin"], "user.add", "nia@hub.test"),
                                ("nia@hub.test", "user.password", "nia@hub.test")]


def test_a_one_time_link_expires(people: dict[str, str], engine: Engine) -> None:
    with Session(engine) as session:
        user, link = account_admin.new_link(_user_id(engine, people["organiser"]), session=session,
                                            actor=people["admin"])
        later = clock.now() + account_admin.LINK_LIFETIME + timedelta(seconds=1)
        assert account_admin.link_account(link, session=session) is not None
        assert account_admin.link_account(link, session=session, now=later) is None
        with pytest.raises(InputError, match="expired"):
            account_admin.use_link(link, NEW_PASSWORD, session=session, now=later)
        # The old password still works: a link replaces nothing until it is used.
        assert accounts.authenticate(user.email, PASSWORD, address="127.0.0.1", session=session) is not None


def test_a_new_link_replaces_the_last_and_a_reset_keeps_the_old_password_until_used(
        people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    assert sign_in(console_client, people["admin"]) == 303
    organiser = _user_id(engine, people["organiser"])
    first = _link_in(_form(console_client, f"/admin/accounts/{organiser}/reset")[1])
    second = _link_in(_form(console_client, f"/admin/accounts/{organiser}/reset")[1])
    with Session(engine) as session:
        assert account_admin.link_account(first.rsplit("/", 1)[1], session=session) is None
        assert account_admin.link_account(second.rsplit("/", 1)[1], session=session) is not None
    with TestClient(console_client.app, follow_redirects=False) as organiser_client:
        assert sign_in(organiser_client, people["organiser"]) == 303
        path = second.removeprefix("http://hub.test")
        csrf = token(organiser_client, path)
        assert organiser_client.post(path, data={"password": NEW_PASSWORD, "again": NEW_PASSWORD,
                                                 "csrf_token": csrf}).status_code == 303
    with TestClient(console_client.app, follow_redirects=False) as elsewhere:
        assert sign_in(elsewhere, people["organiser"]) == 400
        assert sign_in(elsewhere, people["organiser"], NEW_PASSWORD) == 303
    assert [a for _actor, a, _t in _actions(engine)] == ["user.reset_link", "user.reset_link", "user.password"]


def test_an_admin_changes_a_role_and_deactivates_an_account(people: dict[str, str], console_client: TestClient,
                                                            engine: Engine) -> None:
    with TestClient(console_client.app, follow_redirects=False) as organiser_client:
        assert sign_in(organiser_client, people["organiser"]) == 303
        assert sign_in(console_client, people["admin"]) == 303
        organiser = _user_id(engine, people["organiser"])
        status, _page = _form(console_client, f"/admin/accounts/{organiser}/role", role="editor", group="")
        assert status == 400  # an editor needs a group
        moved = console_client.post(f"/admin/accounts/{organiser}/role",
                                    data={"role": "editor", "group": "sanctuary-manchester",
                                          "csrf_token": token(console_client, "/admin/")})
        assert moved.status_code == 303
        assert organiser_client.get("/admin/groups").status_code == 403  # an editor now, at once
        console_client.post(f"/admin/accounts/{organiser}/deactivate",
                            data={"csrf_token": token(console_client, "/admin/")})
        assert organiser_client.get("/admin/").headers["location"].startswith("/admin/login")
        assert sign_in(organiser_client, people["organiser"]) == 400
        assert "Deactivated" in console_client.get("/admin/accounts").text
        console_client.post(f"/admin/accounts/{organiser}/reactivate",
                            data={"csrf_token": token(console_client, "/admin/")})
        assert sign_in(organiser_client, people["organiser"]) == 303
    admin = _user_id(engine, people["admin"])
    status, page = _form(console_client, f"/admin/accounts/{admin}/deactivate")
    assert status == 400 and "your own account" in page
    assert [a for _actor, a, _t in _actions(engine)] == ["user.role", "user.deactivate", "user.reactivate"]


def test_only_admins_see_accounts(people: dict[str, str], console_client: TestClient, engine: Engine) -> None:
    admin = _user_id(engine, people["admin"])
    for role in ("organiser", "editor"):
        with TestClient(console_client.app, follow_redirects=False) as client:
            assert sign_in(client, people[role]) == 303
            assert client.get("/admin/accounts").status_code == 403
            assert "/admin/accounts" not in client.get("/admin/").text
            csrf = token(client, "/admin/")
            assert client.post("/admin/accounts/new", data={"email": "x@hub.test", "role": "admin",
                                                            "csrf_token": csrf}).status_code == 403
            for action in ("role", "deactivate", "reset"):
                assert client.post(f"/admin/accounts/{admin}/{action}",
                                   data={"role": "organiser", "csrf_token": csrf}).status_code == 403
    assert _actions(engine) == []


def test_an_address_already_in_use_is_refused(people: dict[str, str], console_client: TestClient) -> None:
    assert sign_in(console_client, people["admin"]) == 303
    status, page = _form(console_client, "/admin/accounts/new", email=people["editor"].upper(), role="organiser")
    assert status == 400 and "already an account" in page


def test_the_cli_still_adds_and_resets_accounts(people: dict[str, str], settings: Settings, engine: Engine) -> None:
    """An account made in the console can be given a password from the command line, and one from there listed."""
    with Session(engine) as session:
        account_admin.add_account("new@hub.test", role="organiser", group=None, session=session, actor="ada")
    args = cli._parser().parse_args(["user", "add", "new@hub.test", "--role", "organiser"])
    assert cli.cmd_user_add(args, settings, stdin=io.StringIO(PASSWORD + "\n")) == 0
    with Session(engine) as session:
        assert accounts.authenticate("new@hub.test", PASSWORD, address="127.0.0.1", session=session) is not None
        assert [u.email for u in account_admin.all_accounts(session=session)] == sorted(
            [*people.values(), "new@hub.test"])
