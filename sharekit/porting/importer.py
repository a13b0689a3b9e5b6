"""Import: any reader's items into the database, in batches, idempotently, with a summary.

The file is read twice. The first pass checks it whole (a malformed file fails before
anything is written) and counts; the second imports. Comments go in batches of
:data:`BATCH`, one transaction each: an interrupted import keeps whole batches, and a
re-run finds them again by their ``source`` and adds nothing.

Parents are kept. A reply can come before its parent in the file: it waits until the
parent is there, and is skipped ("parent missing") when the parent never comes. A reply
to a comment that is not imported attaches where that comment would have: a duplicate's
replies go under the stored original, an invalid comment's replies under its own parent,
and a comment deleted in the source system becomes a ``deleted`` placeholder (no name, no
text) when, and only when, replies need it, as sharekit's own deletion leaves one.

sharekit's own format restores a database: into a database that holds nothing else, every
comment keeps its id (so links in mails and ``#comment-<id>`` anchors keep working);
otherwise comments get new ids and remember the old one in ``source``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sharekit.comments.identicon import avatar_key
from sharekit.comments.text import render, text_hash
from sharekit.storage.porting import (
    Batch,
    Conflict,
    DuplicateKey,
    NewComment,
    NewThread,
    PortingStore,
    ShareCount,
    SiteRow,
    SubscriptionRow,
    random_author_key,
)

from .items import (
    Reader,
    SiteProblem,
    SourceComment,
    SourceShares,
    SourceSite,
    SourceSubscription,
    SourceThread,
)
from .summary import ALREADY, DUPLICATE, OTHER_SITE, PARENT_MISSING, TWICE, Summary

__all__ = ["BATCH", "Importer", "Options"]

BATCH = 500
"""Comments per transaction."""


@dataclass(frozen=True)
class Options:
    """What the settings and the command line decide about an import."""

    sites: frozenset[str]  # the configured sites
    now: datetime
    site: str | None = None  # sharekit's format: import only this site's records
    secret: str | None = None  # needed for other formats' author keys
    markdown: bool = False
    max_depth: int = 3
    text_max: int = 10_000
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class _Wait:
    """The comment this one replies to is not there yet."""

    ref: str


@dataclass(frozen=True, slots=True)
class _Queued:
    comment: SourceComment
    parent: str | None  # the ref it attaches to (after aliases), queued or done already
    lookup: str  # the source a re-run finds it by
    source: str | None  # the source it is stored with
    keep_id: int | None
    author: str
    email: str | None
    website: str | None
    author_key: str
    text: str
    html: str
    status: str

    @property
    def placeholder(self) -> bool:
        return self.comment.placeholder_only is not None

    @property
    def duplicate_key(self) -> DuplicateKey:
        c = self.comment
        return (c.site, c.thread, self.author_key, text_hash(self.text))


class Importer:
    """One import run; :attr:`summary` tells how far it got, also when interrupted."""

    def __init__(
        self,
        store: PortingStore,
        options: Options,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.store = store
        self.options = options
        self.progress = progress
        self.summary = Summary(dry_run=options.dry_run)
        self.restore = False
        self._explicit_threads = False
        self._threads: dict[tuple[str, str], SourceThread] = {}
        self._site_times: dict[str, datetime] = {}
        self._seen: set[str] = set()
        self._thread_of: dict[str, tuple[str, str]] = {}
        self._done: dict[str, int] = {}  # ref → stored id (a made-up one in a dry run)
        self._alias: dict[str, str | None] = {}  # ref → where its replies attach instead
        self._held: dict[str, SourceComment] = {}  # deleted ones, until a reply needs them
        self._waiting: dict[str, list[SourceComment]] = {}  # parent ref → its early replies
        self._todo: deque[tuple[SourceComment, bool]] = deque()
        self._queued: list[_Queued] = []
        self._queued_index: dict[str, int] = {}
        self._run_duplicates: dict[DuplicateKey, str] = {}
        self._sites: list[SiteRow] = []
        self._new_threads: list[SourceThread] = []
        self._subscriptions: list[SourceSubscription] = []
        self._shares: list[SourceShares] = []
        self._fake_ids = 0

    async def run(self, reader: Reader) -> Summary:
        """Check the whole file, then import it. Raises ``MalformedFile`` and
        :class:`SiteProblem` before anything is written."""
        self._explicit_threads = reader.format == "sharekit"
        await self._check(reader)
        await self._import(reader)
        return self.summary

    # -- first pass --------------------------------------------------------------------

    def _wanted(self, site: str) -> bool:
        if self.options.site is not None and site != self.options.site:
            return False
        if site not in self.options.sites:
            configured = ", ".join(sorted(self.options.sites)) or "none"
            raise SiteProblem(
                f"the file has records of the site {site!r}, which is not configured "
                f"(configured: {configured}); add it to the settings, or import another "
                "site alone with --site"
            )
        return True

    async def _check(self, reader: Reader) -> None:
        stored = await self.store.comment_count()
        kept = False
        matched: set[int] = set()
        keys: list[tuple[int, str, str, datetime]] = []
        for item in reader.items():
            site = item.key if isinstance(item, SourceSite) else item.site
            wanted = self._wanted(site)
            if not isinstance(item, SourceComment):
                continue
            self.summary.total += 1
            if not wanted:
                continue
            if item.kept is not None and item.created_at is not None:
                kept = True
                if stored:
                    keys.append((item.kept.id, item.site, item.thread, item.created_at))
                    if len(keys) >= BATCH:
                        matched |= await self.store.same(keys)
                        keys.clear()
        matched |= await self.store.same(keys)
        # A restore, or a restore interrupted before: everything stored came from this file.
        self.restore = kept and len(matched) == stored
        self.summary.kept_ids = self.restore

    # -- second pass -------------------------------------------------------------------

    async def _import(self, reader: Reader) -> None:
        for item in reader.items():
            site = item.key if isinstance(item, SourceSite) else item.site
            if not self._wanted(site):
                if isinstance(item, SourceComment):
                    self._skip(item, OTHER_SITE)
                continue
            if isinstance(item, SourceComment):
                self._todo.append((item, False))
                while self._todo:
                    self._process(*self._todo.popleft())
            elif isinstance(item, SourceThread):
                self._threads[(item.site, item.key)] = item
                if self._explicit_threads:
                    self._new_threads.append(item)
            elif isinstance(item, SourceSite):
                self._site_times[item.key] = item.created_at
                self._sites.append(SiteRow(item.key, item.created_at))
            elif isinstance(item, SourceSubscription):
                if (item.site, item.thread) in self._threads:
                    self._subscriptions.append(item)
            else:
                self._shares.append(item)
            waiting = len(self._queued) + len(self._new_threads) + len(self._subscriptions)
            if waiting + len(self._shares) >= BATCH:
                await self._flush()
        await self._flush()
        for comment in self._held.values():
            self._skip(comment, comment.placeholder_only or "deleted")
        for replies in self._waiting.values():
            for comment in replies:
                self._skip(comment, PARENT_MISSING)
        self._held.clear()
        self._waiting.clear()

    def _skip(self, comment: SourceComment, reason: str) -> None:
        self.summary.skip(f"comment {comment.ref}" if comment.kept else comment.ref, reason)

    def _problem(self, comment: SourceComment) -> str | None:
        thread = self._threads.get((comment.site, comment.thread))
        if comment.problem or thread is None or thread.problem:
            return comment.problem or (
                thread.problem if thread else "its thread is not in the file"
            )
        if comment.created_at is None:
            return "no valid date"
        if comment.status == "deleted" or comment.placeholder_only:
            return None
        if not comment.text.strip():
            return "empty text"
        if len(comment.text) > self.options.text_max:
            return f"text longer than {self.options.text_max} characters (comments_text_max)"
        return None

    def _process(self, comment: SourceComment, needed: bool) -> None:
        """Queue a comment once the comment it replies to is queued or stored."""
        ref = comment.ref
        if not needed:
            if ref in self._seen:
                self._skip(comment, TWICE)
                return
            self._seen.add(ref)
            problem = self._problem(comment)
            if problem is not None or comment.skip:
                self._skip(comment, comment.skip or f"invalid: {problem}")
                self._alias[ref] = comment.parent  # its replies attach to its parent
                self._release(ref)
                return
            if comment.placeholder_only and ref not in self._waiting:
                self._held[ref] = comment
                return
        target = self._resolve(comment.parent)
        if isinstance(target, _Wait):
            self._waiting.setdefault(target.ref, []).append(comment)
            return
        thread = (comment.site, comment.thread)
        if target is not None and self._thread_of[target] != thread:
            self._skip(comment, PARENT_MISSING)
            return
        self._thread_of[ref] = thread
        self._queued_index[ref] = len(self._queued)
        self._queued.append(self._prepare(comment, target))
        self._release(ref)

    def _release(self, ref: str) -> None:
        for reply in self._waiting.pop(ref, ()):
            self._todo.append((reply, True))

    def _resolve(self, ref: str | None) -> str | _Wait | None:
        """The ref a reply to ``ref`` attaches to, or what it has to wait for."""
        seen: set[str] = set()
        while ref is not None:
            if ref in self._done or ref in self._queued_index:
                return ref
            if ref in seen:  # a loop of parents: nothing in it can ever be placed
                return _Wait(ref)
            seen.add(ref)
            if ref in self._alias:
                ref = self._alias[ref]
                continue
            held = self._held.pop(ref, None)
            if held is not None:  # a deleted comment a reply needs: queue it first
                self._todo.appendleft((held, True))
            return _Wait(ref)
        return None

    def _prepare(self, comment: SourceComment, parent: str | None) -> _Queued:
        options = self.options
        kept = comment.kept
        if comment.placeholder_only:
            return _Queued(
                comment=comment,
                parent=parent,
                lookup=comment.ref,
                source=comment.ref,
                keep_id=None,
                author="",
                email=None,
                website=None,
                author_key=random_author_key(),
                text="",
                html="",
                status="deleted",
            )
        if kept is not None:
            assert comment.created_at is not None
            moment = comment.created_at.strftime("%Y%m%dT%H%M%S.%fZ")
            lookup = kept.source or f"sharekit:{comment.site}:{kept.id}:{moment}"
            return _Queued(
                comment=comment,
                parent=parent,
                lookup=lookup,
                source=kept.source if self.restore else lookup,
                keep_id=kept.id if self.restore else None,
                author=comment.author,
                email=comment.email,
                website=comment.website,
                author_key=kept.author_key,
                text=comment.text,
                html=self._checked_html(comment.text, kept.html),
                status=comment.status,
            )
        assert options.secret is not None, "importing another system's comments needs the secret"
        return _Queued(
            comment=comment,
            parent=parent,
            lookup=comment.ref,
            source=comment.ref,
            keep_id=None,
            author=comment.author,
            email=comment.email,
            website=comment.website,
            author_key=avatar_key(options.secret, comment.site, comment.email, comment.author),
            text=comment.text,
            html=render(comment.text, markdown=options.markdown),
            status=comment.status,
        )

    def _checked_html(self, text: str, given: str) -> str:
        """The file's HTML if sharekit's renderer makes exactly that of the text (in either
        mode: the setting may have changed since), else the text rendered afresh. A file
        can come from anywhere; only HTML this renderer makes is ever stored."""
        rendered = render(text, markdown=self.options.markdown)
        if given == rendered or given == render(text, markdown=not self.options.markdown):
            return given
        return rendered

    def _attach_to(self, ref: str | None, index: dict[str, int]) -> tuple[int | None, int | None]:
        """(stored parent id, parent's index in this batch) of a queued reply."""
        seen: set[str] = set()
        while ref is not None and ref not in seen:
            if ref in self._done:
                return self._done[ref], None
            if ref in index:
                return None, index[ref]
            seen.add(ref)
            ref = self._alias.get(ref)
        return None, None

    async def _flush(self) -> None:
        queued, self._queued, self._queued_index = self._queued, [], {}
        found = await self.store.imported([q.lookup for q in queued])
        same = await self.store.same(
            [
                (q.comment.kept.id, q.comment.site, q.comment.thread, q.comment.created_at)
                for q in queued
                if q.comment.kept is not None and q.comment.created_at is not None
            ]
        )
        # A real run learns of stored duplicates from the writes themselves (the unique
        # key refuses them); a dry run has to ask.
        stored_duplicates = (
            await self.store.duplicates([q.duplicate_key for q in queued if not q.placeholder])
            if self.options.dry_run
            else {}
        )
        writes: list[_Queued] = []
        new: list[NewComment] = []
        index: dict[str, int] = {}
        for q in queued:
            comment = q.comment
            kept_id = comment.kept.id if comment.kept else None
            existing = found.get(q.lookup) or (kept_id if kept_id in same else None)
            if existing is not None:
                self._done[comment.ref] = existing
                self._skip(comment, ALREADY)
                continue
            if not q.placeholder:
                key = q.duplicate_key
                if key in stored_duplicates:
                    self._done[comment.ref] = stored_duplicates[key]
                    self._skip(comment, DUPLICATE)
                    continue
                if key in self._run_duplicates:
                    self._alias[comment.ref] = self._run_duplicates[key]
                    self._skip(comment, DUPLICATE)
                    continue
                self._run_duplicates[key] = comment.ref
            parent_id, parent_index = self._attach_to(q.parent, index)
            assert comment.created_at is not None
            index[comment.ref] = len(writes)
            writes.append(q)
            new.append(
                NewComment(
                    site=comment.site,
                    thread=comment.thread,
                    author=q.author,
                    email=q.email,
                    author_key=q.author_key,
                    website=q.website,
                    text=q.text,
                    html=q.html,
                    status=q.status,
                    created_at=comment.created_at,
                    text_hash=text_hash(q.text),
                    source=q.source,
                    edited_at=None if q.placeholder else comment.edited_at,
                    consent_at=comment.kept.consent_at if comment.kept else None,
                    parent_id=parent_id,
                    parent_index=parent_index,
                    id=q.keep_id,
                )
            )
        await self._write(writes, new)
        if self.progress is not None:
            self.progress(self.summary.done, self.summary.total)

    def _batch(self, new: list[NewComment]) -> Batch:
        first: dict[tuple[str, str], datetime] = {}
        for comment in new:
            key = (comment.site, comment.thread)
            first[key] = min(first.get(key, comment.created_at), comment.created_at)
        for explicit in self._new_threads:
            first.setdefault(
                (explicit.site, explicit.key), explicit.created_at or self.options.now
            )
        for subscription in self._subscriptions:
            key = (subscription.site, subscription.thread)
            first.setdefault(key, subscription.created_at)
        threads: list[NewThread] = []
        for (site_key, thread_key), earliest in first.items():
            found = self._threads[(site_key, thread_key)]
            created = found.created_at or earliest
            threads.append(NewThread(site_key, thread_key, found.url, found.title, created))
        sites = {site.key: site for site in self._sites}
        for thread in threads:
            if thread.site not in sites:
                created = self._site_times.get(thread.site, self.options.now)
                sites[thread.site] = SiteRow(thread.site, created)
        return Batch(
            sites=list(sites.values()),
            threads=threads,
            comments=new,
            subscriptions=[
                SubscriptionRow(s.site, s.thread, s.email, s.created_at, s.confirmed_at)
                for s in self._subscriptions
            ],
            shares=[ShareCount(s.site, s.url, s.network, s.day, s.count) for s in self._shares],
            max_depth=self.options.max_depth,
        )

    async def _write(self, writes: list[_Queued], new: list[NewComment]) -> None:
        batch = self._batch(new)
        self._sites, self._new_threads, self._subscriptions, self._shares = [], [], [], []
        if not (batch.sites or batch.threads or batch.subscriptions or batch.shares):
            return
        if self.options.dry_run:
            results: list[int | Conflict] = []
            for _ in new:
                self._fake_ids -= 1
                results.append(self._fake_ids)
            subscriptions, shares = len(batch.subscriptions), sum(s.count for s in batch.shares)
        else:
            written = await self.store.write(batch)
            results, subscriptions, shares = (
                written.comments,
                written.subscriptions,
                written.shares,
            )
        for q, result in zip(writes, results, strict=True):
            comment = q.comment
            if isinstance(result, Conflict):
                self._done[comment.ref] = result.id
                self._skip(comment, ALREADY if result.reason == "source" else DUPLICATE)
                continue
            self._done[comment.ref] = result
            self.summary.imported += 1
            self.summary.placeholders += q.placeholder
            self.summary.threads.add((comment.site, comment.thread))
        self.summary.subscriptions += subscriptions
        self.summary.shares += shares
