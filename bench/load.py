"""The load test: N clients for S seconds against ``sharekit serve``, on loopback only.

Two targets, each started by this script: (a) one worker on SQLite, (b) two workers on
PostgreSQL (a fresh database at 127.0.0.1:5432, migrated with ``sharekit migrate`` and
dropped afterwards). The mix (bench/loadgen.py ``MIX``): thread listings as JSON and as an
HTML fragment, conditional listings with ``If-None-Match``, share-bar fragments, consent
pages, comment forms, and comment posts as JSON and as forms. Flood control is relaxed in
the settings and each client sends an ``X-Forwarded-For`` address of its own through the
trusted proxy 127.0.0.1.

Printed per target: requests/s, p50/p99 per route, 5xx (must be 0), transport errors, and
whether every acknowledged comment (201/202/303) is in the database exactly once. The
client is Python (httpx) on the same 2-core machine: it takes CPU from the server, so the
figures are a floor, not the service's ceiling.

    .venv/bin/python bench/load.py [--seconds 60] [--clients 50] [--target sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.loadgen import Check, LoadResult, check, run_load
from bench.loadserver import Server, config_text, stored_texts
from tests.postgres_support import new_database


async def against(
    database_url: str, workers: int, clients: int, seconds: float, work: Path
) -> tuple[LoadResult, Check]:
    config = work / "sharekit.toml"
    config.write_text(config_text(work, database_url), encoding="utf-8")
    server = Server(config, workers=workers)
    if not database_url.startswith("sqlite"):
        server.migrate()
    server.start()
    try:
        result = await run_load(server.base, clients, seconds)
    finally:
        server.stop()
    return result, check(result.acknowledged, await stored_texts(database_url, result.prefix))


async def target(name: str, clients: int, seconds: float) -> tuple[LoadResult, Check]:
    work = Path(tempfile.mkdtemp(prefix=f"sharekit-load-{name}-"))
    try:
        if name == "sqlite":
            return await against(
                f"sqlite+aiosqlite:///{work / 'sharekit.db'}", 1, clients, seconds, work
            )
        async with new_database("sk_load") as url:
            return await against(url, 2, clients, seconds, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--target", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    names = ["sqlite", "postgres"] if args.target == "both" else [args.target]
    titles = {"sqlite": "SQLite, 1 worker", "postgres": "PostgreSQL, 2 workers"}
    failed = False
    for name in names:
        result, verdict = asyncio.run(target(name, args.clients, args.seconds))
        print(result.table(f"{titles[name]}, {args.clients} clients"))
        print(verdict)
        odd = result.unexpected()
        if odd:
            print(f"  unexpected statuses: {odd}")
        failed |= bool(result.server_errors or not verdict.ok or odd)
        print(flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
