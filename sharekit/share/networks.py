"""The share networks: one registry of pure URL builders, keyed like ``widgets/icons/<key>.svg``.

A builder takes the page being shared and returns the network's share URL; it never makes a
request. Client-side actions (copy-link, native Web Share, print) have no builder, and nor do
the fediverse networks, whose host the visitor names (see :mod:`sharekit.share.fediverse`).
Every URL format here was checked against the page named in ``Network.source``; the reference
table with the reasons for each choice is ``docs/networks.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal
from urllib.parse import quote

__all__ = ["NETWORKS", "PAGE_FIELDS", "Action", "Network", "Page", "query_url"]

Action = Literal["open", "mailto", "sms", "fediverse", "copy", "native", "print", "info"]
"""What a button does on its second click:

* ``open``: open ``build(page)`` in a new tab (most networks)
* ``mailto`` / ``sms``: follow a ``mailto:`` / ``sms:`` link in the same tab
* ``fediverse``: ask for the visitor's server, then open its share endpoint
* ``copy``: copy the page URL to the clipboard
* ``native``: the browser's Web Share dialogue (hidden where unsupported)
* ``print``: ``window.print()``; without JavaScript, the print view
* ``info``: a link to the site's page explaining the buttons
"""

PAGE_FIELDS = ("url", "title", "text", "media")
"""The fields of :class:`Page` a network may send, in the order ``Network.sends`` lists them."""


@dataclass(frozen=True)
class Page:
    """What is shared: the page's absolute URL and optional title, text and image URL."""

    url: str
    title: str = ""
    text: str = ""
    media: str = ""

    def with_text(self, text: str) -> Page:
        """A copy with another text (e.g. a translated e-mail body)."""
        return replace(self, text=text)


@dataclass(frozen=True)
class Network:
    """One share target: its brand, what its button does, and where its format was checked.

    ``sends`` names every :class:`Page` field that can leave the site on the second click
    (empty values are left out of the URL); the consent notice shows it to visitors.
    """

    key: str
    label: str
    color: str
    action: Action
    build: Callable[[Page], str] | None = None
    sends: tuple[str, ...] = ("url", "title")
    source: str = ""
    notes: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def external(self) -> bool:
        """True when the second click sends data to another host (needs the consent step)."""
        return self.action in {"open", "fediverse"}


def query_url(base: str, **params: str) -> str:
    """``base`` with ``params`` as a query string, every value percent-encoded (``%20``).

    Empty values are left out. Spaces become ``%20`` rather than ``+``, which every network
    decodes correctly (several, like WhatsApp, show a literal ``+``).

    >>> query_url("https://bsky.app/intent/compose", text="Grüße & mehr")
    'https://bsky.app/intent/compose?text=Gr%C3%BC%C3%9Fe%20%26%20mehr'
    """
    query = "&".join(f"{name}={encode(value)}" for name, value in params.items() if value)
    return f"{base}?{query}" if query else base


@lru_cache(maxsize=4096)
def encode(value: str) -> str:
    """Percent-encode one query value completely (cached: a page's URL and title are encoded
    for every button of a bar)."""
    return quote(value, safe="")


