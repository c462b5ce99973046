"""Following by e-mail from the public pages: the short form, the form with its token, the confirmation sent
through a real SMTP relay on 127.0.0.1 and its signed, expiring link, the manage page, one-click unsubscribe,
and the protections of /submit (CSRF, honeypot, limits counted in the database)."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from calendar_hub import clock
from calendar_hub.catalogue.hub import Hub
from calendar_hub.mail import digest, outbox, signup
from calendar_hub.settings import Settings
from calendar_hub.store import Follower, OutboxMessage
from calendar_hub.web.app import create_app
from tests.hubdata import WEEK, HubData
from tests.mailserver import MailServer
from tests.pages import sign_in

READER = "reader@example.org"


def relayed(settings: Settings, server: MailServer) -> Settings:
    return settings.replace(smtp_host="127.0.0.1", smtp_port=server.port, smtp_security="none",
                            mail_from="Calendar Hub <events@hub.test>", mail_per_minute=0)


def start(client: TestClient, prefix: str = "", **fields: str) -> Any:
    """What the short form on a page sends: no token yet."""
    return client.post(f"{prefix}/follow/", data={"start": "1", **fields})


def sign_up(client: TestClient, prefix: str = "", *, trap: str = "", **fields: str) -> Any:
    """The short form, then the form it leads to, sent with its token (and `trap` in the honeypot)."""
    page = start(client, prefix, **fields)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return client.post(f"{prefix}/follow/", data={**fields, "subject": trap, "csrf_token": found.group(1)})


def followers(engine: Engine) -> list[Follower]:
    with Session(engine) as session:
        return list(session.exec(select(Follower)).all())


def queued(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage)).all())


def text_of(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def stored_text(row: OutboxMessage) -> str:
    """The plain text part of a message as the outbox holds it."""
    message = email.message_from_string(row.body, policy=default)
    assert isinstance(message, EmailMessage)
    return text_of(message)[0]


def link_in(text: str, path: str) -> str:
    found = re.search(rf"http://hub\.test(/cy)?{path}[^\s\"<]+", text)
    assert found, text
    return found.group(0).removeprefix("http://hub.test")


def test_a_week_page_offers_to_follow_it_and_the_confirmation_arrives_with_a_working_link(
        hub: HubData, client: TestClient, engine: Engine, settings: Settings, mail_server: MailServer) -> None:
    page = client.get(f"/weeks/{WEEK}").text
    assert 'action="/follow/"' in page and f'name="week" value="{WEEK}"' in page
    asked = start(client, email=READER, week=WEEK)
    assert asked.status_code == 200 and f'value="{READER}"' in asked.text and "csrf_token" in asked.text
    assert followers(engine) == []              # nothing kept before the form with its token comes back
    thanks = sign_up(client, email=READER, week=WEEK)
    assert thanks.status_code == 200 and READER in thanks.text
    [follower] = followers(engine)
    assert (follower.week_slug, follower.confirmed_at, follower.language) == (WEEK, None, "en")
    assert [m.kind for m in queued(engine)] == ["confirm"]

    assert outbox.send_due(engine, relayed(settings, mail_server)).sent == 1
    [mail] = mail_server.to(READER)
    plain, html = text_of(mail)
    assert mail["Subject"].startswith("Please confirm") and mail["Message-ID"] and mail["Date"]
    confirm = link_in(plain, "/follow/confirm/")
    assert confirm in html
    assert client.get(confirm).status_code == 200
    [follower] = followers(engine)
    assert follower.confirmed_at is not None
    # Nothing more was sent on signing up: the digest comes on its day.
    assert outbox.send_due(engine, relayed(settings, mail_server)).sent == 0


def test_a_confirmation_link_expires_after_a_week_and_cannot_be_forged(
        hub: HubData, client: TestClient, engine: Engine) -> None:
    sign_up(client, email=READER, week=WEEK)
    body = stored_text(queued(engine)[0])
    confirm = link_in(body, "/follow/confirm/")
    follower_id, expires, signature = confirm.rsplit("/", 1)[1].split(".")
    forged = f"/follow/confirm/{follower_id}.{int(expires) + 86400}.{signature}"
    assert client.get(forged).status_code == 404
    with clock.travel_to(clock.now() + timedelta(days=8)):
        assert client.get(confirm).status_code == 404
    assert followers(engine)[0].confirmed_at is None
    with clock.travel_to(clock.now() + timedelta(days=8)), Session(engine) as session:
        assert signup.purge(now=clock.now(), session=session) == 1   # unconfirmed for a week: deleted
    assert followers(engine) == []


def test_the_form_is_protected_like_submit(hub: HubData, client: TestClient, engine: Engine) -> None:
    no_token = client.post("/follow/", data={"email": READER, "week": WEEK})
    assert no_token.status_code == 403
    robot = sign_up(client, email=READER, week=WEEK, trap="cheap pills")
    assert robot.status_code == 200 and followers(engine) == []        # thanked, and forgotten
    wrong = sign_up(client, email="not an address", near="Nowhere-on-sea")
    assert wrong.status_code == 400 and "e-mail address" in wrong.text and "Nowhere-on-sea" in wrong.text
    for _ in range(signup.PER_EMAIL_PER_DAY):
        assert sign_up(client, email=READER, week=WEEK).status_code == 200
    refused = sign_up(client, email=READER, week=WEEK)
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert len(followers(engine)) == signup.PER_EMAIL_PER_DAY


def test_one_click_unsubscribe_stops_every_further_message(
        hub: HubData, client: TestClient, engine: Engine, settings: Settings, mail_server: MailServer) -> None:
    sign_up(client, email=READER, near="Manchester", km="25")
    confirm = link_in(stored_text(queued(engine)[0]), "/follow/confirm/")
    client.get(confirm)
    [follower] = followers(engine)
    assert (follower.near, follower.km) == ("Manchester", 25.0)
    with clock.travel_to(clock.now() + timedelta(days=7)), Session(engine) as session:
        built = digest.build_due(Hub(settings, engine=engine).catalogue(), settings, now=clock.now(),
                                 session=session)
        sent = outbox.send_due(engine, relayed(settings, mail_server))
    assert built.digests == 1
    assert sent.sent == 2
    mail = mail_server.to(READER)[-1]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<http://hub\.test(/follow/unsubscribe/[^>]+)>", mail["List-Unsubscribe"].strip())
    assert unsubscribe, mail["List-Unsubscribe"]
    # What a mail program sends (RFC 8058 3.2): no cookie, no token but the address's own.
    client.cookies.clear()
    response = client.post(unsubscribe.group(1), content=b"List-Unsubscribe=One-Click",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert followers(engine) == [] and queued(engine) == []
    with clock.travel_to(clock.now() + timedelta(days=14)), Session(engine) as session:
        built = digest.build_due(Hub(settings, engine=engine).catalogue(), settings, now=clock.now(),
                                 session=session)
        assert outbox.send_due(engine, relayed(settings, mail_server)).sent == 0
    assert built.digests == 0


def test_the_manage_page_changes_the_radius_and_exports_and_deletes(
        hub: HubData, client: TestClient, engine: Engine) -> None:
    sign_up(client, email=READER, near="Manchester", km="10")
    client.get(link_in(stored_text(queued(engine)[0]), "/follow/confirm/"))
    [follower] = followers(engine)
    manage = f"/follow/manage/{follower.token}"
    page = client.get(manage)
    assert page.status_code == 200 and READER in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    changed = client.post(manage, data={"csrf_token": token.group(1), "action": "change", "near": "Manchester",
                                        "km": "50", "group": "", "week": WEEK})
    assert changed.status_code == 200 and 'value="50" selected' in changed.text
    [follower] = followers(engine)
    assert (follower.km, follower.week_slug) == (50.0, WEEK)
    assert client.post(manage, data={"action": "change", "km": "5"}).status_code == 403   # no token
    exported = client.post(manage, data={"csrf_token": token.group(1), "action": "export"})
    assert exported.headers["content-type"].startswith("application/json")
    assert exported.json()["email"] == READER and exported.json()["km"] == 50.0
    gone = client.post(manage, data={"csrf_token": token.group(1), "action": "delete"})
    assert gone.status_code == 200 and followers(engine) == []
    assert client.get(manage).status_code == 404


def test_signing_up_on_a_welsh_page_confirms_in_welsh(
        hub: HubData, client: TestClient, engine: Engine, settings: Settings, mail_server: MailServer) -> None:
    page = client.get(f"/cy/weeks/{WEEK}").text
    assert 'action="/cy/follow/"' in page and "Dilyn drwy e-bost" in page
    thanks = sign_up(client, "/cy", email=READER, week=WEEK)
    assert thanks.status_code == 200 and "Edrychwch ar eich e-bost" in thanks.text
    assert followers(engine)[0].language == "cy"
    outbox.send_due(engine, relayed(settings, mail_server))
    [mail] = mail_server.to(READER)
    plain, html = text_of(mail)
    assert mail["Subject"].startswith("Cadarnhewch") and "Cadarnhau a dechrau" in html
    confirm = link_in(plain, "/follow/confirm/")
    assert confirm.startswith("/cy/follow/confirm/")
    confirmed = client.get(confirm)
    assert confirmed.status_code == 200 and "Rydych yn dilyn" in confirmed.text


def test_the_console_counts_followers_per_week_and_place_and_never_shows_an_address(
        hub: HubData, people: dict[str, str], client: TestClient, engine: Engine, settings: Settings) -> None:
    for address, fields in [("a@example.org", {"week": WEEK}), ("b@example.org", {"week": WEEK, "near": "Leeds"}),
                            ("c@example.org", {"near": "Leeds"}), ("d@example.org", {"week": WEEK})]:
        sign_up(client, email=address, **fields)
    for row in queued(engine)[:3]:           # three confirm; the fourth never does
        client.get(link_in(stored_text(row), "/follow/confirm/"))
    with TestClient(create_app(settings), follow_redirects=False) as console:
        assert sign_in(console, people["organiser"]) == 303
        page = console.get("/admin/").text
    assert "3 confirmed followers" in page
    assert re.search(rf'<td data-label="Week">{WEEK}</td><td data-label="Followers">2</td>', page)
    assert re.search(r'<td data-label="Place">Leeds</td><td data-label="Followers">2</td>', page)
    assert "@example.org" not in page


def test_the_about_page_says_what_is_kept_and_why(client: TestClient) -> None:
    assert "what we keep, and why" in client.get("/about").text
    assert "beth rydym yn ei gadw, a pham" in client.get("/cy/about").text
