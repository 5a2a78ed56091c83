"""The Slack Web API client every worker kind that talks to Slack builds the same way."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from jeeves_shared.observability.metrics import (
    SLACK_API_CALLS,
    SLACK_RATE_LIMIT_WAIT,
    SLACK_RATE_LIMITED,
    bounded,
)


def make_slack_client(
    token: str,
    *,
    base_url: str,
    session: aiohttp.ClientSession,
    max_retries: int,
    resend: bool = True,
) -> AsyncWebClient:
    """An ``AsyncWebClient`` on the process's pooled session, with bounded retries.

    A 429 is always waited out (``Retry-After`` seconds) and retried, up to ``max_retries``
    times: Slack did nothing. With ``resend`` (for reads), connection errors and 5xx are retried
    too; the poster turns it off, since resending a post whose first attempt may have landed
    could post it twice: it reads the conversation back first (:mod:`workers.slack.readback`).
    Every call is counted (:class:`MeteredWebClient`).
    """
    handlers: list[AsyncRetryHandler] = [MeteredRateLimitHandler(max_retry_count=max_retries)]
    if resend:
        handlers += [
            AsyncConnectionErrorRetryHandler(max_retry_count=max_retries),
            AsyncServerErrorRetryHandler(max_retry_count=max_retries),
        ]
    return MeteredWebClient(
        token=token, base_url=base_url, session=session, timeout=10, retry_handlers=handlers
    )


class MeteredWebClient(AsyncWebClient):
    """slack_sdk's client, counting each call in ``jeeves_slack_api_calls_total`` by method
    and result (``ok``, Slack's error code, ``connection_error``, ``timeout``)."""

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        """Call ``api_method`` (e.g. ``chat.postMessage``) as slack_sdk does, and count it."""
        method = bounded(api_method)
        try:
            response = await super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            if exc.response.status_code == 429:  # out of retries: the last 429 is not waited
                SLACK_RATE_LIMITED.labels(method).inc()
            SLACK_API_CALLS.labels(method, bounded(exc.response.get("error"))).inc()
            raise
        except TimeoutError:
            SLACK_API_CALLS.labels(method, "timeout").inc()
            raise
        except aiohttp.ClientError:
            SLACK_API_CALLS.labels(method, "connection_error").inc()
            raise
        SLACK_API_CALLS.labels(method, "ok").inc()
        return response


class MeteredRateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (waits ``Retry-After``, then retries), counting each 429 and the
    seconds waited by method."""

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        """Wait as slack_sdk does, counting the wait."""
        method = bounded(request.url.rsplit("/", 1)[-1].split("?", 1)[0])
        SLACK_RATE_LIMITED.labels(method).inc()
        started = time.monotonic()
        try:
            await super().prepare_for_next_attempt_async(
                state=state, request=request, response=response, error=error
            )
        finally:
            SLACK_RATE_LIMIT_WAIT.labels(method).inc(time.monotonic() - started)
