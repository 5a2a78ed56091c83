"""Check access tokens locally with the TokenDealer's cached public keys.

Only asymmetric algorithms are accepted (``none`` and HMAC never are), so a public key can
never be abused as an HMAC secret. The key set is cached; it is reloaded when older than
``max_age`` and when a token names an unknown ``kid`` (a rotation), at most once per
``refresh_interval`` so that garbage tokens cannot make us hammer the TokenDealer.

Tokens already verified are remembered (:class:`TokenCache`) until they expire, so a client's
repeated requests skip the signature check; every reload of the key set forgets them all, and
the scope check runs on every request.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import Callable, Collection, Iterable
from typing import Any

import jwt
import structlog
from jwt import PyJWK

from jeeves_shared.auth.claims import DEFAULT_ISSUER, Claims
from jeeves_shared.auth.errors import InsufficientScope, InvalidToken, JwksUnavailable
from jeeves_shared.auth.jwks import JwksSource, to_key_map
from jeeves_shared.auth.token_cache import DEFAULT_MAX_ENTRIES, TokenCache

log = structlog.get_logger(__name__)

#: Algorithms a verifier may be configured with: public-key signatures only.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
#: What the TokenDealer signs with (see docs/tokendealer.md for why RS256).
DEFAULT_ALGORITHMS = ("RS256",)
#: Longer "tokens" are refused before any parsing; ours are well under 1 KiB.
MAX_TOKEN_LENGTH = 8192
#: While no key set has ever loaded, retry this often at most.
EMPTY_RETRY_INTERVAL = 1.0

_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not yet valid"),
    (jwt.InvalidAudienceError, "token not meant for this audience"),
    (jwt.InvalidIssuerError, "token from an unknown issuer"),
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.InvalidAlgorithmError, "algorithm not accepted"),
)


class TokenVerifier:
    """Verify JWT access tokens: signature, algorithm, ``iss``, ``aud``, ``exp``, ``nbf``, scope.

    ``audience`` is what this service calls itself (e.g. ``"dataservice"``); pass ``None``
    only in tools that inspect tokens meant for anyone. ``clock`` (monotonic seconds) only
    drives the key-cache timers; token times are checked against the wall clock by PyJWT, and
    ``wall_clock`` (Unix seconds) expires the tokens remembered, at most ``cache_size``.
    """

    def __init__(
        self,
        source: JwksSource,
        *,
        audience: str | None,
        issuer: str = DEFAULT_ISSUER,
        algorithms: Collection[str] = DEFAULT_ALGORITHMS,
        leeway: float = 30.0,
        max_age: float = 300.0,
        refresh_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        cache_size: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        if not algorithms or not set(algorithms) <= ASYMMETRIC_ALGORITHMS:
            raise ValueError(f"only asymmetric algorithms may be accepted, not {algorithms!r}")
        self.source = source
        self.audience = audience
        self.issuer = issuer
        self.algorithms = frozenset(algorithms)
        self.leeway = leeway
        self.max_age = max_age
        self.refresh_interval = refresh_interval
        self._clock = clock
        self._wall_clock = wall_clock
        self._verified = TokenCache(max_entries=cache_size, leeway=leeway)
        self._keys: dict[str, PyJWK] = {}
        self._loaded_at = float("-inf")
        self._attempted_at = float("-inf")
        self._lock = asyncio.Lock()
        self._required = ["exp", "iat", "iss", "sub", "jti", *(["aud"] if audience else [])]

    @property
    def is_ready(self) -> bool:
        """True once a key set has been loaded."""
        return bool(self._keys)

    @property
    def key_ids(self) -> frozenset[str]:
        """The ``kid`` of every key currently trusted."""
        return frozenset(self._keys)

    async def verify(self, token: str, *, scopes: Iterable[str] = ()) -> Claims:
        """Return the token's claims, or raise :class:`InvalidToken` / :class:`InsufficientScope`.

        Every scope in ``scopes`` must be granted. Raises :class:`JwksUnavailable` when no key
        set could ever be loaded.
        """
        claims = await self._claims_of(token)
        for scope in scopes:
            if not claims.has_scope(scope):
                raise InsufficientScope(scope)
        return claims

    async def refresh(self, *, force: bool = False) -> None:
        """Reload the key set, unless one was attempted within ``refresh_interval``.

        On failure the previous keys stay in use; :class:`JwksUnavailable` is raised only if
        there are none.
        """
        async with self._lock:
            if not force and self._attempted_recently():
                return
            self._attempted_at = self._clock()
            try:
                keys = to_key_map(await self.source.fetch(), self.algorithms)
            except JwksUnavailable as exc:
                log.warning("jwks.refresh_failed", reason=exc.reason, have_keys=bool(self._keys))
                if not self._keys:
                    raise
                return
            self._keys, self._loaded_at = keys, self._attempted_at
            self._verified.clear()
            log.info("jwks.loaded", kids=sorted(keys))

    async def aclose(self) -> None:
        """Close the key source."""
        await self.source.aclose()

    async def _claims_of(self, token: str) -> Claims:
        # With a stale key set, verify in full: that reloads the keys (and forgets every token).
        if self._clock() - self._loaded_at <= self.max_age:
            cached = self._verified.get(token, now=self._wall_clock())
            if cached is not None:
                return cached
        claims = Claims.from_payload(self._decode(token, await self._key_for(_read_header(token))))
        self._verified.put(token, claims)
        return claims

    async def _key_for(self, header: dict[str, Any]) -> PyJWK:
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise InvalidToken("algorithm not accepted")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token header has no 'kid'")
        if self._clock() - self._loaded_at > self.max_age:
            await self.refresh()
        key = self._keys.get(kid)
        if key is None:
            await self.refresh()
            key = self._keys.get(kid)
        if key is None:
            if not self._keys:
                raise JwksUnavailable("no signing keys loaded yet")
            raise InvalidToken("unknown signing key")
        if key.algorithm_name != alg:
            raise InvalidToken("algorithm does not match the signing key")
        return key

    def _decode(self, token: str, key: PyJWK) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": self._required, "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(_describe(exc)) from exc

    def _attempted_recently(self) -> bool:
        interval = self.refresh_interval
        if not self._keys:
            interval = min(interval, EMPTY_RETRY_INTERVAL)
        return self._clock() - self._attempted_at < interval


def _read_header(token: object) -> dict[str, Any]:
    """Decode only the JOSE header, to choose the key.

    ``jwt.get_unverified_header`` would decode (and validate) the whole token, which
    :func:`jwt.decode` does again: that doubled the cost of a verification. PyJWT re-reads the
    header strictly when verifying, with the algorithm pinned to the chosen key's, so this
    lenient read cannot make a bad token pass.
    """
    if not isinstance(token, str) or not token:
        raise InvalidToken("malformed token")
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("token too long")
    segment = token.partition(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error, RecursionError) as exc:
        raise InvalidToken("malformed token") from exc
    if not isinstance(header, dict):
        raise InvalidToken("malformed token")
    return header


def _describe(exc: jwt.PyJWTError) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"missing claim {exc.claim!r}"
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    return "malformed token"
