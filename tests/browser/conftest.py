"""Headless Chromium against the real demo, served by uvicorn on a free loopback port.

Debian's /usr/bin/chromium is driven by Playwright (never `playwright install`). Without a
browser the tests skip with the reason, except in CI, where they must run.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request

from sharekit.demo import demo_app

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-pings",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    browser_items = [item for item in items if here in Path(str(item.fspath)).parents]
    for item in browser_items:
        item.add_marker(pytest.mark.browser)
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (scripts/test installs it when run as root)"
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"browser tests cannot be skipped in CI: {reason}")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": FLAGS}


def bound_socket() -> socket.socket:
    """A listening-ready socket on a free loopback port (bind first, build the app after)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


class LiveServer:
    """An ASGI app served by uvicorn in a background thread on 127.0.0.1."""

    def __init__(self, make_app: Any, sock: socket.socket | None = None) -> None:
        self.sock = sock or bound_socket()
        self.url = url_of(self.sock)
        config = uvicorn.Config(make_app(self.url), log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="session")
def live_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("demo-data")
    with LiveServer(lambda url: demo_app(data_dir, url)) as server:
        yield server.url


@pytest.fixture(scope="session")
def base_url(live_demo: str) -> str:
    return live_demo


@dataclass
class Recorder:
    """Every request a page made and every console message it logged."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def hosts(self) -> set[str]:
        return {urlsplit(url).netloc for url in self.requests if not url.startswith("data:")}

    def csp_violations(self) -> list[str]:
        markers = ("Content Security Policy", "Content-Security-Policy")
        return [text for text in self.console if any(marker in text for marker in markers)]


@pytest.fixture
def recorder(page: Page, context: BrowserContext) -> Recorder:
    record = Recorder()

    def on_request(request: Request) -> None:
        record.requests.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        record.console.append(f"{message.type}: {message.text}")

    context.on("request", on_request)
    context.on("response", lambda r: record.failed.append(r.url) if r.status >= 400 else None)
    context.on("requestfailed", lambda request: record.failed.append(request.url))
    page.on("console", on_console)
    page.on("pageerror", lambda error: record.errors.append(str(error)))
    return record


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations for the page as it is now (WCAG 2.x A and AA rules)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {
                "type": "tag",
                "values": [
                    "wcag2a",
                    "wcag2aa",
                    "wcag21a",
                    "wcag21aa",
                    "wcag22aa",
                    "best-practice",
                ],
            }
        },
    )
    violations: list[dict[str, Any]] = results.response["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']}: {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in violations
    )
