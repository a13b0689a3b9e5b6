"""The subscription store: commenters who asked to be mailed about replies in a thread.

A subscription is made unconfirmed with its comment (``CommentStore.add(subscribe=True)``)
and confirmed by the link in the one mail sent before confirmation (double opt-in).
Unsubscribing deletes it. The signed links name a subscription by id *and* address, so
every change here checks both: an id alone, reused after a deletion, acts on nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from .database import Database
from .jobs import SUBSCRIPTIONS_WITH_PAGE
from .outbox import enqueue
from .tables import comments, subscriptions, threads
from .types import require_aware

__all__ = ["REPLY", "StoredSubscription", "SubscriptionStore"]

# The outbox event of one reply mail to one subscriber: {"comment": id, "subscription": id}.
REPLY = "reply"


@dataclass(frozen=True, slots=True)
class StoredSubscription:
    """One subscription with the page of its thread. Holds an address: never log it."""

    id: int
    thread_id: int
    email: str
    created_at: datetime
    confirmed_at: datetime | None  # None until the confirmation link was followed
    site: str
    thread_key: str
    thread_url: str
    thread_title: str

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


def _subscription(row: object) -> StoredSubscription:
    return StoredSubscription(**row._mapping)  # type: ignore[attr-defined]


def _same_address(email: str) -> ColumnElement[bool]:
    return func.lower(subscriptions.c.email) == email.strip().lower()


def _for_email(email: str, site: str | None) -> list[ColumnElement[bool]]:
    found = [_same_address(email)]
    if site is not None:
        found.append(threads.c.site == site)
    return found


class SubscriptionStore:
    """Reply subscriptions of every site in one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def get(self, subscription_id: int) -> StoredSubscription | None:
        """One subscription by id, confirmed or not."""
        if not self.database.created():
            return None
        query = SUBSCRIPTIONS_WITH_PAGE.where(subscriptions.c.id == subscription_id)
        async with self.database.reading() as connection:
            row = (await connection.execute(query)).first()
        return _subscription(row) if row else None

    async def confirm(
        self, subscription_id: int, email: str, now: datetime
    ) -> StoredSubscription | None:
        """Confirm a subscription (once: a confirmed one keeps its first ``confirmed_at``);
        the subscription, or ``None`` when there is none with this id and address."""
        now = require_aware(now)
        matching = (subscriptions.c.id == subscription_id, subscriptions.c.email == email)

        def job(connection: Connection) -> StoredSubscription | None:
            connection.execute(
                update(subscriptions)
                .where(*matching, subscriptions.c.confirmed_at.is_(None))
                .values(confirmed_at=now)
            )
            row = connection.execute(SUBSCRIPTIONS_WITH_PAGE.where(*matching)).first()
            return _subscription(row) if row else None

        if not self.database.created():
            return None
        return await self.database.write(job)

    async def unsubscribe(self, subscription_id: int, email: str) -> bool:
        """Delete a subscription; whether there was one with this id and address."""

        def job(connection: Connection) -> bool:
            result = connection.execute(
                delete(subscriptions).where(
                    subscriptions.c.id == subscription_id, subscriptions.c.email == email
                )
            )
            return bool(result.rowcount)

        if not self.database.created():
            return False
        return await self.database.write(job)

    async def confirmed_for_thread(
        self, thread_id: int, excluding_email: str | None = None
    ) -> list[StoredSubscription]:
        """The confirmed subscriptions of a thread, oldest first, without the one of
        ``excluding_email`` (any case): a commenter is not told about their own reply."""
        query = SUBSCRIPTIONS_WITH_PAGE.where(
            subscriptions.c.thread_id == thread_id, subscriptions.c.confirmed_at.is_not(None)
        ).order_by(subscriptions.c.id)
        if excluding_email:
            query = query.where(~_same_address(excluding_email))
        if not self.database.created():
            return []
        async with self.database.reading() as connection:
            rows = (await connection.execute(query)).all()
        return [_subscription(row) for row in rows]

    async def fan_out(self, comment_id: int, now: datetime) -> int:
        """Queue one ``reply`` event per confirmed subscriber of an approved comment's
        thread (its author's own address left out), in one transaction; how many. None
        for a comment that is gone or not approved (any more)."""
        now = require_aware(now)

        def job(connection: Connection) -> int:
            comment = connection.execute(
                select(comments.c.thread_id, comments.c.email, comments.c.status).where(
                    comments.c.id == comment_id
                )
            ).first()
            if comment is None or comment.status != "approved":
                return 0
            query = select(subscriptions.c.id).where(
                subscriptions.c.thread_id == comment.thread_id,
                subscriptions.c.confirmed_at.is_not(None),
            )
            if comment.email:
                query = query.where(~_same_address(comment.email))
            ids = list(connection.execute(query.order_by(subscriptions.c.id)).scalars())
            for subscription_id in ids:
                payload = {"comment": comment_id, "subscription": subscription_id}
                enqueue(connection, REPLY, payload, now)
            return len(ids)

        return await self.database.write(job)

    # -- data-protection requests ----------------------------------------------------

    async def for_email(self, email: str, site: str | None = None) -> list[StoredSubscription]:
        """Every subscription of an address (any case), on one site or all, oldest first."""
        if not self.database.created():
            return []
        query = SUBSCRIPTIONS_WITH_PAGE.where(*_for_email(email, site)).order_by(
            subscriptions.c.id
        )
        async with self.database.reading() as connection:
            rows = (await connection.execute(query)).all()
        return [_subscription(row) for row in rows]

    async def delete_for_email(self, email: str, site: str | None = None) -> int:
        """Delete every subscription of an address (any case), on one site or all; how
        many."""
        on_site = select(threads.c.id).where(threads.c.site == site)
        condition = [_same_address(email)]
        if site is not None:
            condition.append(subscriptions.c.thread_id.in_(on_site))

        def job(connection: Connection) -> int:
            return int(connection.execute(delete(subscriptions).where(*condition)).rowcount)

        if not self.database.created():
            return 0
        return await self.database.write(job)
