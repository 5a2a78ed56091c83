"""Reading a conversation back: did one of Jeeves' messages land there?

Every message the poster posts carries its reply id in Slack message metadata
(``event_type`` :data:`METADATA_EVENT`, ``event_payload {"reply_id": ...}``). When the outcome
of a post is unknown, or a poster takes over the lease of one that died, the conversation is
read back (``conversations.history``, or ``conversations.replies`` in a thread) to find it.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from jeeves_shared.messages import Conversation
from workers.slack.errors import TRANSIENT_ERRORS, HistoryUnavailable
from workers.slack.tokens import TOKEN_EXPIRED

log = structlog.get_logger(__name__)

#: The metadata ``event_type`` of Jeeves' messages; the payload carries the reply id.
METADATA_EVENT = "jeeves_reply"
#: How far back a taking-over poster looks for a message the dead one may have posted.
LOOK_BACK_SECONDS = 3600
#: At most this many pages (of 200 messages) are read back.
HISTORY_PAGES = 5


def reply_metadata(reply_id: str) -> dict[str, Any]:
    """The Slack message metadata that marks a message as the one posted for ``reply_id``."""
    return {"event_type": METADATA_EVENT, "event_payload": {"reply_id": reply_id}}


async def already_posted(
    slack: AsyncWebClient, where: Conversation, reply_id: str, *, token: str
) -> bool:
    """Whether the conversation ``where`` already shows the message posted for ``reply_id``.

    Reads up to :data:`HISTORY_PAGES` pages of the last :data:`LOOK_BACK_SECONDS`. Reading
    history needs the ``*:history`` scopes; without them (or on another permanent ``ok: false``)
    the answer is False and the reply is posted: at least once rather than not at all. Answers
    through a ``response_url`` cannot be read back (False). A 429, a 5xx
    (:class:`~workers.slack.errors.HistoryUnavailable`), connection errors and timeouts
    propagate: they say nothing either way; so does ``token_expired`` (a
    :class:`SlackApiError`), for the caller to ask again with a fresh ``token``
    (:func:`~workers.slack.tokens.with_bot_token`).
    """
    if where.response_url:
        return False
    oldest = f"{time.time() - LOOK_BACK_SECONDS:.6f}"
    cursor: str | None = None
    for _ in range(HISTORY_PAGES):
        try:
            page = await _read_page(slack, where, oldest=oldest, cursor=cursor, token=token)
        except SlackApiError as exc:
            code = str(exc.response.get("error", "unknown"))
            status = exc.response.status_code
            if code == TOKEN_EXPIRED:
                raise
            if status == 429 or status >= 500 or code in TRANSIENT_ERRORS:
                raise HistoryUnavailable(f"slack answered {status} ({code})") from None
            log.warning("slack.history_unreadable", error=code)
            return False
        messages: list[dict[str, Any]] = page.get("messages") or []
        if any(_reply_id_of(m) == reply_id for m in messages):
            return True
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return False
    log.warning("slack.history_too_long", reply_id=reply_id, pages=HISTORY_PAGES)
    return False


async def _read_page(
    slack: AsyncWebClient,
    where: Conversation,
    *,
    oldest: str,
    cursor: str | None,
    token: str,
) -> Any:
    # slack_sdk sends a call's own ``token`` in place of the client's.
    if where.thread_ts:
        return await slack.conversations_replies(
            channel=where.channel_id,
            ts=where.thread_ts,
            oldest=oldest,
            include_all_metadata=True,
            limit=200,
            cursor=cursor,
            token=token,
        )
    return await slack.conversations_history(
        channel=where.channel_id,
        oldest=oldest,
        include_all_metadata=True,
        limit=200,
        cursor=cursor,
        token=token,
    )


def _reply_id_of(slack_message: dict[str, Any]) -> str | None:
    metadata = slack_message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT:
        return None
    payload = metadata.get("event_payload") or {}
    reply_id = payload.get("reply_id")
    return reply_id if isinstance(reply_id, str) else None
