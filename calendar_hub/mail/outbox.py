"""Sending what the outbox holds: each message claimed, handed to the relay, and recorded as sent, one at a time.

    due ids -> claim (committed: this run's for `LEASE`) -> relay -> sent (committed) | back-off | failed

Nothing is sent twice: a message is sent only by the run that claimed it, and marked sent as soon as the relay
took it.  Nothing is lost: a run that crashes leaves its message claimed, and the next run after the claim
runs out sends it again (the relay never answered, so it never took it); one the relay refused for now waits
`backoff(attempts)`.  At most `mail_per_minute` go in any minute, counted in the database across processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from calendar_hub import clock, store
from calendar_hub.mail.sender import PermanentFailure, Relay, TemporaryFailure
from calendar_hub.settings import Settings
from calendar_hub.store import Engine, Session

__all__ = ["GIVE_UP", "LEASE", "Sending", "SendReport", "backoff", "send_due"]

LEASE = timedelta(minutes=10)       # far longer than one SMTP transaction takes
GIVE_UP = 12                        # attempts: about two days of back-off
IN_A_ROW = 3                        # temporary failures in a row that end the run: the relay is down


class Sending(Protocol):
    """What `send_due` needs of a relay (a `Relay`, or a stand-in)."""

    def send(self, recipient: str, body: bytes) -> None: ...
    def close(self) -> None: ...


@dataclass(slots=True)
class SendReport:
    """What one run did: messages sent, put off for later, given up, and left for the next run."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    left: int = 0


def backoff(attempts: int) -> timedelta:
    """How long a message waits after its `attempts`-th temporary failure: 1, 2, 4 … minutes, at most 6 hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


def send_due(engine: Engine, settings: Settings, *, relay: Sending | None = None,
             sleep: Callable[[float], None] = time.sleep, limit: int = 100_000) -> SendReport:
    """Send every message due now; returns what was done.  Blocks (SMTP and the database)."""
    report = SendReport()
    with Session(engine) as session:
        ids = store.due_messages(now=clock.now(), limit=limit, session=session)
    connection = relay if relay is not None else Relay(settings)
    in_a_row = 0
    try:
        for index, message_id in enumerate(ids):
            if in_a_row >= IN_A_ROW:
                report.left = len(ids) - index
                break
            _wait_for_rate(engine, settings.mail_per_minute, sleep)
            with Session(engine) as session:
                message = store.claim_message(message_id, now=clock.now(), lease=LEASE, session=session)
                session.commit()
                if message is None:  # another run took it, or it was sent meanwhile
                    continue
                recipient, body, attempts = message.recipient, message.body.encode("ascii"), message.attempts
            try:
                connection.send(recipient, body)
            except TemporaryFailure as e:
                in_a_row += 1
                _record(engine, message_id, attempts, str(e), report)
            except PermanentFailure as e:
                in_a_row = 0
                with Session(engine) as session:
                    store.mark_failed(message_id, error=str(e), session=session)
                    session.commit()
                report.failed += 1
            else:
                in_a_row = 0
                with Session(engine) as session:
                    store.mark_sent(message_id, at=clock.now(), session=session)
                    session.commit()
                report.sent += 1
    finally:
        connection.close()
    return report


def _record(engine: Engine, message_id: int, attempts: int, error: str, report: SendReport) -> None:
    """A temporary failure: try again after the back-off, or give up after `GIVE_UP` attempts."""
    with Session(engine) as session:
        if attempts >= GIVE_UP:
            store.mark_failed(message_id, error=error, session=session)
            report.failed += 1
        else:
            store.mark_retry(message_id, at=clock.now() + backoff(attempts), error=error, session=session)
            report.retried += 1
        session.commit()


def _wait_for_rate(engine: Engine, per_minute: int, sleep: Callable[[float], None]) -> None:
    """Wait until fewer than `per_minute` messages went in the last minute (0: no limit)."""
    if per_minute <= 0:
        return
    while True:
        now = clock.now()
        with Session(engine) as session:
            recent = store.sent_since(now - timedelta(minutes=1), session=session)
        if len(recent) < per_minute:
            return
        sleep(max((recent[-per_minute] + timedelta(minutes=1) - now).total_seconds(), 0.0) + 0.01)
