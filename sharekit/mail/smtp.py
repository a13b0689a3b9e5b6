"""Handing mail to the SMTP server: the one place sharekit talks SMTP (aiosmtplib).

Every failure, whatever raised it (a refused connection, a timeout, a login or a recipient
refused), becomes one :class:`MailNotSent` whose message names the server and what went
wrong but never an address: it is logged and stored in the outbox.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from sharekit.settings import Smtp

__all__ = ["MailNotSent", "SmtpTransport", "Transport"]

_ADDRESS = re.compile(r"\S+@\S+")


class MailNotSent(Exception):
    """This attempt to send failed; it may work later. The message has no address in it."""


class Transport(Protocol):
    """Something that delivers a mail or raises :class:`MailNotSent`."""

    async def send(self, message: EmailMessage) -> None: ...


def _reply(exc: aiosmtplib.SMTPResponseException) -> str:
    # The server's words may quote an address ("<ana@…>: mailbox unavailable").
    words = _ADDRESS.sub("<address>", " ".join(exc.message.split()))[:120]
    return f"{exc.code} {words}".strip()


def describe(exc: BaseException, server: str) -> str:
    """What went wrong, for the log and the outbox: no address, not even in a quote."""
    match exc:
        case aiosmtplib.SMTPConnectTimeoutError() | aiosmtplib.SMTPTimeoutError() | TimeoutError():
            return f"timed out talking to {server}"
        case ConnectionRefusedError():
            return f"connection refused by {server}"
        case aiosmtplib.SMTPConnectError():
            if isinstance(exc.__cause__, ConnectionRefusedError) or "refused" in str(exc):
                return f"connection refused by {server}"
            return f"cannot connect to {server}"
        case aiosmtplib.SMTPServerDisconnected():
            return f"{server} closed the connection unexpectedly"
        case aiosmtplib.SMTPAuthenticationError():
            return f"login refused by {server}: {_reply(exc)}"
        case aiosmtplib.SMTPRecipientsRefused():
            return f"every recipient refused by {server}"
        case aiosmtplib.SMTPSenderRefused():
            return f"sender address refused by {server}: {_reply(exc)}"
        case aiosmtplib.SMTPResponseException():
            return f"{server} answered {_reply(exc)}"
        case aiosmtplib.SMTPException():
            return f"SMTP error with {server} ({type(exc).__name__})"
        case OSError():
            return f"cannot reach {server} ({type(exc).__name__})"
    return f"cannot send through {server} ({type(exc).__name__})"


class SmtpTransport:
    """Sends each mail over a connection of its own (notifications are few)."""

    def __init__(self, settings: Smtp) -> None:
        self.settings = settings
        self.server = f"{settings.host}:{settings.port}"

    async def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to its ``To`` addresses; raises :class:`MailNotSent`."""
        smtp = self.settings
        login = bool(smtp.user)
        password = smtp.password.get_secret_value() if login and smtp.password else None
        try:
            await aiosmtplib.send(
                message,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.user if login else None,
                password=password if login else None,
                use_tls=smtp.security == "tls",
                start_tls=smtp.security == "starttls",
                timeout=smtp.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # Not chained: the original's text may hold the recipients' addresses, and a
            # logged traceback would show it.
            raise MailNotSent(describe(exc, self.server)) from None
