"""The outbox: a durable queue of things to mail about, shared by every process.

A row is an *event* (``kind`` and a small JSON ``payload``, e.g. ``comment-new`` with the
comment's id), written in the same transaction as the change it is about, so a comment is
never stored without its notification or the other way round. A sender *claims* due rows
by moving their ``next_attempt_at`` forward (a lease: a process that dies while sending
leaves them to be claimed again once the lease runs out), then deletes each row it
handled, or schedules it again, or gives it up. Delivery is at least once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from .database import Database
from .tables import outbox
from .types import require_aware

__all__ = ["Outbox", "QueuedEvent", "enqueue"]

_ERROR_LENGTH = int(outbox.c.last_error.type.length or 500)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """One claimed row of the outbox."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    created_at: datetime
    attempts: int  # including the one this claim starts


def enqueue(connection: Connection, kind: str, payload: Mapping[str, Any], now: datetime) -> int:
    """Queue an event inside a write job (``Database.write``); its id."""
    now = require_aware(now)
    values = {
        "kind": kind,
        "payload": json.dumps(payload, sort_keys=True, separators=(",", ":")),
        "created_at": now,
        "next_attempt_at": now,
        "attempts": 0,
    }
    result = connection.execute(outbox.insert().values(values).returning(outbox.c.id))
    return int(result.scalar_one())


class Outbox:
    """The queue of one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def put(self, kind: str, payload: Mapping[str, Any], now: datetime) -> int:
        """Queue an event on its own; its id."""
        return await self.database.write(
            lambda connection: enqueue(connection, kind, payload, now)
        )

    async def claim(self, now: datetime, lease: timedelta, limit: int = 20) -> list[QueuedEvent]:
        """Due events, oldest first, leased for ``lease``: no other process claims them
        until it has passed. Each claim counts as an attempt."""
        now = require_aware(now)
        until = now + lease

        def job(connection: Connection) -> list[QueuedEvent]:
            due = (
                select(outbox.c.id)
                .where(outbox.c.next_attempt_at <= now)
                .order_by(outbox.c.next_attempt_at, outbox.c.id)
                .limit(limit)
            )
            ids = list(connection.execute(due).scalars())
            if not ids:
                return []
            # Checked again in the UPDATE: a process that claimed a row in between wins.
            claimed = connection.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids), outbox.c.next_attempt_at <= now)
                .values(next_attempt_at=until, attempts=outbox.c.attempts + 1)
                .returning(
                    outbox.c.id,
                    outbox.c.kind,
                    outbox.c.payload,
                    outbox.c.created_at,
                    outbox.c.attempts,
                )
            ).all()
            events = [
                QueuedEvent(
                    row.id, row.kind, json.loads(row.payload), row.created_at, row.attempts
                )
                for row in claimed
            ]
            return sorted(events, key=lambda event: event.id)

        if not self.database.created():
            return []
        return await self.database.write(job)

    async def done(self, event_id: int) -> None:
        """The event was handled: forget it (it may name an address)."""
        await self.database.write(
            lambda connection: connection.execute(delete(outbox).where(outbox.c.id == event_id))
        )

    async def retry(self, event_id: int, error: str, at: datetime) -> None:
        """Try again at ``at``; ``error`` (no addresses in it) says what went wrong."""
        values = {"next_attempt_at": require_aware(at), "last_error": error[:_ERROR_LENGTH]}
        await self.database.write(
            lambda connection: connection.execute(
                update(outbox).where(outbox.c.id == event_id).values(values)
            )
        )

    async def give_up(self, event_id: int, error: str, now: datetime) -> None:
        """Stop trying; the row stays (without a next attempt) for the owner to see."""
        values = {
            "next_attempt_at": None,
            "failed_at": require_aware(now),
            "last_error": error[:_ERROR_LENGTH],
        }
        await self.database.write(
            lambda connection: connection.execute(
                update(outbox).where(outbox.c.id == event_id).values(values)
            )
        )

    async def waiting(self) -> int:
        """Events not yet handled (claimed ones included; given-up ones not)."""
        if not self.database.created():
            return 0
        query = select(func.count()).where(outbox.c.next_attempt_at.is_not(None))
        async with self.database.reading() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def purge_failed(self, before: datetime) -> int:
        """Forget given-up events older than ``before``; how many."""
        before = require_aware(before)

        def job(connection: Connection) -> int:
            result = connection.execute(
                delete(outbox).where(outbox.c.failed_at.is_not(None), outbox.c.failed_at < before)
            )
            return int(result.rowcount)

        return await self.database.write(job)
