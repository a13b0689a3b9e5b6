"""What the share-bar benches share: the ten networks of "a 10-network bar", and a Jinja2
environment with sharekit's tags installed the way a site owner would."""

from __future__ import annotations

from jinja2 import Environment

import sharekit
from sharekit import Settings, Site

TEN = ["mastodon", "bluesky", "threads", "linkedin", "xing", "whatsapp", "telegram", "email",
       "copy", "print"]  # fmt: skip


def installed() -> tuple[Environment, sharekit.SharekitTags]:
    """An autoescaping environment with the tags of a one-site service."""
    settings = Settings(secret_key="x" * 32, sites=[Site(key="b", origins=["https://b.example"])])
    env = Environment(autoescape=True)
    return env, sharekit.install(env, settings)
