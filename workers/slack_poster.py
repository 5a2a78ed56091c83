"""The Slack poster: the code that posts to Slack's Web API, each reply exactly once.

It consumes ``reply.slack`` and calls ``chat.postMessage`` through slack_sdk's
``AsyncWebClient``, whose retry handlers wait out 429s (``Retry-After``, in the waiting
message's own task: other channels go on) and retry 5xx and connection errors a bounded number
of times; slash-command answers go to their ``response_url`` instead.

Exactly once: before posting, the poster takes a lease on the reply's id in the Data Service
(reply ids are derived from the Slack event, so redeliveries, Slack retries and re-fired
reminders share them); the claims of concurrent replies travel together, one request per round
trip (:class:`~jeeves_shared.claims.ReplyClaims`). A reply already done is skipped; one
another poster is posting now is retried later; a lease left by a poster that died expires
and is taken over. After a successful post the claim is marked done; after a failure it is
released, so the retry can post at once. Every message carries its reply id in Slack message
metadata: a poster taking over a dead one's lease first reads the conversation back, and if
the dead poster did post (it died between Slack's answer and marking the claim done) it only
marks it done.

Slack's ``ok: false`` answers are logged with their error code. Transient ones raise, and the
bus retries the reply after a delay. Permanent ones raise
:class:`~jeeves_shared.bus.PermanentFailure`: the reply is kept in the dead-letter queue with
the reason, for ``jeeves dlq replay`` once fixed. A bot that is not in the channel also tells
the user by DM how to invite it; a revoked or invalid token marks the workspace inactive.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from jeeves_shared.auth.errors import AuthError
from jeeves_shared.bus import PermanentFailure, RetryLater
from jeeves_shared.claims import ReplyClaims
from jeeves_shared.dataclient import DataServiceClient, DataServiceError, NotFound
from jeeves_shared.messages import Action, Reply
from workers.deps import Deps

log = structlog.get_logger(__name__)

#: What the poster asks the Data Service for: claiming reply ids, marking workspaces inactive.
POSTER_SCOPES = ("events:claim", "workspaces:write")
#: How long a claim protects a reply being posted. A poster that dies holding one delays that
#: reply by this much; a post that takes longer than :data:`POST_DEADLINE` is abandoned first.
LEASE_SECONDS = 30
#: The history check and the post must end within this (well inside the lease)...
POST_DEADLINE = 15.0
#: ...and the check after a post whose outcome is unknown within this.
CHECK_DEADLINE = 10.0
#: The metadata ``event_type`` of Jeeves' messages; the payload carries the reply id.
METADATA_EVENT = "jeeves_reply"
#: How far back a taking-over poster looks for a message the dead one may have posted.
LOOK_BACK_SECONDS = 3600
#: At most this many pages (of 200 messages) are read back.
HISTORY_PAGES = 5

#: Slack error codes worth another try later; every other ``ok: false`` is final.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


#: The bot cannot post in the channel; the user can fix that by inviting it.
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})
#: The workspace's token no longer works: the installation is inactive until reinstalled.
REVOKED = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed"})


class TransientSlackError(RuntimeError):
    """Slack could not take the message now; the message must not be acknowledged."""


class SlackRefused(TransientSlackError):
    """Slack answered, and did not post (a 429, or a transient ``ok: false`` code)."""


class OutcomeUnknown(TransientSlackError):
    """Slack may or may not have posted (a 5xx: the answer says nothing about the message)."""


class HistoryUnavailable(RuntimeError):
    """Slack could not show the conversation just now (rate limited, or failing)."""


class ReplyInProgress(RetryLater):
    """Another poster holds this reply's claim right now; look again later."""


def make_slack_client(
    token: str,
    *,
    base_url: str,
    session: aiohttp.ClientSession,
    max_retries: int,
    resend: bool = True,
) -> AsyncWebClient:
    """An ``AsyncWebClient`` on the process's pooled session, with bounded retries.

    A 429 is always waited out and retried (Slack did nothing). With ``resend`` (for reads),
    connection errors and 5xx are retried too; the poster turns it off, since resending a post
    whose first attempt may have landed could post it twice: it checks first (see
    :func:`handle`).
    """
    handlers: list[AsyncRetryHandler] = [
        AsyncRateLimitErrorRetryHandler(max_retry_count=max_retries)
    ]
    if resend:
        handlers += [
            AsyncConnectionErrorRetryHandler(max_retry_count=max_retries),
            AsyncServerErrorRetryHandler(max_retry_count=max_retries),
        ]
    return AsyncWebClient(
        token=token, base_url=base_url, session=session, timeout=10, retry_handlers=handlers
    )


