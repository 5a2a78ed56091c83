"""The Slack poster: the code that posts to Slack's Web API, each reply exactly once.

It consumes ``reply.slack`` and calls ``chat.postMessage`` through slack_sdk's
``AsyncWebClient``, whose retry handlers wait out 429s (``Retry-After``, in the waiting
message's own task: other channels go on) and retry 5xx and connection errors a bounded number
of times; slash-command answers go to their ``response_url`` instead.

One reply is one answer, of one or more parts (one Slack message each): they are posted one
after the other, so they arrive in order, and a failure stops the answer at that part.

Exactly once: before posting a part, the poster takes a lease on the part's id in the Data
Service (ids are derived from the Slack event, so redeliveries, Slack retries and re-fired
reminders share them); the claims of concurrent replies travel together, one request per round
trip (:class:`~workers.slack.reply_claims.ReplyClaims`). A part already done is skipped (so a retry
resumes at the first part not done); one another poster is posting now is retried later; a
lease left by a poster that died expires and is taken over. After a successful post the claim
is marked done; after a failure it is released, so the retry can post at once. Every message
carries its part's id in Slack message metadata: a poster taking over a dead one's lease first
reads the conversation back (:mod:`workers.slack.readback`), and if the dead poster did post
(it died between Slack's answer and marking the claim done) it only marks it done.

Slack's ``ok: false`` answers are logged with their error code. Transient ones raise, and the
bus retries the reply after a delay. Permanent ones raise
:class:`~jeeves_shared.bus.PermanentFailure`: the reply is kept in the dead-letter queue with
the reason (and the part it failed at), for ``jeeves dlq replay`` once fixed. A bot that is
not in the channel also tells the user by DM how to invite it, once per answer (the hint has a
claim of its own).

Each reply is posted with the bot token of the installation it belongs to
(:attr:`~jeeves_shared.messages.Conversation.installation`, from
:class:`~jeeves_shared.installations.BotTokens`). A revoked or invalid token marks that
installation inactive (its tokens are deleted); ``token_expired`` gets one fresh token and one
retry (:func:`~workers.slack.tokens.with_bot_token`); a reply for an installation that is
inactive or unknown is dead-lettered (replayable once Jeeves is installed again).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar, Self, TypeVar

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from jeeves_shared.auth.errors import AuthError
from jeeves_shared.bus import PermanentFailure
from jeeves_shared.dataclient import (
    TOKEN_SCOPES,
    DataServiceClient,
    DataServiceError,
    InstallationInactive,
    InstallationNotFound,
    LeaseOutcome,
)
from jeeves_shared.installations import BotTokens, InstallationKey
from jeeves_shared.messages import Action, Reply, ReplyPart
from jeeves_shared.observability.metrics import EVENT_TO_REPLY, REPLY_CLAIMS, SLACK_API_CALLS
from jeeves_shared.observability.tracing import tracer
from workers.deps import Deps, Resources
from workers.settings import WorkerSettings
from workers.slack.errors import (
    NOT_A_MEMBER,
    REVOKED,
    TRANSIENT_ERRORS,
    HistoryUnavailable,
    OutcomeUnknown,
    ReplyInProgress,
    SlackRefused,
    TransientSlackError,
)
from workers.slack.readback import already_posted, reply_metadata
from workers.slack.reply_claims import ReplyClaims
from workers.slack.tokens import TOKEN_EXPIRED, with_bot_token

log = structlog.get_logger(__name__)

T = TypeVar("T")

#: What the poster asks the Data Service for: claiming reply ids, the installations' bot
#: tokens, marking installations inactive.
POSTER_SCOPES = ("events:claim", "installations:write", *TOKEN_SCOPES)
#: How long a claim protects a reply being posted. A poster that dies holding one delays that
#: reply by this much; a post that takes longer than :data:`POST_DEADLINE` is abandoned first.
LEASE_SECONDS = 30
#: The history check and the post must end within this (well inside the lease)...
POST_DEADLINE = 15.0
#: ...and the check after a post whose outcome is unknown within this.
CHECK_DEADLINE = 10.0


@dataclass(frozen=True, kw_only=True)
class PosterDeps(Deps):
    """The Slack poster's dependencies."""

    SCOPES: ClassVar[tuple[str, ...]] = POSTER_SCOPES
    NEEDS: ClassVar[frozenset[str]] = frozenset({"slack", "data"})

    #: For ``response_url`` answers (the process's pooled session).
    http: aiohttp.ClientSession
    #: Posts without resending (see :func:`~workers.slack.client.make_slack_client`).
    slack: AsyncWebClient
    #: Marks installations inactive (scopes :data:`POSTER_SCOPES`).
    data: DataServiceClient
    #: The bot token of each installation (one-workspace mode: the one token).
    tokens: BotTokens
    #: The reply claims, batched across the replies the poster holds at once.
    claims: ReplyClaims
    #: Where slash-command answers may be posted (anything else is refused).
    response_url_prefix: str

    @classmethod
    def build(cls, resources: Resources) -> Self:
        """The poster's clients, on the runner's pooled session."""
        data = resources.data_client(cls.SCOPES)
        return cls(
            bus=resources.bus,
            clock=resources.clock,
            http=resources.http,
            slack=resources.slack_client(resend=False),
            data=data,
            tokens=resources.bot_tokens(data),
            claims=ReplyClaims(data, lease_seconds=LEASE_SECONDS),
            response_url_prefix=resources.settings.slack_response_url_prefix,
        )


