"""The share capability of one app: its networks, its bar renderer and its counter."""

from __future__ import annotations

from datetime import UTC, datetime

from sharekit.rendering import Renderer
from sharekit.settings import Settings
from sharekit.storage.database import Database
from sharekit.storage.shares import ShareCounts

from .bar import ShareBar
from .registry import Registry

__all__ = ["ShareService"]


class ShareService:
    """Everything the share routes and the template tag need, built once per app."""

    def __init__(
        self,
        settings: Settings,
        renderer: Renderer,
        database: Database | None,
        registry: Registry | None = None,
    ) -> None:
        self.registry = registry or Registry(settings.share_custom_networks)
        self.bar = ShareBar(
            self.registry, renderer, settings.share_networks, settings.share_remember_consent
        )
        self._counts = ShareCounts(database) if database and settings.share_counts else None

    async def record(self, site: str, url: str, network: str, client: str) -> None:
        """Count a completed share when counting is on (once per client, page, network, day)."""
        if self._counts is not None:
            today = datetime.now(UTC).date()
            await self._counts.add(site, url, network, client, today)

    async def counts(self, site: str, url: str) -> dict[str, int]:
        """Completed shares of a page per network (empty when counting is off)."""
        return await self._counts.counts(site, url) if self._counts else {}
