"""The SMTP relay: one connection per run (STARTTLS, TLS or plain, with a login when configured), one message at
a time.  The only module of the hub that speaks SMTP.

A refusal is sorted into what may work later (`TemporaryFailure`: 4xx replies, a dropped connection, a relay
out of reach) and what never will (`PermanentFailure`: 5xx, RFC 5321 4.2.1).
"""

from __future__ import annotations

import smtplib
import ssl
from email.utils import parseaddr
from types import TracebackType

from calendar_hub.errors import HubError
from calendar_hub.settings import Settings

__all__ = ["PermanentFailure", "Relay", "SendFailure", "TemporaryFailure"]

TIMEOUT = 30.0


class SendFailure(HubError):
    """The relay did not take a message."""


class TemporaryFailure(SendFailure):
    """The relay may take it later: a 4xx reply, or the connection failed or dropped."""


class PermanentFailure(SendFailure):
    """The relay refused it for good (a 5xx reply): it is not tried again."""


class Relay:
    """A connection to the configured relay, opened on first use; use it as a context manager."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self.sender = parseaddr(settings.mail_from)[1]

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        context = ssl.create_default_context()
        try:
            smtp: smtplib.SMTP
            if settings.smtp_security == "tls":
                smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT, context=context)
            else:
                smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT)
                if settings.smtp_security == "starttls":
                    smtp.starttls(context=context)
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
        except smtplib.SMTPAuthenticationError as e:
            raise TemporaryFailure(f"the relay refused the login of {settings.smtp_user!r}: {e.smtp_code}") from e
        except (OSError, smtplib.SMTPException) as e:
            raise TemporaryFailure(f"cannot reach the relay {settings.smtp_host}:{settings.smtp_port}: {e}") from e
        return smtp

    def send(self, recipient: str, body: bytes) -> None:
        """Hand one message to the relay; returns once it accepted it (250 after DATA).

        Raises TemporaryFailure or PermanentFailure; after a TemporaryFailure the connection is closed.
        """
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.sendmail(self.sender, [recipient], body)
        except smtplib.SMTPRecipientsRefused as e:
            code = next(iter(e.recipients.values()))[0]
            raise _by_code(code, f"the relay refused the recipient ({code})") from e
        except smtplib.SMTPResponseException as e:
            failure = _by_code(e.smtp_code, f"the relay answered {e.smtp_code}: {_words(e.smtp_error)}")
            if isinstance(failure, TemporaryFailure):
                self.close()
            raise failure from e
        except (OSError, smtplib.SMTPException) as e:
            self._smtp = None
            raise TemporaryFailure(f"the connection to the relay failed: {e}") from e
        if refused:
            raise PermanentFailure(f"the relay refused the recipient: {refused}")

    def close(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _by_code(code: int, message: str) -> SendFailure:
    return PermanentFailure(message) if 500 <= code < 600 else TemporaryFailure(message)


def _words(raw: bytes | str) -> str:
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw)[:200]