def prefetch(settings: WorkerSettings) -> int:
    """Replies one poster holds at once: more than other kinds, since their claims are batched."""
    return settings.slack_prefetch


async def handle(message: Action | Reply, deps: PosterDeps) -> None:
    """Post a reply's parts to its Slack conversation (in its thread, if it has one), in order,
    each exactly once.

    Part ``n + 1`` is posted only once part ``n`` is done, so the parts reach the conversation
    in order whatever Slack delays; a failure stops the answer there, and the retry (or the
    replay of the dead letter) resumes at the first part not done: parts already posted are
    skipped by their claims. Whatever is said about the answer (the dead-letter reason, a hint
    to invite the bot) is said once, by the part that failed.
    """
    if not isinstance(message, Reply):
        raise PermanentFailure(f"the slack poster got a {message.kind}")
    for number, part in enumerate(message.parts, start=1):
        try:
            await post_once(message, part, deps)
        except PermanentFailure as exc:
            if len(message.parts) == 1:
                raise
            raise PermanentFailure(f"{exc} (part {number} of {len(message.parts)})") from None


async def post_once(reply: Reply, part: ReplyPart, deps: PosterDeps) -> None:
    """Post one part of ``reply``, exactly once.

    Lease the part's id; skip it if done, retry later if someone else holds it. Within a
    deadline well inside the lease: if the lease was taken over from a poster that died, read
    the conversation back first; then post, and report the claim done. If Slack refused,
    release the claim and let the bus retry. If the outcome is unknown (connection lost,
    timeout, 5xx), read the conversation back: posted after all → done; not posted → release
    and retry; cannot tell → keep the lease, so that the next attempt takes it over and reads
    again.
    """
    claims = deps.claims
    key = uuid.uuid4().hex
    with tracer.start_as_current_span("reply claim", attributes={"jeeves.reply_id": part.id}):
        lease = await claims.lease(part.id, key=key, team_id=reply.conversation.team_id)
    REPLY_CLAIMS.labels(claim_outcome(lease)).inc()
    if lease.status == "done":
        log.info("slack.duplicate_skipped", reply_id=part.id)
        return
    if lease.status == "held":
        raise ReplyInProgress(f"{part.id} is being posted (lease ends in {lease.retry_after}s)")
    # Once a post may have landed (ours, or the dead holder's), only a successful read of the
    # conversation may give the claim back: the lease otherwise runs out, and whoever takes it
    # over reads the conversation first.
    sent = False
    try:
        async with asyncio.timeout(POST_DEADLINE):
            await bot_token(deps, reply)  # fetched (and cached) before anything may be posted
            if lease.taken_over and await _already_posted(deps, reply, part):
                log.warning("slack.posted_before_crash", reply_id=part.id)
                await _finish(claims, part.id, key)
                return
            sent = True
            await post(reply, part, deps)
    except asyncio.CancelledError:
        if not (sent or lease.taken_over):
            await _release(claims, part.id, key)
        raise
    except (PermanentFailure, SlackRefused):
        await _release(claims, part.id, key)
        raise
    except Exception as exc:
        if sent:
            await _settle_unknown(deps, reply, part, key, exc)
            return
        if lease.taken_over:
            raise OutcomeUnknown(f"the conversation could not be read: {_describe(exc)}") from exc
        await _release(claims, part.id, key)
        raise
    await _finish(claims, part.id, key)


