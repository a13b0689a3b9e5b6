"""The mail sender: the background worker that empties the outbox.

A comment (or a moderation) writes an *event* to the outbox in the same transaction as the
change; this worker claims due events, asks the handler for the event's ``kind`` which
mails it means, sends them, and deletes the event. The visitor's request never waits for
SMTP, and nothing is lost when the process stops: the queue lives in the database.

* **Retries.** When sending fails (:class:`~sharekit.mail.smtp.MailNotSent`) or the
  database is unreachable, the event is tried again after a pause that starts at
  5 minutes and doubles up to 8 hours; with ``mail_max_attempts`` (12) the last try is
  about 43 hours after the first. Then it is given up and a warning is logged.
* **At least once.** A claim is a lease: an event whose process died while sending is
  claimed again when the lease runs out, and a mail sent just before a crash may be sent
  twice. So a handler may return several messages only when sending all of them again is
  acceptable (they go to the same people); mails to many recipients (reply notifications)
  are one event per recipient, queued by the handler of the first event, so one failing
  address never repeats the mails of the others.
* **Privacy.** Logs and stored errors name the event's id and kind and the SMTP server,
  never an address; handler errors are logged by type with their traceback's frames, not
  their message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sharekit.errors import ConfigurationError, ServiceUnavailable
from sharekit.storage.outbox import QueuedEvent

from .context import Handler, MailContext
from .smtp import MailNotSent

# isort: split
# The handler modules import the context above; they come after it on purpose.
from . import owner, replies

__all__ = ["HANDLERS", "LEASE", "Handler", "MailContext", "MailSender", "backoff"]

logger = logging.getLogger("sharekit.mail")

HANDLERS: dict[str, Handler] = owner.HANDLERS | replies.HANDLERS
"""Event kind → the handler that turns such an event into mails."""

LEASE = timedelta(minutes=5)  # longer than a few SMTP timeouts in a row
FIRST_PAUSE = timedelta(minutes=5)
LONGEST_PAUSE = timedelta(hours=8)
BATCH = 20


def backoff(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th failed try: 5 minutes, doubling, at most 8 hours.

    >>> [int(backoff(n).total_seconds() // 60) for n in (1, 2, 3, 8, 9, 12)]
    [5, 10, 20, 480, 480, 480]
    """
    return min(FIRST_PAUSE * (1 << min(max(attempts - 1, 0), 16)), LONGEST_PAUSE)


def _frames(exc: BaseException) -> str:
    """Where an error happened, without its message (which may hold an address)."""
    return "".join(traceback.format_tb(exc.__traceback__)).rstrip()


class MailSender:
    """Sends what the outbox holds: :meth:`run_once` for tests and the CLI, :meth:`forever`
    in the app's lifespan."""

    def __init__(
        self,
        context: MailContext,
        handlers: Mapping[str, Handler] | None = None,
        lease: timedelta = LEASE,
    ) -> None:
        self.context = context
        self.handlers = HANDLERS if handlers is None else handlers
        self.lease = lease

    async def run_once(self, now: datetime | None = None) -> int:
        """Handle every event due at ``now``; how many were finished (sent, or found to
        need no mail). Events that failed are scheduled again or given up."""
        now = now or datetime.now(UTC)
        finished = 0
        while events := await self.context.outbox.claim(now, self.lease, BATCH):
            for event in events:
                finished += await self._handle(event, now)
        return finished

    async def _handle(self, event: QueuedEvent, now: datetime) -> int:
        outbox = self.context.outbox
        handler = self.handlers.get(event.kind)
        if handler is None:
            logger.error("mail event %d has an unknown kind %r: given up", event.id, event.kind)
            await outbox.give_up(event.id, f"unknown kind {event.kind}", now)
            return 0
        try:
            for message in await handler(self.context, event):
                await self.context.transport.send(message)
        except (MailNotSent, ServiceUnavailable) as exc:
            await self._failed(event, str(exc) or type(exc).__name__, now)
            return 0
        except Exception as exc:
            logger.error(
                "mail event %d (%s) failed with %s and is given up:\n%s",
                event.id,
                event.kind,
                type(exc).__name__,
                _frames(exc),
            )
            await outbox.give_up(event.id, f"handler failed: {type(exc).__name__}", now)
            return 0
        await outbox.done(event.id)
        return 1

    async def _failed(self, event: QueuedEvent, error: str, now: datetime) -> None:
        attempts, most = event.attempts, self.context.settings.mail_max_attempts
        if attempts >= most:
            logger.warning(
                "mail event %d (%s) given up after %d attempts: %s",
                event.id,
                event.kind,
                attempts,
                error,
            )
            await self.context.outbox.give_up(event.id, error, now)
            return
        pause = backoff(attempts)
        logger.info(
            "mail event %d (%s) not sent (attempt %d of %d), retrying in %d minutes: %s",
            event.id,
            event.kind,
            attempts,
            most,
            pause.total_seconds() // 60,
            error,
        )
        await self.context.outbox.retry(event.id, error, now + pause)

    async def forever(self) -> None:
        """Send what is due, then wait for new mail (``mail_waiting``) or
        ``mail_poll_seconds``, whichever comes first; until cancelled."""
        # An asyncio.Event belongs to the first loop that waits on it; each run of the app's
        # lifespan (a new loop when a server or a test starts the app again) gets its own.
        # Whoever queues mail sets ``comments.mail_waiting`` as it is at that moment.
        comments = self.context.comments
        comments.mail_waiting = waiting = asyncio.Event()
        poll = self.context.settings.mail_poll_seconds
        task = asyncio.current_task()
        while True:
            waiting.clear()  # before looking: what is queued meanwhile wakes the next round
            try:
                await self.run_once()
            except ServiceUnavailable:
                logger.warning("mail queue not checked: the database is not reachable")
            except ConfigurationError as exc:  # e.g. a schema that needs `sharekit migrate`
                logger.warning("mail queue not checked: %s", exc)
            except Exception as exc:
                logger.error(
                    "mail queue check failed with %s:\n%s", type(exc).__name__, _frames(exc)
                )
            # The database driver's pool may swallow a cancellation that arrives while it
            # closes a connection: stop anyway, or the app's shutdown waits for the poll.
            if task is not None and task.cancelling():
                raise asyncio.CancelledError()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll):
                    await waiting.wait()
