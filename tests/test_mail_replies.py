"""Reply notifications end to end: the real app, the real outbox, a real SMTP server
(aiosmtpd on 127.0.0.1) receiving every mail.

Double opt-in (one confirmation mail, nothing else before the link's POST), replies to
confirmed subscribers only (never to the reply's own author, never for a held comment
until it is approved), unsubscribing by link and by RFC 8058 one-click POST, the
``List-Unsubscribe`` headers, header injection through names and titles, and bad tokens.
"""

from __future__ import annotations

import email
import email.policy
import functools
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from starlette.applications import Starlette
from starlette.testclient import TestClient

from sharekit import Settings, create_app
from sharekit.mail import replies
from sharekit.mail.sender import MailContext, MailSender
from sharekit.settings import Smtp
from sharekit.state import AppState
from sharekit.storage.outbox import QueuedEvent
from sharekit.storage.records import StoredComment
from sharekit.storage.subscriptions import StoredSubscription, SubscriptionStore
from tests.comments_support import BLOG, THREE_LINKS, URL, make_settings, parse
from tests.test_openapi import conforms

SENDER = "comments@blog.example"
ANA = "ana@mail.example"
BEA = "bea@mail.example"
CEM = "cem@mail.example"
ONE_CLICK = "List-Unsubscribe=One-Click"
LINK = re.compile(r"https://blog\.example/sharekit(/(?:replies|privacy)/[a-z]+/[A-Za-z0-9_.\-]+)")
# Every header a reply notification has: nothing more may appear.
REPLY_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "auto-submitted",
}


@dataclass
class Received:
    """One mail as the SMTP server got it."""

    recipients: list[str]
    message: EmailMessage
    raw: bytes

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    def link(self, kind: str) -> str:
        """The path of the ``/replies/<kind>/…`` or ``/privacy/<kind>/…`` link in the text."""
        paths = [path for path in LINK.findall(self.text) if path.split("/")[2] == kind]
        assert len(set(paths)) == 1, (kind, paths)
        return paths[0]


class Mailbox:
    """An aiosmtpd handler keeping every mail, parsed."""

    def __init__(self) -> None:
        self.mails: list[Received] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.mails.append(Received(list(envelope.rcpt_tos), message, raw))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [mail for mail in self.mails if address in mail.recipients]