async def _settle_unknown(
    deps: PosterDeps, reply: Reply, part: ReplyPart, key: str, exc: Exception
) -> None:
    """After a post whose outcome is unknown: done if it landed, else raise so it is retried."""
    try:
        async with asyncio.timeout(CHECK_DEADLINE):
            landed = await _already_posted(deps, reply, part)
    except (TimeoutError, aiohttp.ClientError, HistoryUnavailable) as check_failed:
        # Cannot tell: keep the lease; the retry takes it over once it ends and reads again.
        log.warning("slack.outcome_unknown", reply_id=part.id, error=repr(check_failed))
        raise OutcomeUnknown(f"{_describe(exc)}; the conversation could not be read") from exc
    if landed:
        log.warning("slack.posted_despite_error", reply_id=part.id, error=_describe(exc))
        await _finish(deps.claims, part.id, key)
        return
    # Not there (or the conversation cannot be read: at least once rather than not at all).
    await _release(deps.claims, part.id, key)
    raise TransientSlackError(_describe(exc)) from exc


def claim_outcome(lease: LeaseOutcome) -> str:
    """``jeeves_reply_claims_total``'s outcome: ``new``, ``taken_over``, ``done`` or ``held``."""
    if lease.status == "acquired":
        return "taken_over" if lease.taken_over else "new"
    return lease.status


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def _release(claims: ReplyClaims, reply_id: str, key: str) -> None:
    """Give the claim back so the retry can post at once (else it waits for the lease to end)."""
    try:
        await claims.release(reply_id, key=key)
    except (DataServiceError, AuthError) as exc:
        log.warning("slack.release_failed", reply_id=reply_id, error=str(exc))


