"""Time from starting `sharekit demo` until its first page answers (median of several runs).

.venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def once() -> float:
    port = _free_port()
    with tempfile.TemporaryDirectory() as data:
        start = time.perf_counter()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sharekit.cli",
                "demo",
                "--port",
                str(port),
                "--data-dir",
                data,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/de/", timeout=1):
                        return time.perf_counter() - start
                except OSError:
                    if time.perf_counter() - start > 30:
                        raise RuntimeError("the demo did not answer within 30 s") from None
                    time.sleep(0.01)
        finally:
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = [once() for _ in range(args.runs)]
    print(
        f"sharekit demo start-up to first page: median {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}, {args.runs} runs)"
    )


if __name__ == "__main__":
    main()
