"""Share counts: record a completed share once per visitor network and day, count them."""

from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from .database import Database
from .tables import share_events

__all__ = ["ShareCounts"]


class ShareCounts:
    """The share-count store."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(self, site: str, url: str, network: str, client: str, day: date) -> bool:
        """Count one share; ``False`` when this client already shared it today."""
        daily = hashlib.sha256(f"{client}:{day.isoformat()}".encode("ascii")).hexdigest()[:32]
        values = {"site": site, "url": url, "network": network, "day": day, "client": daily}
        dialect = postgresql if self.database.dialect == "postgresql" else sqlite
        statement = dialect.insert(share_events).values(values).on_conflict_do_nothing()
        # Through the group commit, like every other write: one writer per process.
        return await self.database.write(lambda c: bool(c.execute(statement).rowcount))

    async def counts(self, site: str, url: str) -> dict[str, int]:
        """Shares per network for one page, in Shariff's shape."""
        query = (
            select(share_events.c.network, func.count())
            .where(share_events.c.site == site, share_events.c.url == url)
            .group_by(share_events.c.network)
        )
        async with self.database.reading() as connection:
            rows = (await connection.execute(query)).all()
        return {network: int(count) for network, count in rows}
