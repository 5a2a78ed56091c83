"""Verify the ``id_token`` of Sign in with Slack (OpenID Connect) against Slack's JWKS.

Slack signs id_tokens with RS256 and publishes its public keys at
``https://slack.com/openid/connect/keys``. slack_sdk's own sample decodes the token without
checking the signature; here every token is verified as OpenID Connect Core 1.0 §3.1.3.7 asks:
signature, ``iss`` (``https://slack.com``), ``aud`` (our client id), ``exp`` and the ``nonce``
this browser was given. The claims Slack adds (``https://slack.com/team_id`` ...) are listed at
https://docs.slack.dev/authentication/sign-in-with-slack/.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Mapping
from typing import Any

import jwt
import structlog
from jwt import PyJWKClient

from jeeves_frontend.dashboard.identity import SlackIdentity

log = structlog.get_logger(__name__)

#: The issuer of every Slack id_token.
SLACK_ISSUER = "https://slack.com"
#: Slack signs with RS256 only; nothing else (``none``, HMAC) is ever accepted.
ALGORITHMS = ("RS256",)
#: Claims a Slack id_token must carry for us to trust it and know who signed in.
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "sub", "nonce")
TEAM_ID = "https://slack.com/team_id"
USER_ID = "https://slack.com/user_id"
TEAM_NAME = "https://slack.com/team_name"
ENTERPRISE_ID = "https://slack.com/enterprise_id"

_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "token expired"),
    (jwt.ImmatureSignatureError, "token not yet valid"),
    (jwt.InvalidAudienceError, "token meant for another client"),
    (jwt.InvalidIssuerError, "token from another issuer"),
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.InvalidAlgorithmError, "algorithm not accepted"),
    (jwt.MissingRequiredClaimError, "a required claim is missing"),
    (jwt.PyJWKClientConnectionError, "Slack's keys could not be fetched"),
    (jwt.PyJWKClientError, "signing key not found"),
)


class IdTokenRejected(Exception):
    """The id_token is not one we can trust; ``reason`` says why (safe to log, no token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class KeysUnavailable(IdTokenRejected):
    """Slack's JWKS could not be fetched: not the token's fault, try again later."""


class IdTokenVerifier:
    """Check Slack id_tokens for one client id, with Slack's keys cached in the process.

    ``jwks_url`` is Slack's key set; :class:`jwt.PyJWKClient` caches the set for
    ``cache_seconds`` and fetches it again when a token names a key it does not know (Slack
    rotating its keys). ``leeway`` (seconds) absorbs clock skew on ``exp`` and ``iat``.
    """

    def __init__(
        self,
        *,
        client_id: str,
        jwks_url: str,
        issuer: str = SLACK_ISSUER,
        leeway: float = 30.0,
        cache_seconds: int = 3600,
        timeout: float = 5.0,
    ) -> None:
        self.client_id = client_id
        self.issuer = issuer
        self.leeway = leeway
        self._keys = PyJWKClient(jwks_url, cache_keys=True, lifespan=cache_seconds, timeout=timeout)

    async def verify(self, id_token: str, *, nonce: str) -> SlackIdentity:
        """The person the token names, or :class:`IdTokenRejected` (:class:`KeysUnavailable`).

        ``nonce`` is the one this browser's sign-in started with; the token must carry it.
        """
        # PyJWKClient fetches with urllib, which blocks: keep it off the event loop.
        claims = await asyncio.to_thread(self._decode, id_token)
        if not hmac.compare_digest(str(claims["nonce"]).encode(), nonce.encode()):
            raise IdTokenRejected("nonce does not match this sign-in")
        return to_identity(claims)

    def _decode(self, id_token: str) -> dict[str, Any]:
        try:
            key = self._keys.get_signing_key_from_jwt(id_token)
            return jwt.decode(
                id_token,
                key.key,
                algorithms=list(ALGORITHMS),
                audience=self.client_id,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise KeysUnavailable(_describe(exc)) from exc
        except jwt.PyJWTError as exc:
            raise IdTokenRejected(_describe(exc)) from exc


def to_identity(claims: Mapping[str, Any]) -> SlackIdentity:
    """The :class:`SlackIdentity` in verified ``claims``; :class:`IdTokenRejected` if incomplete.

    ``https://slack.com/user_id`` is preferred to ``sub`` (they are equal on Slack).
    """
    team_id = _text(claims, TEAM_ID)
    user_id = _text(claims, USER_ID) or _text(claims, "sub")
    if not team_id or not user_id:
        raise IdTokenRejected("token names no Slack team or user")
    return SlackIdentity(
        enterprise_id=_text(claims, ENTERPRISE_ID) or None,
        team_id=team_id,
        user_id=user_id,
        name=_text(claims, "name") or user_id,
        email=_text(claims, "email") or None,
        team_name=_text(claims, TEAM_NAME) or team_id,
    )


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    return value.strip() if isinstance(value, str) else ""


def _describe(exc: jwt.PyJWTError) -> str:
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    return "malformed token"
