"""Signed links in mails: one purpose each, bound to what they act on, expiring.

A link carries an itsdangerous token in its path. Every link opens a confirmation page
first and acts only on its POST, so mail scanners that fetch links change nothing.

* ``/moderate/{token}``: approve, spam or delete one comment. Bound to the comment's
  status when the mail was written, so it works once: after any moderation the status
  differs and the link says it was used.
* ``/replies/confirm/{token}`` and ``/replies/unsubscribe/{token}``: a commenter's reply
  notifications for one thread (double opt-in; RFC 8058 one-click unsubscribe).
* ``/privacy/erase/{token}``: a commenter erases everything stored about their address
  on one site (GDPR Art. 17), from any mail sharekit sent them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .security import InvalidToken, Tokens

__all__ = [
    "ERASE_PATH",
    "MODERATE_PATH",
    "REPLIES_CONFIRM_PATH",
    "REPLIES_UNSUBSCRIBE_PATH",
    "Erase",
    "MailLinks",
    "Moderate",
    "ModerationAction",
    "Subscription",
]

ModerationAction = Literal["approve", "spam", "delete"]
ACTIONS: tuple[ModerationAction, ...] = ("approve", "spam", "delete")

MODERATE_PATH = "/moderate/{token}"
REPLIES_CONFIRM_PATH = "/replies/confirm/{token}"
REPLIES_UNSUBSCRIBE_PATH = "/replies/unsubscribe/{token}"
ERASE_PATH = "/privacy/erase/{token}"

DAY = 24 * 3600
UNSUBSCRIBE_MAX_AGE = 730 * DAY  # an unsubscribe link must keep working (RFC 8058)
ERASE_MAX_AGE = 365 * DAY


@dataclass(frozen=True, slots=True)
class Moderate:
    comment: int
    action: ModerationAction
    status: str  # the comment's status when the link was made


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    email: str


@dataclass(frozen=True, slots=True)
class Erase:
    site: str
    email: str


class MailLinks:
    """Makes and reads the tokens of mail links (``max_age_days``: moderation and
    confirmation links; unsubscribe and erase links live longer)."""

    def __init__(self, tokens: Tokens, max_age_days: int) -> None:
        self.tokens = tokens
        self.max_age = max_age_days * DAY

    def moderate(self, comment: int, action: ModerationAction, status: str) -> str:
        return self.tokens.dumps("mail-moderate", [comment, action, status])

    def read_moderate(self, token: str) -> Moderate:
        """Raises :class:`InvalidToken` (tampered, other purpose) or ``TokenExpired``."""
        payload = self.tokens.loads("mail-moderate", token, self.max_age)
        match payload:
            case [int() as comment, str() as action, str() as status] if action in ACTIONS:
                return Moderate(comment, action, status)
        raise InvalidToken()

    def confirm(self, subscription: int, email: str) -> str:
        return self.tokens.dumps("replies-confirm", [subscription, email])

    def read_confirm(self, token: str) -> Subscription:
        return _subscription(self.tokens.loads("replies-confirm", token, self.max_age))

    def unsubscribe(self, subscription: int, email: str) -> str:
        return self.tokens.dumps("replies-unsubscribe", [subscription, email])

    def read_unsubscribe(self, token: str) -> Subscription:
        payload = self.tokens.loads("replies-unsubscribe", token, UNSUBSCRIBE_MAX_AGE)
        return _subscription(payload)

    def erase(self, site: str, email: str) -> str:
        return self.tokens.dumps("privacy-erase", [site, email])

    def read_erase(self, token: str) -> Erase:
        payload = self.tokens.loads("privacy-erase", token, ERASE_MAX_AGE)
        match payload:
            case [str() as site, str() as email] if email:
                return Erase(site, email)
        raise InvalidToken()


def _subscription(payload: object) -> Subscription:
    match payload:
        case [int() as subscription, str() as email] if email:
            return Subscription(subscription, email)
    raise InvalidToken()
