"""Commands that move data in and out: ``export`` and ``import``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO

from sharekit.errors import ConfigurationError

from .common import Commands, Failure, add_config, with_database

if TYPE_CHECKING:
    from sharekit.porting.items import Reader
    from sharekit.settings import Settings, Site
    from sharekit.storage import Database

__all__ = ["Progress", "register"]

FORMATS = ("sharekit", "wxr", "isso", "disqus")


class Progress:
    """Where an import is, on stderr: a counter that updates in place on a terminal, a
    line per 1,000 comments otherwise (a log, a pipe)."""

    def __init__(self, stream: TextIO, every: int = 1000) -> None:
        self.stream = stream
        self.every = every
        self.terminal = stream.isatty()
        self.shown = 0

    def __call__(self, done: int, total: int) -> None:
        if self.terminal:
            self.stream.write(f"\r{done} of {total} comments …")
            self.stream.flush()
        elif done // self.every > self.shown // self.every:
            self.stream.write(f"{done} of {total} comments\n")
            self.stream.flush()
        self.shown = done

    def finish(self) -> None:
        if self.terminal and self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _configured(settings: Settings, key: str) -> Site:
    site = settings.site(key)
    if site is None:
        configured = ", ".join(site.key for site in settings.sites) or "none"
        raise Failure(f"--site {key!r} is not a configured site (configured: {configured})")
    return site


def _site_for(settings: Settings, key: str | None) -> Site:
    """The site other systems' comments go to: ``--site``, or the only one there is."""
    if key is not None:
        return _configured(settings, key)
    if len(settings.sites) == 1:
        return settings.sites[0]
    if not settings.sites:
        raise Failure("no site configured: add a [[sites]] entry for the comments to go to")
    keys = ", ".join(site.key for site in settings.sites)
    raise Failure(
        f"the settings have {len(settings.sites)} sites ({keys}): choose one with --site"
    )


def _described(counts: Counter[str]) -> str:
    names = {
        "site": "site",
        "thread": "thread",
        "comment": "comment",
        "subscription": "reply subscription",
        "shares": "share count",
    }
    parts = [
        f"{counts[kind]} {name}{'' if counts[kind] == 1 else 's'}" for kind, name in names.items()
    ]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _run_export(args: argparse.Namespace) -> None:
    from sharekit.porting.jsonl import export
    from sharekit.settings import Settings
    from sharekit.storage.porting import PortingStore

    settings = Settings.load(args.config)
    site = _configured(settings, args.site).key if args.site else None

    def write(out: BinaryIO) -> Counter[str]:
        async def work(database: Database) -> Counter[str]:
            return await export(PortingStore(database), out, site)

        return with_database(settings, work)

    if not args.output:
        try:
            counts = write(sys.stdout.buffer)
            sys.stdout.buffer.flush()
        except BrokenPipeError as exc:  # `sharekit export | head`: the reader went away
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise Failure("the output was closed before the export was complete") from exc
    else:
        target = Path(args.output)
        # Next to the target, then renamed over it: a reader never sees half a file, and
        # an interrupted export leaves the old file as it was. Created 0600: it holds
        # commenters' addresses.
        try:
            handle, temporary = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )
        except OSError as exc:
            raise Failure(f"cannot write {target}: {exc.strerror}") from exc
        try:
            with os.fdopen(handle, "wb") as out:
                counts = write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    print(f"exported {_described(counts)}", file=sys.stderr)


def _reader(args: argparse.Namespace, settings: Settings) -> tuple[Reader, str | None]:
    """The reader of the file, and the site the import is limited to (if any)."""
    from sharekit.porting.disqus import DisqusReader
    from sharekit.porting.isso import IssoReader
    from sharekit.porting.jsonl import JsonlReader
    from sharekit.porting.wxr import WxrReader

    path = Path(args.file)
    if args.format == "sharekit":
        key = _configured(settings, args.site).key if args.site else None
        return JsonlReader(path), key
    site = _site_for(settings, args.site)
    readers: dict[str, type[WxrReader | IssoReader | DisqusReader]] = {
        "wxr": WxrReader,
        "isso": IssoReader,
        "disqus": DisqusReader,
    }
    return readers[args.format](path, site), site.key


def _run_import(args: argparse.Namespace) -> None:
    from sharekit.porting.importer import Importer, Options
    from sharekit.porting.items import PortingError
    from sharekit.porting.summary import Summary
    from sharekit.settings import Settings
    from sharekit.storage.porting import PortingStore

    settings = Settings.load(args.config)
    reader, site = _reader(args, settings)
    if args.format != "sharekit" and settings.secret_key is None:
        raise ConfigurationError(
            "no secret key: importing another system's comments needs secret_key (it keys "
            "the commenters' avatars); set SHAREKIT_SECRET_KEY or secret_key in the config file"
        )
    options = Options(
        sites=frozenset(configured.key for configured in settings.sites),
        now=datetime.now(UTC),
        site=site,
        secret=settings.secret_key.get_secret_value() if settings.secret_key else None,
        markdown=settings.comments_markdown,
        max_depth=settings.comments_max_depth,
        text_max=settings.comments_text_max,
        dry_run=args.dry_run,
    )
    if args.dry_run:  # not even the schema: a dry run writes nothing at all
        settings = settings.model_copy(update={"auto_migrate": False})
    progress = Progress(sys.stderr)
    started: list[Importer] = []

    async def work(database: Database) -> Summary:
        importer = Importer(PortingStore(database), options, progress)
        started.append(importer)
        return await importer.run(reader)

    try:
        summary = with_database(settings, work)
    except PortingError as exc:
        progress.finish()
        raise Failure(str(exc)) from exc
    except KeyboardInterrupt:
        progress.finish()
        done = started[0].summary.imported if started else 0
        print(
            f"sharekit import: interrupted after {done} comments were written, in whole "
            "batches; run the same command again to import the rest",
            file=sys.stderr,
        )
        raise
    progress.finish()
    print("\n".join(summary.lines()))


def register(commands: Commands) -> None:
    """Add this module's commands."""
    export = commands.add_parser(
        "export",
        help="write every site, thread and comment as JSON Lines (sharekit's own format)",
        description=(
            "Write the database as JSON Lines: a header line, then sites, threads, comments, "
            "reply subscriptions and share counts. The same data gives the same bytes; "
            "`sharekit import sharekit FILE` reads it back. The file holds commenters' email "
            "addresses: keep it safe."
        ),
    )
    add_config(export)
    export.add_argument("--site", metavar="KEY", help="only this site")
    export.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (replaced only once complete) instead of standard output",
    )
    export.set_defaults(run=_run_export)

    imports = commands.add_parser(
        "import",
        help="import comments: sharekit export, WordPress (WXR), Isso database, Disqus XML",
        description=(
            "Import comments with their threads, replies, dates and states. Safe to run "
            "again: what an earlier run imported is skipped. The summary says what was "
            "imported and what was skipped, and why."
        ),
    )
    imports.add_argument("format", choices=FORMATS, help="the file's format")
    imports.add_argument("file", metavar="FILE", help="the export file (Isso: its database)")
    imports.add_argument(
        "--site",
        metavar="KEY",
        help=(
            "the site the comments belong to (needed when several are configured); with "
            "sharekit's format: import only this site"
        ),
    )
    imports.add_argument(
        "--dry-run",
        action="store_true",
        help="read and check everything and print the summary, but write nothing",
    )
    add_config(imports)
    imports.set_defaults(run=_run_import)
