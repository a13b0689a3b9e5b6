"""The ``sharekit`` command: run the demo, serve, migrate, moderate, move data in and
out, answer data-protection requests.

One module per group of commands, each with a ``register(commands)`` that adds its
sub-commands; a command returns its exit code (``None``: 0). Every error is one clear
line on stderr and exit code 2; ``--help`` works everywhere.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from sharekit import __version__
from sharekit.errors import ConfigurationError

from . import admin, comments, porting, privacy, service
from .common import Failure

__all__ = ["main"]

EXIT_USAGE = 2
GROUPS = (service, comments, porting, privacy, admin)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sharekit",
        description="Privacy-friendly share buttons, print/PDF links and comments.",
    )
    parser.add_argument("--version", action="version", version=f"sharekit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in GROUPS:
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sharekit`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int | None] = args.run
    try:
        code = run(args)
    except (ConfigurationError, Failure) as exc:
        print(f"sharekit {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return code or 0


if __name__ == "__main__":
    sys.exit(main())