async def _finish(claims: ReplyClaims, reply_id: str, key: str) -> None:
    """Mark the part posted.

    If the Data Service cannot be told (after the client's retries), the part was still posted:
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


async def post(reply: Reply, part: ReplyPart, deps: PosterDeps) -> None:
    """Post ``part`` of ``reply`` once, mapping Slack's failures to transient or permanent
    errors; a refusal that the user or the operator can act on is acted on here, once."""
    where = reply.conversation
    if where.response_url:
        await post_to_response_url(deps, where.response_url, part)
        return
    key = where.installation
    try:
        await _with_token_of(
            deps,
            reply,
            lambda token: deps.slack.chat_postMessage(
                channel=where.channel_id,
                text=part.text,
                thread_ts=where.thread_ts,
                metadata=reply_metadata(part.id),
                token=token,
            ),
        )
    except SlackApiError as exc:
        code = str(exc.response.get("error", "unknown"))
        status = exc.response.status_code
        log.warning(
            "slack.post_failed",
            error=code,
            status=status,
            channel=where.channel_id,
            reply_id=part.id,
        )
        if status >= 500:
            raise OutcomeUnknown(f"slack answered {status} ({code})") from None
        if code in TRANSIENT_ERRORS or status == 429 or code == TOKEN_EXPIRED:
            # token_expired twice: the Data Service's next refresh should fix it; try later.
            raise SlackRefused(code) from None
        if code in NOT_A_MEMBER and where.channel_id != where.user_id:
            await tell_to_invite(deps, reply)
        if code in REVOKED:
            deps.tokens.forget(key)
            await mark_inactive(deps.data, key, code)
        raise PermanentFailure(f"slack: {code}") from None
    log.info("slack.posted", channel=where.channel_id, reply_id=part.id)
    if part.id == reply.parts[0].id:
        observe_answer_time(reply)


def observe_answer_time(reply: Reply) -> None:
    """Time from Slack's event to the answer's first part posted: the Slack message's ``ts``
    is the last field of the action id (``slack:<team>:<channel>:<ts>``,
    :func:`jeeves_frontend.events.action_id`); actions without one (slash commands, reminders)
    are not timed."""
    prefix, _, ts = reply.in_reply_to.rpartition(":")
    if not prefix.startswith("slack:"):
        return
    try:
        sent = float(ts)
    except ValueError:
        return
    EVENT_TO_REPLY.observe(max(0.0, time.time() - sent))


async def bot_token(deps: PosterDeps, reply: Reply) -> str:
    """The bot token of the installation ``reply`` belongs to.

    Raises :class:`~jeeves_shared.bus.PermanentFailure` when the installation is inactive or
    unknown (the reply is dead-lettered, to replay once Jeeves is installed again); a Data
    Service that cannot answer raises its own error, and the bus retries later.
    """
    key = reply.conversation.installation
    try:
        return await deps.tokens.get(key)
    except (InstallationInactive, InstallationNotFound) as exc:
        log.warning(
            "slack.no_installation",
            reply_id=reply.id,
            enterprise_id=key.enterprise_id,
            team_id=key.team_id,
            error=exc.error,
        )
        raise PermanentFailure(f"installation {exc.error}") from None


async def _with_token_of(deps: PosterDeps, reply: Reply, call: Callable[[str], Awaitable[T]]) -> T:
    """:func:`with_bot_token` for ``reply``'s installation; an installation found inactive or
    gone on the way is a :class:`PermanentFailure`, as in :func:`bot_token`."""
    key = reply.conversation.installation
    try:
        return await with_bot_token(deps.tokens, key, call)
    except (InstallationInactive, InstallationNotFound) as exc:
        log.warning("slack.no_installation", reply_id=reply.id, error=exc.error)
        raise PermanentFailure(f"installation {exc.error}") from None


async def _already_posted(deps: PosterDeps, reply: Reply, part: ReplyPart) -> bool:
    where = reply.conversation
    return await _with_token_of(
        deps, reply, lambda token: already_posted(deps.slack, where, part.id, token=token)
    )


async def mark_inactive(data: DataServiceClient, key: InstallationKey, code: str) -> None:
    """Record that the installation no longer works (until it is reinstalled): inactive, its
    tokens deleted (``code``, Slack's error, is the reason)."""
    fields = {"enterprise_id": key.enterprise_id, "team_id": key.team_id, "error": code}
    try:
        found = await data.deactivate_installation(key, reason=code)
    except (DataServiceError, AuthError) as exc:
        log.error("slack.mark_inactive_failed", **fields, detail=str(exc))
        return
    if found is None:
        log.warning("slack.token_refused", **fields, installation="not recorded")
        return
    log.error("slack.installation_inactive", **fields)


def invite_hint_id(reply: Reply) -> str:
    """The claim id of the hint to invite the bot, sent at most once per answer."""
    return f"{reply.id}.invite"


async def tell_to_invite(deps: PosterDeps, reply: Reply) -> None:
    """The bot cannot post where it was asked: tell the asker, by DM, how to fix it — once per
    answer, however often the answer is delivered (its own claim, :func:`invite_hint_id`)."""
    where = reply.conversation
    text = (
        f"I couldn't answer you in <#{where.channel_id}>: I'm not a member there. "
        "Invite me with `/invite @jeeves`, or ask me here."
    )
    hint_id, key = invite_hint_id(reply), uuid.uuid4().hex
    claimed = False
    try:
        lease = await deps.claims.lease(hint_id, key=key)
    except (DataServiceError, AuthError) as exc:
        # The hint is a courtesy: without the Data Service, say it (perhaps again) rather than not.
        log.warning("slack.invite_hint_unclaimed", reply_id=reply.id, error=str(exc))
    else:
        if lease.status != "acquired":
            log.info("slack.invite_hint_skipped", reply_id=reply.id, status=lease.status)
            return
        claimed = True
    try:
        await with_bot_token(
            deps.tokens,
            where.installation,
            lambda token: deps.slack.chat_postMessage(
                channel=where.user_id, text=text, token=token
            ),
        )
    except (SlackApiError, DataServiceError, AuthError) as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)
        log.warning("slack.invite_hint_failed", error=error)
        if claimed:
            await _release(deps.claims, hint_id, key)
        return
    if claimed:
        await _finish(deps.claims, hint_id, key)


async def post_to_response_url(deps: PosterDeps, url: str, part: ReplyPart) -> None:
    """Answer a slash command through its ``response_url`` (only the asker sees it)."""
    if not url.startswith(deps.response_url_prefix):
        # Only Slack's own hooks: a message on the bus must not make us call anything else.
        raise PermanentFailure("response_url is not a Slack hook")
    body = {"text": part.text, "response_type": "ephemeral"}
    try:
        async with deps.http.post(
            url, json=body, timeout=aiohttp.ClientTimeout(total=10)
        ) as answer:
            status = answer.status
    except TimeoutError:
        SLACK_API_CALLS.labels("response_url", "timeout").inc()
        raise
    except aiohttp.ClientError:
        SLACK_API_CALLS.labels("response_url", "connection_error").inc()
        raise
    SLACK_API_CALLS.labels(
        "response_url", "ok" if status < 300 else f"http_{status // 100}xx"
    ).inc()
    if status == 429 or status >= 500:
        raise TransientSlackError(f"response_url answered {status}")
    if status >= 400:
        # Expired (30 minutes or 5 answers) or unknown: retrying cannot help.
        raise PermanentFailure(f"response_url answered {status}")
    log.info("slack.responded", reply_id=part.id)
