"""What an import did, for the person who ran it: counts, and why comments were left out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["ALREADY", "DUPLICATE", "OTHER_SITE", "PARENT_MISSING", "TWICE", "Summary"]

ALREADY = "already imported"
DUPLICATE = "duplicate: the same author and text are already in the thread"
PARENT_MISSING = "parent missing: the comment it replies to is not in the file"
OTHER_SITE = "of another site than --site"
TWICE = "invalid: the same comment twice in the file"
_EXAMPLES = 3  # names of skipped comments shown per reason


@dataclass
class Summary:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool
    total: int = 0  # comments in the file
    imported: int = 0
    placeholders: int = 0
    threads: set[tuple[str, str]] = field(default_factory=set)
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    subscriptions: int = 0
    shares: int = 0
    kept_ids: bool = False

    def skip(self, name: str, reason: str) -> None:
        """Count a comment left out; keep its name as an example of the reason."""
        self.skipped[reason] += 1
        if reason != ALREADY:
            examples = self.examples.setdefault(reason, [])
            if len(examples) < _EXAMPLES:
                examples.append(name)

    @property
    def done(self) -> int:
        """Comments handled so far, imported or skipped."""
        return self.imported + sum(self.skipped.values())

    def lines(self) -> list[str]:
        """The summary as the CLI prints it, one line each."""
        verb = "would import" if self.dry_run else "imported"
        first = (
            f"{verb} {_count(self.imported, 'comment')} in {_count(len(self.threads), 'thread')}"
        )
        if self.placeholders == 1:
            first += " (one deleted in the source, kept as a placeholder for its replies)"
        elif self.placeholders:
            first += (
                f" ({self.placeholders} deleted in the source, kept as placeholders for "
                "their replies)"
            )
        lines = [first]
        if self.kept_ids and self.imported:
            lines.append("the comments kept their ids (the database held no other comments)")
        if self.subscriptions or self.shares:
            lines.append(
                f"{verb} {_count(self.subscriptions, 'reply subscription')} and "
                f"{_count(self.shares, 'share')}"
            )
        skipped = sum(self.skipped.values())
        if skipped:
            lines.append(f"skipped {_count(skipped, 'comment')}:")
            for reason, count in sorted(
                self.skipped.items(), key=lambda item: (-item[1], item[0])
            ):
                examples = self.examples.get(reason)
                tail = f" (e.g. {', '.join(examples)})" if examples else ""
                lines.append(f"  {count} {reason}{tail}")
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
