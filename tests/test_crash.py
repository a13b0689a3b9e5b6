"""Crash safety: SIGKILL ``sharekit serve`` while 20 clients post, restart, check.

The scenario is bench/crash.py's (read its docstring); here with CI settings: a second of
posting, and at least 50 acknowledged comments, before the kill. Against one worker on
SQLite and two workers on PostgreSQL (skipped without a server at 127.0.0.1:5432, unless
``CI=true``).

What is promised and asserted:

* every comment whose 201/303 reached a client is stored, and no text is stored twice;
* the database passes its checks right after the kill and after the restart;
* every stored comment has its owner notification queued in the same transaction;
* the restarted server delivers every queued notification no sender had claimed, and the
  ones claimed when the process died are delivered once their lease runs out (the sender
  runs once with its clock past the lease instead of waiting five minutes);
* each stored comment gets exactly one owner mail. The outbox is at least once in general
  (a mail whose sending was cut off after the SMTP server took it is sent again); here the
  mail server hung before taking any mail, so nothing may arrive twice.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.crash import CrashReport, crash_run
from tests.postgres_support import new_database
from tests.test_load import postgres_or_skip

pytestmark = pytest.mark.slow

CLIENTS = 20
BEFORE_KILL = 1.0


def _assert_safe(report: CrashReport) -> None:
    assert report.after_crash is not None
    about = str(report)
    assert report.in_flight_errors > 0, f"the kill did not hit requests in flight\n{about}"
    assert report.acknowledged >= 50, about
    assert report.unexpected == {}, f"5xx or other answers not expected before the kill\n{about}"
    assert report.after_crash.missing == [], about
    assert report.after_crash.doubled == [], about
    assert report.problems == [], about
    assert report.owner_events == report.stored_comments, about
    assert report.leased > 0, f"no notification was being sent when the server died\n{about}"
    assert report.delivered_by_restart == report.unclaimed_owner_events, about
    assert report.delivered_after_lease > 0, about
    assert set(report.mails) == report.stored, about
    assert report.doubled_mails == [], about
    assert report.outbox_left == 0, about


def test_sigkill_on_sqlite_with_one_worker(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sharekit.db'}"
    report = asyncio.run(crash_run("sqlite", url, tmp_path, CLIENTS, BEFORE_KILL))
    _assert_safe(report)


def test_sigkill_on_postgres_with_two_workers(tmp_path: Path) -> None:
    async def run() -> CrashReport:
        async with new_database("sk_load") as url:
            return await crash_run("postgres", url, tmp_path, CLIENTS, BEFORE_KILL)

    reports: list[CrashReport] = []
    postgres_or_skip(lambda: reports.append(asyncio.run(run())))
    _assert_safe(reports[0])
