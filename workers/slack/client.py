"""The Slack Web API client every worker kind that talks to Slack builds the same way."""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient


def make_slack_client(
    token: str | None,
    *,
    base_url: str,
    session: aiohttp.ClientSession,
    max_retries: int,
    resend: bool = True,
) -> AsyncWebClient:
    """An ``AsyncWebClient`` on the process's pooled session, with bounded retries.

    Workers build it without a ``token`` and pass each call its installation's
    (``token=...``: slack_sdk sends a call's own token in place of the client's).

    A 429 is always waited out (``Retry-After`` seconds) and retried, up to ``max_retries``
    times: Slack did nothing. With ``resend`` (for reads), connection errors and 5xx are retried
    too; the poster turns it off, since resending a post whose first attempt may have landed
    could post it twice: it reads the conversation back first (:mod:`workers.slack.readback`).
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
