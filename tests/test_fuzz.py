"""Schema-driven fuzzing of every operation in the service's OpenAPI document.

Each operation gets requests generated from its own schemas (``from_schema`` below turns
the JSON-schema subset the document uses into Hypothesis strategies: hypothesis-jsonschema
0.23 breaks on current Hypothesis), mixed with known-good values (a real form token, mail
links, a comment id, author and admin cookies) so that the success paths are reached too,
and with hostile variants: wrong types, huge strings, control characters, invalid UTF-8,
wrong or missing content types, broken JSON.
Requests go to the real app through raw ASGI scopes, so bytes a client library would
refuse to send (invalid UTF-8 in a path, query or header) reach the service as a server
would hand them over.

For every case: no 5xx; the status, media type and (JSON) body are the documented ones;
and a rejected request (any 4xx) adds, removes or replaces no row of any table (rows and
highest rowid of each table, before and after).

``SHAREKIT_FUZZ_EXAMPLES`` sets the examples per operation (default 60: about 2,300
cases); the seed is fixed (``derandomize``), so CI runs are repeatable.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.types import Message

from sharekit import Settings, create_app
from sharekit.openapi import openapi_schema
from tests.admin_support import PEER, admin_settings, csrf, log_in
from tests.comments_support import BLOG, URL, post_form, submission, token

Document = dict[str, Any]

# About 2,300 requests: 40-60 s of wall time on a shared 2-core machine.
pytestmark = pytest.mark.slow

settings.register_profile(
    "sharekit-fuzz",
    max_examples=int(os.environ.get("SHAREKIT_FUZZ_EXAMPLES", "60")),
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("sharekit-fuzz")

# Tables a rejected request must not touch; the test also checks the database has them.
TABLES = {
    "comments",
    "threads",
    "subscriptions",
    "outbox",
    "rate_events",
    "share_events",
    "sites",
}
# A failed admin login is answered 403 (or 429 once too many) and must be counted, or
# password guessing would be free: that is the documented purpose of ``rate_events`` for
# ``/admin/login``. So for that one operation a 4xx may add rate_events rows (and only
# those, and only rows; every other table is still checked). Everywhere else a 4xx must
# leave rate_events alone too: a comment rejected as invalid must not count against the
# visitor's flood limit.
MAY_COUNT_ON_REJECTION = {("post", "/admin/login"): {"rate_events"}}
# The mail sender runs in the background while requests are made and deletes the outbox
# rows it is done with (here: gives up on, as nobody listens on the SMTP port). So an
# outbox row may vanish during any request; a row added by a rejected one still fails.
BACKGROUND_DELETES = {"outbox"}

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "\x01\x02\x1b[31m\x7f",
    "line\r\nInjected: header",
    "\u202egnp.exe",
    "\ufeff\u200b",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "'; DROP TABLE comments; --",
    "../../../../etc/passwd",
    "%00%ff%fe",
    "-1",
    "0",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "true",
    "null",
    "[]",
    "{}",
    "x" * 5000,
    "ü" * 70_000,
    "😀" * 300,
]
# Bytes a server hands over unchanged: invalid UTF-8, overlong forms, lone surrogates.
HOSTILE_BYTES = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\x80abc", b"\xfe\xff\x00"]
CONTENT_TYPES = [
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=xyz",
    "text/plain",
    "application/json; charset=latin-1",
    "application/x-www-form-urlencoded; charset=\xff",
    "",
    "../..",
]


@dataclass
class Answer:
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    error: BaseException | None = None

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.decode("latin-1").lower() == name:
                return value.decode("latin-1")
        return None


async def call(
    app: Starlette,
    method: str,
    raw_path: bytes,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
) -> Answer:
    """One request through the app as an ASGI server would make it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        # Servers decode the path like this: invalid UTF-8 becomes U+FFFD.
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver"), *headers],
        "client": PEER,
        "server": ("testserver", 80),
    }
    answer = Answer()
    done = anyio.Event()
    body_sent = False

    async def receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    except Exception as error:  # the status 500 was sent already, or is recorded here
        answer.error = error
        answer.status = answer.status or 500
    done.set()
    return answer


