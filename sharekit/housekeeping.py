"""Housekeeping: forget what sharekit keeps only for a while.

That is the keyed hashes of visitors' networks (flood-control events and the
``client_key`` of comments), kept ``client_key_retention_days``; comments still held for
moderation after ``comments_pending_retention_days`` and spam after
``comments_spam_retention_days``; reply subscriptions never confirmed within the life of
their confirmation link; and mail given up on, after 30 days. It runs

* at start and then every hour while the app's lifespan runs (``sharekit serve``);
* after a comment is posted, when the last run is more than an hour ago: an app mounted
  inside another whose lifespan never reaches it still cleans up;
* on demand: ``sharekit purge`` (for cron, or to see what it does).

Running it twice, or in several processes at once, is harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

from sharekit.errors import ConfigurationError, ServiceUnavailable
from sharekit.settings import Settings
from sharekit.storage.comments import CommentStore
from sharekit.storage.moderation import ModerationStore
from sharekit.storage.outbox import Outbox

__all__ = ["FAILED_MAIL_DAYS", "INTERVAL", "Housekeeping"]

INTERVAL = 3600.0  # seconds between runs
FAILED_MAIL_DAYS = 30  # mail given up on is kept this long, for the owner to see
logger = logging.getLogger("sharekit.housekeeping")


class Housekeeping:
    """The periodic clean-up of one app."""

    def __init__(self, settings: Settings, store: CommentStore) -> None:
        self.settings = settings
        self.store = store
        self.moderation = ModerationStore(store.database)
        self.outbox = Outbox(store.database)
        self._last: float | None = None
        self._running: asyncio.Task[int] | None = None

    async def run(self, now: datetime | None = None) -> int:
        """Purge once; the number of rows changed."""
        now = now or datetime.now(UTC)
        self._last = time.monotonic()
        if not self.store.database.created():  # nothing stored yet: do not create it
            return 0
        settings = self.settings
        before = now - timedelta(days=settings.client_key_retention_days)
        purged = await self.store.purge(before)
        if purged:
            logger.info("erased %d expired client keys and flood-control events", purged)
        held = await self.moderation.purge_held(
            now - timedelta(days=settings.comments_pending_retention_days),
            now - timedelta(days=settings.comments_spam_retention_days),
        )
        if held:
            logger.info("deleted %d comments held or marked as spam for too long", held)
        unconfirmed = await self.store.purge_subscriptions(
            now - timedelta(days=settings.mail_link_max_age_days)
        )
        failed = await self.outbox.purge_failed(now - timedelta(days=FAILED_MAIL_DAYS))
        return purged + held + unconfirmed + failed

    def due(self) -> bool:
        """Whether the last run (in this process) is more than an hour ago."""
        return self._last is None or time.monotonic() - self._last >= INTERVAL

    def start_if_due(self) -> None:
        """Run in the background when due; never raises, never waits."""
        if not self.due() or (self._running is not None and not self._running.done()):
            return
        self._last = time.monotonic()  # one attempt per interval, even if it fails
        self._running = asyncio.get_running_loop().create_task(self._safely())

    async def _safely(self) -> int:
        try:
            return await self.run()
        except ServiceUnavailable:
            logger.warning("housekeeping skipped: the database is not reachable")
        except ConfigurationError as exc:  # e.g. a schema that needs `sharekit migrate`
            logger.warning("housekeeping skipped: %s", exc)
        except Exception:
            logger.exception("housekeeping failed")
        return 0

    async def forever(self) -> None:
        """Run now and then every hour, until cancelled (the app's lifespan)."""
        task = asyncio.current_task()
        while True:
            await self._safely()
            # The database driver's pool may swallow a cancellation that arrives while it
            # closes a connection: stop anyway, or the app's shutdown waits an hour.
            if task is not None and task.cancelling():
                raise asyncio.CancelledError()
            await asyncio.sleep(INTERVAL)
