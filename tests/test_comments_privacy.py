"""A commenter's email address never leaves the service, and no visitor address is stored.

Comments are posted in every way (form and JSON, approved and held, replies, refused ones)
with unique addresses; then every public route is requested, and neither the addresses nor
their local parts may appear in any response body or header, or in any log record. The
database must hold no client address, only keyed hashes of networks.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings
from tests import comments_support as support
from tests.comments_support import BLOG, THREE_LINKS, URL

IPV4 = "203.0.114.9"
IPV6 = "2001:db8:0:1::7"
# What must never be stored: the peers' addresses and the networks they anonymise to (the
# default peer of Starlette's TestClient is the host name "testclient").
RAW_ADDRESSES = ["testclient", IPV4, "203.0.114.0", IPV6, "2001:db8:0:1::", "2001:db8::"]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Share counts on too, so their routes are scanned as well."""
    return support.make_settings(data_dir, **{"share_counts": True, **overrides})


def address(label: str) -> str:
    return f"leak-{label}-{uuid.uuid4().hex}@example.org"


def local_part(email: str) -> str:
    return email.split("@", 1)[0]


@dataclass
class Scenario:
    """Everything the service answered, and the addresses it was told."""

    settings: Settings
    addresses: list[str] = field(default_factory=list)
    stored: set[str] = field(default_factory=set)  # addresses of the comments accepted
    responses: list[tuple[str, httpx.Response]] = field(default_factory=list)
    # The refused form comes back with what its visitor typed, their own address included.
    echo: tuple[str, httpx.Response] | None = None

    def keep(self, label: str, response: httpx.Response) -> httpx.Response:
        assert response.status_code < 500, (label, response.text)
        self.responses.append((label, response))
        return response

    def posted(self, label: str, data: dict[str, Any], response: httpx.Response) -> httpx.Response:
        self.keep(label, response)
        if response.status_code in {201, 202, 303}:
            self.stored.add(data["email"])
        return response


def _token(app: Starlette, thread: str = "t1") -> str:
    return str(app.state.sharekit.comments.guard.issue("blog", thread))


def _comment(app: Starlette, email: str, thread: str = "t1", **fields: Any) -> dict[str, Any]:
    return {
        "site": "blog",
        "thread": thread,
        "url": URL,
        "token": _token(app, thread),
        "name": "Ada",
        "email": email,
        "text": f"A comment from {uuid.uuid4().hex[:8]}",
        **fields,
    }


def _comment_id(response: httpx.Response) -> int:
    if response.status_code == 303:
        found = re.search(r"#comment-(\d+)$", response.headers["location"])
        assert found is not None
        return int(found.group(1))
    return int(response.json()["comment"]["id"])


