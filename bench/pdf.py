"""PDF of the demo article: render time cold and cached, and the memory peak of a burst.

Starts ``sharekit demo`` on a free loopback port (a new data directory each time), then

1. asks for the German demo article's PDF once (cold: fetch, extract, render) and again
   (cached: the page is fetched again and found unchanged), several times each;
2. restarts the demo and sends 20 PDF requests at once, for the article in both of its
   languages, and reports how many got the file and how many were told to come back
   (503, Retry-After), and the server's peak resident memory (VmHWM) before and after.

    .venv/bin/python bench/pdf.py [--runs 5]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "sharekit.cli", "demo", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--data-dir", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/de/", timeout=2):
                return server, base
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError("the demo did not start")


def pdf_url(base: str, lang: str = "de", ui: str = "de") -> str:
    return f"{base}/sharekit/pdf?" + urlencode({"url": f"{base}/{lang}/", "lang": ui})


def get(url: str) -> tuple[int, float, int]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            size = len(response.read())
            return response.status, time.perf_counter() - started, size
    except urllib.error.HTTPError as error:
        return error.code, time.perf_counter() - started, 0


def peak_memory(pid: int) -> tuple[int, int]:
    """(current, peak) resident memory of a process in KiB, from /proc."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    cold, cached = [], []
    size = 0
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as data:
            server, base = start(Path(data))
            try:
                status, seconds, size = get(pdf_url(base))
                assert status == 200, status
                cold.append(seconds)
                status, seconds, _ = get(pdf_url(base))
                assert status == 200, status
                cached.append(seconds)
            finally:
                server.terminate()
                server.wait(timeout=10)
    print(
        f"demo article PDF ({size:,} B): cold {statistics.median(cold) * 1000:.0f} ms, "
        f"cached {statistics.median(cached) * 1000:.0f} ms (medians of {args.runs} runs; "
        "cached still fetches the page to see that it did not change)"
    )

    with tempfile.TemporaryDirectory() as data:
        server, base = start(Path(data))
        try:
            get(f"{base}/de/")  # warm the demo page itself
            before, _ = peak_memory(server.pid)
            urls = [pdf_url(base, lang, ui) for lang in ("de", "en") for ui in ("de", "en")]
            burst = [urls[index % len(urls)] for index in range(20)]
            with ThreadPoolExecutor(len(burst)) as pool:
                results = list(pool.map(get, burst))
            _, peak = peak_memory(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)
    statuses = [status for status, _, _ in results]
    slowest = max(seconds for _, seconds, _ in results)
    other = len(statuses) - statuses.count(200) - statuses.count(503)
    print(
        f"burst of 20 concurrent PDF requests: {statuses.count(200)} got the file, "
        f"{statuses.count(503)} were told to retry (503), others {other}; "
        f"server memory {before / 1024:.0f} MiB before, peak {peak / 1024:.0f} MiB; "
        f"slowest answer {slowest:.1f} s"
    )


if __name__ == "__main__":
    main()
