"""The server side of the loopback load tests, shared by bench/load.py, bench/crash.py,
bench/soak.py and tests/test_load.py, tests/test_crash.py.

* :func:`config_text` writes the settings for a load: flood control relaxed, no
  moderation, an optional SMTP server.
* :class:`Server` starts ``sharekit serve`` in a process group of its own (so a SIGKILL
  reaches every worker), waits for ``/healthz`` and stops it again.
* A fresh PostgreSQL database comes from :func:`tests.postgres_support.new_database`.
* :func:`stored_texts` reads back how often each posted text is in the database, so that
  every acknowledged comment can be checked to be stored exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ORIGIN = "https://blog.example"
SECRET = "load-secret-0123456789abcdef01234"

CONFIG = """
secret_key = "{secret}"
data_dir = "{data}"
database_url = "{database_url}"
comments_min_seconds = 0
comments_moderation = "off"
comments_rate_per_15s = 1000000
comments_rate_per_hour = 1000000
trusted_proxies = ["127.0.0.1/32"]
mail_poll_seconds = {poll}
[[sites]]
key = "blog"
origins = ["{origin}"]
name = "Blog"
{smtp}
"""

SMTP = """
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
sender = "sharekit@blog.example"
to = ["owner@blog.example"]
timeout = {timeout}
"""


# Route name → weight in the mix. Posting is about a fifth of all requests: a post that
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_text(
    data: Path, database_url: str, smtp_port: int | None = None, smtp_timeout: float = 30
) -> str:
    """A settings file for the load: flood control relaxed, no moderation, optional SMTP."""
    smtp = SMTP.format(port=smtp_port, timeout=smtp_timeout) if smtp_port else ""
    return CONFIG.format(
        secret=SECRET,
        data=data,
        database_url=database_url,
        origin=ORIGIN,
        poll=0.5,
        smtp=smtp,
    )


@dataclass
class Server:
    """``sharekit serve`` in a process group of its own, on a fixed port across restarts."""

    config: Path
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if not k.startswith("SHAREKIT_")}

    def migrate(self) -> None:
        command = [sys.executable, "-m", "sharekit.cli", "migrate", "--config", str(self.config)]
        subprocess.run(command, env=self._env(), check=True, capture_output=True, timeout=120)

    def start(self, timeout: float = 30) -> None:
        command = [
            *(sys.executable, "-m", "sharekit.cli", "serve", "--config", str(self.config)),
            *("--port", str(self.port), "--workers", str(self.workers)),
            *("--log-level", "warning"),
        ]
        self.process = subprocess.Popen(command, env=self._env(), start_new_session=True)
        deadline = time.monotonic() + timeout
        ready = 0
        while ready < 2 * self.workers:  # several answers: most likely every worker is up
            if self.process.poll() is not None:
                raise RuntimeError(f"sharekit serve exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("sharekit serve did not answer /healthz")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2):
                    ready += 1
            except OSError:
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL to every process of the server: no shutdown, no flush, no goodbye."""
        if self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        self.process = None


async def query(database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Rows of one read-only query against the service's database."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in (await connection.execute(text(sql), params)).all()]
    finally:
        await engine.dispose()


async def stored_texts(database_url: str, prefix: str) -> Counter[str]:
    """How often each comment text starting with ``prefix`` is stored."""
    rows = await query(
        database_url,
        "SELECT text, count(*) FROM comments WHERE text LIKE :p GROUP BY text",
        p=f"{prefix}%",
    )
    return Counter({str(text): int(n) for text, n in rows})