def run(app: Starlette, settings: Settings) -> Scenario:
    """Post comments every way, then read every public route."""
    scenario = Scenario(settings)
    json_headers = {"origin": BLOG, "accept-language": "en"}
    form_headers = {"accept-language": "en"}

    def new(label: str) -> str:
        email = address(label)
        scenario.addresses.append(email)
        return email

    with ExitStack() as stack:
        main = stack.enter_context(
            TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        )
        ipv4 = stack.enter_context(
            TestClient(
                app, raise_server_exceptions=False, follow_redirects=False, client=(IPV4, 1)
            )
        )
        ipv6 = stack.enter_context(
            TestClient(
                app, raise_server_exceptions=False, follow_redirects=False, client=(IPV6, 1)
            )
        )
        clients = {"main": main, "ipv4": ipv4, "ipv6": ipv6}

        # Posting, every way.
        def send(
            label: str, client: TestClient, data: dict[str, Any], as_json: bool
        ) -> httpx.Response:
            if as_json:
                response = client.post("/comments", json=data, headers=json_headers)
            else:
                response = client.post("/comments", data=data, headers=form_headers)
            return scenario.posted(label, data, response)

        form_root = send("form approved", main, _comment(app, new("form")), False)
        assert form_root.status_code == 303
        first = _comment(app, new("json"))
        json_root = send("json approved", ipv4, first, True)
        assert json_root.status_code == 201
        held = send("json held", ipv6, _comment(app, new("held"), text=THREE_LINKS), True)
        assert held.status_code == 202
        held_data = _comment(app, new("formheld"), text=THREE_LINKS + " (form)")
        form_held = send("form held", main, held_data, False)
        assert form_held.status_code == 303
        reply_data = _comment(app, new("reply"), parent=_comment_id(json_root))
        reply = send("json reply", main, reply_data, True)
        assert reply.status_code == 201
        deeper = _comment(app, new("formreply"), parent=str(_comment_id(reply)))
        assert send("form reply", ipv4, deeper, False).status_code == 303
        elsewhere = _comment(app, new("t2"), "t2")
        assert send("other thread", ipv6, elsewhere, False).status_code == 303
        again = {**first, "email": first["email"].upper(), "text": first["text"].upper()}
        assert send("json duplicate", ipv4, again, True).status_code == 409
        refused = _comment(app, new("refusedjson"), text="x")
        assert send("json refused", main, refused, True).status_code == 422
        under_held = _comment(app, new("heldreply"), parent=_comment_id(form_held))
        assert send("reply to held", main, under_held, True).status_code == 201
        echo_email = new("echo")
        echo = main.post(
            "/comments", data=_comment(app, echo_email, text="x"), headers=form_headers
        )
        assert echo.status_code == 422
        scenario.echo = (echo_email, echo)

        # Reading, every public route, as each visitor.
        parent = _comment_id(json_root)
        for name, client in clients.items():

            def get(
                label: str, path: str, client: TestClient = client, who: str = name, **options: Any
            ) -> None:
                scenario.keep(f"{who}: {label}", client.get(path, **options))

            def post(
                label: str, path: str, client: TestClient = client, who: str = name, **options: Any
            ) -> None:
                scenario.keep(f"{who}: {label}", client.post(path, **options))

            for thread in ("t1", "t2"):
                listing = f"/threads/{thread}/comments"
                get("json", listing, params={"site": "blog", "format": "json"})
                get(
                    "json newest",
                    listing,
                    params={"site": "blog", "format": "json", "order": "newest"},
                )
                get(
                    "json accept",
                    listing,
                    params={"site": "blog"},
                    headers={"accept": "application/json"},
                )
                get("page", listing, params={"site": "blog", "url": URL, "title": "Post"})
                get("fragment", listing, params={"site": "blog", "url": URL, "fragment": "1"})
                get("cors", listing, params={"site": "blog", "url": URL}, headers={"origin": BLOG})
                get("by url", listing, params={"url": URL})
            get(
                "new form",
                "/comments/new",
                params={"site": "blog", "thread": "t1", "url": URL, "parent": str(parent)},
            )
            post(
                "preview",
                "/comments/preview",
                json={"site": "blog", "text": "A *draft* with https://a.example"},
                headers={"origin": BLOG},
            )
            post(
                "counts",
                "/api/comment-counts",
                json={"site": "blog", "threads": ["t1", "t2", "t3"]},
                headers={"origin": BLOG},
            )
            post("counts refused", "/api/comment-counts", json={"threads": 1})
            get("share info", "/share/info")
            get("share consent", "/share/mastodon", params={"url": URL, "title": "Post"})
            get("share bar", "/share-bar", params={"url": URL})
            get("share counts", "/api/counts", params={"url": URL})
            post(
                "share confirm",
                "/share/bluesky",
                data={"url": URL, "title": "Post"},
            )
            post("share record", "/api/share", data={"url": URL, "network": "bluesky"})
            get("404", "/no/such/page")
            get("404 json", "/no/such/page", headers={"accept": "application/json"})
            get("405", "/comments")
            post("405 post", "/comments/new")
            get("index", "/")
            get("health", "/healthz")
            # Moderation links of owner mails: the question page, a used link (its status
            # is stale, so nothing changes) and a link to a comment that does not exist.
            moderate = app.state.sharekit.comments.links.moderate
            held_id = _comment_id(held)
            get("moderate page", f"/moderate/{moderate(held_id, 'approve', 'pending')}")
            get("moderate published", f"/moderate/{moderate(parent, 'spam', 'approved')}")
            post("moderate used", f"/moderate/{moderate(held_id, 'spam', 'approved')}")
            get("moderate gone", f"/moderate/{moderate(10**6, 'delete', 'pending')}")
            # Reply notification links naming a commenter's address (no subscription
            # exists without SMTP: the pages that say so must not repeat it either).
            links = app.state.sharekit.comments.links
            known = sorted(scenario.stored)[0]
            for kind, token in (
                ("confirm", links.confirm(1, known)),
                ("unsubscribe", links.unsubscribe(1, known)),
                ("unsubscribe", "tampered." + links.unsubscribe(1, known)),
            ):
                get(f"replies {kind} page", f"/replies/{kind}/{token}")
                post(f"replies {kind}", f"/replies/{kind}/{token}")
            one_click = {"List-Unsubscribe": "One-Click"}
            genuine = links.unsubscribe(1, known)
            post("one-click", f"/replies/unsubscribe/{genuine}", data=one_click)
            # The erase link in commenters' mails: its page shows the address masked only
            # (a GET: the POST would erase what the checks below count).
            erase = links.erase("blog", known)
            get("erase page", f"/privacy/erase/{erase}")
            get("erase tampered", f"/privacy/erase/tampered.{erase}")
    return scenario


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def scenario(app: Starlette, settings: Settings, caplog: pytest.LogCaptureFixture) -> Scenario:
    caplog.set_level(logging.DEBUG)
    return run(app, settings)


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """Every record of the test, the scenario (run while setting up) included."""
    return [*caplog.get_records("setup"), *caplog.get_records("call")]