def from_schema(service: Service, schema: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that a JSON schema (the subset the document uses) allows; constraints this
    does not know, it leaves to the service to reject."""
    schema = service.resolve(schema)
    if not isinstance(schema, dict) or depth > 6:
        return st.none()
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of(*(from_schema(service, item, depth + 1) for item in schema[key]))
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for item in schema["allOf"]:
            merged.update(service.resolve(item))
        return from_schema(service, merged, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of(*(from_schema(service, {**schema, "type": k}, depth) for k in kind))
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        if schema.get("format") == "email":
            return st.emails()
        size = {"min_size": schema.get("minLength", 0), "max_size": schema.get("maxLength")}
        return (
            st.text(**size)
            if (size["max_size"] or 0) <= 500
            else st.text(**{**size, "max_size": 500})
        )
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(schema.get("minimum"), schema.get("maximum"), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        items = from_schema(service, schema.get("items", {}), depth + 1)
        return st.lists(items, max_size=min(schema.get("maxItems", 5), 5))
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {
                k: from_schema(service, v, depth + 1)
                for k, v in properties.items()
                if k in required
            },
            optional={
                k: from_schema(service, v, depth + 1)
                for k, v in properties.items()
                if k not in required
            },
        )
    return JSON


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


def _first_comment(app: Starlette) -> dict[str, str]:
    return submission(app, text="Ein erster Kommentar zum Testen.", notify="1")


class Service:
    """The app under test, a client running its lifespan, and known-good values."""

    def __init__(self, app: Starlette, client: TestClient, database: Path) -> None:
        self.app = app
        self.client = client
        self.db = sqlite3.connect(database, check_same_thread=False)
        self._count_query: str | None = None
        self._tables: list[str] = []
        self.document: Document = client.get("/openapi.json").json()
        posted = post_form(client, _first_comment(app))
        assert posted.status_code == 303, posted.text
        comment_id = int(posted.headers["location"].rpartition("-")[2])
        own = client.cookies.get("sharekit_own")
        assert own, "posting set no author cookie"
        client.cookies.clear()
        (subscription,) = self.db.execute("SELECT id FROM subscriptions").fetchone()
        links = app.state.sharekit.comments.links
        log_in(client)
        session = client.cookies.get("sharekit_admin")
        assert session, "logging in set no admin cookie"
        self.good: dict[str, list[Any]] = {
            "site": ["blog"],
            "thread": ["t1"],
            "url": [URL],
            # The form's token, and the signed links of mails (moderation, replies, erase).
            "token": [
                token(app, "blog", "t1"),
                "x.y.z",
                links.moderate(comment_id, "approve", "pending"),
                links.confirm(subscription, "ada@example.org"),
                links.unsubscribe(subscription, "ada@example.org"),
                links.erase("blog", "ada@example.org"),
            ],
            "comment": [comment_id],
            "name": ["Ada"],
            "email": ["ada@example.org"],
            "text": ["Ein Kommentar, der gespeichert werden darf.", "Gut gesagt!"],
            "csrf": [csrf(client)],
            "sharekit_own": [own],
            "sharekit_admin": [session],
            "password": ["wrong password"],
            "ids": [str(comment_id)],
            "action": ["approve", "spam", "delete"],
        }
        client.cookies.clear()

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def schema(self, schema: Any) -> Document:
        """A schema with the document's components, so references resolve."""
        return {**schema, "components": self.document["components"]}

    def counts(self) -> dict[str, tuple[int, int]]:
        """Rows and the highest rowid per table, in one query on a connection of its own."""
        if self._count_query is None:
            names = [
                row[0]
                for row in self.db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'"
                )
            ]
            self._tables = names
            self._count_query = "SELECT " + ", ".join(
                f'(SELECT count(*) FROM "{name}"), (SELECT coalesce(max(rowid), 0) FROM "{name}")'
                for name in names
            )
        row = [int(value) for value in self.db.execute(self._count_query).fetchone()]
        return {name: (row[2 * i], row[2 * i + 1]) for i, name in enumerate(self._tables)}


def changed_rows(
    before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], may_add: set[str]
) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    """Tables whose rows a rejected request changed: (rows, highest rowid) before and after."""
    changed = {}
    for name, (count, top) in before.items():
        now_count, now_top = after[name]
        if name in may_add:
            wrong = now_count < count
        elif name in BACKGROUND_DELETES:
            wrong = now_top > top or now_count > count
        else:
            wrong = (now_count, now_top) != (count, top)
        if wrong:
            changed[name] = ((count, top), (now_count, now_top))
    return changed


async def _page(url: str) -> str | None:
    # The print view and PDF take pages from here: the fuzz never leaves the machine.
    if url.startswith(BLOG):
        return (
            "<html><head><title>Post</title></head><body><article><h1>Post</h1>"
            "<p>Text of the post.</p></article></body></html>"
        )
    return None


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    data_dir = tmp_path_factory.mktemp("fuzz")
    app = create_app(_settings(data_dir), content_providers={"blog": _page, "other": _page})
    options: dict[str, Any] = {"raise_server_exceptions": False, "follow_redirects": False}
    with TestClient(app, client=PEER, **options) as client:
        service = Service(app, client, data_dir / "sharekit.db")
        with closing(service.db):
            yield service


