"""The Slack poster: the code that posts to Slack's Web API.

It consumes ``reply.slack`` and calls ``chat.postMessage`` through slack_sdk's
``AsyncWebClient``, whose retry handlers wait out 429s (``Retry-After``) and retry 5xx and
connection errors a bounded number of times; slash-command answers go to their
``response_url`` instead. Slack's ``ok: false`` answers are logged with their error code;
permanent ones are acknowledged (retrying cannot help; a bot that is not in the channel tells
the user by DM how to invite it), transient ones raise, so that the bus keeps the reply in the
dead-letter queue instead of acknowledging it.
"""

from __future__ import annotations

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from jeeves_shared.messages import Action, Reply
from workers.deps import Deps

log = structlog.get_logger(__name__)

#: Slack error codes worth another try later; every other ``ok: false`` is final.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


#: The bot cannot post in the channel; the user can fix that by inviting it.
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})


class TransientSlackError(RuntimeError):
    """Slack could not take the message now; the message must not be acknowledged."""


def make_slack_client(
    token: str, *, base_url: str, session: aiohttp.ClientSession, max_retries: int
) -> AsyncWebClient:
    """An ``AsyncWebClient`` on the process's pooled session, with bounded retries."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        session=session,
        timeout=10,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=max_retries),
            AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries),
            AsyncServerErrorRetryHandler(max_retry_count=max_retries),
        ],
    )


async def handle(message: Action | Reply, deps: Deps) -> None:
    """Post a reply to its Slack conversation (in its thread, if it has one)."""
    if not isinstance(message, Reply):
        raise TypeError(f"slack poster got a {message.kind}")
    if deps.slack is None:
        raise RuntimeError("the slack poster needs a Slack client")
    where = message.conversation
    if where.response_url:
        await post_to_response_url(deps, where.response_url, message)
        return
    try:
        await deps.slack.chat_postMessage(
            channel=where.channel_id, text=message.text, thread_ts=where.thread_ts
        )
    except SlackApiError as exc:
        code = str(exc.response.get("error", "unknown"))
        status = exc.response.status_code
        log.warning(
            "slack.post_failed",
            error=code,
            status=status,
            channel=where.channel_id,
            reply_id=message.id,
        )
        if code in TRANSIENT_ERRORS or status == 429 or status >= 500:
            raise TransientSlackError(code) from None
        if code in NOT_A_MEMBER and where.channel_id != where.user_id:
            await tell_to_invite(deps.slack, message)
        return
    log.info("slack.posted", channel=where.channel_id, reply_id=message.id)


async def tell_to_invite(slack: AsyncWebClient, reply: Reply) -> None:
    """The bot cannot post where it was asked: tell the asker, by DM, how to fix it."""
    where = reply.conversation
    text = (
        f"I couldn't answer you in <#{where.channel_id}>: I'm not a member there. "
        "Invite me with `/invite @jeeves`, or ask me here."
    )
    try:
        await slack.chat_postMessage(channel=where.user_id, text=text)
    except SlackApiError as exc:
        log.warning("slack.invite_hint_failed", error=exc.response.get("error"))


async def post_to_response_url(deps: Deps, url: str, reply: Reply) -> None:
    """Answer a slash command through its ``response_url`` (only the asker sees it)."""
    if deps.http is None:
        raise RuntimeError("the slack poster needs an HTTP session")
    if not url.startswith(deps.response_url_prefix):
        # Only Slack's own hooks: a message on the bus must not make us call anything else.
        log.error("slack.response_url_refused", reason="not a Slack hook", reply_id=reply.id)
        return
    body = {"text": reply.text, "response_type": "ephemeral"}
    async with deps.http.post(url, json=body, timeout=aiohttp.ClientTimeout(total=10)) as answer:
        status = answer.status
    if status == 429 or status >= 500:
        raise TransientSlackError(f"response_url answered {status}")
    if status >= 400:
        # Expired (30 minutes or 5 answers) or unknown: retrying cannot help.
        log.warning("slack.response_url_refused", status=status, reply_id=reply.id)
        return
    log.info("slack.responded", reply_id=reply.id)
