"""The ``sharekit`` command: run the demo, serve the service, generate docs.

Every error is one clear line on stderr and exit code 2; ``--help`` works everywhere.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import ConfigurationError

__all__ = ["main"]

EXIT_USAGE = 2


class _Failure(Exception):
    """A command failed in a way the user can fix; the message says how."""


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves, so a busy port is a clear message, not a trace."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise _Failure(
            f"cannot listen on {host}:{port}: {exc.strerror}; try another --port"
        ) from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _run_demo(args: argparse.Namespace) -> None:
    import uvicorn

    from .demo import demo_app

    sock = _bind(args.host, args.port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{sock.getsockname()[1]}"
    app = demo_app(data_dir=Path(args.data_dir), origin=url)
    print(f"sharekit demo: {url}/  (data in {args.data_dir}; press Ctrl+C to stop)", flush=True)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, proxy_headers=False, server_header=False
    )
    uvicorn.Server(config).run(sockets=[sock])


def _run_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from .app import create_app
    from .settings import Settings

    settings = Settings.load(args.config)
    settings.require_service_ready()
    if args.workers < 1:
        raise _Failure("--workers must be at least 1")
    create_app(settings)  # fail here, with a clear message, before any worker starts
    sock = _bind(args.host, args.port)
    if args.config:
        os.environ["SHAREKIT_CONFIG_FILE"] = str(Path(args.config).resolve())
    print(
        f"sharekit {__version__} serving {len(settings.sites)} site(s) on "
        f"http://{args.host}:{sock.getsockname()[1]}/ with {args.workers} worker(s)",
        flush=True,
    )
    config = uvicorn.Config(
        "sharekit.app:from_environment",
        factory=True,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,  # uvicorn's access log would write visitors' addresses
        proxy_headers=False,  # sharekit reads X-Forwarded-For itself, from trusted proxies only
        server_header=False,
    )
    if args.workers > 1:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])


def _run_migrate(args: argparse.Namespace) -> None:
    import asyncio

    from .errors import ServiceUnavailable
    from .settings import Settings
    from .storage import Database
    from .storage.migrate import current, head, upgrade

    settings = Settings.load(args.config)
    database = Database(settings.database_url, auto_migrate=False)
    where = _redacted(settings.database_url)

    async def run() -> tuple[str | None, str | None]:
        try:
            before = await current(database)
            if args.check or before == head():
                return before, before
            print(f"migrating {where} from {before or 'an empty database'} to {head()} …")
            await upgrade(database)
            return before, await current(database)
        finally:
            await database.close()

    try:
        before, after = asyncio.run(run())
    except ServiceUnavailable as exc:
        cause = str(exc.__cause__).splitlines()[0] if exc.__cause__ else "no answer"
        raise _Failure(f"cannot reach the database {where}: {cause.split(') ', 1)[-1]}") from exc
    if args.check:
        if before != head():
            raise _Failure(f"the schema is at {before or 'nothing'}; {head()} is needed")
        print(f"the schema is up to date ({head()})")
    elif before == after:
        print(f"nothing to do: the schema is already at {after}")
    else:
        print(f"done: the schema is at {after}")


def _run_purge(args: argparse.Namespace) -> None:
    import asyncio

    from .errors import ServiceUnavailable
    from .housekeeping import Housekeeping
    from .settings import Settings
    from .storage import Database
    from .storage.comments import CommentStore

    settings = Settings.load(args.config)
    database = Database(settings.database_url, auto_migrate=settings.migrates_automatically)

    async def run() -> int:
        try:
            return await Housekeeping(settings, CommentStore(database)).run()
        finally:
            await database.close()

    try:
        purged = asyncio.run(run())
    except ServiceUnavailable as exc:
        where = _redacted(settings.database_url)
        raise _Failure(f"cannot reach the database {where}") from exc
    days = settings.client_key_retention_days
    print(f"erased {purged} client keys and flood-control events older than {days} days")


def _redacted(url: str) -> str:
    """A database URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _run_config_docs(args: argparse.Namespace) -> None:
    from .configdoc import configuration_markdown

    text = configuration_markdown()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sharekit",
        description="Privacy-friendly share buttons, print/PDF links and comments.",
    )
    parser.add_argument("--version", action="version", version=f"sharekit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="run the demo site with the service mounted at /sharekit/",
        description="Run the demo blog with sharekit mounted at /sharekit/, on SQLite.",
    )
    demo.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    demo.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    demo.add_argument(
        "--data-dir",
        default=".sharekit-demo",
        help="where the demo keeps its database and secret (.sharekit-demo)",
    )
    demo.set_defaults(run=_run_demo)

    serve = commands.add_parser(
        "serve",
        help="serve the sharekit service alone, for production behind a reverse proxy",
        description=(
            "Serve the sharekit service. Settings come from --config (TOML) and SHAREKIT_* "
            "environment variables; a secret key and at least one site are required."
        ),
    )
    serve.add_argument("--config", metavar="FILE", help="TOML settings file")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (1)")
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log level (info)",
    )
    serve.set_defaults(run=_run_serve)

    migrate = commands.add_parser(
        "migrate",
        help="bring the database schema up to date (needed after upgrades on PostgreSQL)",
        description=(
            "Upgrade the database schema to what this version of sharekit needs. Safe to run "
            "while the service runs and from several hosts at once."
        ),
    )
    migrate.add_argument("--config", metavar="FILE", help="TOML settings file")
    migrate.add_argument(
        "--check", action="store_true", help="only report; exit 2 when an upgrade is needed"
    )
    migrate.set_defaults(run=_run_migrate)

    purge = commands.add_parser(
        "purge",
        help="erase visitors' network hashes older than the retention period now",
        description=(
            "Erase the keyed hashes of visitors' networks (flood-control events, comments' "
            "client keys) older than client_key_retention_days. The service does this every "
            "hour by itself; run it from cron when sharekit is mounted in another app."
        ),
    )
    purge.add_argument("--config", metavar="FILE", help="TOML settings file")
    purge.set_defaults(run=_run_purge)

    docs = commands.add_parser(
        "config-docs",
        help="print the configuration reference (docs/configuration.md) as Markdown",
        description="Print the configuration reference, generated from the settings model.",
    )
    docs.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    docs.set_defaults(run=_run_config_docs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sharekit`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], None] = args.run
    try:
        run(args)
    except (ConfigurationError, _Failure) as exc:
        print(f"sharekit {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
