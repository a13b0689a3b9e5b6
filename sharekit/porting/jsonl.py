"""sharekit's own format, JSON Lines: written by ``sharekit export``, read back by
``sharekit import sharekit``. The records are in :mod:`.records`."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from sharekit import __version__
from sharekit.storage.porting import PortingStore
from sharekit.storage.porting_rows import (
    ExportRow,
    ShareCount,
    SiteRow,
    SubscriptionRow,
    ThreadRow,
)
from sharekit.storage.records import StoredComment

from .items import (
    Item,
    Kept,
    MalformedFile,
    SourceComment,
    SourceShares,
    SourceSite,
    SourceSubscription,
    SourceThread,
)
from .records import (
    FORMAT,
    VERSION,
    CommentRecord,
    Header,
    SharesRecord,
    SiteRecord,
    SubscriptionRecord,
    ThreadRecord,
    dump,
    record_adapter,
)

__all__ = ["JsonlReader", "export"]


def _record(
    row: ExportRow,
) -> SiteRecord | ThreadRecord | CommentRecord | SubscriptionRecord | SharesRecord:
    # Rows come from the database already typed: construct without validating, so an
    # export never fails on a value an older version let through.
    if isinstance(row, StoredComment):
        return CommentRecord.model_construct(
            id=row.id,
            site=row.site,
            thread=row.thread_key,
            parent=row.parent_id,
            status=row.status,  # type: ignore[arg-type]  # one of COMMENT_STATUSES
            created_at=row.created_at,
            edited_at=row.edited_at,
            author=row.author,
            email=row.email,
            website=row.website,
            author_key=row.author_key,
            consent_at=row.consent_at,
            text=row.text,
            html=row.html,
            source=row.source,
        )
    if isinstance(row, SiteRow):
        return SiteRecord.model_construct(key=row.key, created_at=row.created_at)
    if isinstance(row, ThreadRow):
        return ThreadRecord.model_construct(
            site=row.site, key=row.key, url=row.url, title=row.title, created_at=row.created_at
        )
    if isinstance(row, SubscriptionRow):
        return SubscriptionRecord.model_construct(
            site=row.site,
            thread=row.thread,
            email=row.email,
            created_at=row.created_at,
            confirmed_at=row.confirmed_at,
        )
    assert isinstance(row, ShareCount)
    return SharesRecord.model_construct(
        site=row.site, url=row.url, network=row.network, day=row.day, count=row.count
    )


async def export(store: PortingStore, out: BinaryIO, site: str | None = None) -> Counter[str]:
    """Write the whole database (or one site) to ``out``; how many records of each type.

    Nothing in the output depends on the time of the export, so exporting the same data
    twice gives the same bytes.
    """
    written: Counter[str] = Counter()
    out.write(dump(Header(generator=f"sharekit {__version__}", site=site)))
    async for row in store.rows(site):
        record = _record(row)
        out.write(dump(record))
        written[record.type] += 1
    return written


def _item(record: Any) -> Item:
    if isinstance(record, CommentRecord):
        return SourceComment(
            ref=str(record.id),
            site=record.site,
            thread=record.thread,
            parent=str(record.parent) if record.parent is not None else None,
            status=record.status,
            created_at=record.created_at,
            edited_at=record.edited_at,
            author=record.author,
            email=record.email,
            website=record.website,
            text=record.text,
            kept=Kept(
                id=record.id,
                author_key=record.author_key,
                html=record.html,
                consent_at=record.consent_at,
                source=record.source,
            ),
        )
    if isinstance(record, SiteRecord):
        return SourceSite(record.key, record.created_at)
    if isinstance(record, ThreadRecord):
        return SourceThread(record.site, record.key, record.url, record.title, record.created_at)
    if isinstance(record, SubscriptionRecord):
        return SourceSubscription(
            record.site, record.thread, record.email, record.created_at, record.confirmed_at
        )
    assert isinstance(record, SharesRecord)
    return SourceShares(record.site, record.url, record.network, record.day, record.count)


def _problem(error: ValidationError) -> str:
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


class JsonlReader:
    """Reads a file written by ``sharekit export``."""

    format = "sharekit"

    def __init__(self, path: Path) -> None:
        self.path = path

    def _lines(self) -> Iterator[tuple[int, Any]]:
        """(line number, decoded JSON value) of every line that is not blank."""
        try:
            file = self.path.open("rb")
        except OSError as exc:
            raise MalformedFile(f"cannot read {self.path}: {exc.strerror}") from exc
        with file:
            # Binary lines end at b"\n" only; JSON escapes every other line break.
            for number, raw in enumerate(file, 1):
                try:
                    # Tolerate the byte order mark some Windows editors put first.
                    line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    raise MalformedFile(f"{self.path} line {number}: not UTF-8 text") from exc
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise MalformedFile(
                        f"{self.path} line {number}: not valid JSON ({exc.msg}, "
                        f"column {exc.colno})"
                    ) from exc

    def _check_header(self, number: int, value: Any) -> None:
        if number != 1 or not isinstance(value, dict) or value.get("format") != FORMAT:
            raise MalformedFile(
                f"{self.path} is not a sharekit export: its first line must be the header "
                f'{{"format": "{FORMAT}", "version": {VERSION}, …}}'
            )
        version = value.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise MalformedFile(f"{self.path} line 1: the format version is not valid")
        if version > VERSION:
            raise MalformedFile(
                f"{self.path} was written by a newer sharekit (format version {version}); "
                f"this one reads version {VERSION}: upgrade sharekit to import it"
            )

    def items(self) -> Iterator[Item]:
        """The file's records as import items. Raises :class:`MalformedFile` with the line
        of the first record that does not fit the format."""
        lines = self._lines()
        first = next(lines, None)
        if first is None:
            raise MalformedFile(f"{self.path} is empty: a sharekit export has a header line")
        self._check_header(*first)
        for number, value in lines:
            kind = value.get("type") if isinstance(value, dict) else None
            if kind == "header":
                raise MalformedFile(f"{self.path} line {number}: a second header")
            if kind not in {"site", "thread", "comment", "subscription", "shares"}:
                raise MalformedFile(
                    f"{self.path} line {number}: unknown record type {str(kind)[:40]!r} "
                    f"(format version {VERSION} has site, thread, comment, subscription "
                    "and shares)"
                )
            try:
                record = record_adapter.validate_python(value)
            except ValidationError as exc:
                raise MalformedFile(f"{self.path} line {number}: {_problem(exc)}") from exc
            yield _item(record)
