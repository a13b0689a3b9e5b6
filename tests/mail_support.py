"""What the mail test modules share: a real SMTP server on loopback, and settings for it."""

from __future__ import annotations

import email
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from sharekit import Settings
from tests.comments_support import make_settings

SENDER = "sharekit@blog.example"
OWNER = "owner@blog.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Delivered:
    """One mail the server accepted: who it was for, and the message as a reader sees it."""

    recipients: list[str]
    message: EmailMessage

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())

    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return str(part.get_content())


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every mail; ``stop()`` and ``start()`` take the
    server down and bring it back on the same port."""

    port: int = field(default_factory=free_port)
    mails: list[Delivered] = field(default_factory=list)
    logins: list[tuple[bytes, bytes]] = field(default_factory=list)
    _controller: Controller | None = None
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = email.message_from_bytes(envelope.original_content or b"", policy=default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.mails.append(Delivered(list(envelope.rcpt_tos), message))
            self._arrived.notify_all()
        return "250 OK"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        self.logins.append((bytes(data.login), bytes(data.password)))
        return AuthResult(success=data.password == b"right", handled=False)

    def start(self, login: bool = False) -> None:
        options: dict[str, Any] = {}
        if login:
            options = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[Delivered]:
        """The mails once ``count`` have arrived (fails after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.mails) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.mails)} of {count} mails arrived"
                self._arrived.wait(left)
            return list(self.mails)


def mail_settings(data_dir: Path, inbox: Inbox, **overrides: Any) -> Settings:
    """Comment settings with an ``[smtp]`` table for ``inbox`` (plain SMTP, no login)."""
    smtp: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": inbox.port,
        "security": "none",
        "sender": SENDER,
        "to": [OWNER],
        "timeout": 5,
    }
    smtp.update(overrides.pop("smtp", {}))
    return make_settings(data_dir, smtp=smtp, **overrides)


def link_in(text: str, marker: str) -> str:
    """The first URL in ``text`` that contains ``marker``."""
    return next(word for word in text.split() if word.startswith("http") and marker in word)