def header_names(mail: Received) -> list[str]:
    """Every header field of a mail, repeated ones as often as they occur."""
    return sorted(name.lower() for name in mail.message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def settings(tmp_path: Path, mailbox: tuple[Mailbox, int]) -> Settings:
    smtp = Smtp(host="127.0.0.1", port=mailbox[1], security="none", sender=SENDER, timeout=5)
    return make_settings(tmp_path, smtp=smtp)


@pytest.fixture
def box(mailbox: tuple[Mailbox, int]) -> Mailbox:
    return mailbox[0]


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


class Site:
    """The app as its visitors and its mail sender see it."""

    def __init__(self, app: Starlette, client: TestClient) -> None:
        self.app = app
        self.client = client
        self.state: AppState = app.state.sharekit
        self.subscriptions = SubscriptionStore(self.state.database)
        self.sender = MailSender(MailContext.of(self.state.comments))

    def call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a coroutine function on the app's event loop."""
        portal = self.client.portal
        assert portal is not None
        return portal.call(functools.partial(function, *args, **kwargs))

    def post(
        self,
        name: str,
        address: str,
        text: str,
        *,
        notify: bool = False,
        parent: int | None = None,
        thread: str = "t1",
    ) -> int:
        data = {
            "site": "blog",
            "thread": thread,
            "url": URL,
            "title": "A walk in the hills",
            "token": self.state.comments.guard.issue("blog", thread),
            "name": name,
            "email": address,
            "text": text,
            "parent": str(parent or ""),
            **({"notify": "1"} if notify else {}),
        }
        response = self.client.post("/comments", data=data, headers={"accept-language": "en"})
        assert response.status_code == 303, response.text
        found = re.search(r"#comment-(\d+)$", response.headers["location"])
        assert found is not None
        return int(found.group(1))

    def deliver(self) -> None:
        """Send everything due (the app's own background sender may take part)."""
        deadline = time.monotonic() + 15
        while True:
            self.call(self.sender.run_once)
            if self.call(self.state.comments.outbox.waiting) == 0:
                return
            assert time.monotonic() < deadline, "mail still waiting"
            time.sleep(0.05)

    def subscription(self, address: str, thread: str = "t1") -> StoredSubscription | None:
        found = self.call(self.subscriptions.for_email, address)
        matching = [s for s in found if s.thread_key == thread]
        return matching[0] if matching else None

    def subscribe(self, box: Mailbox, name: str, address: str, text: str) -> StoredSubscription:
        """Comment with the box ticked and follow the confirmation mail's link."""
        self.post(name, address, text, notify=True)
        self.deliver()
        (confirmation,) = box.to(address)
        assert self.client.post(confirmation.link("confirm")).status_code == 200
        subscription = self.subscription(address)
        assert subscription is not None
        assert subscription.confirmed
        return subscription


@pytest.fixture
def site(app: Starlette, client: TestClient) -> Site:
    return Site(app, client)


def unchanged(site: Site, address: str) -> None:
    subscription = site.subscription(address)
    assert subscription is not None
    assert not subscription.confirmed


# -- double opt-in ---------------------------------------------------------------------


def test_opt_in_sends_one_confirmation_and_nothing_more_before_it(
    site: Site, box: Mailbox
) -> None:
    root = site.post("Ana", ANA, "Who walked this in winter?", notify=True)
    site.deliver()
    (confirmation,) = box.to(ANA)
    assert confirmation.recipients == [ANA]
    # In the site's language (the blog speaks German).
    assert "Bitte bestätigen Sie" in str(confirmation.message["Subject"])
    assert confirmation.link("confirm").startswith("/replies/confirm/")
    assert confirmation.link("erase").startswith("/privacy/erase/")
    assert confirmation.link("unsubscribe").startswith("/replies/unsubscribe/")
    assert str(confirmation.message["List-Unsubscribe-Post"]) == ONE_CLICK
    unchanged(site, ANA)

    # Replies before the confirmation: not a word to Ana.
    site.post("Bea", BEA, "I did, in February.", parent=root)
    site.post("Cem", CEM, "Me too, with snowshoes.")
    site.deliver()
    assert len(box.to(ANA)) == 1
    assert box.to(BEA) == box.to(CEM) == []  # they did not ask; owners: none configured
    # A second comment with the box ticked asks nothing new.
    site.post("Ana", ANA, "Thanks, both of you!", notify=True)
    site.deliver()
    assert len(box.to(ANA)) == 1


def test_no_confirmation_for_a_comment_caught_as_spam(site: Site, box: Mailbox) -> None:
    raw_comment(site, "Ana", ANA, "A walk", status="spam", subscribe=True, events=[])
    raw_comment(site, "Bea", BEA, "A walk", status="pending", subscribe=True, events=[])
    site.deliver()
    assert box.to(ANA) == []
    assert len(box.to(BEA)) == 1  # held is not spam: the commenter may still confirm
    unchanged(site, ANA)


def test_the_confirmation_link_shows_a_page_and_only_its_post_confirms(
    site: Site, box: Mailbox
) -> None:
    site.post("Ana", ANA, "Who walked this in winter?", notify=True)
    site.deliver()
    path = box.to(ANA)[0].link("confirm")

    page = site.client.get(path)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert f'action="{path}"' in page.text
    assert "A walk in the hills" in page.text
    assert ANA not in page.text
    assert site.client.get(path).status_code == 200
    unchanged(site, ANA)  # scanners that fetch links confirm nothing

    done = site.client.post(path)
    assert done.status_code == 200
    assert "Vielen Dank: Ihr Abonnement ist bestätigt." in done.text
    assert site.subscription(ANA).confirmed  # type: ignore[union-attr]
    # Following the link again is harmless and says so.
    assert "Ihr Abonnement war bereits bestätigt." in site.client.post(path).text
    assert "Ihr Abonnement war bereits bestätigt." in site.client.get(path).text

    site.post("Bea", BEA, "I did, in February.")
    site.deliver()
    assert len(box.to(ANA)) == 2  # the confirmation, then the reply


def test_pages_answer_as_documented(site: Site, box: Mailbox) -> None:
    from sharekit.openapi import openapi_schema

    document = openapi_schema(site.state.settings)
    site.post("Ana", ANA, "Who walked this in winter?", notify=True)
    site.deliver()
    confirm = box.to(ANA)[0].link("confirm")
    unsubscribe = box.to(ANA)[0].link("unsubscribe")
    conforms(document, "get", "/replies/confirm/{token}", site.client.get(confirm))
    conforms(document, "post", "/replies/confirm/{token}", site.client.post(confirm))
    conforms(document, "get", "/replies/unsubscribe/{token}", site.client.get(unsubscribe))
    one_click = site.client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    conforms(document, "post", "/replies/unsubscribe/{token}", one_click)
    gone = site.client.post(confirm, headers={"accept": "application/json"})
    assert gone.status_code == 404
    conforms(document, "post", "/replies/confirm/{token}", gone)
    bad = site.client.get(confirm[:-3] + "xyz", headers={"accept": "application/json"})
    assert bad.status_code == 400
    conforms(document, "get", "/replies/confirm/{token}", bad)


# -- replies -----------------------------------------------------------------------------


def test_an_approved_reply_mails_the_subscriber_but_not_its_author(
    site: Site, box: Mailbox
) -> None:
    site.subscribe(box, "Ana", ANA, "Who walked this in winter?")
    site.subscribe(box, "Bea", BEA, "I did, in February.")
    reply = site.post("Bea", BEA, "The hut was <closed>, mind you.", notify=True)
    site.deliver()
    assert len(box.to(BEA)) == 1  # only her own confirmation
    # Ana: her confirmation, Bea's first comment, then this one.
    (mail,) = box.to(ANA)[2:]
    assert mail.recipients == [ANA]
    assert str(mail.message["To"]) == ANA
    assert str(mail.message["From"]) == f"Blog <{SENDER}>"
    assert str(mail.message["Subject"]) == "[Blog] Neuer Kommentar zu A walk in the hills"
    assert header_names(mail) == sorted(REPLY_HEADERS)
    unsubscribe = mail.link("unsubscribe")
    assert str(mail.message["List-Unsubscribe"]) == f"<https://blog.example/sharekit{unsubscribe}>"
    # On the wire as it is: one line, not folded into encoded words mail clients miss.
    line = f"\r\nList-Unsubscribe: <https://blog.example/sharekit{unsubscribe}>\r\n"
    assert line.encode() in mail.raw
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in mail.raw
    assert str(mail.message["List-Unsubscribe-Post"]) == ONE_CLICK
    assert str(mail.message["Auto-Submitted"]) == "auto-generated"

    text = mail.text
    assert "Bea hat „A walk in the hills“ (Blog) kommentiert:" in text
    assert "The hut was <closed>, mind you." in text
    assert f"{URL}#comment-{reply}" in text
    assert mail.link("erase").startswith("/privacy/erase/")
    html = mail.html
    assert '<html lang="de">' in html  # the site's language
    assert "&lt;closed&gt;" in html
    assert "<closed>" not in html
    assert f'href="{URL}#comment-{reply}"' in html
    assert f'href="https://blog.example/sharekit{unsubscribe}"' in html

    # Cem, not subscribed, posts: both subscribers hear of it, once each.
    site.post("Cem", CEM, "Snowshoes help.")
    site.deliver()
    assert (len(box.to(ANA)), len(box.to(BEA)), len(box.to(CEM))) == (4, 2, 0)


def test_a_held_reply_mails_nobody_until_it_is_approved(site: Site, box: Mailbox) -> None:
    site.subscribe(box, "Ana", ANA, "Who walked this in winter?")
    held = site.post("Bea", BEA, THREE_LINKS)
    site.deliver()
    assert len(box.to(ANA)) == 1
    stored: StoredComment = site.call(site.state.comments.store.get, held)
    assert stored.status == "pending"

    site.call(site.state.moderation.approve, [held])
    site.deliver()
    (mail,) = box.to(ANA)[1:]
    assert f"#comment-{held}" in mail.text
    # Approving it again (already approved) sends nothing more.
    site.call(site.state.moderation.approve, [held])
    site.deliver()
    assert len(box.to(ANA)) == 2


def test_a_reply_withdrawn_before_its_mail_is_sent_is_not_mailed(site: Site, box: Mailbox) -> None:
    ana = site.subscribe(box, "Ana", ANA, "Who walked this in winter?")
    context = site.sender.context
    store = site.state.comments.store
    # Stored without events, so the app's own sender leaves it alone.
    reply = raw_comment(site, "Bea", BEA, "A walk in the hills", events=[])
    event = QueuedEvent(0, "reply", {"comment": reply, "subscription": ana.id}, ana.created_at, 1)
    assert len(site.call(replies.reply, context, event)) == 1  # while it is published
    for status in ("spam", "pending"):
        site.call(store.set_status, reply, status)
        assert site.call(replies.reply, context, event) == []
        assert site.call(site.subscriptions.fan_out, reply, datetime.now(UTC)) == 0
    site.call(store.set_status, reply, "approved")
    site.call(site.subscriptions.unsubscribe, ana.id, ANA)
    assert site.call(replies.reply, context, event) == []
    site.call(store.delete, reply)
    assert site.call(replies.reply, context, event) == []
    assert len(box.to(ANA)) == 1


# -- unsubscribing ---------------------------------------------------------------------


def reply_mail(site: Site, box: Mailbox) -> Received:
    site.subscribe(box, "Ana", ANA, "Who walked this in winter?")
    site.post("Bea", BEA, "I did, in February.")
    site.deliver()
    (mail,) = box.to(ANA)[1:]
    return mail


def test_unsubscribe_by_link(site: Site, box: Mailbox) -> None:
    path = reply_mail(site, box).link("unsubscribe")
    page = site.client.get(path)
    assert page.status_code == 200
    assert f'action="{path}"' in page.text
    assert ANA not in page.text
    assert site.subscription(ANA) is not None  # a GET changes nothing

    done = site.client.post(path, data={})
    assert done.status_code == 200
    assert "Sie erhalten keine E-Mails mehr" in done.text
    assert site.subscription(ANA) is None
    site.post("Cem", CEM, "Anyone going this weekend?")
    site.deliver()
    assert len(box.to(ANA)) == 2
    # The link keeps answering, without a form now.
    again = site.client.get(path)
    assert again.status_code == 200
    assert "<form" not in again.text
    assert site.client.post(path).status_code == 200


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_unsubscribe_without_cookies_or_form_token(
    site: Site, box: Mailbox, encoding: str
) -> None:
    mail = reply_mail(site, box)
    url = str(mail.message["List-Unsubscribe"]).strip("<>")
    path = url.removeprefix("https://blog.example/sharekit")
    site.client.cookies.clear()
    options: dict[str, Any] = (
        {"data": {"List-Unsubscribe": "One-Click"}}
        if encoding == "urlencoded"
        else {"files": {"List-Unsubscribe": (None, b"One-Click")}}
    )
    # A mail client's POST: another origin, no cookies, nothing but the body.
    response = site.client.post(path, headers={"origin": "https://mail.example"}, **options)
    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    assert site.subscription(ANA) is None
    site.post("Cem", CEM, "Anyone going this weekend?")
    site.deliver()
    assert len(box.to(ANA)) == 2


def test_an_unconfirmed_subscription_can_be_declined(site: Site, box: Mailbox) -> None:
    site.post("Ana", ANA, "Who walked this in winter?", notify=True)
    site.deliver()
    (confirmation,) = box.to(ANA)
    assert site.client.post(confirmation.link("unsubscribe")).status_code == 200
    assert site.subscription(ANA) is None
    gone = site.client.get(confirmation.link("confirm"))
    assert gone.status_code == 404
    assert site.client.post(confirmation.link("confirm")).status_code == 404


# -- header injection ------------------------------------------------------------------


def raw_comment(site: Site, author: str, address: str, title: str, **values: Any) -> int:
    """A comment stored as is, past the form's checks (as an import could)."""
    stored: StoredComment = site.call(
        site.state.comments.store.add,
        "blog",
        "t1",
        URL,
        title,
        parent_id=None,
        author=author,
        email=address,
        author_key=f"key-{address}",
        website=None,
        text=values.pop("text", f"A comment by {address}"),
        html="<p>A comment</p>",
        status=values.pop("status", "approved"),
        client_key=None,
        consent_at=None,
        text_hash=f"hash-{address}",
        max_depth=3,
        now=datetime.now(UTC),
        **values,
    )
    return stored.id


@pytest.mark.parametrize(
    "evil", ["\r\nBcc: eve@evil.example", "\nBcc: eve@evil.example", "\u2028Bcc: eve@evil.example"]
)
def test_names_and_titles_cannot_add_headers(site: Site, box: Mailbox, evil: str) -> None:
    # The form refuses such values at the boundary.
    data = {
        "site": "blog",
        "thread": "t1",
        "url": URL,
        "title": f"Hills{evil}",
        "token": site.state.comments.guard.issue("blog", "t1"),
        "name": "Eve",
        "email": "eve@mail.example",
        "text": "Hello there",
    }
    assert site.client.post("/comments", data=data).status_code == 422
    # Stored anyway (the thread's title too), they reach the mails as one harmless line.
    raw_comment(site, "Ana", ANA, f"Hills{evil}", subscribe=True, events=[])
    site.deliver()
    (confirmation,) = box.to(ANA)
    confirm_link = confirmation.link("confirm")
    assert site.client.post(confirm_link).status_code == 200
    raw_comment(site, f"Eve{evil}", "eve@mail.example", "ignored", events=["comment-approved"])
    site.deliver()
    (reply,) = box.to(ANA)[1:]
    for mail in (confirmation, reply):
        assert mail.recipients == [ANA]
        assert "bcc" not in header_names(mail)
        assert header_names(mail) == sorted(REPLY_HEADERS)
        subject = str(mail.message["Subject"])
        assert "\n" not in subject
        assert "\r" not in subject
        assert "Hills Bcc: eve@evil.example" in subject
    assert box.to("eve@evil.example") == []


# -- bad links ---------------------------------------------------------------------------


def old(site: Site, make: Any, *args: Any, days: float) -> str:
    then = time.time() - days * 86400
    with mock.patch("itsdangerous.timed.time.time", return_value=then):
        return str(make(*args))


def test_tampered_expired_and_misused_tokens_fail(site: Site, box: Mailbox) -> None:
    site.post("Ana", ANA, "Who walked this in winter?", notify=True)
    site.deliver()
    (confirmation,) = box.to(ANA)
    confirm, unsubscribe = confirmation.link("confirm"), confirmation.link("unsubscribe")
    subscription = site.subscription(ANA)
    assert subscription is not None
    links = site.state.comments.links

    def tampered(path: str) -> str:
        return path[:-2] + ("A" if path[-2] != "A" else "B") + path[-1]

    expired_confirm = "/replies/confirm/" + old(site, links.confirm, subscription.id, ANA, days=8)
    expired_unsubscribe = "/replies/unsubscribe/" + old(
        site, links.unsubscribe, subscription.id, ANA, days=731
    )
    bad: list[tuple[str, str]] = [
        (tampered(confirm), "not valid"),
        (tampered(unsubscribe), "not valid"),
        ("/replies/confirm/" + unsubscribe.rsplit("/", 1)[1], "not valid"),  # other purpose
        ("/replies/unsubscribe/" + confirm.rsplit("/", 1)[1], "not valid"),
        ("/replies/confirm/not-a-token", "not valid"),
        (expired_confirm, "expired"),
        (expired_unsubscribe, "expired"),
    ]
    for path, message in bad:
        for method in ("GET", "POST"):
            response = site.client.request(method, path, headers={"accept-language": "en"})
            assert response.status_code == 400, (method, path)
            assert message in response.text, (method, path)
    unchanged(site, ANA)
    # A genuine token for another address does nothing either.
    other = "/replies/unsubscribe/" + links.unsubscribe(subscription.id, BEA)
    assert site.client.post(other).status_code == 200
    assert (
        site.client.post("/replies/confirm/" + links.confirm(subscription.id, BEA)).status_code
        == 404
    )
    unchanged(site, ANA)
    # Unsubscribe links outlive confirmation links (RFC 8058 expects them to keep working).
    year_old = "/replies/unsubscribe/" + old(
        site, links.unsubscribe, subscription.id, ANA, days=365
    )
    assert site.client.post(year_old).status_code == 200
    assert site.subscription(ANA) is None


# -- the form --------------------------------------------------------------------------


def form_fields(client: TestClient) -> dict[str, dict[str, str | None]]:
    page = client.get(
        "/comments/new", params={"site": "blog", "thread": "t1", "url": URL, "lang": "en"}
    )
    assert page.status_code == 200
    return parse(page.text).fields


def section(client: TestClient) -> str:
    listing = client.get(
        "/threads/t1/comments", params={"site": "blog", "url": URL, "fragment": "1"}
    )
    assert listing.status_code == 200
    return listing.text


def test_the_form_offers_the_box_only_with_a_mail_server(tmp_path: Path) -> None:
    smtp = Smtp(host="127.0.0.1", port=free_port(), security="none", sender=SENDER)
    cases = [
        (make_settings(tmp_path / "none"), False),
        (make_settings(tmp_path / "smtp", smtp=smtp), True),
        (make_settings(tmp_path / "off", smtp=smtp, comments_reply_notifications=False), False),
    ]
    for settings, offered in cases:
        app = create_app(settings)
        with TestClient(app, raise_server_exceptions=False) as client:
            fields = form_fields(client)
            assert ("notify" in fields) is offered, settings.data_dir
            assert ('name="notify"' in section(client)) is offered
            if offered:
                box = fields["notify"]
                assert (box["type"], box["value"]) == ("checkbox", "1")
                assert "checked" not in box
                assert box["aria-describedby"] == "sk-c-notify-hint"
                page = client.get("/comments/new", params={"site": "blog", "url": URL})
                assert '<label for="sk-c-notify">' in page.text


def test_the_box_stays_ticked_when_the_form_comes_back(site: Site) -> None:
    data = {
        "site": "blog",
        "thread": "t1",
        "url": URL,
        "token": site.state.comments.guard.issue("blog", "t1"),
        "name": "Ana",
        "email": ANA,
        "text": "x",  # too short
        "notify": "1",
    }
    again = site.client.post("/comments", data=data, headers={"accept-language": "en"})
    assert again.status_code == 422
    assert "checked" in parse(again.text).fields["notify"]
    assert site.subscription(ANA) is None
    unticked = {key: value for key, value in data.items() if key != "notify"}
    again = site.client.post("/comments", data=unticked, headers={"accept-language": "en"})
    assert "checked" not in parse(again.text).fields["notify"]


def test_the_box_needs_an_address_where_none_is_required(
    tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    smtp = Smtp(host="127.0.0.1", port=mailbox[1], security="none", sender=SENDER)
    settings = make_settings(tmp_path, smtp=smtp, comments_email_required=False)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        data = {
            "site": "blog",
            "thread": "t1",
            "url": URL,
            "token": app.state.sharekit.comments.guard.issue("blog", "t1"),
            "name": "Ana",
            "email": "",
            "text": "No address, but the box ticked.",
            "notify": "1",
        }
        again = client.post("/comments", data=data, headers={"accept-language": "en"})
        assert again.status_code == 422
        page = parse(again.text)
        assert "checked" in page.fields["notify"]
        assert "email address" in page.texts["sk-c-notify-error"]
        # The script's JSON post: the same field error.
        sent = client.post(
            "/comments",
            json={
                **data,
                "notify": True,
                "token": app.state.sharekit.comments.guard.issue("blog", "t1"),
            },
            headers={"origin": BLOG, "accept-language": "en"},
        )
        assert sent.status_code == 422
        assert "notify" in sent.json()["errors"]


def test_the_script_sends_the_box(site: Site, box: Mailbox) -> None:
    data = {
        "site": "blog",
        "thread": "t1",
        "url": URL,
        "token": site.state.comments.guard.issue("blog", "t1"),
        "name": "Ana",
        "email": ANA,
        "text": "Posted by the script.",
        "notify": True,
        "consent": False,
        "parent": None,
    }
    sent = site.client.post(
        "/comments", json=data, headers={"origin": BLOG, "accept-language": "en"}
    )
    assert sent.status_code == 201
    site.deliver()
    assert len(box.to(ANA)) == 1
    unchanged(site, ANA)
