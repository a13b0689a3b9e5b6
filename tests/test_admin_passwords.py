"""The admin password hash: scrypt, salted, self-describing, checked at app creation."""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from pathlib import Path

import pytest

from sharekit import ConfigurationError, create_app
from sharekit.admin.passwords import MIN_COST, PasswordHash, hash_password
from tests.admin_support import PASSWORD, admin_settings, password_hash


def _b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def test_hash_is_self_describing_scrypt_with_a_random_salt() -> None:
    first = str(hash_password(PASSWORD))
    scheme, n, r, p, salt, key = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", "32768", "8", "1")
    assert len(_b64(salt)) == 16
    # The key is scrypt's output for exactly these parameters, not some other derivation.
    expected = hashlib.scrypt(
        PASSWORD.encode(), salt=_b64(salt), n=32768, r=8, p=1, maxmem=64 * 2**20, dklen=32
    )
    assert _b64(key) == expected
    second = str(hash_password(PASSWORD))
    assert second.split("$")[4] != salt  # a fresh salt each time
    assert PasswordHash.parse(first).verify(PASSWORD)
    assert PasswordHash.parse(second).verify(PASSWORD)


@pytest.mark.parametrize(
    "wrong", ["", " " + PASSWORD, PASSWORD.lower(), PASSWORD[:-1], "x" * 2000]
)
def test_only_the_exact_password_verifies(wrong: str) -> None:
    stored = PasswordHash.parse(password_hash())
    assert stored.verify(PASSWORD)
    assert not stored.verify(wrong)


def test_parse_and_str_round_trip() -> None:
    text = password_hash()
    assert str(PasswordHash.parse(text)) == text
    assert str(PasswordHash.parse(f"  {text}\n")) == text  # pasted with a newline


def test_non_ascii_passwords_work_in_either_unicode_form() -> None:
    composed = "Grüße aus Überlingen \u2013 🥾"
    stored = hash_password(composed, n=MIN_COST)
    assert stored.verify(composed)
    # The same text typed where "ü" arrives as "u" plus a combining diaeresis.
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert stored.verify(decomposed)
    assert not stored.verify("Grusse aus Uberlingen - 🥾")


def test_a_new_password_has_a_new_fingerprint() -> None:
    one, other = hash_password(PASSWORD, n=MIN_COST), hash_password(PASSWORD, n=MIN_COST)
    assert one.fingerprint() == PasswordHash.parse(str(one)).fingerprint()
    assert one.fingerprint() != other.fingerprint()


VALID = password_hash()
SALT, KEY = VALID.split("$")[4:]
MALFORMED = {
    "not a hash": ("hunter2", "not a hash printed by"),
    "other scheme": (VALID.replace("scrypt", "bcrypt", 1), "not a hash printed by"),
    "plain text": (PASSWORD, "not a hash printed by"),
    "missing key": (f"scrypt$16384$8$1${SALT}", "not a hash printed by"),
    "weak cost": (f"scrypt$1024$8$1${SALT}${KEY}", "power of two from 16384"),
    "cost not a power of two": (f"scrypt$20000$8$1${SALT}${KEY}", "power of two"),
    "block size zero": (f"scrypt$16384$0$1${SALT}${KEY}", "block size r"),
    "too much memory": (f"scrypt$1048576$64$1${SALT}${KEY}", "MiB of memory"),
    "short salt": (f"scrypt$16384$8$1$c2FsdA${KEY}", "salt needs 16 bytes"),
    "bad base64": (f"scrypt$16384$8$1$A${KEY}", "not valid base64"),
}


@pytest.mark.parametrize(("text", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_hashes_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PasswordHash.parse(text)


@pytest.mark.parametrize(("text", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_app_creation_names_the_setting(tmp_path: Path, text: str, message: str) -> None:
    settings = admin_settings(tmp_path, admin_password_hash=text)
    with pytest.raises(ConfigurationError) as caught:
        create_app(settings)
    assert str(caught.value).startswith("admin_password_hash: ")
    assert message in str(caught.value)
    assert "sharekit hash-password" in str(caught.value)


def test_hashing_refuses_weak_parameters_before_working() -> None:
    with pytest.raises(ValueError, match="power of two"):
        hash_password(PASSWORD, n=1024)
    with pytest.raises(ValueError, match="MiB of memory"):
        hash_password(PASSWORD, n=2**30)
