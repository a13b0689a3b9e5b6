"""Mail: the only package that talks SMTP.

``messages`` builds mails with safe headers, ``smtp`` hands them to the server, ``sender``
is the background worker that empties the outbox (a durable queue in the database) through
the handlers in ``owner`` (new comments, to the site's owners) and ``replies`` (reply
notifications, to commenters who asked for them); ``routes`` serves the one-click
moderation links of owner mails.
"""

from __future__ import annotations

from .context import Handler, MailContext
from .messages import HeaderInjection, compose
from .sender import HANDLERS, MailSender
from .smtp import MailNotSent, SmtpTransport, Transport

__all__ = [
    "HANDLERS",
    "Handler",
    "HeaderInjection",
    "MailContext",
    "MailNotSent",
    "MailSender",
    "SmtpTransport",
    "Transport",
    "compose",
]
