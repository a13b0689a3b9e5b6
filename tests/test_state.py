"""Helpers routes use to read a request: whether it came over https (``Secure`` cookies),
believed from ``X-Forwarded-Proto`` only when a trusted proxy sent it."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.requests import Request

from sharekit import Settings, Site, create_app
from sharekit.state import is_https


def request(
    tmp_path: Path, trusted: list[str], scheme: str, peer: str, forwarded: str | None
) -> Request:
    settings = Settings(
        secret_key="test-secret-key-0123456789abcdef",
        data_dir=tmp_path,
        trusted_proxies=trusted,
        sites=[Site(key="blog", origins=["https://blog.example"])],
    )
    headers = [(b"x-forwarded-proto", forwarded.encode())] if forwarded else []
    scope = {
        "type": "http",
        "scheme": scheme,
        "method": "GET",
        "path": "/",
        "headers": headers,
        "client": (peer, 50000),
        "app": create_app(settings),
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("trusted", "scheme", "peer", "forwarded", "expected"),
    [
        ([], "http", "127.0.0.1", None, False),
        ([], "https", "127.0.0.1", None, True),
        ([], "http", "127.0.0.1", "https", False),  # nobody is trusted: ignored
        (["10.0.0.0/8"], "http", "127.0.0.1", "https", False),  # this peer is not trusted
        (["127.0.0.0/8"], "http", "127.0.0.1", "https", True),
        (["127.0.0.0/8"], "http", "127.0.0.1", "HTTPS, http", True),  # the nearest hop
        (["127.0.0.0/8"], "http", "127.0.0.1", "http", False),
        (["::1/128"], "http", "::1", "https", True),
        (["127.0.0.0/8"], "http", "testclient", "https", False),  # not an address
    ],
)
def test_https_from_the_connection_or_a_trusted_proxy(
    tmp_path: Path,
    trusted: list[str],
    scheme: str,
    peer: str,
    forwarded: str | None,
    expected: bool,
) -> None:
    assert is_https(request(tmp_path, trusted, scheme, peer, forwarded)) is expected
