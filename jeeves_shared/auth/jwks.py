"""Where a verifier gets its public keys: the TokenDealer's JWKS over HTTP, or a fixed set.

A :class:`JwksSource` only fetches the JSON document; parsing and caching belong to the
verifier. :func:`to_key_map` turns a JWKS into usable keys with PyJWT, keeping only the
asymmetric algorithms the verifier accepts.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any, Protocol

import aiohttp
import structlog
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWTError

from jeeves_shared.auth.errors import JwksUnavailable

log = structlog.get_logger(__name__)

#: A JWKS document larger than this is refused; ours holds a handful of keys.
MAX_JWKS_BYTES = 256 * 1024


class JwksSource(Protocol):
    """Anything that can produce the current JWKS document."""

    async def fetch(self) -> Mapping[str, Any]:
        """Return the JWKS (``{"keys": [...]}``); raise :class:`JwksUnavailable` on failure."""
        ...

    async def aclose(self) -> None:
        """Release whatever the source holds open."""
        ...


class StaticJwksSource:
    """A fixed JWKS, for tests, benchmarks and tools that already hold the keys."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self.jwks = jwks

    async def fetch(self) -> Mapping[str, Any]:
        """Return the key set given at construction."""
        return self.jwks

    async def aclose(self) -> None:
        """Nothing to release."""


class HttpJwksSource:
    """Fetch the JWKS from a URL (normally ``<tokendealer>/.well-known/jwks.json``).

    Pass the process's pooled ``session``; without one the source opens its own on first use
    (inside the running loop, never at construction) and closes it in :meth:`aclose`.
    """

    def __init__(
        self, url: str, *, session: aiohttp.ClientSession | None = None, timeout: float = 5.0
    ) -> None:
        self.url = url
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def fetch(self) -> Mapping[str, Any]:
        """GET the key set; raise :class:`JwksUnavailable` on any network or format problem."""
        try:
            async with self._get_session().get(self.url, timeout=self._timeout) as response:
                if response.status != 200:
                    raise JwksUnavailable(f"JWKS endpoint answered {response.status}")
                if (response.content_length or 0) > MAX_JWKS_BYTES:
                    raise JwksUnavailable("JWKS document too large")
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise JwksUnavailable(f"JWKS endpoint unreachable: {exc!r}") from exc
        return _parse_document(body)

    async def aclose(self) -> None:
        """Close the session if this source opened it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session


def _parse_document(body: bytes) -> Mapping[str, Any]:
    if len(body) > MAX_JWKS_BYTES:
        raise JwksUnavailable("JWKS document too large")
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise JwksUnavailable("JWKS document is not JSON") from exc
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksUnavailable("JWKS document has no 'keys' list")
    return document


def to_key_map(jwks: Mapping[str, Any], algorithms: Collection[str]) -> dict[str, PyJWK]:
    """Map ``kid`` to key for every usable signing key of an allowed algorithm.

    Keys without a ``kid``, meant for encryption (``use`` other than ``sig``), or whose
    algorithm is not in ``algorithms`` (``oct``/HMAC keys in particular) are skipped, so a
    token can never pick them.
    """
    try:
        key_set = PyJWKSet.from_dict(dict(jwks))
    except (PyJWTError, NotImplementedError, TypeError, ValueError) as exc:
        raise JwksUnavailable(f"JWKS has no usable keys: {exc}") from exc
    keys = {
        key.key_id: key
        for key in key_set
        if key.key_id and key.public_key_use in (None, "sig") and key.algorithm_name in algorithms
    }
    if not keys:
        raise JwksUnavailable("JWKS has no signing key for the accepted algorithms")
    return keys