def _settings(data_dir: Path) -> Settings:
    """Comments, the admin, and mail to a port nobody listens on (mail is only queued
    during a request; the background sender's failures are its own business)."""
    smtp = {
        "host": "127.0.0.1",
        "port": 9,
        "security": "none",
        "sender": "sharekit@example.org",
        "to": ["owner@example.org"],
        "timeout": 1,
    }
    return admin_settings(data_dir, smtp=smtp, comments_moderation="first", share_counts=True)


def _operations() -> list[tuple[str, str]]:
    # At collection time: the operations of a service configured like the one under test.
    document = openapi_schema(_settings(Path("fuzz-collection")))
    return [
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


OPERATIONS = _operations()
SLASHED = {"thread", "name"}  # path parameters whose routes take the rest of the path


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _value(service: Service, name: str, schema: Any) -> st.SearchStrategy[bytes]:
    """An encoded value for a parameter or form field: from its schema, known-good, or
    hostile."""
    typed = from_schema(service, schema or {}).map(_text)
    choices: list[st.SearchStrategy[str]] = [typed, st.sampled_from(HOSTILE_TEXT), st.text()]
    good = service.good.get(name)
    if good:
        choices.insert(0, st.sampled_from([_text(item) for item in good]))
    encoded = st.one_of(*choices).map(lambda text: text.encode("utf-8", "surrogatepass"))
    return st.one_of(encoded, encoded, st.sampled_from(HOSTILE_BYTES))


def _pairs(items: list[tuple[str, bytes]], separator: str = "&") -> bytes:
    return separator.encode().join(
        quote(key).encode() + b"=" + quote(value, safe="").encode() for key, value in items
    )


@dataclass(frozen=True)
class Fuzzed:
    """A generated request; shown shortened (a failing case may carry a body of megabytes)."""

    method: str
    raw_path: bytes
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def __repr__(self) -> str:
        def cut(value: object) -> str:
            text = repr(value)
            return text if len(text) <= 2000 else f"{text[:2000]}... ({len(text)} characters)"

        parts = ", ".join(f"{name}={cut(getattr(self, name))}" for name in self.__annotations__)
        return f"Fuzzed({parts})"


@st.composite
def requests(draw: st.DrawFn, service: Service, method: str, path: str) -> Fuzzed:
    operation = service.document["paths"][path][method]
    parameters = [service.resolve(item) for item in operation.get("parameters", [])]
    raw_path = path
    query: list[tuple[str, bytes]] = []
    cookies: list[tuple[str, bytes]] = []
    headers: list[tuple[bytes, bytes]] = []
    for parameter in parameters:
        where, name = parameter["in"], parameter["name"]
        if where != "path" and not draw(st.booleans()):
            continue
        value = draw(_value(service, name, parameter.get("schema")), label=name)
        if where == "path":
            if name not in SLASHED:
                # "/" (even as %2F, which servers decode) would make it another path, one
                # the router answers 404 for, whatever the operation documents.
                value = value.replace(b"/", b"_")
            # Invalid UTF-8 stays percent-encoded in raw_path; servers decode it lossily.
            raw_path = raw_path.replace("{" + name + "}", quote(value, safe="") or "x")
        elif where == "query":
            query.append((name, value))
        elif where == "cookie":
            cookies.append((name, value))
        else:
            headers.append((name.lower().encode(), _header_safe(value)))
    if cookies:
        joined = b"; ".join(name.encode() + b"=" + _header_safe(v) for name, v in cookies)
        headers.append((b"cookie", joined))
    headers.append((b"accept-language", draw(st.sampled_from([b"en", b"de", b"\xff;q=x"]))))
    if draw(st.booleans()):
        headers.append((b"origin", draw(st.sampled_from([BLOG.encode(), b"null", b"\xff"]))))
    if draw(st.integers(0, 9)) == 0:  # unknown query parameters must be harmless too
        query.append((draw(st.sampled_from(["x", "\x00", "site[]"])), b"1"))
    body = b""
    content = operation.get("requestBody", {}).get("content", {})
    if method == "post":
        body, content_type = draw(_body(service, content))
        if content_type is not None:
            headers.append((b"content-type", content_type))
    headers.append((b"content-length", str(len(body)).encode()))
    return Fuzzed(method.upper(), raw_path.encode("ascii"), _pairs(query), headers, body)


def _header_safe(value: bytes) -> bytes:
    # HTTP servers refuse CR, LF and NUL in header values before the app sees them.
    return value.replace(b"\r", b"").replace(b"\n", b"").replace(b"\x00", b"")


@st.composite
def _body(
    draw: st.DrawFn, service: Service, content: dict[str, Any]
) -> tuple[bytes, bytes | None]:
    media = draw(st.sampled_from(sorted(content) or ["none"]))
    kind = draw(st.sampled_from(["schema", "schema", "schema", "good", "hostile"]))
    schema = content.get(media, {}).get("schema", {})
    if kind == "hostile" or media == "none":
        body = draw(
            st.one_of(
                st.sampled_from([b"{", b"[]", b"null", b'{"a":' * 50, b"\xff\xfe", b"a=%ff&b"]),
                st.binary(max_size=200),
                st.just(b"x" * 2_000_000),
            )
        )
        content_type = draw(st.sampled_from(CONTENT_TYPES)).encode("latin-1")
        return body, content_type or None
    data = draw(st.one_of(from_schema(service, schema), from_schema(service, schema), JSON))
    if kind == "good" and isinstance(data, dict):
        for name in sorted(service.resolve(schema).get("properties", {})):
            if name in service.good and draw(st.booleans()):
                data[name] = draw(st.sampled_from(service.good[name]))
    if media == "application/json":
        return json.dumps(data).encode(), b"application/json"
    items: list[tuple[str, bytes]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            for item in value if isinstance(value, list) else [value]:
                items.append((key, _text(item).encode("utf-8", "surrogatepass")))
    if media.startswith("multipart/"):
        return _multipart(items), b"multipart/form-data; boundary=sharekitfuzz"
    return _pairs(items), media.encode()


def _multipart(items: list[tuple[str, bytes]]) -> bytes:
    parts = [
        b'--sharekitfuzz\r\nContent-Disposition: form-data; name="'
        + key.encode("utf-8", "surrogatepass").replace(b'"', b"%22")
        + b'"\r\n\r\n'
        + value
        + b"\r\n"
        for key, value in items
    ]
    return b"".join(parts) + b"--sharekitfuzz--\r\n"


def check(service: Service, method: str, path: str, answer: Answer) -> None:
    """The answer is one the document promises for this operation."""
    assert answer.error is None, f"{method} {path}: {answer.error!r}"
    assert answer.status < 500, f"{method} {path}: {answer.status}"
    responses = service.document["paths"][path][method]["responses"]
    documented = service.resolve(responses.get(str(answer.status)))
    assert documented is not None, f"{method} {path}: {answer.status} not documented"
    if answer.status in (204, 304) or not answer.body:
        return
    media = (answer.header("content-type") or "").split(";")[0].strip()
    assert media in documented.get("content", {}), f"{method} {path}: {media} undocumented"
    if media == "application/json":
        schema = documented["content"][media].get("schema", {})
        Draft202012Validator(service.schema(schema)).validate(json.loads(answer.body))
    elif media == "text/html":
        page = answer.body.decode("utf-8").strip()
        # A whole page, or a fragment (the share bar, a thread's section) to embed.
        assert page.startswith("<"), page[:200]
        if page.lower().startswith("<!doctype html>"):
            assert page.endswith("</html>"), page[-200:]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_survives_generated_requests(service: Service, method: str, path: str) -> None:
    statuses: set[int] = set()

    @FUZZ
    @given(request=requests(service, method, path))
    def run(request: Fuzzed) -> None:
        before = service.counts()
        assert service.client.portal is not None
        answer = service.client.portal.call(
            partial(
                call,
                service.app,
                request.method,
                request.raw_path,
                request.query,
                request.headers,
                request.body,
            )
        )
        statuses.add(answer.status)
        check(service, method, path, answer)
        if 400 <= answer.status < 500:
            after = service.counts()
            allowed = MAY_COUNT_ON_REJECTION.get((method, path), set())
            changed = changed_rows(before, after, allowed)
            assert not changed, f"{method} {path} {answer.status} changed rows: {changed}"

    run()
    assert statuses, "no request was made"


def test_database_has_every_table_checked(service: Service) -> None:
    assert service.counts().keys() >= TABLES


def test_every_operation_is_fuzzed(service: Service) -> None:
    # The operations were read at collection time: the live document must have no others.
    live = {
        (method, path)
        for path, item in service.document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert live == set(OPERATIONS)
