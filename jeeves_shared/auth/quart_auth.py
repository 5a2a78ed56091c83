"""Protect Quart views with bearer tokens.

``install_auth(app, verifier)`` registers the verifier and the error handlers (one table);
``@require_scope("users:read")`` on a view reads ``Authorization: Bearer ...``, verifies it,
puts the claims on ``quart.g.claims`` and lets failures become RFC 6750 responses::

    install_auth(app, TokenVerifier(HttpJwksSource(jwks_url), audience="dataservice"))

    @app.get("/api/v1/users/<int:user_id>")
    @require_scope("users:read")
    async def get_user(user_id: int) -> ResponseReturnValue: ...
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import structlog
from quart import Quart, Response, current_app, g, jsonify, request

from jeeves_shared.auth.claims import Claims
from jeeves_shared.auth.errors import InsufficientScope, InvalidToken, JwksUnavailable, MissingToken
from jeeves_shared.auth.verifier import TokenVerifier

log = structlog.get_logger(__name__)

EXTENSION_KEY = "jeeves.auth"
#: Seconds a client should wait before retrying when no keys could be loaded.
RETRY_AFTER_SECONDS = 5

P = ParamSpec("P")
R = TypeVar("R")


def install_auth(app: Quart, verifier: TokenVerifier) -> None:
    """Attach ``verifier`` to ``app``, map auth errors to responses, close it on shutdown."""
    app.extensions[EXTENSION_KEY] = verifier
    app.register_error_handler(InvalidToken, _invalid_token)
    app.register_error_handler(InsufficientScope, _insufficient_scope)
    app.register_error_handler(JwksUnavailable, _jwks_unavailable)
    app.after_serving(verifier.aclose)


def get_verifier(app: Quart) -> TokenVerifier:
    """Return the verifier :func:`install_auth` attached to ``app``."""
    verifier: TokenVerifier = app.extensions[EXTENSION_KEY]
    return verifier


def require_scope(
    *scopes: str,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Decorate a view so it runs only for a valid token granting every one of ``scopes``."""

    def decorator(view: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(view)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            token = bearer_token(request.headers.get("Authorization", ""))
            g.claims = await get_verifier(current_app).verify(token, scopes=scopes)
            return await view(*args, **kwargs)

        return wrapper

    return decorator


def current_claims() -> Claims:
    """The claims of the token that authorized the current request."""
    claims: Claims = g.claims
    return claims


def bearer_token(authorization: str) -> str:
    """Extract the token from an ``Authorization`` header value (RFC 6750 §2.1)."""
    scheme, _, token = authorization.strip().partition(" ")
    if not scheme:
        raise MissingToken()
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise InvalidToken("authorization header is not 'Bearer <token>'")
    return token


async def _invalid_token(error: InvalidToken) -> Response:
    log.info("auth.rejected", reason=error.reason, path=request.path)
    if isinstance(error, MissingToken):
        challenge = 'Bearer realm="jeeves"'
    else:
        reason = _quoted(error.reason)
        challenge = f'Bearer realm="jeeves", error="invalid_token", error_description="{reason}"'
    return _error_response(401, "invalid_token", error.reason, {"WWW-Authenticate": challenge})


async def _insufficient_scope(error: InsufficientScope) -> Response:
    log.info("auth.forbidden", scope=error.scope, path=request.path)
    challenge = f'Bearer realm="jeeves", error="insufficient_scope", scope="{_quoted(error.scope)}"'
    return _error_response(403, "insufficient_scope", str(error), {"WWW-Authenticate": challenge})


async def _jwks_unavailable(error: JwksUnavailable) -> Response:
    log.warning("auth.unavailable", reason=error.reason)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return _error_response(503, "temporarily_unavailable", "cannot verify tokens now", headers)


def _quoted(text: str) -> str:
    """Make ``text`` safe inside an RFC 7230 quoted-string."""
    return "".join(c for c in text if c.isascii() and c.isprintable() and c not in '"\\')


def _error_response(status: int, error: str, description: str, headers: dict[str, str]) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers.update(headers)
    response.headers["Cache-Control"] = "no-store"
    return response
