from __future__ import annotations

import base64
import hashlib
import re

from jinja2 import DictLoader, Environment

import sharekit
from sharekit import Settings


def test_install_adds_head_tag_with_integrity(settings: Settings) -> None:
    env = Environment(
        loader=DictLoader({"page.html": "<head>{{ sharekit_head() }}</head>"}), autoescape=True
    )
    installed = sharekit.install(env, settings)
    html = env.get_template("page.html").render()
    tags = re.findall(r"<(?:link|script)[^>]+>", html)
    assert tags, html
    for tag in tags:
        url = re.search(r'(?:href|src)="([^"]+)"', tag)
        integrity = re.search(r'integrity="([^"]+)"', tag)
        assert url
        assert integrity
        assert url.group(1).startswith("/sharekit/static/")
        name = url.group(1).rsplit("/", 1)[1]
        stem, digest, suffix = name.rsplit(".", 2)
        body = installed.renderer.assets.get(f"{stem}.{suffix}").body
        assert hashlib.sha256(body).hexdigest().startswith(digest)
        expected = base64.b64encode(hashlib.sha384(body).digest()).decode()
        assert integrity.group(1) == f"sha384-{expected}"
        assert 'crossorigin="anonymous"' in tag
    scripts = [tag for tag in tags if tag.startswith("<script")]
    assert all(" defer" in tag for tag in scripts)


def test_absolute_public_url(settings: Settings) -> None:
    env = Environment(autoescape=True)
    other = settings.model_copy(update={"public_url": "https://comments.example"})
    sharekit.install(env, other)
    html = env.from_string("{{ sharekit_head() }}").render()
    assert "https://comments.example/static/" in html


def test_does_not_touch_the_hosts_environment(settings: Settings) -> None:
    env = Environment(autoescape=False)
    before = set(env.globals)
    sharekit.install(env, settings)
    assert set(env.globals) - before == {
        "sharekit_head",
        "share_buttons",
        "comments",
        "print_links",
    }
    assert env.autoescape is False
    assert "gettext" not in env.globals
