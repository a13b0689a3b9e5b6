"""The admin password, kept only as a salted scrypt hash (standard library, no extra package).

A hash is one self-describing string, so stronger parameters can be chosen later without
breaking existing ones::

    scrypt$<n>$<r>$<p>$<salt, base64>$<derived key, base64>

``n`` is the CPU/memory cost (a power of two), ``r`` the block size, ``p`` the
parallelisation; memory needed is about ``128 * n * r`` bytes (32 MiB with the defaults).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass

__all__ = ["MIN_COST", "PasswordHash", "hash_password"]

SCHEME = "scrypt"
COST = 2**15  # about 0.15 s on one core of a small server
BLOCK_SIZE = 8
PARALLEL = 1
MIN_COST = 2**14  # weaker hashes are refused: they would make guessing cheap
MAX_MEMORY = 512 * 2**20  # a typo in a hash must not make each login allocate gigabytes
SALT_BYTES = 16
KEY_BYTES = 32

_B64 = r"[A-Za-z0-9+/]+"
_FORMAT = re.compile(
    rf"{SCHEME}\$(?P<n>[0-9]{{1,10}})\$(?P<r>[0-9]{{1,3}})\$(?P<p>[0-9]{{1,3}})"
    rf"\$(?P<salt>{_B64})\$(?P<key>{_B64})"
)


def _encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _memory(n: int, r: int, p: int) -> int:
    """Bytes scrypt needs for these parameters (what OpenSSL's ``maxmem`` is checked against)."""
    return 128 * r * (n + p + 2)


def _check_parameters(n: int, r: int, p: int) -> None:
    if n < MIN_COST or n & (n - 1):
        raise ValueError(f"the cost n must be a power of two from {MIN_COST} up")
    if not (1 <= r <= 64 and 1 <= p <= 16):
        raise ValueError("the block size r must be 1 to 64 and the parallelism p 1 to 16")
    if _memory(n, r, p) > MAX_MEMORY:
        raise ValueError(f"n and r need more than {MAX_MEMORY // 2**20} MiB of memory")


def _derive(password: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # NFC: the same password typed on systems that compose accents differently.
    return hashlib.scrypt(
        unicodedata.normalize("NFC", password).encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=_memory(n, r, p) + 2**20,
        dklen=length,
    )


@dataclass(frozen=True)
class PasswordHash:
    """A parsed admin password hash; :meth:`verify` checks a password against it."""

    n: int
    r: int
    p: int
    salt: bytes
    key: bytes

    @classmethod
    def parse(cls, text: str) -> PasswordHash:
        """Read a hash written by :func:`hash_password`; ``ValueError`` says what is wrong.

        >>> PasswordHash.parse("scrypt$1000$8$1$c2FsdA$a2V5")
        Traceback (most recent call last):
        ...
        ValueError: the cost n must be a power of two from 16384 up
        """
        found = _FORMAT.fullmatch(text.strip())
        if found is None:
            raise ValueError(
                "it is not a hash printed by `sharekit hash-password` (scrypt$n$r$p$salt$key)"
            )
        n, r, p = int(found["n"]), int(found["r"]), int(found["p"])
        _check_parameters(n, r, p)
        try:
            salt, key = _decode(found["salt"]), _decode(found["key"])
        except binascii.Error as exc:
            raise ValueError("its salt or key is not valid base64") from exc
        if len(salt) < SALT_BYTES or len(key) < 16:
            raise ValueError(f"its salt needs {SALT_BYTES} bytes and its key at least 16")
        return cls(n, r, p, salt, key)

    def verify(self, password: str) -> bool:
        """Whether ``password`` is the one hashed; slow on purpose, so run it in a thread."""
        derived = _derive(password, self.salt, self.n, self.r, self.p, len(self.key))
        return hmac.compare_digest(derived, self.key)

    def fingerprint(self) -> str:
        """A short digest of this hash, so sessions end when the password changes."""
        digest = hashlib.sha256(self.salt + self.key).digest()
        return base64.urlsafe_b64encode(digest[:12]).decode("ascii")

    def __str__(self) -> str:
        return "$".join(
            [SCHEME, str(self.n), str(self.r), str(self.p), _encode(self.salt), _encode(self.key)]
        )


def hash_password(
    password: str, *, n: int = COST, r: int = BLOCK_SIZE, p: int = PARALLEL
) -> PasswordHash:
    """Hash ``password`` with a fresh random salt; ``str()`` of the result goes into
    ``admin_password_hash``.

    >>> stored = hash_password("correct horse battery staple", n=MIN_COST)
    >>> str(stored).startswith("scrypt$16384$8$1$")
    True
    >>> stored.verify("correct horse battery staple"), stored.verify("Tr0ub4dor&3")
    (True, False)
    """
    _check_parameters(n, r, p)
    salt = secrets.token_bytes(SALT_BYTES)
    return PasswordHash(n, r, p, salt, _derive(password, salt, n, r, p, KEY_BYTES))
