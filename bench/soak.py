"""The soak: mixed traffic for ten minutes against ``sharekit serve`` on SQLite, watching the
server's memory.

One worker on a fresh SQLite file, started by this script on 127.0.0.1. A few concurrent
clients drive the load mix of bench/loadgen.py (thread listings as JSON, HTML and
conditional requests, share-bar fragments, consent pages, comment forms and comment posts)
without pause. The resident memory of the server (``VmRSS`` from ``/proc/<pid>/status``,
summed over the server's process group, so a worker process is counted too) is sampled at
the start, after every minute and at the end, and printed as a series with the growth from
the first minute to the end (the first minute includes warm-up: imports, caches, the
SQLite page cache filling). Also printed: requests, 5xx (must be 0), and whether every
acknowledged comment is stored exactly once.

Linux only (it reads ``/proc``). The threads keep growing during the soak (about a fifth
of all requests are posts), so some growth of the SQLite page cache is expected; a leak
shows as growth that keeps going minute after minute.

    .venv/bin/python bench/soak.py [--minutes 10] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import check, run_load
from bench.loadserver import Server, config_text, stored_texts


def rss_kib(group: int) -> int:
    """The resident memory of every process in process group ``group``, in KiB."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) != group:
                continue
            status = Path(f"/proc/{entry}/status").read_text(encoding="ascii")
        except (OSError, ProcessLookupError):
            continue  # gone meanwhile
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


@dataclass
class Soak:
    """The RSS samples (elapsed seconds, KiB) and the traffic of one soak."""

    samples: list[tuple[float, int]] = field(default_factory=list)
    requests: int = 0
    server_errors: int = 0
    transport_errors: int = 0
    acknowledged: set[str] = field(default_factory=set)
    prefixes: list[str] = field(default_factory=list)

    def report(self) -> str:
        lines = ["  minute   RSS MiB"]
        for elapsed, kib in self.samples:
            lines.append(f"  {elapsed / 60:>6.1f} {kib / 1024:>9.1f}")
        start, end = self.samples[0][1], self.samples[-1][1]
        warm = self.samples[1][1] if len(self.samples) > 2 else start
        lines.append(
            f"  start {start / 1024:.1f} MiB, end {end / 1024:.1f} MiB; "
            f"growth after the first minute {(end - warm) / 1024:+.1f} MiB "
            f"({(end - warm) / warm * 100:+.1f} %)"
        )
        return "\n".join(lines)


async def soak(minutes: float, clients: int, data: Path) -> Soak:
    database_url = f"sqlite+aiosqlite:///{data / 'sharekit.db'}"
    config = data / "sharekit.toml"
    config.write_text(config_text(data, database_url), encoding="utf-8")
    server = Server(config, workers=1)
    server.start()
    assert server.process is not None
    group = server.process.pid  # started in a session of its own: pid == process group
    result = Soak()
    started = asyncio.get_running_loop().time()
    try:
        result.samples.append((0.0, rss_kib(group)))
        left = minutes * 60
        while left > 0:
            span = min(60.0, left)
            # Each minute is one closed-loop run with fresh clients (as visitors come and
            # go); the server keeps running.
            run = await run_load(server.base, clients, span, seed=len(result.samples), threads=5)
            left -= span
            result.requests += run.requests
            result.server_errors += run.server_errors
            result.transport_errors += run.errors
            result.acknowledged |= run.acknowledged
            result.prefixes.append(run.prefix)
            elapsed = asyncio.get_running_loop().time() - started
            result.samples.append((elapsed, rss_kib(group)))
            print(
                f"  {elapsed / 60:5.1f} min: {run.requests / run.seconds:,.0f} req/s, "
                f"RSS {result.samples[-1][1] / 1024:.1f} MiB",
                flush=True,
            )
    finally:
        server.stop()
    stored = sum(
        [await stored_texts(database_url, prefix) for prefix in result.prefixes], start=Counter()
    )
    verdict = check(result.acknowledged, stored)
    print(f"acknowledged comments stored exactly once: {verdict.ok} ({verdict})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="sharekit-soak-"))
    try:
        print(f"soak: {args.clients} clients for {args.minutes:g} min, one worker on SQLite")
        result = asyncio.run(soak(args.minutes, args.clients, data))
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print(
        f"{result.requests:,} requests, {result.server_errors} 5xx, "
        f"{result.transport_errors} transport errors"
    )
    print(result.report())
    if result.server_errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