async def handle(message: Action | Reply, deps: Deps) -> None:
    """Post a reply to its Slack conversation (in its thread, if it has one), exactly once.

    Lease the reply id; skip it if done, retry later if someone else holds it. Within a deadline
    well inside the lease: if the lease was taken over from a poster that died, read the
    conversation back first; then post, and report the claim done. If Slack refused, release the
    claim and let the bus retry. If the outcome is unknown (connection lost, timeout, 5xx), read
    the conversation back: posted after all → done; not posted → release and retry; cannot tell
    → keep the lease, so that the next attempt takes it over and reads again.
    """
    if not isinstance(message, Reply):
        raise PermanentFailure(f"the slack poster got a {message.kind}")
    claims = deps.need_claims()
    key = uuid.uuid4().hex
    lease = await claims.lease(message.id, key=key)
    if lease.status == "done":
        log.info("slack.duplicate_skipped", reply_id=message.id)
        return
    if lease.status == "held":
        raise ReplyInProgress(f"{message.id} is being posted (lease ends in {lease.retry_after}s)")
    # Once a post may have landed (ours, or the dead holder's), only a successful read of the
    # conversation may give the claim back: the lease otherwise runs out, and whoever takes it
    # over reads the conversation first.
    sent = False
    try:
        async with asyncio.timeout(POST_DEADLINE):
            if lease.taken_over and await already_posted(deps, message):
                log.warning("slack.posted_before_crash", reply_id=message.id)
                await _finish(claims, message.id, key)
                return
            sent = True
            await post(message, deps)
    except asyncio.CancelledError:
        if not (sent or lease.taken_over):
            await _release(claims, message.id, key)
        raise
    except (PermanentFailure, SlackRefused):
        await _release(claims, message.id, key)
        raise
    except Exception as exc:
        if sent:
            await _settle_unknown(deps, claims, message, key, exc)
            return
        if lease.taken_over:
            raise OutcomeUnknown(f"the conversation could not be read: {_describe(exc)}") from exc
        await _release(claims, message.id, key)
        raise
    await _finish(claims, message.id, key)


async def _settle_unknown(
    deps: Deps, claims: ReplyClaims, message: Reply, key: str, exc: Exception
) -> None:
    """After a post whose outcome is unknown: done if it landed, else raise so it is retried."""
    try:
        async with asyncio.timeout(CHECK_DEADLINE):
            landed = await already_posted(deps, message)
    except (TimeoutError, aiohttp.ClientError, HistoryUnavailable) as check_failed:
        # Cannot tell: keep the lease; the retry takes it over once it ends and reads again.
        log.warning("slack.outcome_unknown", reply_id=message.id, error=repr(check_failed))
        raise OutcomeUnknown(f"{_describe(exc)}; the conversation could not be read") from exc
    if landed:
        log.warning("slack.posted_despite_error", reply_id=message.id, error=_describe(exc))
        await _finish(claims, message.id, key)
        return
    # Not there (or the conversation cannot be read: at least once rather than not at all).
    await _release(claims, message.id, key)
    raise TransientSlackError(_describe(exc)) from exc


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def _release(claims: ReplyClaims, reply_id: str, key: str) -> None:
    """Give the claim back so the retry can post at once (else it waits for the lease to end)."""
    try:
        await claims.release(reply_id, key=key)
    except (DataServiceError, AuthError) as exc:
        log.warning("slack.release_failed", reply_id=reply_id, error=str(exc))


async def _finish(claims: ReplyClaims, reply_id: str, key: str) -> None:
    """Mark the reply posted.

    If the Data Service cannot be told (after the client's retries), the reply was still posted:
    the message is acknowledged all the same, and only a copy arriving after the lease ends
    (none should) could post it again.
    """
    try:
        outcome = await claims.finish(reply_id, key=key)
    except (DataServiceError, AuthError) as exc:
        log.error("slack.finish_failed", reply_id=reply_id, error=str(exc))
        return
    if outcome.status != "done":  # taken over by another poster, or released meanwhile
        log.error("slack.finish_failed", reply_id=reply_id, error=f"claim {outcome.status}")


