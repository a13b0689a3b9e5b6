"""Signed tokens and privacy-preserving client keys.

* Tokens are itsdangerous signatures with a purpose (salt) and a real expiry; a token made
  for one purpose never validates for another.
* A visitor's address is never stored. Rate limits and counters use a *client key*: a keyed
  hash (HMAC-SHA256 with the app's secret) of the anonymised address (IPv4 /24, IPv6 /48).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any

from itsdangerous import (
    BadSignature,
    HMACAlgorithm,
    SignatureExpired,
    Signer,
    TimestampSigner,
    URLSafeTimedSerializer,
)

from .errors import BadRequest
from .i18n import N_

__all__ = [
    "InvalidToken",
    "TokenExpired",
    "Tokens",
    "anonymise_ip",
    "client_ip",
    "client_key",
]


class InvalidToken(BadRequest):
    """400: a signed token was altered, made for another purpose, or is not a token."""

    default_message = N_("This link or form is not valid. Please reload the page and try again.")


class TokenExpired(InvalidToken):
    """400: a signed token was genuine but is older than its lifetime."""

    default_message = N_("This link or form has expired. Please reload the page and try again.")


class _OneShotHMAC(HMACAlgorithm):
    """itsdangerous's HMAC-SHA1, computed by OpenSSL in one call: the same signatures."""

    def __init__(self) -> None:
        super().__init__(hashlib.sha1)

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, "sha1")


class _KeptKeySigner(TimestampSigner):
    """A timestamp signer that derives its key once instead of on every signature."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept_keys: dict[str | bytes | None, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        key = self._kept_keys.get(secret_key)
        if key is None:
            key = self._kept_keys[secret_key] = super().derive_key(secret_key)
        return key


class _Serializer(URLSafeTimedSerializer):
    """itsdangerous's URL-safe timed serializer with one signer per salt, made once. Tokens
    are byte for byte what the stock serializer makes (a test checks both ways)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signers: dict[str | bytes | None, Signer] = {}

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = _KeptKeySigner(
                self.secret_keys,
                salt=self.salt if salt is None else salt,
                digest_method=hashlib.sha1,
                algorithm=_OneShotHMAC(),
            )
        return signer


class Tokens:
    """Makes and checks signed, expiring tokens for named purposes."""

    def __init__(self, secret_key: str) -> None:
        self._secret_key = secret_key
        self._serializers: dict[str, URLSafeTimedSerializer] = {}

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        serializer = self._serializers.get(purpose)
        if serializer is None:
            serializer = _Serializer(self._secret_key, salt=f"sharekit.{purpose}")
            self._serializers[purpose] = serializer
        return serializer

    def dumps(self, purpose: str, payload: Any) -> str:
        """Sign ``payload`` (JSON-serialisable) for ``purpose``."""
        return str(self._serializer(purpose).dumps(payload))

    def loads(self, purpose: str, token: str, max_age: int) -> Any:
        """Return the payload of a token made for ``purpose`` at most ``max_age`` seconds ago.

        Raises :class:`TokenExpired` or :class:`InvalidToken`.
        """
        try:
            return self._serializer(purpose).loads(token, max_age=max_age)
        except SignatureExpired as exc:
            raise TokenExpired() from exc
        except BadSignature as exc:
            raise InvalidToken() from exc


ProxyNetwork = IPv4Network | IPv6Network
_IPV4_24 = (2**32 - 1) ^ (2**8 - 1)
_IPV6_48 = (2**128 - 1) ^ (2**80 - 1)


def client_ip(
    peer: str | None, forwarded_for: str | None, trusted: Sequence[ProxyNetwork]
) -> IPv4Address | IPv6Address | None:
    """The visitor's address: the peer, or, behind trusted proxies, the last untrusted hop.

    ``X-Forwarded-For`` is read right to left and only while each hop is a trusted proxy,
    so a client cannot choose its own address by sending the header.
    """
    try:
        address = ip_address(peer) if peer else None
    except ValueError:
        return None
    if address is None or not forwarded_for:
        return address
    hops = [hop.strip() for hop in forwarded_for.split(",")]
    while address is not None and any(address in network for network in trusted) and hops:
        try:
            address = ip_address(hops.pop())
        except ValueError:
            return None
    return address


def anonymise_ip(address: IPv4Address | IPv6Address) -> str:
    """Drop the host part: IPv4 to its /24, IPv6 to its /48 (as Isso and Matomo do).

    >>> anonymise_ip(ip_address("203.0.113.77"))
    '203.0.113.0/24'
    """
    if address.version == 4:
        return f"{IPv4Address(int(address) & _IPV4_24)}/24"
    return f"{IPv6Address(int(address) & _IPV6_48)}/48"


def client_key(secret_key: str, address: IPv4Address | IPv6Address | None) -> str:
    """A stable, non-reversible key for a visitor's network, for limits and counters."""
    network = anonymise_ip(address) if address is not None else "unknown"
    digest = hmac.new(
        secret_key.encode("utf-8"), f"client:{network}".encode("ascii"), hashlib.sha256
    )
    return digest.hexdigest()[:32]
