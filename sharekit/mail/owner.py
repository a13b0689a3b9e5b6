"""Owner notifications: a new comment, mailed to the site's owners with one-click links.

One mail per ``comment-new`` event, to every address of ``Settings.owner_addresses`` at
once (one message: sending it again after a failure repeats it for all of them, which is
acceptable for the owners of one site). It shows the comment as it is when the mail is
written, the commenter's email address (only owners receive it), and signed links to
approve (while held), mark as spam or delete the comment. Each link is bound to the
comment's status at that moment, so it works once, and opens a confirmation page first.
"""

from __future__ import annotations

from email.message import EmailMessage

from sharekit.comments.service import NEW_COMMENT
from sharekit.i18n import N_
from sharekit.links import MODERATE_PATH, ModerationAction
from sharekit.settings import Site
from sharekit.storage.comments import SiteComment
from sharekit.storage.outbox import QueuedEvent

from .context import Handler, MailContext
from .messages import compose, one_line

__all__ = ["HANDLERS", "new_comment"]

SUBJECT_TITLE_MAX = 80
STATUS_LABELS = {
    "approved": N_("Published"),
    "pending": N_("Awaiting moderation"),
    "spam": N_("Marked as spam"),
}


def actions(status: str) -> list[ModerationAction]:
    """What an owner can do from the mail to a comment with ``status``."""
    if status == "pending":
        return ["approve", "spam", "delete"]
    if status == "approved":
        return ["spam", "delete"]
    return ["delete"]


def subject(context: MailContext, found: SiteComment, site: Site, lang: str) -> str:
    translate = context.renderer.catalogs.translations(lang).gettext
    title = one_line(found.thread_title or found.thread_url, SUBJECT_TITLE_MAX)
    if found.comment.status == "pending":
        message = translate(N_("[%(site)s] New comment to moderate: %(title)s"))
    else:
        message = translate(N_("[%(site)s] New comment: %(title)s"))
    return message % {"site": one_line(site.name or site.key, 60), "title": title}


async def new_comment(context: MailContext, event: QueuedEvent) -> list[EmailMessage]:
    """The owners' mail about a new comment; nothing when it is gone or nobody is to hear."""
    comment_id = event.payload.get("comment")
    if not isinstance(comment_id, int):
        raise TypeError("a comment-new event names its comment by id")
    found = await context.comments.moderation.get(comment_id)
    if found is None or found.comment.status == "deleted":
        return []
    comment = found.comment
    site = context.settings.site(comment.site)
    owners = context.settings.owner_addresses(site) if site is not None else []
    if site is None or not owners:
        return []
    lang = context.language(site)
    links = {
        action: context.absolute(
            site,
            MODERATE_PATH.format(token=context.links.moderate(comment.id, action, comment.status)),
        )
        for action in actions(comment.status)
    }
    values = {
        "site_name": site.name or site.key,
        "comment": comment,
        "title": found.thread_title or found.thread_url,
        "link": f"{found.thread_url.split('#')[0]}#comment-{comment.id}",
        "status": STATUS_LABELS.get(comment.status, comment.status),
        "links": links,
        "days": context.settings.mail_link_max_age_days,
    }
    render = context.renderer.render
    return [
        compose(
            sender=context.sender,
            sender_name=one_line(site.name or "sharekit", 60),
            to=owners,
            subject=subject(context, found, site, lang),
            text=str(render("mail/owner.txt", lang, **values)),
            html=str(render("mail/owner.html", lang, **values)),
            headers={"Auto-Submitted": "auto-generated"},
        )
    ]


HANDLERS: dict[str, Handler] = {NEW_COMMENT: new_comment}
