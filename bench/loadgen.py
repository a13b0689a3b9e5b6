"""A loopback load generator for ``sharekit serve`` (started by :mod:`bench.loadserver`),
shared by bench/load.py, bench/crash.py, bench/soak.py and tests/test_load.py.

:func:`run_load` drives N clients for S seconds with a mix of thread listings (JSON, HTML
fragment, conditional), share-bar renders, consent pages, form fetches and comment posts
(JSON and form), and returns what happened per route; :func:`check` compares what was
acknowledged with what is stored. Every comment text starts with a run prefix and is
unique, so the check is by text.
"""

from __future__ import annotations

import asyncio
import html
import random
import re
import secrets
import statistics
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx

from bench.loadserver import ORIGIN

ACKNOWLEDGED = {201, 202, 303}
TOKEN = re.compile(r'name="token" value="([^"]+)"')

# went viral, with a busy comment section.
MIX = {
    "list json": 20,
    "list html": 15,
    "list 304": 15,
    "share-bar": 20,
    "consent": 8,
    "form": 4,
    "post json": 9,
    "post form": 9,
}


@dataclass
class Stats:
    """What one route saw: latencies of answered requests, statuses, transport errors."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1]

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500)


@dataclass
class LoadResult:
    """One run: per-route stats, the texts whose post was acknowledged, the wall time."""

    prefix: str
    seconds: float = 0.0
    routes: dict[str, Stats] = field(default_factory=dict)
    acknowledged: set[str] = field(default_factory=set)
    sent: set[str] = field(default_factory=set)

    def route(self, name: str) -> Stats:
        return self.routes.setdefault(name, Stats())

    @property
    def requests(self) -> int:
        return sum(len(s.latencies) for s in self.routes.values())

    @property
    def server_errors(self) -> int:
        return sum(s.server_errors for s in self.routes.values())

    @property
    def errors(self) -> int:
        return sum(sum(s.errors.values()) for s in self.routes.values())

    def unexpected(self) -> dict[str, Counter[int]]:
        """Statuses no request of the mix should get (anything but 2xx, 303 and 304)."""
        found = {}
        for name, stats in self.routes.items():
            odd = Counter(
                {
                    s: n
                    for s, n in stats.statuses.items()
                    if not (200 <= s < 300 or s in (303, 304))
                }
            )
            if odd:
                found[name] = odd
        return found

    def table(self, title: str) -> str:
        lines = [
            f"{title}: {self.requests:,} requests in {self.seconds:.1f} s = "
            f"{self.requests / self.seconds:,.0f} req/s, {self.server_errors} 5xx, "
            f"{self.errors} transport errors",
            f"  {'route':<10} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'5xx':>4} {'errors':>6}  statuses",
        ]
        for name in MIX:
            stats = self.routes.get(name)
            if stats is None:
                continue
            statuses = ", ".join(f"{s}: {n}" for s, n in sorted(stats.statuses.items()))
            lines.append(
                f"  {name:<10} {len(stats.latencies):>9,} "
                f"{len(stats.latencies) / self.seconds:>7,.0f} "
                f"{stats.percentile(50) * 1000:>8.1f} {stats.percentile(99) * 1000:>8.1f} "
                f"{stats.server_errors:>4} {sum(stats.errors.values()):>6}  {statuses}"
            )
        return "\n".join(lines)


@dataclass
class Client:
    """One visitor (behind the trusted proxy, with an address of its own) and what it keeps:
    a form token per thread and the last ETag per listing."""

    number: int
    base: str
    http: httpx.AsyncClient
    result: LoadResult
    threads: list[str]
    rng: random.Random
    tokens: dict[str, str] = field(default_factory=dict)
    etags: dict[str, str] = field(default_factory=dict)
    posted: int = 0

    @property
    def forwarded(self) -> dict[str, str]:
        return {"x-forwarded-for": f"10.{self.number // 250}.{self.number % 250}.7"}

    async def call(
        self, route: str, method: str, url: str, **kwargs: Any
    ) -> httpx.Response | None:
        stats = self.result.route(route)
        headers = {**self.forwarded, **kwargs.pop("headers", {})}
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            stats.errors[type(exc).__name__] += 1
            return None
        stats.latencies.append(time.perf_counter() - started)
        stats.statuses[response.status_code] += 1
        return response

    def page(self, thread: str) -> str:
        return f"{ORIGIN}/{thread}"

    async def token(self, thread: str) -> str | None:
        if thread not in self.tokens:
            params = {"site": "blog", "thread": thread, "url": self.page(thread)}
            response = await self.call("form", "GET", "/comments/new", params=params)
            if response is None or response.status_code != 200:
                return None
            match = TOKEN.search(response.text)
            if match is None:
                raise AssertionError("no token in the comment form")
            self.tokens[thread] = html.unescape(match.group(1))
        return self.tokens[thread]

    async def step(self, action: str) -> None:
        thread = self.rng.choice(self.threads)
        listing = f"/threads/{thread}/comments"
        params = {"site": "blog", "url": self.page(thread)}
        if action == "list json":
            await self.call("list json", "GET", listing, params={**params, "format": "json"})
        elif action == "list html":
            await self.call("list html", "GET", listing, params={**params, "fragment": "1"})
        elif action == "list 304":
            etag = self.etags.get(thread)
            headers = {"if-none-match": etag} if etag else {}
            response = await self.call(
                "list 304", "GET", listing, params={**params, "fragment": "1"}, headers=headers
            )
            if response is not None and "etag" in response.headers:
                self.etags[thread] = response.headers["etag"]
        elif action == "share-bar":
            await self.call(
                "share-bar",
                "GET",
                "/share-bar",
                params={"url": self.page(thread), "title": f"Post {thread}"},
                headers={"origin": ORIGIN},
            )
        elif action == "consent":
            network = self.rng.choice(["facebook", "linkedin", "mastodon", "telegram"])
            await self.call(
                "consent", "GET", f"/share/{network}", params={"url": self.page(thread)}
            )
        elif action == "form":
            self.tokens.pop(thread, None)
            await self.token(thread)
        else:
            await self.post(action, thread)

    async def post(self, action: str, thread: str) -> None:
        token = await self.token(thread)
        if token is None:
            return
        self.posted += 1
        text = f"{self.result.prefix} c{self.number} n{self.posted}: a comment under load."
        fields = {
            "site": "blog",
            "thread": thread,
            "url": self.page(thread),
            "token": token,
            "name": f"Load {self.number}",
            "email": f"load{self.number}@example.org",
            "text": text,
        }
        self.result.sent.add(text)
        if action == "post json":
            response = await self.call(
                "post json", "POST", "/comments", json=fields, headers={"origin": ORIGIN}
            )
        else:
            response = await self.call(
                "post form",
                "POST",
                "/comments",
                data=fields,
                headers={"accept": "text/html", "origin": ORIGIN},
            )
        if response is not None and response.status_code in ACKNOWLEDGED:
            self.result.acknowledged.add(text)


async def run_load(
    base: str,
    clients: int,
    seconds: float,
    mix: dict[str, int] | None = None,
    threads: int = 5,
    seed: int = 7,
    halt: asyncio.Event | None = None,
    result: LoadResult | None = None,
) -> LoadResult:
    """Drive ``clients`` concurrent visitors against ``base`` for ``seconds`` (or until
    ``halt`` is set); each request waits for its answer before the client's next one (a
    closed loop). Pass ``result`` to watch it fill while the load runs."""
    mix = mix or MIX
    result = result or LoadResult(prefix=f"load-{secrets.token_hex(4)}")
    names = [f"post-{n}" for n in range(threads)]
    actions, weights = list(mix), list(mix.values())
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    timeout = httpx.Timeout(30.0)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as http:
        stop = time.monotonic() + seconds

        async def visitor(number: int) -> None:
            rng = random.Random(seed * 1000 + number)
            client = Client(number, base, http, result, names, rng)
            while time.monotonic() < stop and not (halt and halt.is_set()):
                await client.step(rng.choices(actions, weights)[0])

        started = time.monotonic()
        await asyncio.gather(*(visitor(n) for n in range(clients)))
        result.seconds = time.monotonic() - started
    return result


@dataclass
class Check:
    """Acknowledged comments against the database: each must be there exactly once."""

    acknowledged: int
    stored: int
    missing: list[str]
    doubled: list[str]

    @property
    def ok(self) -> bool:
        return not self.missing and not self.doubled

    def __str__(self) -> str:
        verdict = (
            "every acknowledged comment stored exactly once" if self.ok else "LOST OR DOUBLED"
        )
        return (
            f"  {self.acknowledged:,} acknowledged, {self.stored:,} stored, "
            f"{len(self.missing)} missing, {len(self.doubled)} doubled: {verdict}"
        )


def check(acknowledged: Iterable[str], stored: Counter[str]) -> Check:
    acknowledged = set(acknowledged)
    return Check(
        acknowledged=len(acknowledged),
        stored=sum(stored.values()),
        missing=sorted(text for text in acknowledged if stored[text] == 0),
        doubled=sorted(text for text, n in stored.items() if n > 1),
    )
