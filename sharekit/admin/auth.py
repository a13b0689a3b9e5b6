"""Who may use the admin: the password check with its rate limit, sessions, CSRF, logout.

Failed logins are counted per client network in the database (``rate_events``), so the
limit holds across worker processes; in each process one login is checked at a time, so
a burst of parallel guesses cannot slip past the count. A logout is recorded the same way,
so a copied cookie stops working at once, in every process.
"""

from __future__ import annotations

import asyncio
import weakref
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from sharekit.errors import ConfigurationError, Forbidden, NotFound, RateLimited
from sharekit.i18n import N_
from sharekit.security import Tokens
from sharekit.settings import Settings
from sharekit.state import client_key_of, state_of

from .passwords import PasswordHash
from .sessions import Session, Sessions

__all__ = ["Admin", "AdminOff", "FormRefused", "LoginLimited", "NotLoggedIn"]

LOGIN_KIND = "admin-login"
LOGOUT_KIND = "admin-logout"
LOGIN_WINDOW = 15 * 60
DAY = 24 * 3600
MAX_PASSWORD = 1024

_PRIVATE = {"Cache-Control": "no-store"}


class AdminOff(NotFound):
    """404: no ``admin_password_hash`` is configured."""

    default_message = N_(
        "The admin is off. To turn it on, set admin_password_hash to the hash that the "
        "command sharekit hash-password prints."
    )


class NotLoggedIn(Forbidden):
    """403: an admin action without a valid session."""

    default_message = N_("Please log in to the admin first.")

    def headers(self) -> dict[str, str]:
        return dict(_PRIVATE)


class FormRefused(Forbidden):
    """403: an admin form without the token of the current session."""

    default_message = N_(
        "This form has expired or did not come from the admin. Please reload the page "
        "and try again."
    )

    def headers(self) -> dict[str, str]:
        return dict(_PRIVATE)


class LoginLimited(RateLimited):
    """429: too many wrong passwords from this network lately."""

    default_message = N_(
        "Too many wrong passwords were tried from your network. Please wait a while and try again."
    )

    def headers(self) -> dict[str, str]:
        return {**super().headers(), **_PRIVATE}


def _password_hash(settings: Settings) -> PasswordHash | None:
    if settings.admin_password_hash is None:
        return None
    try:
        return PasswordHash.parse(settings.admin_password_hash.get_secret_value())
    except ValueError as exc:
        raise ConfigurationError(
            f"admin_password_hash: {exc}; run `sharekit hash-password` for a new one"
        ) from exc


class Admin:
    """The admin's gatekeeper for one app; raises :class:`ConfigurationError` for a
    malformed ``admin_password_hash``."""

    def __init__(self, settings: Settings) -> None:
        assert settings.secret_key is not None
        self.settings = settings
        self.password = _password_hash(settings)
        # A logout is remembered as long as rate events are kept: no session may outlive it.
        self.max_age = min(
            settings.admin_session_max_age, settings.client_key_retention_days * DAY
        )
        self.sessions = Sessions(
            Tokens(settings.secret_key.get_secret_value()),
            self.max_age,
            self.password.fingerprint() if self.password else "",
        )
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def require_on(self) -> PasswordHash:
        """The password hash; :class:`AdminOff` when none is configured."""
        if self.password is None:
            raise AdminOff()
        return self.password

    async def session(self, request: Request, now: datetime | None = None) -> Session | None:
        """The request's valid session, if any (not logged out)."""
        self.require_on()
        session = self.sessions.read(request)
        if session is None:
            return None
        now = now or datetime.now(UTC)
        since = now - timedelta(seconds=self.max_age + 60)
        if await state_of(request).comments.store.hits(LOGOUT_KIND, session.id, since):
            return None
        return session

    async def require(self, request: Request) -> Session:
        """The request's session, or :class:`NotLoggedIn`."""
        session = await self.session(request)
        if session is None:
            raise NotLoggedIn()
        return session

    async def require_form(self, request: Request, form_token: object) -> Session:
        """The session of a state-changing request whose form carries its CSRF token."""
        session = await self.require(request)
        if not self.sessions.csrf_matches(session, form_token):
            raise FormRefused()
        return session

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def check_password(
        self, request: Request, password: str, now: datetime | None = None
    ) -> bool:
        """Whether ``password`` is right; raises :class:`LoginLimited` once the network
        has made ``admin_login_attempts`` failed attempts within 15 minutes (even for the
        right password). A wrong one counts as a failed attempt."""
        stored = self.require_on()
        store = state_of(request).comments.store
        client = client_key_of(request)
        async with self._lock():
            now = now or datetime.now(UTC)
            since = now - timedelta(seconds=LOGIN_WINDOW)
            if await store.hits(LOGIN_KIND, client, since) >= self.settings.admin_login_attempts:
                raise LoginLimited(retry_after=LOGIN_WINDOW)
            right = len(password) <= MAX_PASSWORD and await asyncio.to_thread(
                stored.verify, password
            )
            if not right:
                await store.hit(LOGIN_KIND, client, now)
            return right

    async def log_out(self, request: Request, session: Session, response: Response) -> None:
        """End ``session`` everywhere and drop its cookie."""
        await state_of(request).comments.store.hit(LOGOUT_KIND, session.id, datetime.now(UTC))
        self.sessions.end(request, response)
