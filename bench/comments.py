"""Comment service throughput, measured with wrk against uvicorn on loopback.

1. Listing a 100-comment thread (JSON and HTML fragment) next to a bare Starlette endpoint
   that returns the same bytes, in the same run: the ratio is what counts. Each listing
   row also gives both servers' CPU time per request (from /proc) and their ratio.
2. Posting comments on SQLite with one worker, as the script does (JSON, answered with
   the comment and its HTML) and as the form does without JavaScript (answered with a
   303), then checking that every acknowledged comment is stored exactly once. Flood
   control stays on at its defaults (1 comment per 15 s, 10 per hour per client key):
   the script plays a proxy in front of many visitors, each request with an
   ``X-Forwarded-For`` address in a /24 network of its own. Each posting row also gives
   the server's CPU time per accepted comment. CPU time per request moves less than
   requests/s when other work shares the machine.

    .venv/bin/python bench/comments.py [--seconds 5] [--connections 50]

Needs Debian's ``wrk`` (``apt-get install wrk``). Targets 127.0.0.1 only, bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from contextlib import closing
from pathlib import Path

ORIGIN = "https://blog.example"
THREAD = "bench"
ROUNDS = 5
SECRET = "bench-secret-0123456789abcdef0123"

CONFIG = """
secret_key = "{secret}"
data_dir = "{data}"
comments_min_seconds = 0
comments_moderation = "off"
trusted_proxies = ["127.0.0.1/32"]
comments_page_size = 100
[[sites]]
key = "blog"
origins = ["{origin}"]
"""

BARE = """
import os
from pathlib import Path
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
bodies = {name: Path(os.environ["BENCH_DIR"], name).read_bytes() for name in ("json", "html")}
async def json_(request): return Response(bodies["json"], media_type="application/json")
async def html_(request): return Response(bodies["html"], media_type="text/html; charset=utf-8")
async def hello(request): return Response(b"hello world", media_type="text/plain")
app = Starlette(routes=[Route("/json", json_), Route("/html", html_), Route("/hello", hello)])
"""

POST_LUA = Path(__file__).with_name("post.lua")
# What each way of posting sends: the Lua format string of the body, its type, Accept.
POSTS = {
    "JSON": (
        """'{"site":"blog","thread":"{thread}","url":"{origin}/post","token":"{token}",'"""
        """ .. '"name":"Bench","email":"bench{run}-%d-%d@example.org",'"""
        """ .. '"text":"Comment %d of wrk thread %d in run {run}, with a few words."}'""",
        "application/json",
        "application/json",
    ),
    "form": (
        '"site=blog&thread={thread}&url={origin_q}%%2Fpost&token={token}&name=Bench"'
        ' .. "&email=bench{run}-%d-%d%%40example.org"'
        ' .. "&text=Comment+%d+of+wrk+thread+%d+in+run+{run}%%2C+with+a+few+words."',
        "application/x-www-form-urlencoded",
        "text/html",
    ),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


def wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> str:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    return result.stdout


def count(database: Path, query: str) -> int:
    with closing(sqlite3.connect(database)) as connection:
        return int(connection.execute(query).fetchone()[0])


def settled(database: Path) -> tuple[int, int]:
    """The comments table's rows and distinct texts, once it has stopped growing."""
    last = None
    while True:
        with closing(sqlite3.connect(database)) as connection:
            found = connection.execute(
                "select count(*), count(distinct text) from comments"
            ).fetchone()
        if found == last:
            return int(found[0]), int(found[1])
        last = found
        time.sleep(0.5)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (Linux): what a
    comment costs the server, steadier on a shared machine than requests per second."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rps(output: str) -> float:
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert match, output
    return float(match.group(1))


def measured(pid: int, url: str, seconds: int, connections: int) -> tuple[float, float]:
    """Requests/s of one wrk run, and the server's CPU time per request in µs."""
    before = cpu_seconds(pid)
    output = wrk(url, seconds, connections)
    used = cpu_seconds(pid) - before
    match = re.search(r"(\d+) requests in", output)
    assert match, output
    return rps(output), used / max(int(match.group(1)), 1) * 1e6


