from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from sharekit.security import (
    InvalidToken,
    TokenExpired,
    Tokens,
    anonymise_ip,
    client_ip,
    client_key,
)


def test_tokens_round_trip_and_purpose() -> None:
    tokens = Tokens("k" * 32)
    token = tokens.dumps("edit", {"id": 7})
    assert tokens.loads("edit", token, max_age=60) == {"id": 7}
    with pytest.raises(InvalidToken):
        tokens.loads("delete", token, max_age=60)
    with pytest.raises(InvalidToken):
        Tokens("other" * 8).loads("edit", token, max_age=60)
    with pytest.raises(InvalidToken):
        tokens.loads("edit", token[:-2] + "xx", max_age=60)
    with pytest.raises(InvalidToken):
        tokens.loads("edit", "not a token", max_age=60)


def test_tokens_are_the_stock_itsdangerous_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    # The signer is kept and its key derived once, for speed: tokens issued before that
    # change (in links already mailed) and after it must be the same bytes.
    import itsdangerous.timed
    from itsdangerous import URLSafeTimedSerializer

    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: 1_800_000_000)
    stock = URLSafeTimedSerializer("k" * 32, salt="sharekit.edit")
    tokens = Tokens("k" * 32)
    for payload in ({"id": 7, "h": "abc"}, "x" * 300, [1, 2, 3]):
        assert tokens.dumps("edit", payload) == stock.dumps(payload)
        assert tokens.loads("edit", stock.dumps(payload), max_age=60) == payload
        assert stock.loads(tokens.dumps("edit", payload), max_age=60) == payload
    with pytest.raises(InvalidToken):  # the kept signer still knows its purpose
        tokens.loads("delete", stock.dumps(1), max_age=60)


def test_tokens_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    import itsdangerous.timed

    tokens = Tokens("k" * 32)
    now = 1_800_000_000
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now)
    token = tokens.dumps("edit", 1)
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + 61)
    with pytest.raises(TokenExpired):
        tokens.loads("edit", token, max_age=60)
    assert tokens.loads("edit", token, max_age=120) == 1


TRUSTED = [ip_network("127.0.0.1/32"), ip_network("10.0.0.0/8")]


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", None, "203.0.113.5"),
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # untrusted peer: header ignored
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("127.0.0.1", "6.6.6.6, 198.51.100.1, 10.1.2.3", "198.51.100.1"),  # spoofed left part
        ("127.0.0.1", "garbage", None),
        (None, "198.51.100.1", None),
        ("not-an-ip", None, None),
    ],
)
def test_client_ip(peer: str | None, forwarded: str | None, expected: str | None) -> None:
    result = client_ip(peer, forwarded, TRUSTED)
    assert (str(result) if result else None) == expected


def test_anonymise_and_key() -> None:
    assert anonymise_ip(ip_address("203.0.113.77")) == "203.0.113.0/24"
    assert anonymise_ip(ip_address("2001:db8:abcd:12::1")) == "2001:db8:abcd::/48"
    one = client_key("s" * 32, ip_address("203.0.113.77"))
    assert one == client_key("s" * 32, ip_address("203.0.113.1"))  # same /24
    assert one != client_key("s" * 32, ip_address("203.0.114.1"))
    assert one != client_key("t" * 32, ip_address("203.0.113.77"))
    assert "203.0.113" not in one
    assert len(one) == 32
