"""Answering a commenter's data-protection requests: what is stored about an address
(GDPR Art. 15, as a JSON document) and erasing it (Art. 17).

The same code serves ``sharekit privacy export|erase`` and the signed erase link in mails.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sharekit import __version__
from sharekit.comments.text import render, text_hash
from sharekit.settings import Settings
from sharekit.storage.database import Database
from sharekit.storage.privacy import (
    Erased,
    EraseMode,
    PersonalData,
    PrivacyStore,
    QueuedMail,
    mention,
)

__all__ = ["ERASED_MARK", "DataRequests", "export_document", "mask"]

# What an anonymised comment shows where its text named the address.
ERASED_MARK = "[…]"

# What each kind of queued mail is, for the export.
_MAIL_KINDS = {
    "comment-new": "a notification to the site owner about this comment",
    "comment-approved": "notifications to a thread's subscribers about this published comment",
    "subscription-confirm": "the mail asking to confirm reply notifications",
    "reply": "a notification about a reply in a subscribed thread",
}


def mask(email: str) -> str:
    """An address as a page may show it: the first character of the local part only.

    >>> mask("jane.doe@example.org")
    'j…@example.org'
    """
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return email.strip()[:1] + "…"
    return f"{local[:1]}…@{domain.lower()}"


def _time(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _mail_entry(mail: QueuedMail) -> dict[str, Any]:
    about = {
        name: mail.payload[name] for name in ("comment", "subscription") if name in mail.payload
    }
    return {
        "kind": mail.kind,
        "what": _MAIL_KINDS.get(mail.kind, "a queued mail"),
        **about,
        "queued": _time(mail.created_at),
        "attempts": mail.attempts,
        "state": "given up" if mail.next_attempt_at is None else "waiting",
        "failed": _time(mail.failed_at),
    }


def export_document(
    data: PersonalData, email: str, site: str | None, settings: Settings, now: datetime
) -> dict[str, Any]:
    """The export of one address: a header saying what it is and what sharekit does not
    store, then the comments, reply subscriptions and queued mail."""
    kept = timedelta(days=settings.client_key_retention_days)
    comments = []
    for item in data.comments:
        comment = item.comment
        network_hash = comment.client_key is not None
        comments.append(
            {
                "id": comment.id,
                "site": comment.site,
                "thread": {
                    "key": comment.thread_key,
                    "url": item.thread_url,
                    "title": item.thread_title,
                },
                "parent": comment.parent_id,
                "status": comment.status,
                "author": comment.author,
                "email": comment.email,
                "website": comment.website,
                "text": comment.text,
                "created": _time(comment.created_at),
                "edited": _time(comment.edited_at),
                "consent": _time(comment.consent_at),
                "network_hash_erased_after": _time(comment.created_at + kept)
                if network_hash
                else None,
            }
        )
    subscriptions = [
        {
            "id": subscription.id,
            "site": subscription.site,
            "thread": {
                "key": subscription.thread_key,
                "url": subscription.thread_url,
                "title": subscription.thread_title,
            },
            "email": subscription.email,
            "created": _time(subscription.created_at),
            "confirmed": _time(subscription.confirmed_at),
        }
        for subscription in data.subscriptions
    ]
    days = settings.client_key_retention_days
    return {
        "about": "Personal data that sharekit stores about one email address "
        "(GDPR Art. 15). Addresses are matched without regard to case.",
        "email": email.strip(),
        "site": site,
        "made": _time(now),
        "sharekit": __version__,
        "not_stored": [
            "IP addresses: sharekit never stores a visitor's IP address.",
            "Network hashes: for flood control, sharekit keeps a keyed hash of the network a "
            f"comment came from (the IP address with its last part cut off) for {days} days. "
            "Everyone on that network has the same one and it cannot be turned back into an "
            "address, so it does not identify a person.",
            "Share buttons and counts: nothing is sent to a social network before a second "
            "click; share counts are numbers per page, network and day, without visitor data.",
            "Cookies: none for tracking. A commenter's browser keeps which comments it posted "
            "(a signed cookie, one day) and, if asked to, the name, email and website for the "
            "form (in the browser only).",
        ],
        "comments": comments,
        "subscriptions": subscriptions,
        "mail": [_mail_entry(mail) for mail in data.mail],
    }


class DataRequests:
    """Data-protection requests against one database; ``changed`` is called after an
    erasure changed comments (the app drops its cached listings)."""

    def __init__(
        self, settings: Settings, database: Database, changed: Callable[[], None] | None = None
    ) -> None:
        self.settings = settings
        self.store = PrivacyStore(database)
        self.changed = changed

    async def find(self, email: str, site: str | None = None) -> PersonalData:
        """Everything stored for ``email`` (any case), on ``site`` or on every site."""
        return await self.store.find(email, site)

    async def export(
        self, email: str, site: str | None = None, now: datetime | None = None
    ) -> dict[str, Any]:
        """The export document of ``email`` (see :func:`export_document`)."""
        data = await self.store.find(email, site)
        return export_document(data, email, site, self.settings, now or datetime.now(UTC))

    async def erase(
        self, email: str, site: str | None = None, mode: EraseMode | None = None
    ) -> Erased:
        """Erase what is stored for ``email``, as ``privacy_erase`` says (or ``mode``)."""
        markdown = self.settings.comments_markdown
        pattern = mention(email)

        def rewrite(text: str) -> tuple[str, str, str] | None:
            if not email.strip() or not pattern.search(text):
                return None
            cleaned = pattern.sub(ERASED_MARK, text)
            return cleaned, render(cleaned, markdown=markdown), text_hash(cleaned)

        erased = await self.store.erase(
            email, site, mode=mode or self.settings.privacy_erase, rewrite=rewrite
        )
        if erased.threads and self.changed is not None:
            self.changed()
        return erased
