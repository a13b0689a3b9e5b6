"""Data-protection requests in the database: everything stored for one email address,
and erasing it in one transaction.

An address is matched without regard to case (``Ada@Example.org`` is ``ada@example.org``),
non-ASCII letters included: SQLite's ``lower()`` folds only ASCII, so the database
narrows the rows down with a ``LIKE`` pattern that leaves every non-ASCII character open,
and Python makes the exact comparison.

What an address is stored in: ``comments.email``, ``subscriptions.email``, and queued
mail (``outbox.payload``) that names one of those comments or subscriptions, or the
address itself. Nothing else holds it.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from .comments import SiteComment
from .database import Database
from .errors import CommentNotFound
from .jobs import COMMENTS_WITH_PAGE, SUBSCRIPTIONS_WITH_PAGE, Row, change, delete_comment
from .subscriptions import StoredSubscription
from .tables import comments, outbox, subscriptions, threads

__all__ = [
    "ANONYMOUS",
    "EraseMode",
    "Erased",
    "PersonalData",
    "PrivacyStore",
    "QueuedMail",
    "Rewrite",
    "mention",
    "same_address",
]

EraseMode = Literal["anonymise", "delete"]

# The name an anonymised comment keeps: none. Templates show a placeholder for it.
ANONYMOUS = ""

# A comment's text, rewritten without the address: ``(text, html, text_hash)``, or
# ``None`` when the text does not contain it.
Rewrite = Callable[[str], tuple[str, str, str] | None]


@dataclass(frozen=True, slots=True)
class QueuedMail:
    """One row of the mail queue that concerns the address."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None  # None: given up
    failed_at: datetime | None


@dataclass(frozen=True)
class PersonalData:
    """Everything stored for one address: comments (with their pages), reply
    subscriptions, and queued mail about them."""

    comments: list[SiteComment]
    subscriptions: list[StoredSubscription]
    mail: list[QueuedMail]

    def __bool__(self) -> bool:
        return bool(self.comments or self.subscriptions or self.mail)


@dataclass(frozen=True)
class Erased:
    """What an erasure did."""

    anonymised: int = 0  # comments kept without personal data
    deleted: int = 0  # comments deleted (a placeholder stays where replies hang on)
    subscriptions: int = 0
    mail: int = 0  # queued mail events dropped
    threads: int = 0  # threads whose comments changed

    def __bool__(self) -> bool:
        return bool(self.anonymised or self.deleted or self.subscriptions or self.mail)


def _folded(email: str) -> str:
    return email.strip().lower()


def _pattern(email: str) -> str:
    """A ``LIKE`` pattern for ``lower(column)``: ASCII as is (wildcards escaped), every
    other character a one-character wildcard (SQLite does not fold it)."""
    escaped = _folded(email).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "".join(character if character.isascii() else "_" for character in escaped)


def same_address(column: Any, email: str) -> ColumnElement[bool]:
    """Rows whose ``column`` may hold ``email`` in any case (the database's ``lower()``
    may not fold every letter: compare the values found in Python to be sure)."""
    condition: ColumnElement[bool] = func.lower(column).like(_pattern(email), escape="\\")
    return condition


def _is(value: str | None, email: str) -> bool:
    return value is not None and _folded(value) == _folded(email)


def mention(email: str) -> re.Pattern[str]:
    """The address as a whole word of a text, any case: ``xada@…`` and
    ``…@mail.example.org`` are other addresses; a full stop after it ends a sentence."""
    return re.compile(rf"(?<![\w.%+-]){re.escape(_folded(email))}(?![\w-]|\.\w)", re.IGNORECASE)


def _names(value: object, pattern: re.Pattern[str]) -> bool:
    """Whether a decoded JSON value holds the address anywhere."""
    if isinstance(value, str):
        return pattern.search(value) is not None
    if isinstance(value, Mapping):
        return any(_names(item, pattern) for item in (*value.keys(), *value.values()))
    if isinstance(value, list):
        return any(_names(item, pattern) for item in value)
    return False


def _comment_query(email: str, site: str | None) -> Any:
    query = COMMENTS_WITH_PAGE.where(same_address(comments.c.email, email))
    if site is not None:
        query = query.where(threads.c.site == site)
    return query.order_by(threads.c.site, comments.c.created_at, comments.c.id)


def _subscription_query(email: str, site: str | None) -> Any:
    query = SUBSCRIPTIONS_WITH_PAGE.where(same_address(subscriptions.c.email, email))
    if site is not None:
        query = query.where(threads.c.site == site)
    return query.order_by(threads.c.site, subscriptions.c.created_at, subscriptions.c.id)


def _subscription(row: Row) -> StoredSubscription:
    return StoredSubscription(
        id=row.id,
        thread_id=row.thread_id,
        email=row.email,
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        site=row.site,
        thread_key=row.thread_key,
        thread_url=row.thread_url,
        thread_title=row.thread_title,
    )