async def post(message: Reply, deps: Deps) -> None:
    """Post ``message`` once, mapping Slack's failures to transient or permanent errors."""
    if deps.slack is None:
        raise RuntimeError("the slack poster needs a Slack client")
    where = message.conversation
    if where.response_url:
        await post_to_response_url(deps, where.response_url, message)
        return
    try:
        await deps.slack.chat_postMessage(
            channel=where.channel_id,
            text=message.text,
            thread_ts=where.thread_ts,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"reply_id": message.id}},
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
        if status >= 500:
            raise OutcomeUnknown(f"slack answered {status} ({code})") from None
        if code in TRANSIENT_ERRORS or status == 429:
            raise SlackRefused(code) from None
        if code in NOT_A_MEMBER and where.channel_id != where.user_id:
            await tell_to_invite(deps.slack, message)
        if code in REVOKED:
            await mark_inactive(deps.need_data(), where.team_id, code)
        raise PermanentFailure(f"slack: {code}") from None
    log.info("slack.posted", channel=where.channel_id, reply_id=message.id)


async def already_posted(deps: Deps, message: Reply) -> bool:
    """Whether the conversation already shows ``message`` (by the reply id in its metadata).

    Reads up to :data:`HISTORY_PAGES` pages of the last :data:`LOOK_BACK_SECONDS`. Reading
    history needs the ``*:history`` scopes; without them (or on another permanent ``ok: false``)
    the answer is False and the reply is posted: at least once rather than not at all. A 429, a
    5xx (:class:`HistoryUnavailable`), connection errors and timeouts propagate: they say
    nothing either way.
    """
    where = message.conversation
    if deps.slack is None or where.response_url:
        return False
    oldest = f"{time.time() - LOOK_BACK_SECONDS:.6f}"
    cursor: str | None = None
    for _ in range(HISTORY_PAGES):
        try:
            if where.thread_ts:
                page = await deps.slack.conversations_replies(
                    channel=where.channel_id,
                    ts=where.thread_ts,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            else:
                page = await deps.slack.conversations_history(
                    channel=where.channel_id,
                    oldest=oldest,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
        except SlackApiError as exc:
            code = str(exc.response.get("error", "unknown"))
            status = exc.response.status_code
            if status == 429 or status >= 500 or code in TRANSIENT_ERRORS:
                raise HistoryUnavailable(f"slack answered {status} ({code})") from None
            log.warning("slack.history_unreadable", error=code)
            return False
        messages: list[dict[str, Any]] = page.get("messages") or []
        if any(_reply_id_of(m) == message.id for m in messages):
            return True
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return False
    log.warning("slack.history_too_long", reply_id=message.id, pages=HISTORY_PAGES)
    return False


def _reply_id_of(slack_message: dict[str, Any]) -> str | None:
    metadata = slack_message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT:
        return None
    payload = metadata.get("event_payload") or {}
    reply_id = payload.get("reply_id")
    return reply_id if isinstance(reply_id, str) else None


async def mark_inactive(data: DataServiceClient, team_id: str, code: str) -> None:
    """Record that the workspace's installation no longer works (until it is reinstalled)."""
    try:
        await data.update_workspace(team_id, {"is_active": False})
    except NotFound:
        log.warning("slack.token_refused", team_id=team_id, error=code, workspace="not recorded")
        return
    except DataServiceError as exc:
        log.error("slack.mark_inactive_failed", team_id=team_id, error=str(exc))
        return
    log.error("slack.workspace_inactive", team_id=team_id, error=code)


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
        raise PermanentFailure("response_url is not a Slack hook")
    body = {"text": reply.text, "response_type": "ephemeral"}
    async with deps.http.post(url, json=body, timeout=aiohttp.ClientTimeout(total=10)) as answer:
        status = answer.status
    if status == 429 or status >= 500:
        raise TransientSlackError(f"response_url answered {status}")
    if status >= 400:
        # Expired (30 minutes or 5 answers) or unknown: retrying cannot help.
        raise PermanentFailure(f"response_url answered {status}")
    log.info("slack.responded", reply_id=reply.id)
