"""The outbox sends each message exactly once through a real SMTP relay on 127.0.0.1: when the relay fails mid-run,
when the sending process is killed mid-send, and within the rate limit."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from calendar_hub import clock, store
from calendar_hub.cli import main
from calendar_hub.mail import compose, outbox
from calendar_hub.settings import Settings
from calendar_hub.store import OutboxMessage
from tests.mailserver import MailServer

ROOT = Path(__file__).resolve().parents[1]


def relayed(settings: Settings, server: MailServer, **changes: object) -> Settings:
    return settings.replace(**{"smtp_host": "127.0.0.1", "smtp_port": server.port, "smtp_security": "none",
                               "mail_from": "Calendar Hub <events@hub.test>", "mail_per_minute": 0, **changes})


def queue(engine: Engine, settings: Settings, count: int) -> list[str]:
    """`count` messages in the outbox, to reader1@… reader<count>@…; their Message-IDs in order."""
    ids = []
    with Session(engine) as session:
        for n in range(1, count + 1):
            composed = (f"Message {n}", f"Hello {n}\n", f"<p>Hello {n}</p>")
            message_id, body = compose.message(settings, to=f"reader{n}@example.org", composed=composed,
                                               now=clock.now())
            store.queue_message(OutboxMessage(key=f"test:{n}", kind="digest", recipient=f"reader{n}@example.org",
                                              message_id=message_id, body=body, created_at=clock.now(),
                                              next_at=clock.now()), session=session)
            ids.append(message_id)
        session.commit()
    return ids


def statuses(engine: Engine) -> list[tuple[str, int]]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        return [(row.status, row.attempts) for row in rows]


def test_every_queued_message_reaches_the_relay_once_with_its_envelope(
        engine: Engine, settings: Settings, mail_server: MailServer) -> None:
    settings = relayed(settings, mail_server)
    ids = queue(engine, settings, 3)
    report = outbox.send_due(engine, settings)
    assert (report.sent, report.retried, report.failed) == (3, 0, 0)
    assert mail_server.message_ids() == ids
    assert mail_server.envelopes[0] == ("events@hub.test", ["reader1@example.org"])
    assert outbox.send_due(engine, settings).sent == 0   # a second run finds nothing to send
    assert mail_server.message_ids() == ids
    assert statuses(engine) == [("sent", 1)] * 3


def test_a_relay_that_fails_mid_run_gets_each_message_exactly_once_after_it_recovers(
        engine: Engine, settings: Settings, mail_server: MailServer) -> None:
    settings = relayed(settings, mail_server)
    ids = queue(engine, settings, 8)
    mail_server.refuse_from = 3              # takes two, then answers 451 to everything
    first = outbox.send_due(engine, settings)
    assert (first.sent, first.retried, first.left) == (2, outbox.IN_A_ROW, 8 - 2 - outbox.IN_A_ROW)
    assert mail_server.message_ids() == ids[:2]
    assert statuses(engine)[2:5] == [("pending", 1)] * 3     # tried once, waiting out the back-off

    mail_server.refuse_from = None           # the relay is back
    second = outbox.send_due(engine, settings)
    assert second.sent == 3                  # the three never tried; the refused ones are not yet due again
    assert mail_server.message_ids() == ids[:2] + ids[5:]
    with clock.travel_to(clock.now() + outbox.backoff(1) + timedelta(seconds=5)):
        third = outbox.send_due(engine, settings)
    assert third.sent == 3
    assert sorted(mail_server.message_ids()) == sorted(ids)  # each exactly once
    assert len(mail_server.received) == 8
    assert all(status == "sent" for status, _n in statuses(engine))


def test_a_relay_that_cannot_be_reached_loses_nothing(engine: Engine, settings: Settings,
                                                      mail_server: MailServer) -> None:
    settings = relayed(settings, mail_server)
    ids = queue(engine, settings, 2)
    unreachable = settings.replace(smtp_port=1)     # nothing listens there
    report = outbox.send_due(engine, unreachable)
    assert (report.sent, report.retried) == (0, 2)
    with clock.travel_to(clock.now() + timedelta(minutes=5)):
        assert outbox.send_due(engine, settings).sent == 2
    assert mail_server.message_ids() == ids


def test_a_refused_recipient_is_given_up_and_the_rest_go(engine: Engine, settings: Settings,
                                                         mail_server: MailServer) -> None:
    settings = relayed(settings, mail_server)
    ids = queue(engine, settings, 2)
    mail_server.unknown.add("reader1@example.org")    # the relay answers 550: it will never take it
    report = outbox.send_due(engine, settings)
    assert (report.sent, report.failed) == (1, 1)
    assert mail_server.message_ids() == ids[1:]
    assert statuses(engine)[0] == ("failed", 1)


def test_no_more_than_the_rate_limit_go_in_a_minute(engine: Engine, settings: Settings,
                                                    mail_server: MailServer) -> None:
    settings = relayed(settings, mail_server, mail_per_minute=2)
    queue(engine, settings, 5)
    waits: list[float] = []
    with contextlib.ExitStack() as later:
        def sleep(seconds: float) -> None:   # time passes on the hub's clock, not the test's
            waits.append(seconds)
            later.enter_context(clock.travel_to(clock.now() + timedelta(seconds=seconds)))

        report = outbox.send_due(engine, settings, sleep=sleep)
    assert report.sent == 5
    with Session(engine) as session:
        went = sorted(row.sent_at for row in session.exec(select(OutboxMessage)).all() if row.sent_at is not None)
    assert len(went) == 5
    assert all(went[n + 2] - went[n] >= timedelta(minutes=1) for n in range(3))   # never a third within a minute
    assert 110 < sum(waits) < 180                       # two minutes, less the time the sending took


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_sender_killed_mid_send_loses_and_doubles_nothing(engine: Engine, settings: Settings,
                                                            mail_server: MailServer, database_url: str) -> None:
    settings = relayed(settings, mail_server)
    ids = queue(engine, settings, 5)
    mail_server.hold_at = 3                  # the relay has the third message's data when the sender dies
    environment = {**os.environ, "CALENDAR_HUB_DATABASE_URL": database_url, "CALENDAR_HUB_SMTP_HOST": "127.0.0.1",
                   "CALENDAR_HUB_SMTP_PORT": str(mail_server.port), "CALENDAR_HUB_SMTP_SECURITY": "none",
                   "CALENDAR_HUB_MAIL_FROM": "events@hub.test", "CALENDAR_HUB_MAIL_PER_MINUTE": "0"}
    sender = subprocess.Popen([sys.executable, "-m", "calendar_hub", "send-digests", "--no-build"], cwd=ROOT,
                              env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert mail_server.held.wait(30), "the sender never reached the third message"
        sender.send_signal(signal.SIGKILL)
        sender.wait(10)
    finally:
        if sender.poll() is None:
            sender.kill()
        mail_server.release.set()
    assert mail_server.message_ids() == ids[:2]
    assert [status for status, _n in statuses(engine)] == ["sent", "sent", "sending", "pending", "pending"]

    mail_server.hold_at = None
    assert outbox.send_due(engine, settings).sent == 2       # the two never tried; the third is still claimed
    with clock.travel_to(clock.now() + outbox.LEASE + timedelta(minutes=1)):
        assert outbox.send_due(engine, settings).sent == 1   # the claim ran out: the relay never took it
        assert outbox.send_due(engine, settings).sent == 0
    assert sorted(mail_server.message_ids()) == sorted(ids)
    assert len(mail_server.received) == 5


def test_send_digests_without_a_relay_builds_and_keeps_the_messages(
        engine: Engine, settings: Settings, database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    queue(engine, settings, 1)
    assert main(["send-digests"], environ={"CALENDAR_HUB_DATABASE_URL": database_url}) == 0
    printed = capsys.readouterr().out
    assert "queued 0 digests and 0 week alerts" in printed and "nothing sent" in printed
    assert statuses(engine) == [("pending", 0)]


def test_messages_queued_together_are_queued_once_per_key_however_often_they_are_built(
        engine: Engine, settings: Settings, mail_server: MailServer) -> None:
    def made(n: int) -> store.NewMessage:
        message_id, body = compose.message(settings, to=f"reader{n}@example.org", now=clock.now(),
                                           composed=(f"Message {n}", f"Hello {n}\n", f"<p>Hello {n}</p>"))
        return store.NewMessage(key=f"batch:{n}", follower_id=None, kind="digest", recipient=f"reader{n}@example.org",
                                message_id=message_id, body=body, created_at=clock.now())
    with Session(engine) as session:
        assert store.queue_messages([made(1), made(2), made(1)], session=session) == 2
        session.commit()
    with Session(engine) as session:
        assert store.queue_messages([made(2), made(3)], session=session) == 1
        session.commit()
    assert outbox.send_due(engine, relayed(settings, mail_server)).sent == 3
    assert sorted(len(mail_server.to(f"reader{n}@example.org")) for n in (1, 2, 3)) == [1, 1, 1]
    assert statuses(engine) == [("sent", 1)] * 3