def _needles(email: str) -> list[str]:
    return [email.lower(), local_part(email).lower()]


def _leaks(text: str, addresses: list[str]) -> list[str]:
    haystack = text.lower()
    return [needle for email in addresses for needle in _needles(email) if needle in haystack]


def _response_text(response: httpx.Response) -> str:
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.multi_items())
    return f"{headers}\n\n{response.content.decode('utf-8', 'replace')}"


def _record_text(record: logging.LogRecord) -> str:
    parts = [record.name, record.getMessage()]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def test_no_address_in_any_response(scenario: Scenario) -> None:
    assert len(scenario.addresses) == 10
    assert len(scenario.responses) > 90
    for label, response in scenario.responses:
        assert _leaks(_response_text(response), scenario.addresses) == [], label


def test_the_posting_responses_carry_no_address(scenario: Scenario) -> None:
    posted = [r for label, r in scenario.responses if r.request.url.path == "/comments"]
    assert {r.status_code for r in posted} >= {201, 202, 303, 409, 422}
    for response in posted:
        if response.headers.get("content-type") == "application/json":
            assert "email" not in response.text
        assert _leaks(_response_text(response), scenario.addresses) == []


def test_the_refused_form_echoes_only_its_own_visitors_address(scenario: Scenario) -> None:
    assert scenario.echo is not None
    own, response = scenario.echo
    text = _response_text(response)
    assert own in text  # kept in the field, for the visitor to correct and send again
    others = [email for email in scenario.addresses if email != own]
    assert _leaks(text, others) == []
    for _label, other in scenario.responses:
        assert _leaks(_response_text(other), [own]) == []


def test_the_published_views_show_the_comments(scenario: Scenario) -> None:
    """The scan above saw real content: every approved comment is listed."""
    listings = [
        r
        for label, r in scenario.responses
        if label == "ipv4: json" and r.json()["thread"] == "t1"
    ]
    assert listings
    assert listings[0].json()["total"] == 5  # two roots, three replies; two held


def test_no_address_in_sharekits_log_records(
    scenario: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    records = [r for r in _records(caplog) if not r.name.startswith("aiosqlite")]
    assert records  # DEBUG capture works
    for record in records:
        assert _leaks(_record_text(record), scenario.addresses) == [], record.name


def test_no_address_in_any_log_record(
    scenario: Scenario, caplog: pytest.LogCaptureFixture
) -> None:
    for record in _records(caplog):
        assert _leaks(_record_text(record), scenario.addresses) == [], record.name


def _text_values(db: sqlite3.Connection) -> Iterator[tuple[str, str, str]]:
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert {"comments", "rate_events", "threads"} <= set(tables)
    for table in tables:
        columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
        for row in db.execute(f'SELECT * FROM "{table}"'):
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                if isinstance(value, str):
                    yield table, column, value


def test_the_database_holds_no_client_address(scenario: Scenario) -> None:
    path = scenario.settings.data_dir / "sharekit.db"
    with closing(sqlite3.connect(path)) as db:
        values = list(_text_values(db))
        emails = {v for table, column, v in values if (table, column) == ("comments", "email")}
        client_keys = [v for table, column, v in values if column in {"client_key", "client"}]
    assert emails == scenario.stored  # the scan reads every text column
    assert len(scenario.stored) == 8
    assert client_keys
    assert all(re.fullmatch(r"[0-9a-f]{16,64}", key) for key in client_keys)
    for table, column, value in values:
        lowered = value.lower()
        for raw in RAW_ADDRESSES:
            assert raw.lower() not in lowered, (table, column, raw)


def test_no_client_address_anywhere_in_the_database_files(scenario: Scenario) -> None:
    files = list(scenario.settings.data_dir.glob("sharekit.db*"))
    assert files
    for path in files:
        content = path.read_bytes().lower()
        for raw in RAW_ADDRESSES:
            assert raw.lower().encode() not in content, (path.name, raw)
