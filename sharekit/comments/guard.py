"""Spam and abuse defences that need no third party: signed form tokens, a honeypot, a
minimum fill-in time, origin checks, flood control and holding suspicious comments."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from sharekit.errors import BadRequest, Forbidden
from sharekit.i18n import N_
from sharekit.security import InvalidToken, Tokens
from sharekit.storage.comments import FloodLimit

from .text import link_count

__all__ = ["HONEYPOT", "FormTooFast", "Guard", "moderation_status"]

HONEYPOT = "company"  # a field people never see; bots fill in anything that looks like input
PURPOSE = "comment-form"


class FormTooFast(BadRequest):
    """400: the form came back faster than a person can type."""

    default_message = N_(
        "That was quick! Please check your comment and send it again in a few seconds."
    )


@dataclass(frozen=True)
class Guard:
    """Checks one app applies to every comment submission."""

    tokens: Tokens
    min_seconds: float
    max_age: int
    per_15s: int
    per_hour: int

    def issue(self, site: str, thread: str) -> str:
        """A token for a form shown now, bound to its site and thread."""
        return self.tokens.dumps(PURPOSE, {"s": site, "t": thread, "at": time.time()})

    def check_token(self, token: str, site: str, thread: str) -> None:
        """Refuse forged, foreign, expired or too-fast forms (raises ``InvalidToken``,
        ``TokenExpired`` or ``FormTooFast``)."""
        payload = self.tokens.loads(PURPOSE, token, max_age=self.max_age)
        if not isinstance(payload, dict) or payload.get("s") != site or payload.get("t") != thread:
            raise InvalidToken()
        issued = payload.get("at")
        if not isinstance(issued, int | float):
            raise InvalidToken()
        if time.time() - issued < self.min_seconds:
            raise FormTooFast()

    @staticmethod
    def check_honeypot(value: str) -> None:
        if value:
            raise BadRequest(N_("This form could not be sent."))

    @staticmethod
    def check_origin(origin: str | None, allowed: Iterable[str], required: bool) -> None:
        """Refuse posts whose ``Origin`` (or Referer's origin) is neither the site nor us."""
        if origin is None:
            if required:
                raise Forbidden(N_("This site is not allowed to use this service."))
            return
        if origin not in set(allowed):
            raise Forbidden(N_("This site is not allowed to use this service."))

    def flood_limits(self) -> tuple[FloodLimit, ...]:
        """At most ``per_15s`` comments per 15 s and ``per_hour`` per hour per client key;
        the store checks them in the transaction that adds the comment."""
        return (FloodLimit(self.per_15s, 15), FloodLimit(self.per_hour, 3600))


def moderation_status(text: str, mode: str, max_links: int, blocklist: Iterable[str]) -> str:
    """``approved`` or ``pending``: hold what the site's moderation mode asks to hold."""
    if mode == "off":
        return "approved"
    if mode == "all":
        return "pending"
    folded = text.casefold()
    if link_count(text) > max_links or any(
        word.casefold() in folded for word in blocklist if word
    ):
        return "pending"
    return "approved"
