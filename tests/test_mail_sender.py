"""The mail sender against a real SMTP server on loopback (aiosmtpd).

A posted comment reaches the owner through the outbox; mail queued while the server is
down goes out once it is back, also from a new app on the same database; an event that
never gets through is given up with a warning that names no address. Time is passed to
``run_once`` instead of slept.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings, Site, create_app
from sharekit.mail.context import MailContext
from sharekit.mail.sender import MailSender, backoff
from sharekit.mail.smtp import MailNotSent, SmtpTransport
from sharekit.storage.outbox import QueuedEvent
from tests.comments_support import BLOG, URL
from tests.mail_support import OWNER, SENDER, Inbox, link_in, mail_settings
from tests.test_storage_comments import database_url

COMMENTER = "ada.lovelace@mail.example"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def down() -> Inbox:
    """An SMTP server that is not running (yet): its port refuses connections."""
    return Inbox()


def owner_settings(data_dir: Path, inbox: Inbox, **overrides: Any) -> Settings:
    """Mail settings without reply notifications: only the owners' mail is queued."""
    return mail_settings(data_dir, inbox, comments_reply_notifications=False, **overrides)


def comment(app: Starlette, thread: str = "t1", **fields: Any) -> dict[str, Any]:
    return {
        "site": "blog",
        "thread": thread,
        "url": URL,
        "title": "Wandern im Höllental",
        "token": app.state.sharekit.comments.guard.issue("blog", thread),
        "name": "Ada Lovelace",
        "email": COMMENTER,
        "website": "https://ada.example",
        "text": "Schöne Tour & gute <Fotos>!",
        **fields,
    }


