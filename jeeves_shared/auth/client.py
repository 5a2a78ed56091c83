"""Get client-credentials access tokens from the TokenDealer for outgoing calls.

One :class:`TokenClient` per process, sharing the process's pooled ``aiohttp`` session::

    tokens = TokenClient(session, token_url=..., client_id=..., client_secret=...)
    token = await tokens.get_token("dataservice", ["users:read"])
    response = await session.get(url, headers={"Authorization": f"Bearer {token}"})
    if response.status == 401:      # revoked key, clock trouble...: retry once
        tokens.invalidate(token)
        token = await tokens.get_token("dataservice", ["users:read"])

Tokens are cached per (audience, scopes) and renewed ``refresh_margin`` seconds before they
expire. However many callers ask at once, one request is in flight per key; they all share
its result (or its error).
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import aiohttp
import structlog
from pydantic import SecretStr

from jeeves_shared.auth.errors import TokenRequestFailed
from jeeves_shared.runtime.logs import correlation_baggage

log = structlog.get_logger(__name__)

_Key = tuple[str, str]  # (audience, space-separated sorted scopes)


@dataclass(frozen=True, slots=True)
class _CachedToken:
    token: str
    refresh_at: float
    expires_at: float


class TokenClient:
    """Fetch, cache and renew access tokens (RFC 6749 §4.4 client-credentials grant).

    ``clock`` returns monotonic seconds; tests pass a fake one.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        token_url: str,
        client_id: str,
        client_secret: str | SecretStr,
        refresh_margin: float = 60.0,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        secret = SecretStr(client_secret) if isinstance(client_secret, str) else client_secret
        self.token_url = token_url
        self.client_id = client_id
        self.refresh_margin = refresh_margin
        self._session = session
        self._authorization = basic_authorization(client_id, secret.get_secret_value())
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._clock = clock
        self._cache: dict[_Key, _CachedToken] = {}
        self._inflight: dict[_Key, asyncio.Future[_CachedToken]] = {}

    async def get_token(self, audience: str, scopes: Iterable[str] = ()) -> str:
        """Return a valid access token for ``audience`` granting ``scopes``.

        Raises :class:`TokenRequestFailed` if the TokenDealer refuses or cannot be reached and
        no unexpired token is cached.
        """
        key = (audience, " ".join(sorted(set(scopes))))
        cached = self._cache.get(key)
        if cached is not None and self._clock() < cached.refresh_at:
            return cached.token
        try:
            return (await self._refresh(key)).token
        except TokenRequestFailed as exc:
            if cached is None or self._clock() >= cached.expires_at:
                raise
            log.warning("token.renewal_failed", audience=audience, error=exc.error)
            return cached.token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` after a server rejected it, so the next call fetches a new one.

        A token that was already replaced is ignored: many callers reporting the same
        rejection cause one new request, not one each.
        """
        for key, cached in list(self._cache.items()):
            if cached.token == token:
                del self._cache[key]
                log.info("token.invalidated", audience=key[0])

    async def _refresh(self, key: _Key) -> _CachedToken:
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self._fetch(key))
            self._inflight[key] = future
            future.add_done_callback(lambda done: self._forget_inflight(key, done))
        # shield: a caller giving up must not cancel the request others are waiting on.
        return await asyncio.shield(future)

    def _forget_inflight(self, key: _Key, done: asyncio.Future[_CachedToken]) -> None:
        if self._inflight.get(key) is done:
            del self._inflight[key]
        if not done.cancelled():
            done.exception()  # mark it retrieved even if every waiter went away

    async def _fetch(self, key: _Key) -> _CachedToken:
        audience, scope = key
        form = {"grant_type": "client_credentials", "audience": audience}
        if scope:
            form["scope"] = scope
        sent_at = self._clock()
        status, body = await self._post(form)
        if status != 200:
            raise TokenRequestFailed(
                status, str(body.get("error", "unknown")), str(body.get("error_description", ""))
            )
        cached = self._to_cached(body, sent_at)
        self._cache[key] = cached
        log.info("token.fetched", audience=audience, scope=scope)
        return cached

    async def _post(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        headers = {
            "Authorization": self._authorization,
            "Accept": "application/json",
            **correlation_baggage(),  # a token fetched for an event: the dealer's line says so
        }
        try:
            async with self._session.post(
                self.token_url, data=form, headers=headers, timeout=self._timeout
            ) as response:
                body = await response.json(content_type=None)
                return response.status, body if isinstance(body, dict) else {}
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise TokenRequestFailed(0, "unreachable", repr(exc)) from exc

    def _to_cached(self, body: dict[str, Any], sent_at: float) -> _CachedToken:
        token, lifetime = body.get("access_token"), body.get("expires_in")
        if not isinstance(token, str) or not isinstance(lifetime, int | float) or lifetime <= 0:
            raise TokenRequestFailed(200, "invalid_response", "no access_token or expires_in")
        margin = min(self.refresh_margin, lifetime / 2)
        return _CachedToken(token, sent_at + lifetime - margin, sent_at + lifetime)


def basic_authorization(client_id: str, client_secret: str) -> str:
    """The ``Authorization: Basic`` value for a client; both parts form-encoded (RFC 6749 2.3.1)."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")
