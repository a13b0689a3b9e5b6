"""Data-protection requests: ``privacy export EMAIL`` and ``privacy erase EMAIL``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from .common import Commands, Failure, add_config, site_option, with_database, write_text

if TYPE_CHECKING:
    pass

__all__ = ["confirmed", "register"]

EXIT_CANCELLED = 1


def _email(value: str) -> str:
    email = value.strip()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise Failure("EMAIL must be an email address, such as jane@example.org")
    return email


def confirmed(question: str, assume_yes: bool) -> bool:
    """Ask on a terminal (``[y/N]``); yes without asking when told so or when nobody can
    answer (standard input is not a terminal)."""
    if assume_yes or not sys.stdin.isatty():
        return True
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


def _where(site: str | None) -> str:
    return f"on site {site}" if site else "on every site"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _run_export(args: argparse.Namespace) -> None:
    from sharekit.privacy import DataRequests
    from sharekit.settings import Settings

    settings = Settings.load(args.config)
    site = site_option(settings, args.site)
    email = _email(args.email)
    document = with_database(
        settings, lambda database: DataRequests(settings, database).export(email, site)
    )
    write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _run_erase(args: argparse.Namespace) -> int | None:
    from sharekit.privacy import DataRequests, mask
    from sharekit.settings import Settings

    settings = Settings.load(args.config)
    site = site_option(settings, args.site)
    email = _email(args.email)
    mode = args.mode or settings.privacy_erase
    who = f"{mask(email)} {_where(site)}"
    found = with_database(
        settings, lambda database: DataRequests(settings, database).find(email, site)
    )
    if not found:
        print(f"nothing is stored about {who}")
        return None
    what = {
        "anonymise": "kept without name, email, website and keys",
        "delete": "deleted (placeholders stay where others replied)",
    }[mode]
    question = (
        f"erase the data of {who}: {_plural(len(found.comments), 'comment')} {what}, "
        f"{_plural(len(found.subscriptions), 'reply subscription')} and "
        f"{_plural(len(found.mail), 'queued mail')} deleted?"
    )
    if not confirmed(question, args.yes):
        print("cancelled: nothing was erased", file=sys.stderr)
        return EXIT_CANCELLED
    erased = with_database(
        settings, lambda database: DataRequests(settings, database).erase(email, site, mode)
    )
    done = (
        f"{_plural(erased.anonymised, 'comment')} anonymised"
        if mode == "anonymise"
        else f"{_plural(erased.deleted, 'comment')} deleted"
    )
    print(
        f"erased the data of {who}: {done}, "
        f"{_plural(erased.subscriptions, 'reply subscription')} deleted, "
        f"{_plural(erased.mail, 'queued mail')} dropped"
    )
    return None


def register(commands: Commands) -> None:
    """Add this module's commands."""
    privacy = commands.add_parser(
        "privacy",
        help="answer data-protection requests: export or erase what is stored for an address",
        description=(
            "Answer a commenter's data-protection request (GDPR Art. 15 and 17). Addresses "
            "are matched without regard to case."
        ),
    )
    actions = privacy.add_subparsers(dest="action", metavar="ACTION", required=True)

    export = actions.add_parser(
        "export",
        help="print everything stored about an address as JSON",
        description=(
            "Print everything stored about EMAIL as JSON (UTF-8): comments, reply "
            "subscriptions and queued mail, with a header on what sharekit does not store."
        ),
    )
    export.add_argument("email", metavar="EMAIL", help="the commenter's email address")
    export.add_argument("--site", metavar="KEY", help="only this site (default: every site)")
    add_config(export)
    export.set_defaults(run=_run_export)

    erase = actions.add_parser(
        "erase",
        help="erase everything stored about an address",
        description=(
            "Erase what is stored about EMAIL, in one transaction: its comments are "
            "anonymised or deleted (privacy_erase, or --mode), its reply subscriptions and "
            "the queued mail about them are deleted. Asks first on a terminal."
        ),
    )
    erase.add_argument("email", metavar="EMAIL", help="the commenter's email address")
    erase.add_argument("--site", metavar="KEY", help="only this site (default: every site)")
    erase.add_argument(
        "--mode",
        choices=["anonymise", "delete"],
        help="what to do with the comments (default: the privacy_erase setting)",
    )
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_config(erase)
    erase.set_defaults(run=_run_erase)
