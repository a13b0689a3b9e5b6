"""A source comment queued for the next batch, with the values it will be stored with.

Those depend on where the comment comes from: a placeholder for a deleted comment keeps
nothing of it; sharekit's own format keeps its author key, its HTML (when this renderer
makes exactly that) and, in a restore, its id; another system's comment gets an author key
from the secret and its text rendered afresh.
"""

from __future__ import annotations

from dataclasses import dataclass

from sharekit.comments.identicon import avatar_key
from sharekit.comments.text import render, text_hash
from sharekit.storage.porting_rows import DuplicateKey, NewComment, random_author_key

from .items import SourceComment

__all__ = ["Queued", "checked_html", "prepare"]


@dataclass(frozen=True, slots=True)
class Queued:
    """A comment waiting for the next batch, with the values it will be stored with."""

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

    def new_comment(self, parent_id: int | None, parent_index: int | None) -> NewComment:
        """The row the store writes, attached to a stored parent or one earlier in the batch."""
        comment = self.comment
        assert comment.created_at is not None
        return NewComment(
            site=comment.site,
            thread=comment.thread,
            author=self.author,
            email=self.email,
            author_key=self.author_key,
            website=self.website,
            text=self.text,
            html=self.html,
            status=self.status,
            created_at=comment.created_at,
            text_hash=text_hash(self.text),
            source=self.source,
            edited_at=None if self.placeholder else comment.edited_at,
            consent_at=comment.kept.consent_at if comment.kept else None,
            parent_id=parent_id,
            parent_index=parent_index,
            id=self.keep_id,
        )


def prepare(
    comment: SourceComment,
    parent: str | None,
    *,
    restore: bool,
    secret: str | None,
    markdown: bool,
) -> Queued:
    """``comment`` queued to attach to ``parent``; ``restore`` keeps sharekit's ids."""
    kept = comment.kept
    if comment.placeholder_only:
        return Queued(
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
        return Queued(
            comment=comment,
            parent=parent,
            lookup=lookup,
            source=kept.source if restore else lookup,
            keep_id=kept.id if restore else None,
            author=comment.author,
            email=comment.email,
            website=comment.website,
            author_key=kept.author_key,
            text=comment.text,
            html=checked_html(comment.text, kept.html, markdown=markdown),
            status=comment.status,
        )
    assert secret is not None, "importing another system's comments needs the secret"
    return Queued(
        comment=comment,
        parent=parent,
        lookup=comment.ref,
        source=comment.ref,
        keep_id=None,
        author=comment.author,
        email=comment.email,
        website=comment.website,
        author_key=avatar_key(secret, comment.site, comment.email, comment.author),
        text=comment.text,
        html=render(comment.text, markdown=markdown),
        status=comment.status,
    )


def checked_html(text: str, given: str, *, markdown: bool) -> str:
    """The file's HTML if sharekit's renderer makes exactly that of the text (in either
    mode: the setting may have changed since), else the text rendered afresh. A file
    can come from anywhere; only HTML this renderer makes is ever stored."""
    rendered = render(text, markdown=markdown)
    if given == rendered or given == render(text, markdown=not markdown):
        return given
    return rendered
