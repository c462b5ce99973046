"""A real SMTP relay on 127.0.0.1 (aiosmtpd) that keeps what it accepts, read back with the email package, with
faults on demand: refusing for a while, or holding one message until the test has killed its sender."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


class MailServer:
    """Accepts every message (`received`), unless told to refuse (`refusing`) or to hold the `hold_at`-th one."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse_from: int | None = None   # refuse (451) every message from this one on (counting accepted ones)
        self.hold_at: int | None = None       # hold this message (1-based) until `release` is set
        self.held = threading.Event()         # set while the held message waits
        self.release = threading.Event()
        self.unknown: set[str] = set()        # recipients refused for good (550)
        self.seen = 0
        self.lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.unknown:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.seen += 1
            number = self.seen
            if self.refuse_from is not None and len(self.received) + 1 >= self.refuse_from:
                return "451 4.3.0 Try again later"
        if self.hold_at == number:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            # The sender died before it heard back: per RFC 5321 4.1.1.4 the relay has not taken the message.
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline and not _closed(server):
                await asyncio.sleep(0.02)
            if _closed(server):
                return "451 4.3.0 Sender went away"
        message = email.message_from_bytes(envelope.original_content, policy=default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.received]

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.received if str(message["To"]) == address]


def _closed(server: Any) -> bool:
    transport = getattr(server, "transport", None)
    return transport is None or transport.is_closing()


@contextmanager
def running() -> Iterator[MailServer]:
    server = MailServer()
    server.controller.start()
    try:
        yield server
    finally:
        server.release.set()
        server.controller.stop()
