"""Table definitions: one ``MetaData`` for the whole service."""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, MetaData, String, Table, UniqueConstraint

__all__ = ["metadata", "share_events"]

metadata = MetaData()

# One row per completed share, at most one per visitor network, page, network and day.
# ``client`` is a keyed hash that changes every day: rows cannot be linked across days,
# and nothing in it leads back to an address.
share_events = Table(
    "share_events",
    metadata,
    Column("site", String(64), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("network", String(32), nullable=False),
    Column("day", Date, nullable=False),
    Column("client", String(64), nullable=False),
    UniqueConstraint("site", "url", "network", "day", "client", name="uq_share_events_once"),
    Index("ix_share_events_page", "site", "url"),
)