async def post(app: Starlette, **fields: Any) -> dict[str, Any]:
    """Post a comment as JSON; its public form."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post(
            "/comments",
            json=comment(app, **fields),
            headers={"origin": BLOG, "accept-language": "en"},
        )
    assert response.status_code in {201, 202}, response.text
    posted: dict[str, Any] = response.json()["comment"]
    return posted


def sender(app: Starlette) -> MailSender:
    return MailSender(MailContext.of(app.state.sharekit.comments))


async def close(app: Starlette) -> None:
    await app.state.sharekit.database.close()


def test_a_new_comment_mails_the_owner_with_working_links(tmp_path: Path, inbox: Inbox) -> None:
    # A long poll: the mail can only come this soon because posting wakes the sender.
    settings = owner_settings(
        tmp_path,
        inbox,
        comments_moderation="all",
        mail_poll_seconds=300,
        public_url="http://testserver",
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(
            "/comments", json=comment(app), headers={"origin": BLOG, "accept-language": "en"}
        )
        assert response.status_code == 202
        comment_id = response.json()["comment"]["id"]
        (mail,) = inbox.wait(1)
        assert mail.recipients == [OWNER]
        message = mail.message
        assert message["To"] == OWNER
        assert message["From"].addresses[0].addr_spec == SENDER
        assert (
            message["Subject"] == "[Blog] Neuer Kommentar zur Freischaltung: Wandern im Höllental"
        )
        assert message["Auto-Submitted"] == "auto-generated"
        text, html = mail.text(), mail.html()
        assert '<html lang="de">' in html
        for part in (text, html):
            assert "Ada Lovelace" in part
            assert COMMENTER in part  # the owner may see it: only owners get this mail
            assert "https://ada.example" in part
            assert "Wartet auf Freischaltung" in part  # "Awaiting moderation", in German
            assert f"{URL}#comment-{comment_id}" in part
        assert "Schöne Tour & gute <Fotos>!" in text
        assert "Schöne Tour &amp; gute &lt;Fotos&gt;!" in html
        links = re.findall(r"http://testserver/moderate/[\w.\-]+", text)
        assert len(links) == 3
        assert set(re.findall(r"http://testserver/moderate/[\w.\-]+", html)) == set(links)

        approve = link_in(text, "/moderate/")  # the first: approve
        page = client.get(approve)
        assert page.status_code == 200
        assert 'method="post"' in page.text
        assert client.post(approve).status_code == 200
        client.cookies.clear()  # as any reader, not as the author who sees held comments
        listed = client.get("/threads/t1/comments", params={"site": "blog", "format": "json"})
        listed = listed.json()
        assert [(c["id"], c["status"]) for c in listed["comments"]] == [(comment_id, "approved")]
    assert len(inbox.mails) == 1


@pytest.mark.anyio
async def test_a_published_comment_offers_spam_and_delete(tmp_path: Path, inbox: Inbox) -> None:
    app = create_app(owner_settings(tmp_path, inbox, comments_moderation="off"))
    try:
        posted = await post(app)
        assert await sender(app).run_once() == 1
    finally:
        await close(app)
    (mail,) = inbox.mails
    assert mail.message["Subject"] == "[Blog] Neuer Kommentar: Wandern im Höllental"
    text = mail.text()
    assert "Veröffentlicht" in text  # "Published"
    assert "Freigeben:" not in text  # "Approve:"
    assert len(re.findall(r"/sharekit/moderate/", text)) == 2
    # Links live on the site's own origin, below public_url.
    assert link_in(text, "/moderate/").startswith("https://blog.example/sharekit/moderate/")
    assert f"#comment-{posted['id']}" in text


@pytest.mark.anyio
async def test_a_site_mails_its_own_owners_in_one_message(tmp_path: Path, inbox: Inbox) -> None:
    owners = ["ana@blog.example", "bo@blog.example"]
    sites = [Site(key="blog", origins=[BLOG], language="de", name="Blog", notify=owners)]
    app = create_app(owner_settings(tmp_path, inbox, sites=sites))
    try:
        await post(app)
        assert await sender(app).run_once() == 1
    finally:
        await close(app)
    (mail,) = inbox.mails
    assert sorted(mail.recipients) == owners


@pytest.mark.anyio
async def test_a_site_that_notifies_nobody_queues_nothing(tmp_path: Path, inbox: Inbox) -> None:
    sites = [Site(key="blog", origins=[BLOG], notify=[])]
    app = create_app(owner_settings(tmp_path, inbox, sites=sites))
    try:
        await post(app)
        assert await app.state.sharekit.comments.outbox.waiting() == 0
        assert await sender(app).run_once() == 0
    finally:
        await close(app)
    assert inbox.mails == []


@pytest.mark.anyio
async def test_a_comment_deleted_before_the_mail_sends_nothing(
    tmp_path: Path, inbox: Inbox
) -> None:
    app = create_app(owner_settings(tmp_path, inbox))
    try:
        posted = await post(app)
        await app.state.sharekit.moderation.delete([posted["id"]])
        assert await sender(app).run_once() == 1  # finished: nothing to say
        assert await app.state.sharekit.comments.outbox.waiting() == 0
    finally:
        await close(app)
    assert inbox.mails == []


@pytest.mark.anyio
async def test_mail_waits_while_the_server_is_down_and_goes_out_when_it_is_back(
    tmp_path: Path, down: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = create_app(owner_settings(tmp_path, down))
    outbox = app.state.sharekit.comments.outbox
    mails = sender(app)
    try:
        await post(app)
        start = datetime.now(UTC)
        assert await mails.run_once(start) == 0
        assert await outbox.waiting() == 1
        # Not due again before the first pause is over.
        assert await mails.run_once(start + backoff(1) - timedelta(seconds=1)) == 0
        down.start()
        try:
            assert await mails.run_once(start + backoff(1) + timedelta(seconds=1)) == 1
        finally:
            down.stop()
        assert await outbox.waiting() == 0
    finally:
        await close(app)
    assert len(down.mails) == 1
    assert f"connection refused by 127.0.0.1:{down.port}" in caplog.text
    assert_no_address(caplog)


@pytest.mark.anyio
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_queued_mail_survives_a_restart(tmp_path: Path, down: Inbox, backend: str) -> None:
    async with database_url(backend, tmp_path) as url:
        settings = owner_settings(tmp_path, down, database_url=url, auto_migrate=True)
        first = create_app(settings)
        try:
            await post(first)
            assert await sender(first).run_once() == 0  # the server is down
        finally:
            await close(first)
        down.start()
        try:
            second = create_app(settings)  # a new process, as far as sharekit can tell
            try:
                later = datetime.now(UTC) + backoff(1) + timedelta(seconds=1)
                assert await sender(second).run_once(later) == 1
                assert await second.state.sharekit.comments.outbox.waiting() == 0
            finally:
                await close(second)
        finally:
            down.stop()
    (mail,) = down.mails
    assert "Ada Lovelace" in mail.text()


@pytest.mark.anyio
async def test_mail_is_given_up_after_the_last_attempt_with_a_warning_without_addresses(
    tmp_path: Path, down: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = create_app(owner_settings(tmp_path, down, mail_max_attempts=3))
    outbox = app.state.sharekit.comments.outbox
    mails = sender(app)
    try:
        await post(app)
        now = datetime.now(UTC)
        for attempt in (1, 2, 3):
            assert await mails.run_once(now) == 0
            assert await outbox.waiting() == (1 if attempt < 3 else 0)
            now += backoff(attempt) + timedelta(seconds=1)
        assert await mails.run_once(now + timedelta(days=30)) == 0  # nothing left to try
    finally:
        await close(app)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    (warning,) = warnings
    assert "given up after 3 attempts" in warning.getMessage()
    assert f"connection refused by 127.0.0.1:{down.port}" in warning.getMessage()
    assert_no_address(caplog)


def assert_no_address(caplog: pytest.LogCaptureFixture) -> None:
    """No record of this process names an address (the test's SMTP server, ``mail.log``,
    is someone else's and logs the conversation)."""
    for record in caplog.records:
        if record.name.startswith("mail.log"):
            continue
        text = record.getMessage() + (record.exc_text or "")
        for address in (COMMENTER, OWNER, SENDER, "ada.lovelace"):
            assert address not in text, record.getMessage()


@pytest.mark.anyio
async def test_an_unknown_kind_or_a_failing_handler_is_given_up_and_the_rest_is_sent(
    tmp_path: Path, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(context: MailContext, event: QueuedEvent) -> list[EmailMessage]:
        raise ValueError(f"cannot write to {COMMENTER}")

    caplog.set_level(logging.DEBUG)
    app = create_app(owner_settings(tmp_path, inbox))
    context = MailContext.of(app.state.sharekit.comments)
    outbox = context.outbox
    now = datetime.now(UTC)
    try:
        await outbox.put("no-such-kind", {"comment": 1}, now)
        await outbox.put("broken", {"comment": 1}, now)
        await post(app)
        from sharekit.mail.sender import HANDLERS

        mails = MailSender(context, {**HANDLERS, "broken": broken})
        assert await mails.run_once(now + timedelta(seconds=5)) == 1
        assert await outbox.waiting() == 0
    finally:
        await close(app)
    assert len(inbox.mails) == 1
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("unknown kind 'no-such-kind'" in m for m in messages)
    assert any("(broken) failed with ValueError" in m for m in messages)
    assert_no_address(caplog)


@pytest.mark.anyio
async def test_the_transport_logs_in_when_a_user_is_set(tmp_path: Path) -> None:
    server = Inbox()
    server.start(login=True)
    try:
        base = owner_settings(tmp_path, server).smtp
        assert base is not None
        right = base.model_copy(update={"user": "blog", "password": SecretStr("right")})
        wrong = base.model_copy(update={"user": "blog", "password": SecretStr("wrong")})
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = SENDER, OWNER, "Hi"
        message.set_content("Hello")
        await SmtpTransport(right).send(message)
        with pytest.raises(MailNotSent) as refused:
            await SmtpTransport(wrong).send(message)
    finally:
        server.stop()
    # The wrong password is tried with each mechanism the server offers.
    assert server.logins[0] == (b"blog", b"right")
    assert set(server.logins[1:]) == {(b"blog", b"wrong")}
    assert len(server.mails) == 1
    assert str(refused.value).startswith(f"login refused by 127.0.0.1:{server.port}: 535")


def test_the_pauses_between_attempts_add_up_to_about_two_days() -> None:
    pauses = [backoff(attempt) for attempt in range(1, 12)]  # between the 12 attempts
    assert pauses[0] == timedelta(minutes=5)
    assert all(a <= b for a, b in itertools.pairwise(pauses))
    assert max(pauses) == timedelta(hours=8)
    assert timedelta(hours=36) < sum(pauses, timedelta()) < timedelta(hours=48)


def test_the_example_in_the_docs_loads(tmp_path: Path) -> None:
    doc = (Path(__file__).parent.parent / "docs" / "notifications.md").read_text("utf-8")
    found = re.search(r"```toml\n(.*?)```", doc, re.S)
    assert found is not None
    config = tmp_path / "sharekit.toml"
    config.write_text(found.group(1), encoding="utf-8")
    settings = Settings.load(config, data_dir=tmp_path)
    assert settings.smtp is not None
    assert settings.smtp.security == "starttls"
    blog, shop = settings.sites
    assert settings.owner_addresses(blog) == ["owner@example.org"]
    assert settings.owner_addresses(shop) == ["shop-owner@example.org"]
    context = MailContext.of(create_app(settings).state.sharekit.comments)
    assert context.absolute(blog, "/moderate/x") == "https://blog.example/sharekit/moderate/x"


def test_the_sender_starts_again_with_each_lifespan(tmp_path: Path, inbox: Inbox) -> None:
    # Each `with` runs the lifespan in a new event loop, as a restarted server would.
    app = create_app(owner_settings(tmp_path, inbox, mail_poll_seconds=300))
    for round_ in (1, 2):
        with TestClient(app) as client:
            data = comment(app, text=f"Round {round_} of the walk.")
            response = client.post("/comments", json=data, headers={"origin": BLOG})
            assert response.status_code == 201
            inbox.wait(round_)  # woken at once, not after the five-minute poll
    first, second = (mail.text() for mail in inbox.mails)
    assert "Round 1 of the walk." in first
    assert "Round 2 of the walk." in second


@pytest.mark.anyio
async def test_the_sender_stops_even_when_a_library_swallows_the_cancellation(
    tmp_path: Path, inbox: Inbox
) -> None:
    started = asyncio.Event()

    async def stubborn(context: MailContext, event: QueuedEvent) -> list[EmailMessage]:
        started.set()
        with contextlib.suppress(asyncio.CancelledError):  # as a driver's pool may do
            await asyncio.sleep(30)
        return []

    app = create_app(owner_settings(tmp_path, inbox, mail_poll_seconds=300))
    context = MailContext.of(app.state.sharekit.comments)
    try:
        await context.outbox.put("stubborn", {}, datetime.now(UTC))
        task = asyncio.create_task(MailSender(context, {"stubborn": stubborn}).forever())
        await asyncio.wait_for(started.wait(), 5)
        task.cancel()
        finished, _ = await asyncio.wait({task}, timeout=5)  # not after the 300 s poll
        assert task in finished
        assert task.cancelled()
    finally:
        await close(app)
