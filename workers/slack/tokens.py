"""Slack calls made with the bot token of the installation they are for.

Every Slack-calling worker passes each call its installation's token (from
:class:`~jeeves_shared.installations.BotTokens`, cached until shortly before it expires). When
Slack still answers ``token_expired`` (the token expired early, or a clock is off), the cached
token is dropped and the call is made once more with a fresh one: the Data Service refreshes it
once across every process. A second ``token_expired`` propagates.

A token Slack refuses as revoked or invalid (:data:`~workers.slack.errors.REVOKED`) is also
dropped, and the call made again only if the Data Service now has another token: the cached
one was stale (Jeeves was reinstalled since, with a new token, through another process). Only a
refusal of the installation's current token propagates, for the caller to mark it inactive;
without this, a stale cache would deactivate a fresh install.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from slack_sdk.errors import SlackApiError

from jeeves_shared.installations import BotTokens, InstallationKey
from workers.slack.errors import REVOKED

log = structlog.get_logger(__name__)

T = TypeVar("T")

#: Slack's answer to a call made with a rotating token past its expiry.
TOKEN_EXPIRED = "token_expired"  # noqa: S105 - an error code, not a secret


async def with_bot_token(
    tokens: BotTokens, key: InstallationKey, call: Callable[[str], Awaitable[T]]
) -> T:
    """``await call(token)`` with the bot token of installation ``key``; after
    ``token_expired``, or a refusal of a token that was not the current one, once more with a
    fresh token.

    Raises what :meth:`BotTokens.get` raises (``InstallationNotFound``,
    ``InstallationInactive``, ``DataServiceError``), and :class:`SlackApiError` from ``call``.
    """
    token = await tokens.get(key)
    try:
        return await call(token)
    except SlackApiError as exc:
        code = exc.response.get("error")
        if code != TOKEN_EXPIRED and code not in REVOKED:
            raise
        tokens.forget(key)
        fresh = await tokens.get(key)
        if code != TOKEN_EXPIRED and fresh == token:
            raise  # the installation's current token itself is refused
        log.warning(
            "slack.token_replaced", error=code, enterprise_id=key.enterprise_id, team_id=key.team_id
        )
    return await call(fresh)