async def seed(database_url: str, count: int) -> None:
    from datetime import UTC, datetime, timedelta

    from sharekit.comments.identicon import avatar_key
    from sharekit.comments.text import render, text_hash
    from sharekit.storage import Database
    from sharekit.storage.comments import CommentStore

    database = Database(database_url)
    store = CommentStore(database)
    start = datetime.now(UTC) - timedelta(days=1)
    parents: list[int] = []
    for number in range(count):
        text = f"Kommentar {number}: Schöne Tour, danke für die Kosten in €! https://example.org/{number}"
        parent = parents[number % len(parents)] if parents and number % 3 == 0 else None
        stored = await store.add(
            "blog",
            THREAD,
            f"{ORIGIN}/post",
            "Bench",
            parent_id=parent,
            author=f"Leserin {number}",
            email=f"r{number}@example.org",
            author_key=avatar_key(SECRET, "blog", f"r{number}@example.org", ""),
            website=None,
            text=text,
            html=render(text),
            status="approved",
            client_key="bench",
            consent_at=None,
            text_hash=text_hash(text),
            max_depth=3,
            now=start + timedelta(seconds=number),
        )
        if parent is None:
            parents.append(stored.id)
    await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench/comments.py needs wrk: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="sharekit-bench-"))
    config = work / "sharekit.toml"
    config.write_text(CONFIG.format(secret=SECRET, data=work, origin=ORIGIN), encoding="utf-8")
    database_url = f"sqlite+aiosqlite:///{work / 'sharekit.db'}"
    asyncio.run(seed(database_url, 100))

    env = {k: v for k, v in os.environ.items() if not k.startswith("SHAREKIT_")}
    port, bare_port = free_port(), free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sharekit.cli",
            "serve",
            "--config",
            str(config),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait(f"{base}/healthz")
        listing = f"{base}/threads/{THREAD}/comments?site=blog&url={ORIGIN}/post"
        with urllib.request.urlopen(f"{listing}&format=json") as response:
            (work / "json").write_bytes(response.read())
        with urllib.request.urlopen(f"{listing}&fragment=1") as response:
            (work / "html").write_bytes(response.read())
        data = json.loads((work / "json").read_bytes())
        assert len(data["comments"]) == 100, len(data["comments"])
        (work / "bare.py").write_text(textwrap.dedent(BARE), encoding="utf-8")
        bare = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(work),
                "bare:app",
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env={**env, "PYTHONPATH": str(work), "BENCH_DIR": str(work)},
            cwd=work,
        )
        try:
            wait(f"http://127.0.0.1:{bare_port}/json")
            # How fast this machine is: the issue's reference does about 20,000 req/s here.
            hello = [
                rps(wrk(f"http://127.0.0.1:{bare_port}/hello", args.seconds, args.connections))
                for _ in range(ROUNDS)
            ]
            rows = []
            for kind, url, bare_url in (
                ("JSON", f"{listing}&format=json", f"http://127.0.0.1:{bare_port}/json"),
                ("HTML", f"{listing}&fragment=1", f"http://127.0.0.1:{bare_port}/html"),
            ):
                # Alternate the two servers, ROUNDS times: the machine's speed drifts,
                # and each ratio compares runs made one after the other.
                ratios, ours_all, theirs_all, cpu_ratios = [], [], [], []
                ours_cpu, theirs_cpu = [], []
                for _ in range(ROUNDS):
                    ours, ours_us = measured(server.pid, url, args.seconds, args.connections)
                    theirs, theirs_us = measured(
                        bare.pid, bare_url, args.seconds, args.connections
                    )
                    ours_all.append(ours)
                    theirs_all.append(theirs)
                    ratios.append(ours / theirs)
                    ours_cpu.append(ours_us)
                    theirs_cpu.append(theirs_us)
                    cpu_ratios.append(theirs_us / ours_us)
                size = len((work / kind.lower()).read_bytes())
                rows.append(
                    (
                        kind,
                        statistics.median(ours_all),
                        statistics.median(theirs_all),
                        statistics.median(ratios),
                        size,
                        (
                            statistics.median(ours_cpu),
                            statistics.median(theirs_cpu),
                            statistics.median(cpu_ratios),
                        ),
                    )
                )
        finally:
            bare.terminate()
            bare.wait(timeout=10)
        print(
            f"machine: bare Starlette answering 11 bytes {statistics.median(hello):,.0f} req/s "
            f"(median of {ROUNDS} runs: {', '.join(f'{rate:,.0f}' for rate in hello)})"
        )
        for kind, ours, theirs, ratio, size, (ours_us, theirs_us, cpu_ratio) in rows:
            print(
                f"100-comment thread, {kind} ({size} B): sharekit {ours:,.0f} req/s, "
                f"bare Starlette same bytes {theirs:,.0f} req/s (medians of {ROUNDS} "
                f"alternating runs), median ratio {ratio:.2f} (target ≥ 0.50)"
            )
            print(
                f"  server CPU per request: sharekit {ours_us:,.0f} µs, bare "
                f"{theirs_us:,.0f} µs; median ratio {cpu_ratio:.2f} (steadier than req/s)"
            )

        from sharekit.comments.guard import Guard
        from sharekit.security import Tokens

        token = Guard(Tokens(SECRET), 0, 7200, 1, 1).issue("blog", THREAD)
        database = work / "sharekit.db"
        before = count(database, "select count(*) from comments")
        rates: dict[str, list[float]] = {"JSON": [], "form": []}
        costs: dict[str, list[float]] = {"JSON": [], "form": []}
        acknowledged = failed = 0
        for number in range(ROUNDS):
            for kind, (body, content_type, accept) in POSTS.items():
                run = 2 * number + (kind == "form")  # each run its own texts and networks
                script = work / f"post-{run}.lua"
                script.write_text(
                    POST_LUA.read_text(encoding="utf-8")
                    .replace("{body}", body)
                    .replace("{content_type}", content_type)
                    .replace("{accept}", accept)
                    .replace("{thread}", THREAD)
                    .replace("{origin_q}", ORIGIN.replace(":", "%%3A").replace("/", "%%2F"))
                    .replace("{origin}", ORIGIN)
                    .replace("{token}", token)
                    .replace("{run}", str(run)),
                    encoding="utf-8",
                )
                cpu_before = cpu_seconds(server.pid)
                output = wrk(f"{base}/comments", args.seconds, args.connections, script)
                cpu_used = cpu_seconds(server.pid) - cpu_before
                acked = int(re.search(r"ACK (\d+)", output).group(1))  # type: ignore[union-attr]
                acknowledged += acked
                failed += int(re.search(r"NON2XX (\d+)", output).group(1))  # type: ignore[union-attr]
                rates[kind].append(acked / args.seconds)
                costs[kind].append(cpu_used / max(acked, 1))
        # Requests wrk sent just before it stopped may still be committing: wait until
        # the table stops growing, then count rows and distinct texts in one query.
        rows, distinct = settled(database)
        stored = rows - before
        intact = stored >= acknowledged and distinct == rows
        for kind, found in rates.items():
            print(
                f"posting {kind} on SQLite, one worker: {statistics.median(found):,.0f} "
                f"accepted comments/s (median of {ROUNDS} alternating runs: "
                f"{', '.join(f'{rate:,.0f}' for rate in found)}; target ≥ 1,000); "
                f"server CPU {statistics.median(costs[kind]) * 1e6:,.0f} µs per comment"
            )
        print(
            f"  {failed} non-2xx, {acknowledged} acknowledged, {stored} stored: "
            f"{'every acknowledged comment stored exactly once' if intact else 'LOST OR DOUBLED'}"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
