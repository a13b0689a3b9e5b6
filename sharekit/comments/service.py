"""The comment capability of one app: validate, defend, render once, store, read back."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from sharekit.errors import Forbidden
from sharekit.housekeeping import Housekeeping
from sharekit.i18n import N_
from sharekit.links import MailLinks
from sharekit.rendering import Renderer
from sharekit.security import InvalidToken, Tokens
from sharekit.settings import Settings, Site
from sharekit.state import is_https
from sharekit.storage.comments import CommentStore
from sharekit.storage.database import Database
from sharekit.storage.moderation import ModerationStore
from sharekit.storage.outbox import Outbox
from sharekit.storage.records import StoredComment

from .fragments import Fragments, Page
from .guard import HONEYPOT, Guard, moderation_status
from .identicon import avatar_key, identicon
from .listings import ListingCache
from .models import Comment, CommentIn, CommentLimits, check_email_domain, parse_comment
from .text import render, text_hash

__all__ = [
    "APPROVED_COMMENT",
    "NEW_COMMENT",
    "OWN_COOKIE",
    "CommentService",
    "FormState",
    "ThreadView",
]

# Outbox events: a comment the owner should hear about; a comment now public (replies to
# tell subscribers about). ``subscription-confirm`` is queued by the store.
NEW_COMMENT = "comment-new"
APPROVED_COMMENT = "comment-approved"

EDIT = "comment-edit"
OWN = "comment-own"
OWN_COOKIE = "sharekit_own"
OWN_MAX_AGE = 24 * 3600  # a held comment stays visible to its author for a day


@dataclass(frozen=True)
class FormState:
    """What the form shows: the visitor's values and, after a failed post, the errors."""

    values: Mapping[str, Any] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class ThreadView:
    """One page of a thread, as public comments nested by reply."""

    comments: list[Comment]
    children: dict[int | None, list[Comment]]
    cursor: str | None
    total: int
    editable: frozenset[int] = frozenset()


