"""Slack calls made with the bot token of the installation they are for.

Every Slack-calling worker passes each call its installation's token (from
:class:`~jeeves_shared.installations.BotTokens`, cached until shortly before it expires). When
Slack still answers ``token_expired`` (the token expired early, or a clock is off), the cached
token is dropped and the call is made once more with a fresh one: the Data Service refreshes it
once across every process. A second ``token_expired`` propagates.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from slack_sdk.errors import SlackApiError

from jeeves_shared.installations import BotTokens, InstallationKey

log = structlog.get_logger(__name__)

T = TypeVar("T")

#: Slack's answer to a call made with a rotating token past its expiry.
TOKEN_EXPIRED = "token_expired"  # noqa: S105 - an error code, not a secret


async def with_bot_token(
    tokens: BotTokens, key: InstallationKey, call: Callable[[str], Awaitable[T]]
) -> T:
    """``await call(token)`` with the bot token of installation ``key``; after
    ``token_expired``, once more with a fresh token.

    Raises what :meth:`BotTokens.get` raises (``InstallationNotFound``,
    ``InstallationInactive``, ``DataServiceError``), and :class:`SlackApiError` from ``call``.
    """
    token = await tokens.get(key)
    try:
        return await call(token)
    except SlackApiError as exc:
        if exc.response.get("error") != TOKEN_EXPIRED:
            raise
        log.warning("slack.token_expired", enterprise_id=key.enterprise_id, team_id=key.team_id)
    tokens.forget(key)
    return await call(await tokens.get(key))
