"""At start, make sure this process can get its access token before it says it is ready.

A worker whose client secret is wrong would otherwise report ready, take messages, fail each
with 401 and dead-letter them. :func:`wait_for_token` asks the TokenDealer once at start, and
again until it works: meanwhile the caller stays unready, and the reason is logged and handed to
``report`` (for ``/readyz``). A TokenDealer that is not up yet (as while ``jeeves up`` starts
everything at once) is retried within seconds; a refusal, which only an operator can fix,
every :data:`REFUSED_RETRY` seconds so as not to trip the TokenDealer's failure throttle.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import aiohttp
import structlog

from jeeves_shared.auth.client import TokenClient
from jeeves_shared.auth.errors import TokenRequestFailed

log = structlog.get_logger(__name__)

#: Seconds between tries while the TokenDealer cannot be reached (it may be starting).
UNREACHABLE_RETRY = (0.5, 1.0, 2.0, 5.0)
#: Seconds between tries while the TokenDealer refuses the client.
REFUSED_RETRY = 30.0


@dataclass(frozen=True)
class TokenRequest:
    """The token a process needs: where from, as which client, for what."""

    token_url: str
    client_id: str
    client_secret: str
    audience: str
    scopes: Sequence[str]
    #: The settings an operator checks when the client is refused.
    client_settings: str = "JEEVES_WORKER_CLIENT_ID and JEEVES_WORKER_CLIENT_SECRET"


async def wait_for_token(
    request: TokenRequest,
    stop: asyncio.Event,
    report: Callable[[str | None], None],
) -> bool:
    """Try to get ``request``'s token until it works (True) or ``stop`` is set (False).

    ``report`` gets one line saying what is wrong after each failure, and ``None`` once a token
    was issued.
    """
    attempt = 0
    async with aiohttp.ClientSession() as session:
        tokens = TokenClient(
            session,
            token_url=request.token_url,
            client_id=request.client_id,
            client_secret=request.client_secret,
        )
        while not stop.is_set():
            try:
                await tokens.get_token(request.audience, request.scopes)
            except TokenRequestFailed as exc:
                delay = _retry_delay(exc, attempt)
                problem = describe_failure(exc, request)
                report(problem)
                log.error("auth.token_unavailable", problem=problem, retry_in=delay)
                attempt += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            report(None)
            if attempt:
                log.info("auth.token_available", client_id=request.client_id)
            return True
    return False


def describe_failure(exc: TokenRequestFailed, request: TokenRequest) -> str:
    """One line saying why the token was refused and what to check."""
    client = f"client {request.client_id!r}"
    if exc.status == 0 or exc.status >= 500:
        return f"cannot reach the TokenDealer at {request.token_url} (JEEVES_TOKENDEALER_URL)"
    if exc.error == "invalid_client":
        return (
            f"the TokenDealer refuses {client}: check {request.client_settings} "
            "against its clients file"
        )
    if exc.error in ("invalid_scope", "invalid_target", "unauthorized_client"):
        wanted = " ".join(request.scopes)
        return f"the TokenDealer refuses {client} the scopes {wanted!r} ({exc.error})"
    return f"the TokenDealer refuses {client}: {exc.error} {exc.description}".strip()


def _retry_delay(exc: TokenRequestFailed, attempt: int) -> float:
    if exc.status == 0 or exc.status >= 500:
        return UNREACHABLE_RETRY[min(attempt, len(UNREACHABLE_RETRY) - 1)]
    return REFUSED_RETRY
