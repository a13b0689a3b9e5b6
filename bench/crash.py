"""Crash safety: SIGKILL ``sharekit serve`` while clients post comments, restart, check.

The scenario (shared with tests/test_crash.py, which runs it with short settings):

1. The owner's mail server hangs: a socket on the ``[smtp]`` port accepts connections and
   never greets. The mail sender claims a batch of notifications (a lease of five minutes)
   and waits on the first; every later notification stays queued in the outbox.
2. ``sharekit serve`` (1 worker on SQLite, or 2 on PostgreSQL) gets comment posts (JSON
   and form) from many clients; mid-flight the whole process group gets SIGKILL.
3. Right after the crash: every acknowledged comment (201/202/303) is stored, none twice,
   the database passes its checks (SQLite ``PRAGMA integrity_check`` and
   ``foreign_key_check``; on both: no orphaned comments, replies or outbox events, no
   doubled text in a thread), and every stored comment has its notification queued.
4. A real SMTP server comes up on the port and the server restarts on the same database:
   every notification nobody had claimed is delivered by the restarted server. The ones
   that were claimed when the process died come back when their lease runs out; rather
   than wait five minutes, the same sender runs once with its clock moved past the lease.
   Then every stored comment has exactly one owner mail and the outbox is empty.

    .venv/bin/python bench/crash.py [--clients 20] [--before-kill 5]
                                    [--target sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import socket
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import Check, LoadResult, check, run_load
from bench.loadserver import Server, config_text, free_port, query, stored_texts
from sharekit.comments.service import NEW_COMMENT
from tests.mail_support import Inbox
from tests.postgres_support import new_database

POSTING = {"post json": 1, "post form": 1}


@dataclass
class CrashReport:
    """What one crash run found."""

    backend: str
    acknowledged: int = 0
    in_flight_errors: int = 0
    unexpected: dict[str, dict[int, int]] = field(default_factory=dict)
    after_crash: Check | None = None
    problems: list[str] = field(default_factory=list)
    queued: int = 0
    owner_events: int = 0
    unclaimed_owner_events: int = 0
    stored: set[str] = field(default_factory=set)
    leased: int = 0
    stored_comments: int = 0
    delivered_by_restart: int = 0
    restart_seconds: float = 0.0
    delivered_after_lease: int = 0
    leased_handled: int = 0
    mails: Counter[str] = field(default_factory=Counter)
    outbox_left: int = -1

    @property
    def doubled_mails(self) -> list[str]:
        return sorted(text for text, n in self.mails.items() if n > 1)

    def __str__(self) -> str:
        assert self.after_crash is not None
        return "\n".join(
            [
                f"{self.backend}: SIGKILL with {self.in_flight_errors} requests failing around "
                f"it; {self.acknowledged} comments acknowledged before it",
                f"  unexpected answers before the kill: {self.unexpected or 'none'}",
                str(self.after_crash),
                f"  database checks: {'; '.join(self.problems) or 'all pass'}",
                f"  outbox at the kill: {self.queued} events ({self.owner_events} owner "
                f"notifications) for {self.stored_comments} stored comments, {self.leased} "
                "claimed by a sender",
                f"  after restart: {self.delivered_by_restart} owner mails (of "
                f"{self.unclaimed_owner_events} nobody had claimed) delivered by the restarted "
                f"server in {self.restart_seconds:.1f} s (restart included), "
                f"{self.delivered_after_lease} more once the lease ran out "
                f"({self.leased_handled} events handled then)",
                f"  {sum(self.mails.values())} owner mails for {len(self.mails)} comments, "
                f"{len(self.doubled_mails)} sent twice; {self.outbox_left} events left in the "
                "outbox",
            ]
        )


async def database_problems(database_url: str) -> list[str]:
    """What is wrong with the database's contents after a crash (nothing, one hopes)."""
    problems = []
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        with closing(sqlite3.connect(path)) as db:
            integrity = db.execute("PRAGMA integrity_check").fetchall()
            if integrity != [("ok",)]:
                problems.append(f"integrity_check: {integrity[:5]}")
            foreign = db.execute("PRAGMA foreign_key_check").fetchall()
            if foreign:
                problems.append(f"foreign_key_check: {foreign[:5]}")
    checks = {
        "comments without their thread": "SELECT count(*) FROM comments c WHERE NOT EXISTS "
        "(SELECT 1 FROM threads t WHERE t.id = c.thread_id)",
        "replies without their parent": "SELECT count(*) FROM comments c WHERE c.parent_id IS "
        "NOT NULL AND NOT EXISTS (SELECT 1 FROM comments p WHERE p.id = c.parent_id)",
        "texts stored twice in a thread": "SELECT count(*) FROM (SELECT thread_id, text FROM "
        "comments GROUP BY thread_id, text HAVING count(*) > 1) AS doubled",
        "threads of unknown sites": "SELECT count(*) FROM threads t WHERE NOT EXISTS "
        "(SELECT 1 FROM sites s WHERE s.key = t.site)",
    }
    for name, sql in checks.items():
        (found,) = (await query(database_url, sql))[0]
        if found:
            problems.append(f"{found} {name}")
    ids = {row[0] for row in await query(database_url, "SELECT id FROM comments")}
    events = await query(database_url, "SELECT payload FROM outbox")
    orphans = [p for (p,) in events if json.loads(p).get("comment") not in ids]
    if orphans:
        problems.append(f"{len(orphans)} outbox events about missing comments")
    return problems


