"""Grant an access token: authenticate the client, check what it asks for, sign the JWT."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import structlog

from tokendealer.clients import ClientConfig, check_secret
from tokendealer.credentials import TokenRequest
from tokendealer.errors import (
    InvalidClient,
    InvalidRequest,
    InvalidScope,
    InvalidTarget,
    TooManyFailures,
)
from tokendealer.keys import KeyRing
from tokendealer.state import Dealer

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """What the token endpoint returns (RFC 6749 §5.1)."""

    access_token: str
    expires_in: int
    scope: str

    def to_response(self) -> dict[str, str | int]:
        """The JSON body of a successful token response."""
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }


async def grant_token(request: TokenRequest, state: Dealer) -> IssuedToken:
    """Issue a token for an authenticated client, or raise an :class:`OAuthError`."""
    client = await authenticate(request, state)
    audience = choose_audience(client, request.audience)
    scopes = choose_scopes(client, request.scopes)
    issued = issue_token(
        state.keys,
        issuer=state.settings.tokendealer_issuer,
        client_id=client.id,
        audience=audience,
        scopes=scopes,
        lifetime=state.settings.tokendealer_token_lifetime,
        now=state.clock(),
    )
    log.info("token.issued", client_id=client.id, audience=audience, scope=issued.scope)
    return issued


async def authenticate(request: TokenRequest, state: Dealer) -> ClientConfig:
    """The client whose credentials these are; throttled per client id."""
    client_id = request.credentials.client_id
    retry_after = state.throttle.retry_after(client_id)
    if retry_after is not None:
        log.warning("client.throttled", client_id=client_id, retry_after=retry_after)
        raise TooManyFailures(retry_after)
    state.throttle.record_attempt(client_id)
    client = state.clients.get(client_id)
    if not await check_secret(request.credentials.client_secret, client) or client is None:
        log.warning("client.authentication_failed", client_id=client_id, known=bool(client))
        raise InvalidClient("unknown client or wrong secret")
    state.throttle.forgive(client_id)
    return client


def choose_audience(client: ClientConfig, requested: str | None) -> str:
    """The requested audience if allowed; the only one allowed if none was requested."""
    if requested is None:
        if len(client.audiences) != 1:
            raise InvalidRequest("audience is required")
        return next(iter(client.audiences))
    if requested not in client.audiences:
        raise InvalidTarget("audience not allowed for this client")
    return requested


def choose_scopes(client: ClientConfig, requested: frozenset[str] | None) -> frozenset[str]:
    """The requested scopes if all are allowed; every allowed scope if none were requested."""
    if requested is None:
        return client.scopes
    if not requested <= client.scopes:
        raise InvalidScope("scope not allowed for this client")
    return requested


def issue_token(
    keys: KeyRing,
    *,
    issuer: str,
    client_id: str,
    audience: str,
    scopes: frozenset[str],
    lifetime: int,
    now: float,
) -> IssuedToken:
    """Sign an access token for ``client_id``."""
    issued_at = int(now)
    scope = " ".join(sorted(scopes))
    claims = {
        "iss": issuer,
        "sub": client_id,
        "aud": audience,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + lifetime,
        "jti": secrets.token_urlsafe(16),
        "scope": scope,
        "client_id": client_id,  # RFC 9068 §2.2
    }
    return IssuedToken(keys.sign(claims), lifetime, scope)
