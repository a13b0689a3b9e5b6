"""Reply notifications for commenters: double opt-in, one mail per reply, easy to stop.

Three kinds of outbox events:

* ``subscription-confirm`` (queued with a comment whose author ticked the box): the one
  mail sent before confirmation, with the confirmation link. Nothing else ever goes to an
  address that has not confirmed.
* ``comment-approved`` (queued when a comment is published, at once or by a moderator):
  no mail itself, but one ``reply`` event per confirmed subscriber of the thread, the
  comment's own author left out, queued in one transaction. One event per recipient, so
  a failing address never repeats the mails of the others.
* ``reply``: the mail to one subscriber, if the comment is still published and the
  subscription still there.

Every mail names the page, and carries a signed unsubscribe link (also in the
``List-Unsubscribe`` header, with ``List-Unsubscribe-Post`` for RFC 8058 one-click) and a
link to erase everything stored about the address on the site. Names and titles reach
headers only flattened to one line; :func:`~sharekit.mail.messages.compose` refuses any
control character that is left.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from sharekit.comments.service import APPROVED_COMMENT
from sharekit.i18n import N_
from sharekit.links import ERASE_PATH, REPLIES_CONFIRM_PATH, REPLIES_UNSUBSCRIBE_PATH
from sharekit.settings import Site
from sharekit.storage.outbox import QueuedEvent
from sharekit.storage.subscriptions import REPLY, StoredSubscription, SubscriptionStore

from .context import Handler, MailContext
from .messages import compose, one_line

__all__ = ["HANDLERS", "SUBSCRIPTION_CONFIRM", "approved", "confirm", "reply"]

SUBSCRIPTION_CONFIRM = "subscription-confirm"
ONE_CLICK = "List-Unsubscribe=One-Click"
TITLE_MAX = 80  # characters of a page title in a subject


def _ids(event: QueuedEvent, *names: str) -> list[int]:
    values = [event.payload.get(name) for name in names]
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in values):
        raise TypeError(f"a {event.kind} event names its {' and '.join(names)} by id")
    return [int(value) for value in values]  # type: ignore[arg-type]


def _store(context: MailContext) -> SubscriptionStore:
    return SubscriptionStore(context.comments.store.database)


def _subscriber_links(
    context: MailContext, site: Site, subscription: StoredSubscription
) -> dict[str, str]:
    """The links every mail to a subscriber carries."""
    links, email = context.links, subscription.email
    unsubscribe = links.unsubscribe(subscription.id, email)
    return {
        "unsubscribe": context.absolute(site, REPLIES_UNSUBSCRIBE_PATH.format(token=unsubscribe)),
        "erase": context.absolute(site, ERASE_PATH.format(token=links.erase(site.key, email))),
    }


def _mail(
    context: MailContext,
    site: Site,
    subscription: StoredSubscription,
    template: str,
    subject: str,
    values: dict[str, Any],
) -> EmailMessage:
    lang = context.language(site)
    translate = context.renderer.catalogs.translations(lang).gettext
    links = _subscriber_links(context, site, subscription)
    site_name = site.name or site.key
    page = subscription.thread_title or subscription.thread_url
    values = {
        **values,
        **links,
        "site_name": site_name,
        "title": page,
        "page": subscription.thread_url.split("#")[0],
    }
    render = context.renderer.render
    return compose(
        sender=context.sender,
        sender_name=one_line(site_name, 60),
        to=subscription.email,
        subject=translate(subject)
        % {"site": one_line(site_name, 60), "title": one_line(page, TITLE_MAX)},
        text=str(render(f"mail/{template}.txt", lang, **values)),
        html=str(render(f"mail/{template}.html", lang, **values)),
        headers={
            "List-Unsubscribe": f"<{links['unsubscribe']}>",
            "List-Unsubscribe-Post": ONE_CLICK,
            "Auto-Submitted": "auto-generated",
        },
    )


async def confirm(context: MailContext, event: QueuedEvent) -> list[EmailMessage]:
    """The confirmation mail of a new subscription; nothing once it is confirmed or gone,
    or when the comment that asked for it was marked as spam."""
    subscription_id, comment_id = _ids(event, "subscription", "comment")
    if not context.settings.comments_reply_notifications:
        return []
    subscription = await _store(context).get(subscription_id)
    site = context.settings.site(subscription.site) if subscription else None
    if subscription is None or subscription.confirmed or site is None:
        return []
    # A comment caught as spam meanwhile: its address may be someone else's.
    comment = await context.comments.store.get(comment_id)
    if comment is not None and comment.status == "spam":
        return []
    token = context.links.confirm(subscription.id, subscription.email)
    values = {
        "confirm": context.absolute(site, REPLIES_CONFIRM_PATH.format(token=token)),
        "days": context.settings.mail_link_max_age_days,
    }
    subject = N_("[%(site)s] Please confirm: mails about replies on %(title)s")
    return [_mail(context, site, subscription, "confirm", subject, values)]


async def approved(context: MailContext, event: QueuedEvent) -> list[EmailMessage]:
    """Fan a published comment out into one ``reply`` event per subscriber; no mail."""
    (comment_id,) = _ids(event, "comment")
    if context.settings.comments_reply_notifications:
        # Due at the approval event's own time: the sender claims them in the same run.
        await _store(context).fan_out(comment_id, event.created_at)
    return []


async def reply(context: MailContext, event: QueuedEvent) -> list[EmailMessage]:
    """One subscriber's mail about a published comment in their thread; nothing when the
    comment is not published (any more) or the subscription is gone."""
    comment_id, subscription_id = _ids(event, "comment", "subscription")
    if not context.settings.comments_reply_notifications:
        return []
    subscription = await _store(context).get(subscription_id)
    found = await context.comments.moderation.get(comment_id)
    if subscription is None or not subscription.confirmed or found is None:
        return []
    comment = found.comment
    site = context.settings.site(subscription.site)
    if comment.status != "approved" or comment.thread_id != subscription.thread_id or not site:
        return []
    values = {
        "author": comment.author,
        "comment": comment,
        "link": f"{found.thread_url.split('#')[0]}#comment-{comment.id}",
    }
    subject = N_("[%(site)s] New comment on %(title)s")
    return [_mail(context, site, subscription, "reply", subject, values)]


HANDLERS: dict[str, Handler] = {
    SUBSCRIPTION_CONFIRM: confirm,
    APPROVED_COMMENT: approved,
    REPLY: reply,
}
