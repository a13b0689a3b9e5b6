"""The rows other than comments that wait for the importer's next batch, and the batch
they make with its comments: it carries every thread its rows belong to and every site of
those threads, whether or not an earlier batch wrote them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sharekit.storage.porting_rows import (
    Batch,
    NewComment,
    NewThread,
    ShareCount,
    SiteRow,
    SubscriptionRow,
)

from .items import SourceShares, SourceSubscription, SourceThread

__all__ = ["Pending"]


@dataclass
class Pending:
    """Sites, threads (sharekit's format lists them), subscriptions and share counts read
    since the last batch."""

    sites: list[SiteRow] = field(default_factory=list)
    threads: list[SourceThread] = field(default_factory=list)
    subscriptions: list[SourceSubscription] = field(default_factory=list)
    shares: list[SourceShares] = field(default_factory=list)

    def batch(
        self,
        new: list[NewComment],
        known: Mapping[tuple[str, str], SourceThread],
        site_times: Mapping[str, datetime],
        now: datetime,
        max_depth: int,
    ) -> Batch:
        """The batch of ``new`` and these rows. ``known`` are all threads read so far,
        ``site_times`` when each site read so far was created; ``now`` dates what the file
        does not."""
        first: dict[tuple[str, str], datetime] = {}
        for comment in new:
            key = (comment.site, comment.thread)
            first[key] = min(first.get(key, comment.created_at), comment.created_at)
        for explicit in self.threads:
            first.setdefault((explicit.site, explicit.key), explicit.created_at or now)
        for subscription in self.subscriptions:
            key = (subscription.site, subscription.thread)
            first.setdefault(key, subscription.created_at)
        threads: list[NewThread] = []
        for (site_key, thread_key), earliest in first.items():
            found = known[(site_key, thread_key)]
            created = found.created_at or earliest
            threads.append(NewThread(site_key, thread_key, found.url, found.title, created))
        sites = {site.key: site for site in self.sites}
        for thread in threads:
            if thread.site not in sites:
                created = site_times.get(thread.site, now)
                sites[thread.site] = SiteRow(thread.site, created)
        return Batch(
            sites=list(sites.values()),
            threads=threads,
            comments=new,
            subscriptions=[
                SubscriptionRow(s.site, s.thread, s.email, s.created_at, s.confirmed_at)
                for s in self.subscriptions
            ],
            shares=[ShareCount(s.site, s.url, s.network, s.day, s.count) for s in self.shares],
            max_depth=max_depth,
        )
