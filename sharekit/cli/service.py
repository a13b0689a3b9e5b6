"""Commands that run things: ``demo``, ``serve``, ``migrate``, ``purge``, ``config-docs``."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from sharekit import __version__

from .common import Commands, Failure, redacted, with_database

__all__ = ["register"]


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves, so a busy port is a clear message, not a trace."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise Failure(
            f"cannot listen on {host}:{port}: {exc.strerror}; try another --port"
        ) from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _run_demo(args: argparse.Namespace) -> None:
    import uvicorn

    from sharekit.demo import admin_password, demo_app

    sock = _bind(args.host, args.port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{sock.getsockname()[1]}"
    app = demo_app(data_dir=Path(args.data_dir), origin=url)
    print(f"sharekit demo: {url}/  (data in {args.data_dir}; press Ctrl+C to stop)")
    password = admin_password(Path(args.data_dir))
    print(f"moderate the comments at {url}/sharekit/admin  (password: {password})", flush=True)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, proxy_headers=False, server_header=False
    )
    uvicorn.Server(config).run(sockets=[sock])


def _run_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from sharekit.app import create_app
    from sharekit.settings import Settings

    if args.root_path and not args.root_path.startswith("/"):
        raise Failure(
            f"--root-path must start with a slash, like /sharekit (not {args.root_path!r})"
        )
    settings = Settings.load(args.config)
    settings.require_service_ready()
    if args.workers < 1:
        raise Failure("--workers must be at least 1")
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
        root_path=args.root_path.rstrip("/"),
    )
    if args.workers > 1:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])


def _run_migrate(args: argparse.Namespace) -> None:
    import asyncio

    from sharekit.errors import ServiceUnavailable
    from sharekit.settings import Settings
    from sharekit.storage import Database
    from sharekit.storage.migrate import current, head, upgrade

    settings = Settings.load(args.config)
    database = Database(settings.database_url, auto_migrate=False)
    where = redacted(settings.database_url)

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
        raise Failure(f"cannot reach the database {where}: {cause.split(') ', 1)[-1]}") from exc
    if args.check:
        if before != head():
            raise Failure(f"the schema is at {before or 'nothing'}; {head()} is needed")
        print(f"the schema is up to date ({head()})")
    elif before == after:
        print(f"nothing to do: the schema is already at {after}")
    else:
        print(f"done: the schema is at {after}")


def _run_purge(args: argparse.Namespace) -> None:
    from sharekit.housekeeping import Housekeeping
    from sharekit.settings import Settings
    from sharekit.storage.comments import CommentStore

    settings = Settings.load(args.config)
    purged = with_database(
        settings, lambda database: Housekeeping(settings, CommentStore(database)).run()
    )
    print(
        f"erased {purged} expired records: network hashes older than "
        f"{settings.client_key_retention_days} days, comments held longer than "
        f"{settings.comments_pending_retention_days} days, spam older than "
        f"{settings.comments_spam_retention_days} days, unconfirmed reply subscriptions "
        "and mail given up on"
    )


def _run_config_docs(args: argparse.Namespace) -> None:
    from sharekit.configdoc import configuration_markdown

    text = configuration_markdown()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def register(commands: Commands) -> None:
    """Add this module's commands."""
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
        "--root-path",
        default="",
        metavar="PREFIX",
        help=(
            "path prefix a reverse proxy strips before passing requests on, e.g. /sharekit; "
            "pages and forms then link below it"
        ),
    )
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
