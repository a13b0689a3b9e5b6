"""The demo site: a small bilingual blog that uses sharekit exactly as a site owner would.

It imports only sharekit's public API. ``sharekit demo`` runs it; tests serve it too.
"""

from __future__ import annotations

from .site import admin_password, demo_app, demo_settings

__all__ = ["admin_password", "demo_app", "demo_settings"]