def _mail(
    rows: Iterable[Row],
    email: str,
    site: str | None,
    comment_ids: set[int],
    subscription_ids: set[int],
) -> list[QueuedMail]:
    """The queued events that concern the address: about one of its comments or
    subscriptions, or naming it (on ``site``, when the event says which site it is for)."""
    found = []
    found_in = mention(email)
    for row in rows:
        try:
            payload = json.loads(row.payload)
        except ValueError:
            continue
        if not isinstance(payload, dict):
            continue
        comment, subscription = payload.get("comment"), payload.get("subscription")
        about = (isinstance(comment, int) and comment in comment_ids) or (
            isinstance(subscription, int) and subscription in subscription_ids
        )
        named = _names(payload, found_in) and (site is None or payload.get("site") == site)
        if about or named:
            found.append(
                QueuedMail(
                    id=row.id,
                    kind=row.kind,
                    payload=payload,
                    created_at=row.created_at,
                    attempts=row.attempts,
                    next_attempt_at=row.next_attempt_at,
                    failed_at=row.failed_at,
                )
            )
    return found


_OUTBOX = select(
    outbox.c.id,
    outbox.c.kind,
    outbox.c.payload,
    outbox.c.created_at,
    outbox.c.attempts,
    outbox.c.next_attempt_at,
    outbox.c.failed_at,
).order_by(outbox.c.id)


class PrivacyStore:
    """Data-protection requests across every site of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def find(self, email: str, site: str | None = None) -> PersonalData:
        """Everything stored for ``email`` (any case), on ``site`` or on every site."""
        if not self.database.created() or not email.strip():
            return PersonalData([], [], [])
        async with self.database.reading() as connection:
            comment_rows = (await connection.execute(_comment_query(email, site))).all()
            subscription_rows = (await connection.execute(_subscription_query(email, site))).all()
            queued = (await connection.execute(_OUTBOX)).all()
        found = [SiteComment.of(row) for row in comment_rows if _is(row.email, email)]
        subscribed = [_subscription(row) for row in subscription_rows if _is(row.email, email)]
        mail = _mail(
            queued,
            email,
            site,
            {item.comment.id for item in found},
            {subscription.id for subscription in subscribed},
        )
        return PersonalData(found, subscribed, mail)

    async def erase(
        self,
        email: str,
        site: str | None = None,
        *,
        mode: EraseMode,
        rewrite: Rewrite | None = None,
    ) -> Erased:
        """Erase everything stored for ``email`` (any case), on ``site`` or everywhere, in
        one transaction.

        ``anonymise`` keeps each comment's text (after ``rewrite``, which takes the
        address out of it) and removes its name, email, website, network hash and
        consent time; its author key becomes a random value, so its avatar changes and it
        cannot collide with another comment. ``delete`` deletes the comments, leaving a
        placeholder without any personal data where replies hang on. Both delete the
        address's reply subscriptions and the queued mail about any of it, and bump the
        version of every thread they change (caches in every process see it).
        """
        if not self.database.created() or not email.strip():
            return Erased()

        def job(connection: Connection) -> Erased:
            rows = connection.execute(_comment_query(email, site)).all()
            rows = [row for row in rows if _is(row.email, email)]
            changed = 0
            for row in rows:
                try:
                    if mode == "delete":
                        delete_comment(connection, row.id)
                    else:
                        change(connection, row.id, _anonymised(row, rewrite))
                except CommentNotFound:  # deleted by another writer since it was read
                    continue
                changed += 1
            held = connection.execute(_subscription_query(email, site)).all()
            subscription_ids = {row.id for row in held if _is(row.email, email)}
            if subscription_ids:
                connection.execute(
                    delete(subscriptions).where(subscriptions.c.id.in_(subscription_ids))
                )
            mail = _mail(
                connection.execute(_OUTBOX).all(),
                email,
                site,
                {row.id for row in rows},
                subscription_ids,
            )
            if mail:
                connection.execute(delete(outbox).where(outbox.c.id.in_([m.id for m in mail])))
            return Erased(
                anonymised=changed if mode == "anonymise" else 0,
                deleted=changed if mode == "delete" else 0,
                subscriptions=len(subscription_ids),
                mail=len(mail),
                threads=len({row.thread_id for row in rows}),
            )

        return await self.database.write(job)


def _anonymised(row: Row, rewrite: Rewrite | None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "author": ANONYMOUS,
        "email": None,
        "website": None,
        "client_key": None,
        "consent_at": None,
        # Random, so the row can never collide on the duplicate key (author, text).
        "author_key": secrets.token_hex(32),
    }
    rewritten = rewrite(row.text) if rewrite is not None else None
    if rewritten is not None:
        values["text"], values["html"], values["text_hash"] = rewritten
    return values