def tarpit(port: int) -> socket.socket:
    """A mail server that hangs: connections are accepted by the kernel, never answered."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


async def deliver_leased(config: Path) -> int:
    """Run the service's own mail sender once, its clock past the lease of the events that
    were claimed when the process died; how many it finished."""
    from sharekit.app import create_app
    from sharekit.mail.sender import LEASE, MailContext, MailSender
    from sharekit.settings import Settings

    app = create_app(Settings.load(config))
    comments = app.state.sharekit.comments
    try:
        later = datetime.now(UTC) + LEASE + timedelta(minutes=1)
        return await MailSender(MailContext.of(comments)).run_once(now=later)
    finally:
        await app.state.sharekit.database.close()


async def crash_run(
    backend: str,
    database_url: str,
    work: Path,
    clients: int = 20,
    before_kill: float = 2.0,
    mail_wait: float = 30.0,
    at_least: int = 50,
) -> CrashReport:
    workers = 1 if backend == "sqlite" else 2
    report = CrashReport(backend=f"{backend}, {workers} worker(s), {clients} clients")
    smtp_port = free_port()
    hanging = tarpit(smtp_port)
    config = work / "sharekit.toml"
    config.write_text(
        config_text(work, database_url, smtp_port, smtp_timeout=300), encoding="utf-8"
    )
    server = Server(config, workers=workers)
    if backend != "sqlite":
        server.migrate()
    inbox: Inbox | None = None
    try:
        server.start()
        halt = asyncio.Event()
        watched = LoadResult(prefix=f"crash-{secrets.token_hex(4)}")
        load = asyncio.create_task(
            run_load(server.base, clients, 120, POSTING, halt=halt, result=watched)
        )
        # At least ``before_kill`` seconds and ``at_least`` acknowledged comments (a slow
        # machine takes longer to get there), at most a minute.
        await asyncio.sleep(before_kill)
        deadline = time.monotonic() + 60
        while len(watched.acknowledged) < at_least and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.to_thread(server.kill)
        halt.set()
        result = await load
        report.acknowledged = len(result.acknowledged)
        report.in_flight_errors = result.errors
        report.unexpected = {name: dict(found) for name, found in result.unexpected().items()}

        stored = await stored_texts(database_url, result.prefix)
        report.after_crash = check(result.acknowledged, stored)
        report.stored_comments = sum(stored.values())
        report.stored = set(stored)
        report.problems = await database_problems(database_url)
        queued = await query(database_url, "SELECT kind, attempts FROM outbox")
        report.queued = len(queued)
        report.leased = sum(1 for (_, attempts) in queued if attempts > 0)
        report.owner_events = sum(1 for (kind, _) in queued if kind == NEW_COMMENT)
        free = sum(1 for (kind, attempts) in queued if kind == NEW_COMMENT and not attempts)
        report.unclaimed_owner_events = free

        hanging.close()
        inbox = Inbox(port=smtp_port)
        inbox.start()
        started = time.monotonic()
        server.start()
        deadline = started + mail_wait
        while time.monotonic() < deadline:
            # Done: every event nobody had claimed is handled (only leased ones are left).
            (left,) = (await query(database_url, "SELECT count(*) FROM outbox"))[0]
            if left == report.leased and len(inbox.mails) >= free:
                break
            await asyncio.sleep(0.2)
        report.restart_seconds = time.monotonic() - started
        report.delivered_by_restart = len(inbox.mails)
        report.leased_handled = await deliver_leased(config)
        await asyncio.sleep(1.0)  # anything sent twice would arrive meanwhile
        report.delivered_after_lease = len(inbox.mails) - report.delivered_by_restart
        bodies = [mail.text() for mail in list(inbox.mails)]
        for text in report.stored:
            report.mails[text] = sum(body.count(text) for body in bodies)
        report.mails += Counter()  # only the texts that were mailed
        (left,) = (await query(database_url, "SELECT count(*) FROM outbox"))[0]
        report.outbox_left = int(left)
        report.problems += [f"after restart: {p}" for p in await database_problems(database_url)]
    finally:
        server.stop()
        hanging.close()
        if inbox is not None:
            inbox.stop()
    return report


async def run(backend: str, clients: int, before_kill: float) -> CrashReport:
    work = Path(tempfile.mkdtemp(prefix=f"sharekit-crash-{backend}-"))
    try:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{work / 'sharekit.db'}"
            return await crash_run(backend, url, work, clients, before_kill)
        async with new_database("sk_load") as url:
            return await crash_run(backend, url, work, clients, before_kill)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--before-kill", type=float, default=5.0, help="seconds of posting")
    parser.add_argument("--target", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.target == "both" else [args.target]
    for backend in backends:
        print(asyncio.run(run(backend, args.clients, args.before_kill)), flush=True)


if __name__ == "__main__":
    main()
