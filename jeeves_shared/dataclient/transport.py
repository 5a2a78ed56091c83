"""How the Data Service client talks HTTP: tokens, retries, backoff and ``Retry-After``.

:class:`Transport` sends one API call over the process's pooled ``aiohttp`` session and gives
back the answer or the :class:`~jeeves_shared.dataclient.errors.DataServiceError` of its
status; :class:`~jeeves_shared.dataclient.DataServiceClient` adds the typed resource methods.

Every call carries a bearer token from the ``token`` provider. A 401 tells ``on_rejected``
(the token client forgets the token) and is retried once with a fresh token. Connection
errors, timeouts and 5xx answers are retried a bounded number of times with exponential
backoff and full jitter (honouring ``Retry-After``); each retry is logged with the error it
retries on. Calls that must not take effect twice send an ``Idempotency-Key``, the same on
every attempt, so that a retry whose first answer was lost is recognised as one.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import structlog
from pydantic import BaseModel

from jeeves_shared.dataclient.errors import (
    ERRORS_BY_STATUS,
    DataServiceError,
    DataServiceUnavailable,
)
from jeeves_shared.runtime.logs import correlation_baggage

log = structlog.get_logger(__name__)

TokenProvider = Callable[[], Awaitable[str]]
RejectionHandler = Callable[[str], Awaitable[None] | None]
Sleep = Callable[[float], Awaitable[None]]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Reply:
    """Status, headers and decoded body (``None`` unless JSON) of one exchange."""

    status: int
    headers: Mapping[str, str]
    body: Any

    def to(self, model: type[M]) -> M:
        """The body as ``model``, with the ETag header folded in when the model has one."""
        data = dict(self.body)
        if "etag" in model.model_fields:
            data["etag"] = self.headers.get("ETag")
        return model.model_validate(data)


class Transport:
    """Calls to the Data Service's ``/api/v1`` over a shared ``aiohttp`` session.

    ``token`` returns a bearer token (cached by its owner); ``on_rejected`` is told a token
    the service refused with 401. Each attempt is bounded by ``timeout`` seconds; failed
    attempts (no answer, timeout, 5xx) are retried ``retries`` times, waiting up to
    ``backoff * 2**n`` seconds (capped at ``max_backoff``, randomised by ``rng``).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        token: TokenProvider,
        *,
        on_rejected: RejectionHandler | None = None,
        timeout: float = 5.0,
        retries: int = 3,
        backoff: float = 0.1,
        max_backoff: float = 2.0,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._session = session
        self._token = token
        self._on_rejected = on_rejected
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._sleep = sleep
        self._rng = rng

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Send one API call (``path`` below ``/api/v1``), retrying as the class describes.

        Returns the 2xx (or 304) reply; raises the :class:`DataServiceError` subclass of any
        4xx, or :class:`DataServiceUnavailable` once the retries are spent. Every attempt
        sends the same ``headers``.
        """
        url = f"{self.base_url}/api/v1{path}"
        failures = 0
        token_renewed = False
        while True:
            token = await self._token()
            try:
                reply = await self._send(method, url, token, json, params, headers)
            except (aiohttp.ClientError, TimeoutError) as exc:
                failures = await self._after_failure(failures, 0, repr(exc), None)
                continue
            if reply.status == 401 and not token_renewed:
                token_renewed = True
                await self._reject(token)
                continue
            if reply.status >= 500:
                description = _describe(reply)
                retry_after = reply.headers.get("Retry-After")
                failures = await self._after_failure(
                    failures, reply.status, description, retry_after
                )
                continue
            if reply.status >= 400:
                raise _error_of(reply)
            return reply

    async def _send(
        self,
        method: str,
        url: str,
        token: str,
        json: Any,
        params: Mapping[str, str | int] | None,
        headers: Mapping[str, str] | None,
    ) -> Reply:
        # The correlation fields bound to this event's log lines, so that the Data Service's
        # lines about it carry them too.
        all_headers = {
            "Authorization": f"Bearer {token}",
            **correlation_baggage(),
            **(headers or {}),
        }
        async with self._session.request(
            method, url, json=json, params=params, headers=all_headers, timeout=self._timeout
        ) as response:
            body = None
            if response.content_type == "application/json":
                body = await response.json()
            else:
                await response.read()
            return Reply(response.status, response.headers, body)

    async def _after_failure(
        self, failures: int, status: int, description: str, retry_after: str | None
    ) -> int:
        """Wait before the next attempt, or raise once the retries are spent.

        ``status`` is 0 when there was no answer; ``description`` is then the exception.
        """
        if failures >= self.retries:
            log.warning(
                "dataservice.unavailable", status=status, attempts=failures + 1, error=description
            )
            raise DataServiceUnavailable(status, "unavailable", description)
        delay = min(self.max_backoff, self.backoff * 2**failures) * self._rng()
        if retry_after is not None and retry_after.isdigit():
            delay = max(delay, min(float(retry_after), self.max_backoff))
        log.info(
            "dataservice.retry",
            status=status,
            attempt=failures + 1,
            delay=round(delay, 3),
            error=description,
        )
        await self._sleep(delay)
        return failures + 1

    async def _reject(self, token: str) -> None:
        if self._on_rejected is None:
            return
        outcome = self._on_rejected(token)
        if inspect.isawaitable(outcome):
            await outcome


def _describe(reply: Reply) -> str:
    if isinstance(reply.body, dict):
        return str(reply.body.get("error_description", ""))
    return ""


def _error_of(reply: Reply) -> DataServiceError:
    kind = ERRORS_BY_STATUS.get(reply.status, DataServiceError)
    error = reply.body.get("error", "") if isinstance(reply.body, dict) else ""
    return kind(reply.status, str(error), _describe(reply))
