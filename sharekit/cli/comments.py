"""Moderation from a shell: ``comments list`` and ``comments approve|spam|delete ID …``.

The actions go through the same :class:`~sharekit.comments.moderation.Moderation` as the
admin and the links in owner mails, so approving queues the same notifications; a running
service sends them at its next look at the queue (``mail_poll_seconds``).

``approve``, ``spam`` and ``delete`` print one line per id, ``<id> <outcome>``, where the
outcome is ``approved``, ``spam``, ``deleted``, ``unchanged`` (it already was),
``not-found`` or ``refused`` (a deleted comment cannot be approved or marked as spam).
The exit code is 0 when every id was found and acted on, 1 when any was ``not-found`` or
``refused`` (the others are done all the same), 2 on a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .common import Commands, add_config, site_option, with_database, write_text

if TYPE_CHECKING:
    from sharekit.comments.moderation import Moderation
    from sharekit.settings import Settings
    from sharekit.storage.comments import SiteComment
    from sharekit.storage.database import Database

__all__ = ["register"]

EXIT_SOME_FAILED = 1
STATUSES = ("pending", "approved", "spam", "deleted")
TEXT_WIDTH = 60
_DONE = {"approve": "approved", "spam": "spam", "delete": "deleted"}
_STATUS = {"approve": "approved", "spam": "spam", "delete": "deleted"}


def _moderation(settings: Settings, database: Database) -> Moderation:
    """What the app builds for moderation, without the web parts it does not need."""
    from sharekit.comments.moderation import Moderation
    from sharekit.comments.service import CommentService
    from sharekit.i18n import Catalogs
    from sharekit.rendering import Renderer, build_assets
    from sharekit.share.registry import Registry

    assets = build_assets(Registry(settings.share_custom_networks))
    renderer = Renderer(Catalogs(), assets, settings.public_url)
    return Moderation(CommentService(settings, renderer, database))


def _one_line(text: str, width: int) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def _row(item: SiteComment) -> list[str]:
    comment = item.comment
    return [
        str(comment.id),
        comment.status,
        comment.created_at.strftime("%Y-%m-%d %H:%M"),
        _one_line(f"{comment.site}/{comment.thread_key}", 40),
        _one_line(comment.author, 24) or "-",
        _one_line(comment.text, TEXT_WIDTH),
    ]


def _table(items: Sequence[SiteComment]) -> str:
    rows = [["ID", "STATUS", "DATE (UTC)", "SITE/THREAD", "AUTHOR", "TEXT"]]
    rows += [_row(item) for item in items]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.rjust(widths[0]) if index == 0 else cell for index, cell in enumerate(row)]
        padded = [cell.ljust(widths[index]) for index, cell in enumerate(cells[:-1])]
        lines.append("  ".join([*padded, cells[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def _record(item: SiteComment) -> dict[str, Any]:
    comment = item.comment
    return {
        "id": comment.id,
        "site": comment.site,
        "thread": comment.thread_key,
        "url": item.thread_url,
        "title": item.thread_title,
        "parent": comment.parent_id,
        "status": comment.status,
        "author": comment.author,
        "email": comment.email,
        "website": comment.website,
        "text": comment.text,
        "created": comment.created_at.isoformat(),
        "edited": comment.edited_at.isoformat() if comment.edited_at else None,
    }


def _run_list(args: argparse.Namespace) -> None:
    from sharekit.settings import Settings
    from sharekit.storage.moderation import Filter, ModerationStore

    settings = Settings.load(args.config)
    where = Filter(
        site=site_option(settings, args.site),
        thread=args.thread,
        statuses=tuple(args.status or ()),
        search=args.search or "",
    )
    found, total = with_database(
        settings, lambda database: ModerationStore(database).find(where, limit=args.limit)
    )
    if args.json:
        write_text("".join(json.dumps(_record(item), ensure_ascii=False) + "\n" for item in found))
        return
    if not found:
        write_text("no comments match\n")
        return
    write_text(_table(found) + f"{len(found)} of {total} matching comments\n")


def _run_action(args: argparse.Namespace) -> int | None:
    from sharekit.settings import Settings

    settings = Settings.load(args.config)
    settings.require_service_ready()  # the comment service needs the secret key
    action: str = args.action
    ids = list(dict.fromkeys(args.ids))

    async def work(database: Database) -> list[tuple[int, str]]:
        moderation = _moderation(settings, database)
        outcomes: dict[int, str] = {}
        targets = []
        for comment_id in ids:
            found = await moderation.store.get(comment_id)
            if found is None:
                outcomes[comment_id] = "not-found"
            elif found.comment.status == _STATUS[action]:
                outcomes[comment_id] = "unchanged"
            elif found.comment.status == "deleted":
                outcomes[comment_id] = "refused"
            else:
                targets.append(comment_id)
        if action == "delete":
            await moderation.delete(targets)
            changed = set(targets)
        elif action == "approve":
            changed = {comment.id for comment in await moderation.approve(targets)}
        else:
            changed = {comment.id for comment in await moderation.spam(targets)}
        for comment_id in targets:  # gone in between: deleted by someone else
            outcomes[comment_id] = _DONE[action] if comment_id in changed else "not-found"
        return [(comment_id, outcomes[comment_id]) for comment_id in ids]

    results = with_database(settings, work)
    write_text("".join(f"{comment_id} {outcome}\n" for comment_id, outcome in results))
    if any(outcome in {"not-found", "refused"} for _, outcome in results):
        return EXIT_SOME_FAILED
    return None


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {value}")
    return number


def register(commands: Commands) -> None:
    """Add this module's commands."""
    comments = commands.add_parser(
        "comments",
        help="list and moderate comments",
        description="List comments and approve, mark as spam or delete them by id.",
    )
    actions = comments.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list",
        help="list comments, newest first",
        description=(
            "List comments, newest first: a table (id, status, date, site/thread, author, "
            "text) or, with --json, one JSON object per line (with the email address)."
        ),
    )
    listing.add_argument("--site", metavar="KEY", help="only this site")
    listing.add_argument("--thread", metavar="KEY", help="only this thread (key)")
    listing.add_argument(
        "--status",
        choices=STATUSES,
        action="append",
        help="only comments with this status (repeatable)",
    )
    listing.add_argument(
        "--search", metavar="TEXT", help="in name, email, website and text (any case)"
    )
    listing.add_argument(
        "--limit", type=_positive, default=50, metavar="N", help="at most N comments (50)"
    )
    listing.add_argument("--json", action="store_true", help="JSON Lines instead of a table")
    add_config(listing)
    listing.set_defaults(run=_run_list)

    helps = {
        "approve": "publish comments (subscribers of their threads are mailed)",
        "spam": "hide comments as spam (deleted after comments_spam_retention_days)",
        "delete": "delete comments (a placeholder stays where others replied)",
    }
    for action, text in helps.items():
        command = actions.add_parser(
            action,
            help=text,
            description=f"{text[0].upper()}{text[1:]}. Prints '<id> <outcome>' per id; "
            "exit code 1 when any id was not found or refused.",
        )
        command.add_argument("ids", metavar="ID", type=_positive, nargs="+", help="comment ids")
        add_config(command)
        command.set_defaults(run=_run_action)