class CommentService:
    """Everything the comment routes and the template tag need, built once per app."""

    def __init__(self, settings: Settings, renderer: Renderer, database: Database) -> None:
        assert settings.secret_key is not None
        self.settings = settings
        self.renderer = renderer
        self.secret = settings.secret_key.get_secret_value()
        self.store = CommentStore(database)
        self.moderation = ModerationStore(database)
        self.outbox = Outbox(database)
        # Set when something was queued for the mail sender, which waits on it.
        self.mail_waiting = asyncio.Event()
        self.housekeeping = Housekeeping(settings, self.store)
        self.listings = ListingCache()
        self.fragments = Fragments(renderer)
        self.guard = Guard(
            tokens=Tokens(self.secret),
            min_seconds=settings.comments_min_seconds,
            max_age=settings.comments_token_max_age,
            per_15s=settings.comments_rate_per_15s,
            per_hour=settings.comments_rate_per_hour,
        )
        self.links = MailLinks(self.guard.tokens, settings.mail_link_max_age_days)

    @property
    def replies_offered(self) -> bool:
        """Whether the form offers reply notifications (they need a mail server)."""
        return self.settings.smtp is not None and self.settings.comments_reply_notifications

    def limits(self, site: Site) -> CommentLimits:
        return CommentLimits(
            email_required=self.settings.comments_email_required,
            text_min=self.settings.comments_text_min,
            text_max=self.settings.comments_text_max,
            consent_required=site.privacy_policy_url is not None,
        )

    def validate(self, data: Mapping[str, Any], site: Site) -> CommentIn:
        """Validate a submission (raises ``ValidationFailed``) after the honeypot."""
        self.guard.check_honeypot(str(data.get(HONEYPOT) or ""))  # JSON null: left empty
        return parse_comment(dict(data), self.limits(site))

    async def submit(
        self, comment: CommentIn, site: Site, client: str, now: datetime | None = None
    ) -> StoredComment:
        """Store a validated comment after flood control; rendered once, here. With
        ``comments_check_deliverability``, DNS is asked about the email domain first."""
        now = now or datetime.now(UTC)
        if self.settings.comments_check_deliverability:
            await check_email_domain(comment.email)
        mode = self.settings.moderation_of(site)
        status = moderation_status(
            comment.text, mode, self.settings.comments_max_links, self.settings.comments_blocklist
        )
        if mode == "first" and status == "approved":
            email = comment.email
            if not email or not await self.moderation.approved_before(site.key, email):
                status = "pending"
        events = []
        if self.settings.owner_addresses(site):
            events.append(NEW_COMMENT)
        if status == "approved" and self.replies_offered:
            events.append(APPROVED_COMMENT)
        stored = await self.store.add(
            site.key,
            comment.thread,
            comment.url,
            comment.title,
            parent_id=comment.parent,
            author=comment.name,
            email=comment.email or None,
            author_key=avatar_key(self.secret, site.key, comment.email or None, comment.name),
            website=comment.website or None,
            text=comment.text,
            html=render(comment.text, markdown=self.settings.comments_markdown),
            status=status,
            client_key=client,
            consent_at=now if comment.consent else None,
            text_hash=text_hash(comment.text),
            max_depth=self.settings.comments_max_depth,
            now=now,
            flood=self.guard.flood_limits(),
            events=events,
            subscribe=comment.notify and self.replies_offered,
        )
        if events or comment.notify:
            self.mail_waiting.set()
        self.housekeeping.start_if_due()
        return stored

    def public(self, stored: StoredComment) -> Comment:
        """The published view of a stored comment: no email, no client key."""
        return Comment(
            id=stored.id,
            thread=stored.thread_key,
            parent=stored.parent_id,
            depth=stored.depth,
            author=stored.author,
            website=stored.website,
            html=stored.html,
            avatar=str(identicon(stored.author_key, label=stored.author)),
            status=stored.status,
            created=stored.created_at,
            edited=stored.edited_at,
        )

    async def thread(
        self,
        site: Site,
        thread: str,
        include_ids: frozenset[int] = frozenset(),
        newest_first: bool = False,
        after: str | None = None,
    ) -> ThreadView:
        """One page of a thread: approved comments (and placeholders of deleted ones
        that have replies) plus the visitor's own held ones."""
        rows, cursor = await self.store.list_thread(
            site.key,
            thread,
            # A deleted comment with replies stays as a placeholder (no personal data),
            # so its replies keep their place; one without replies is gone from the table.
            statuses=("approved", "deleted"),
            include_ids=include_ids,
            newest_first=newest_first,
            limit=self.settings.comments_page_size,
            after=after,
        )
        comments = [self.public(row) for row in rows]
        children: dict[int | None, list[Comment]] = {}
        known = {comment.id for comment in comments}
        for comment in comments:
            parent = comment.parent if comment.parent in known else None
            children.setdefault(parent, []).append(comment)
        total = (await self.store.counts(site.key, [thread])).get(thread, 0)
        now = datetime.now(UTC)
        editable = frozenset(
            row.id for row in rows if row.id in include_ids and self.editable(row, now)
        )
        return ThreadView(comments, children, cursor, total, editable)

    def render_section(
        self,
        view: ThreadView,
        site: Site,
        thread: str,
        url: str,
        title: str,
        lang: str,
        base: str,
        form: FormState | None = None,
        parent: int | None = None,
    ) -> Markup:
        """The thread and its form, as one server-rendered fragment."""
        page = Page(site.key, thread, url, title, lang, base)

        def article(comment: Comment) -> Markup:
            return self.fragments.article(comment, page, comment.id in view.editable)

        return self.renderer.render(
            "comments/section.html",
            lang,
            view=view,
            site=site,
            thread=thread,
            url=url,
            title=title,
            base=base,
            form=form or FormState(),
            parent=parent,
            token=self.guard.issue(site.key, thread),
            settings=self.settings,
            replies=self.replies_offered,
            article=article,
        )

    def render_item(
        self, comment: Comment, site: Site, url: str, title: str, lang: str, base: str
    ) -> Markup:
        """One comment as a list item, for the script to insert after posting."""
        page = Page(site.key, comment.thread, url, title, lang, base)
        article = self.fragments.render(comment, page, editable=True)
        return self.renderer.render("comments/item.html", lang, c=comment, article=article)

    def forget_rendered(self) -> None:
        """Drop cached listings and comment articles: after an edit, a deletion, moderation
        or an erasure, no old text stays in this process's memory."""
        self.listings.clear()
        self.fragments.clear()

    async def counts(self, site: Site, threads: Sequence[str]) -> dict[str, int]:
        return await self.store.counts(site.key, list(threads))

    def edit_token(self, stored: StoredComment) -> str:
        """Lets the author edit or delete this comment (within the edit window)."""
        return self.guard.tokens.dumps(EDIT, {"id": stored.id, "h": stored.text_hash})

    def remember_author(
        self,
        response: Response,
        request: Request,
        stored: StoredComment,
        forget: bool = False,
    ) -> None:
        """Keep the author's comments (id and text hash) in an HttpOnly cookie, so the
        no-JavaScript path can show them their held comment and, within the edit window,
        let them change or delete it. ``forget`` drops this comment instead."""
        owned = dict(self.owned_from(request.cookies))
        owned.pop(stored.id, None)
        if not forget:
            owned[stored.id] = stored.text_hash
        recent = dict(sorted(owned.items())[-20:])
        value = self.guard.tokens.dumps(OWN, {str(k): v for k, v in recent.items()})
        response.set_cookie(
            OWN_COOKIE,
            value,
            max_age=OWN_MAX_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=is_https(request),
        )

    def own_ids(self, request: Request) -> frozenset[int]:
        """The comment ids this browser posted recently (from the signed cookie)."""
        return self.own_ids_from(request.cookies)

    def own_ids_from(self, cookies: Mapping[str, str]) -> frozenset[int]:
        """The same, from any mapping of cookies (e.g. a Flask or Starlette request's)."""
        return frozenset(self.owned_from(cookies))

    def owned_from(self, cookies: Mapping[str, str]) -> dict[int, str]:
        """Comment id → text hash of the comments this browser posted recently."""
        raw = cookies.get(OWN_COOKIE)
        if not raw:
            return {}
        try:
            owned = self.guard.tokens.loads(OWN, raw, max_age=OWN_MAX_AGE)
        except InvalidToken:
            return {}
        if not isinstance(owned, dict):
            return {}
        return {
            int(key): value
            for key, value in owned.items()
            if isinstance(key, str) and key.isdecimal() and isinstance(value, str)
        }

    def editable(self, stored: StoredComment, now: datetime | None = None) -> bool:
        """Whether the edit window of this comment is still open."""
        now = now or datetime.now(UTC)
        window = self.settings.comments_edit_window
        return stored.status in ("approved", "pending") and (
            (now - stored.created_at).total_seconds() < window
        )

    def authorise(
        self, stored: StoredComment, cookies: Mapping[str, str], token: str | None
    ) -> None:
        """Allow an author's change: a valid edit token (JavaScript path) or the cookie
        (no-JavaScript path), bound to this comment's current text, inside the window."""
        allowed = False
        if token:
            try:
                payload = self.guard.tokens.loads(
                    EDIT, token, max_age=max(self.settings.comments_edit_window, 1)
                )
            except InvalidToken:
                payload = None
            allowed = isinstance(payload, dict) and payload == {
                "id": stored.id,
                "h": stored.text_hash,
            }
        elif self.owned_from(cookies).get(stored.id) == stored.text_hash:
            allowed = True
        if not allowed or not self.editable(stored):
            minutes = max(1, self.settings.comments_edit_window // 60)
            raise Forbidden(
                N_("You can change or delete only your own comment, within %(minutes)s minutes."),
                minutes=minutes,
            )
