"""What a mail handler is given, and what it is: the seam between the queue and the mails.

Kept apart from :mod:`sharekit.mail.sender` (which re-exports both) so that the handler
modules can import it while the sender imports them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING

from sharekit.links import MailLinks
from sharekit.rendering import Renderer
from sharekit.settings import Settings, Site
from sharekit.storage.outbox import Outbox, QueuedEvent

from .smtp import SmtpTransport, Transport

if TYPE_CHECKING:
    from sharekit.comments.service import CommentService

__all__ = ["Handler", "MailContext"]


@dataclass(frozen=True)
class MailContext:
    """Everything a handler may use to turn a queued event into mails."""

    settings: Settings
    renderer: Renderer
    comments: CommentService
    links: MailLinks
    outbox: Outbox
    transport: Transport

    @classmethod
    def of(cls, comments: CommentService, transport: Transport | None = None) -> MailContext:
        """The context of an app's (or a CLI run's) comment service; SMTP from the settings
        unless ``transport`` is given."""
        settings = comments.settings
        if transport is None:
            if settings.smtp is None:
                raise ValueError("no [smtp] settings: nothing can be sent")
            transport = SmtpTransport(settings.smtp)
        return cls(
            settings=settings,
            renderer=comments.renderer,
            comments=comments,
            links=comments.links,
            outbox=comments.outbox,
            transport=transport,
        )

    @property
    def sender(self) -> str:
        """The From address of every mail (``smtp.sender``)."""
        assert self.settings.smtp is not None, "mail is only sent with [smtp] settings"
        return self.settings.smtp.sender

    def language(self, site: Site | None) -> str:
        """The language of mails about ``site``: its own, as far as catalogs exist."""
        settings = self.settings
        return self.renderer.catalogs.best([settings.language_of(site)], settings.default_language)

    def absolute(self, site: Site, path: str) -> str:
        """The absolute URL of a service ``path`` (``/moderate/…``) for mails about ``site``:
        below ``public_url`` when that is absolute (``https://comments.example``), else on
        the site's first origin (``https://blog.example/sharekit/moderate/…``)."""
        public = self.settings.public_url
        if "://" in public:
            return public + path
        return site.origins[0] + public + path


Handler = Callable[[MailContext, QueuedEvent], Awaitable[list[EmailMessage]]]
"""Turns one event into the mails to send (empty: nothing to send, e.g. the comment is
gone). Raising anything but :class:`~sharekit.mail.smtp.MailNotSent` or a database outage
gives the event up."""
