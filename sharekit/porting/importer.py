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

What a comment is stored with is decided in :mod:`.queued`; the other rows wait for their
batch in :mod:`.pending`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sharekit.storage.porting import PortingStore
from sharekit.storage.porting_rows import Conflict, DuplicateKey, NewComment, SiteRow

from .items import (
    Reader,
    SiteProblem,
    SourceComment,
    SourceSite,
    SourceSubscription,
    SourceThread,
)
from .pending import Pending
from .queued import Queued, prepare
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
        self._queued: list[Queued] = []
        self._queued_index: dict[str, int] = {}
        self._run_duplicates: dict[DuplicateKey, str] = {}
        self._pending = Pending()
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
                    self._pending.threads.append(item)
            elif isinstance(item, SourceSite):
                self._site_times[item.key] = item.created_at
                self._pending.sites.append(SiteRow(item.key, item.created_at))
            elif isinstance(item, SourceSubscription):
                if (item.site, item.thread) in self._threads:
                    self._pending.subscriptions.append(item)
            else:
                self._pending.shares.append(item)
            pending = self._pending
            waiting = len(self._queued) + len(pending.threads) + len(pending.subscriptions)
            if waiting + len(pending.shares) >= BATCH:
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
        self._queued.append(
            prepare(
                comment,
                target,
                restore=self.restore,
                secret=self.options.secret,
                markdown=self.options.markdown,
            )
        )
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
        writes: list[Queued] = []
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
            row = q.new_comment(parent_id, parent_index)
            index[comment.ref] = len(writes)
            writes.append(q)
            new.append(row)
        await self._write(writes, new)
        if self.progress is not None:
            self.progress(self.summary.done, self.summary.total)

    async def _write(self, writes: list[Queued], new: list[NewComment]) -> None:
        options = self.options
        batch = self._pending.batch(
            new, self._threads, self._site_times, options.now, options.max_depth
        )
        self._pending = Pending()
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
