"""The optional DNS check of email domains: refuses domains that take no mail, accepts
the address when DNS cannot answer, and never makes the event loop wait."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import dns.resolver
import pytest
from starlette.testclient import TestClient

from sharekit import create_app
from sharekit.comments.models import UNDELIVERABLE, check_email_domain
from sharekit.errors import ValidationFailed
from tests.comments_support import URL, make_settings, post_json, stored, token


class Refusing:
    """A resolver for which no domain exists."""

    def resolve(self, name: str, kind: str, **_: Any) -> None:
        raise dns.resolver.NXDOMAIN()


class Slow:
    """A resolver that takes a while, then has no answer, as a far-away server might."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def resolve(self, name: str, kind: str, **_: Any) -> None:
        time.sleep(self.seconds)
        raise dns.exception.Timeout()


@pytest.fixture
def unreachable_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """dnspython's default resolver, pointed at a local port where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    monkeypatch.setattr(dns.resolver, "get_default_resolver", lambda: resolver)


def test_a_domain_without_mail_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dns.resolver, "get_default_resolver", lambda: Refusing())
    with pytest.raises(ValidationFailed) as caught:
        asyncio.run(check_email_domain("ada@nowhere.example"))
    assert caught.value.fields == {"email": (UNDELIVERABLE, {})}


@pytest.mark.usefixtures("unreachable_dns")
def test_unreachable_dns_accepts_the_address_quickly() -> None:
    started = time.monotonic()
    asyncio.run(check_email_domain("ada@example.org", timeout=2))
    assert time.monotonic() - started < 2.5


def test_the_event_loop_keeps_running_while_dns_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dns.resolver, "get_default_resolver", lambda: Slow(0.5))

    async def both() -> int:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        await check_email_domain("ada@example.org")  # a timeout: accepted
        ticker.cancel()
        return ticks

    assert asyncio.run(both()) >= 20


def test_no_address_asks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dns.resolver, "get_default_resolver", lambda: Refusing())
    asyncio.run(check_email_domain(""))


def comment(app: Any, email: str) -> dict[str, Any]:
    return {
        "site": "blog",
        "thread": "t1",
        "url": URL,
        "title": "Post",
        "token": token(app),
        "name": "Ada",
        "email": email,
        "text": "Hello there.",
    }


def test_posting_with_the_check_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path, comments_check_deliverability=True)
    app = create_app(settings)
    with TestClient(app) as client:
        monkeypatch.setattr(dns.resolver, "get_default_resolver", lambda: Refusing())
        refused = post_json(client, comment(app, "ada@nowhere.example"))
        assert refused.status_code == 422
        assert refused.json()["errors"] == {
            "email": "This email domain does not accept mail. Please check the address."
        }
        assert stored(settings) == 0
        monkeypatch.setattr(dns.resolver, "get_default_resolver", lambda: Slow(0))
        accepted = post_json(client, comment(app, "ada@example.org"))
        assert accepted.status_code == 201, accepted.text
        assert stored(settings) == 1


def test_the_check_is_off_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings(tmp_path)
    assert settings.comments_check_deliverability is False
    app = create_app(settings)
    monkeypatch.setattr(dns.resolver, "get_default_resolver", lambda: Refusing())
    with TestClient(app) as client:
        assert post_json(client, comment(app, "ada@nowhere.example")).status_code == 201
