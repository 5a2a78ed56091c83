"""Service-to-service authentication: verify access tokens, fetch them, guard Quart views.

* :class:`TokenVerifier` checks JWTs locally against the TokenDealer's JWKS
  (:class:`HttpJwksSource`) or a fixed set (:class:`StaticJwksSource`).
* :class:`TokenClient` gets and caches client-credentials tokens for outgoing calls.
* :func:`install_auth` and :func:`require_scope` protect Quart views.
"""

from __future__ import annotations

from jeeves_shared.auth.claims import DEFAULT_ISSUER, Claims
from jeeves_shared.auth.client import TokenClient, basic_authorization
from jeeves_shared.auth.errors import (
    AuthError,
    InsufficientScope,
    InvalidToken,
    JwksUnavailable,
    MissingToken,
    TokenRequestFailed,
)
from jeeves_shared.auth.jwks import HttpJwksSource, JwksSource, StaticJwksSource
from jeeves_shared.auth.verifier import TokenVerifier

__all__ = [
    "DEFAULT_ISSUER",
    "AuthError",
    "Claims",
    "HttpJwksSource",
    "InsufficientScope",
    "InvalidToken",
    "JwksSource",
    "JwksUnavailable",
    "MissingToken",
    "StaticJwksSource",
    "TokenClient",
    "TokenRequestFailed",
    "TokenVerifier",
    "basic_authorization",
]