def _joined(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _email(page: Page) -> str:
    # RFC 6068 section 5: line breaks in a mailto body are %0D%0A.
    body = f"{page.text}\r\n\r\n{page.url}" if page.text else page.url
    return query_url("mailto:", subject=page.title, body=body)


def _sms(page: Page) -> str:
    # RFC 5724 writes "sms:?body=", iOS only reads "sms:&body="; "sms:?&body=" works on both.
    body = _joined(page.title, page.url)
    return f"sms:?&body={quote(body, safe='')}" if body else "sms:"


_SHARIFF = "https://github.com/heiseonline/shariff/blob/c950eea726cfbb3524cf4845a55c01c0f1ff1b7b"
_NEUTRAL = "#595959"  # not a brand: a grey with 7:1 contrast against white

NETWORKS: dict[str, Network] = {
    network.key: network
    for network in (
        Network(
            key="facebook",
            label="Facebook",
            color="#0866FF",
            action="open",
            build=lambda p: query_url("https://www.facebook.com/sharer/sharer.php", u=p.url),
            sends=("url",),
            source=f"{_SHARIFF}/src/js/services/facebook.js",
            notes="Facebook reads title, text and image from the page's Open Graph tags. Meta "
            "documents only www.facebook.com/dialog/share, which needs an app_id.",
        ),
        Network(
            key="x",
            label="X",
            color="#000000",
            action="open",
            build=lambda p: query_url("https://x.com/intent/tweet", text=p.title, url=p.url),
            source="https://docs.x.com/x-for-websites/post-button/guides/web-intent",
            notes="x.com/intent/tweet is the documented form (formerly twitter.com).",
        ),
        Network(
            key="linkedin",
            label="LinkedIn",
            color="#0A66C2",
            action="open",
            build=lambda p: query_url(
                "https://www.linkedin.com/sharing/share-offsite/", url=p.url
            ),
            sends=("url",),
            source=f"{_SHARIFF}/src/js/services/linkedin.js",
            notes="LinkedIn documents only its JavaScript plugin; share-offsite takes the URL "
            "alone.",
        ),
        Network(
            key="xing",
            label="XING",
            color="#006567",
            action="open",
            build=lambda p: query_url("https://www.xing.com/spi/shares/new", url=p.url),
            sends=("url",),
            source=f"{_SHARIFF}/src/js/services/xing.js",
        ),
        Network(
            key="whatsapp",
            label="WhatsApp",
            color="#25D366",
            action="open",
            build=lambda p: query_url("https://wa.me/", text=_joined(p.title, p.url)),
            source="https://faq.whatsapp.com/general/26000030/",
            notes="Click to chat without a phone number: WhatsApp asks for the recipient.",
        ),
        Network(
            key="telegram",
            label="Telegram",
            color="#26A5E4",
            action="open",
            build=lambda p: query_url("https://t.me/share/url", url=p.url, text=p.title),
            source="https://core.telegram.org/widgets/share",
        ),
        Network(
            key="threema",
            label="Threema",
            color="#3FE669",
            action="open",
            build=lambda p: query_url(
                "https://go.threema.ch/compose", text=_joined(p.title, p.url)
            ),
            source="https://github.com/threema-ch/threema-android/blob/"
            "0437b0468a8a4aa7b1b4fabc3c8a609905052f5f/app/src/main/AndroidManifest.xml",
            notes="The Threema app claims https://go.threema.ch/compose (and threema://compose); "
            "without the app the browser opens go.threema.ch.",
        ),
        Network(
            key="mastodon",
            label="Mastodon",
            color="#6364FF",
            action="fediverse",
            source="https://github.com/mastodon/mastodon/blob/"
            "9f13954936d88c6c71280be218cc80aa9de060e4/app/controllers/shares_controller.rb",
            notes="The visitor names their own server; only that server receives the data. "
            "Other fediverse software is chosen from sharekit.share.fediverse.",
            extra={"software": "mastodon"},
        ),
        Network(
            key="bluesky",
            label="Bluesky",
            color="#1185FE",
            action="open",
            build=lambda page: query_url(
                "https://bsky.app/intent/compose", text=_joined(page.title, page.url)
            ),
            source="https://docs.bsky.app/docs/advanced-guides/intent-links",
        ),
        Network(
            key="threads",
            label="Threads",
            color="#000000",
            action="open",
            build=lambda p: query_url(
                "https://www.threads.com/intent/post", text=p.title, url=p.url
            ),
            source="https://developers.facebook.com/documentation/threads/threads-web-intents",
            notes="threads.com is the documented host (earlier docs: threads.net).",
        ),
        Network(
            key="pinterest",
            label="Pinterest",
            color="#BD081C",
            action="open",
            build=lambda p: query_url(
                "https://www.pinterest.com/pin/create/button/",
                url=p.url,
                media=p.media,
                description=p.title,
            ),
            sends=("url", "title", "media"),
            source="https://developers.pinterest.com/docs/web-features/buttons/",
            notes="media is the page's image, if it has one.",
        ),
        Network(
            key="reddit",
            label="Reddit",
            color="#FF4500",
            action="open",
            build=lambda p: query_url("https://www.reddit.com/submit", url=p.url, title=p.title),
            source=f"{_SHARIFF}/src/js/services/reddit.js",
        ),
        Network(
            key="tumblr",
            label="Tumblr",
            color="#36465D",
            action="open",
            build=lambda p: query_url(
                "https://www.tumblr.com/widgets/share/tool",
                canonicalUrl=p.url,
                title=p.title,
                caption=p.text,
            ),
            sends=("url", "title", "text"),
            source="https://help.tumblr.com/share-button-documentation",
        ),
        Network(
            key="flipboard",
            label="Flipboard",
            color="#E12828",
            action="open",
            build=lambda p: query_url(
                "https://share.flipboard.com/bookmarklet/popout", v="2", title=p.title, url=p.url
            ),
            source=f"{_SHARIFF}/src/js/services/flipboard.js",
        ),
        Network(
            key="hackernews",
            label="Hacker News",
            color="#FF6600",
            action="open",
            build=lambda p: query_url(
                "https://news.ycombinator.com/submitlink", u=p.url, t=p.title
            ),
            source="https://news.ycombinator.com/bookmarklet.html",
            notes="Colour: the orange bar of news.ycombinator.com (not in Simple Icons).",
        ),
        Network(
            key="vk",
            label="VK",
            color="#0077FF",
            action="open",
            build=lambda p: query_url(
                "https://vk.com/share.php", url=p.url, title=p.title, image=p.media
            ),
            sends=("url", "title", "media"),
            source="https://github.com/kytta/shareon/blob/"
            "2c673f63335e95fb5b21bef44a320785157355f6/src/networks.ts",
        ),
        Network(
            key="weibo",
            label="Weibo",
            color="#E6162D",
            action="open",
            build=lambda p: query_url(
                "https://service.weibo.com/share/share.php", url=p.url, title=p.title
            ),
            source=f"{_SHARIFF}/src/js/services/weibo.js",
        ),
        Network(
            key="buffer",
            label="Buffer",
            color="#231F20",
            action="open",
            build=lambda p: query_url("https://buffer.com/add", text=p.title, url=p.url),
            source=f"{_SHARIFF}/src/js/services/buffer.js",
        ),
        Network(
            key="diaspora",
            label="diaspora*",
            color="#000000",
            action="fediverse",
            source="https://github.com/diaspora/diaspora/blob/"
            "228e8cec3645ce3c0758c0a835ff064b1759ec03/app/assets/javascripts/app/views/"
            "bookmarklet_view.js",
            notes="Sent straight to the visitor's own pod (/bookmarklet?url=&title=), not via "
            "the hub share.diasporafoundation.org, so the pod is the only host that receives "
            "the data and the consent notice can name it.",
            extra={"software": "diaspora"},
        ),
        Network(
            key="teams",
            label="Microsoft Teams",
            color="#6264A7",
            action="open",
            build=lambda p: query_url(
                "https://teams.microsoft.com/share", href=p.url, msgText=p.title
            ),
            source="https://learn.microsoft.com/en-us/microsoftteams/platform/concepts/"
            "build-and-test/share-to-teams-from-web-apps",
            notes="Parameters href and msgText as in Microsoft's launcher.js (msgText: 200 "
            "characters at most). Microsoft supports only desktop Edge and Chrome.",
        ),
        Network(
            key="email",
            label="E-mail",
            color=_NEUTRAL,
            action="mailto",
            build=_email,
            sends=("url", "title", "text"),
            source="https://www.rfc-editor.org/rfc/rfc6068",
            notes="Opens the visitor's own mail program; nothing is sent by the site.",
        ),
        Network(
            key="sms",
            label="SMS",
            color=_NEUTRAL,
            action="sms",
            build=_sms,
            source="https://www.rfc-editor.org/rfc/rfc5724",
            notes="sms:?&body= is read by both Android (RFC 5724's ?body=) and iOS (&body=).",
        ),
        Network(key="copy", label="Copy link", color=_NEUTRAL, action="copy", sends=()),
        Network(
            key="native",
            label="Share",
            color=_NEUTRAL,
            action="native",
            sends=("url", "title", "text"),
            source="https://www.w3.org/TR/web-share/",
            notes="Hands the data to the device's own share sheet, not to a server.",
        ),
        Network(key="print", label="Print", color=_NEUTRAL, action="print", sends=()),
        Network(
            key="info",
            label="Info",
            color=_NEUTRAL,
            action="info",
            sends=(),
            notes="Links to the site's own page about the buttons (configured elsewhere).",
        ),
    )
}
"""Every built-in network, in the default display order."""
