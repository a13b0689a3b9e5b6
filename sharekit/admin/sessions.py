"""Admin sessions: a signed, expiring cookie, and form tokens bound to it.

The cookie holds an itsdangerous token with a random session id and a fingerprint of the
password hash (a new password ends every session). Each form carries a CSRF token: the
session id signed for another purpose, so it is worthless without the cookie and the
cookie is worthless to a form on another site.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from sharekit.security import InvalidToken, Tokens
from sharekit.state import base_path, is_https

__all__ = ["COOKIE", "Session", "Sessions"]

COOKIE = "sharekit_admin"
SESSION = "admin-session"
CSRF = "admin-csrf"


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in admin: the session's id and the token its forms carry."""

    id: str
    csrf: str


def cookie_path(request: Request) -> str:
    """The cookie goes only to the admin's own pages."""
    return f"{base_path(request)}/admin"


class Sessions:
    """Issues and reads admin session cookies and their CSRF tokens."""

    def __init__(self, tokens: Tokens, max_age: int, fingerprint: str) -> None:
        self.tokens = tokens
        self.max_age = max_age
        self.fingerprint = fingerprint

    def _session(self, session_id: str) -> Session:
        return Session(session_id, self.tokens.dumps(CSRF, session_id))

    def start(self, request: Request, response: Response) -> Session:
        """A new session, its cookie set on ``response``."""
        session_id = secrets.token_hex(16)
        value = self.tokens.dumps(SESSION, {"id": session_id, "key": self.fingerprint})
        response.set_cookie(
            COOKIE,
            value,
            max_age=self.max_age,
            path=cookie_path(request),
            httponly=True,
            samesite="strict",
            secure=is_https(request),
        )
        return self._session(session_id)

    def end(self, request: Request, response: Response) -> None:
        """Tell the browser to drop the cookie."""
        response.delete_cookie(
            COOKIE,
            path=cookie_path(request),
            httponly=True,
            samesite="strict",
            secure=is_https(request),
        )

    def read(self, request: Request) -> Session | None:
        """The session of the request's cookie; ``None`` when there is none, or it was
        altered, has expired, or belongs to another password."""
        value = request.cookies.get(COOKIE)
        if not value:
            return None
        try:
            payload = self.tokens.loads(SESSION, value, self.max_age)
        except InvalidToken:  # TokenExpired included
            return None
        if not isinstance(payload, dict):
            return None
        session_id, key = payload.get("id"), payload.get("key")
        if not isinstance(session_id, str) or not isinstance(key, str):
            return None
        if not hmac.compare_digest(key, self.fingerprint):
            return None
        return self._session(session_id)

    def csrf_matches(self, session: Session, token: object) -> bool:
        """Whether a form's token was made for this session (and is not too old)."""
        if not isinstance(token, str) or not token or len(token) > 512:
            return False
        try:
            signed = self.tokens.loads(CSRF, token, self.max_age)
        except InvalidToken:
            return False
        return isinstance(signed, str) and hmac.compare_digest(signed, session.id)
