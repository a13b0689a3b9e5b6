"""Signed mail links: each purpose reads only its own tokens, checks their shape, and
expires (moderation and confirmation links after ``mail_link_max_age_days``)."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from itsdangerous import URLSafeTimedSerializer

from sharekit.links import MailLinks, Moderate, Subscription
from sharekit.security import InvalidToken, TokenExpired, Tokens

SECRET = "test-secret-key-0123456789abcdef"


@pytest.fixture
def links() -> MailLinks:
    return MailLinks(Tokens(SECRET), max_age_days=7)


def old_token(purpose: str, payload: object, age_days: float) -> str:
    """A genuine token signed ``age_days`` ago."""
    then = time.time() - age_days * 86400
    with mock.patch("itsdangerous.timed.time.time", return_value=then):
        return str(URLSafeTimedSerializer(SECRET, salt=f"sharekit.{purpose}").dumps(payload))


def test_round_trips(links: MailLinks) -> None:
    assert links.read_moderate(links.moderate(7, "spam", "pending")) == Moderate(
        7, "spam", "pending"
    )
    assert links.read_confirm(links.confirm(3, "a@b.example")) == Subscription(3, "a@b.example")
    assert links.read_unsubscribe(links.unsubscribe(3, "a@b.example")).id == 3
    erase = links.read_erase(links.erase("blog", "a@b.example"))
    assert (erase.site, erase.email) == ("blog", "a@b.example")


def test_a_token_works_only_for_its_purpose(links: MailLinks) -> None:
    confirm = links.confirm(3, "a@b.example")
    with pytest.raises(InvalidToken):
        links.read_unsubscribe(confirm)
    with pytest.raises(InvalidToken):
        links.read_moderate(confirm)
    with pytest.raises(InvalidToken):
        links.read_erase(links.unsubscribe(3, "a@b.example"))


def test_tampered_and_malformed_tokens_fail(links: MailLinks) -> None:
    token = links.moderate(7, "approve", "pending")
    with pytest.raises(InvalidToken):
        links.read_moderate(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(InvalidToken):
        links.read_moderate("not-a-token")
    # Genuine signatures over payloads of the wrong shape are refused too.
    tokens = Tokens(SECRET)
    for payload in ([7, "publish", "pending"], [7, "approve"], {"c": 7}, ["7", "spam", "x"]):
        with pytest.raises(InvalidToken):
            links.read_moderate(tokens.dumps("mail-moderate", payload))
    with pytest.raises(InvalidToken):
        links.read_confirm(tokens.dumps("replies-confirm", [3, ""]))
    with pytest.raises(InvalidToken):
        MailLinks(Tokens("another-secret-0123456789abcdef"), 7).read_moderate(token)


def test_links_expire(links: MailLinks) -> None:
    assert links.read_moderate(old_token("mail-moderate", [1, "spam", "approved"], 6.9)).comment
    with pytest.raises(TokenExpired):
        links.read_moderate(old_token("mail-moderate", [1, "spam", "approved"], 7.1))
    with pytest.raises(TokenExpired):
        links.read_confirm(old_token("replies-confirm", [1, "a@b.example"], 8))
    # Unsubscribing keeps working long after the mail was sent.
    assert links.read_unsubscribe(old_token("replies-unsubscribe", [1, "a@b.example"], 300)).id
