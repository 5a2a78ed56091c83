"""The TokenDealer's app factory."""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog
from quart import Quart, Response, jsonify
from werkzeug.exceptions import HTTPException

from jeeves_shared.auth import StaticJwksSource, TokenVerifier
from jeeves_shared.auth.quart_auth import install_auth
from jeeves_shared.observability.http import instrument
from tokendealer import views
from tokendealer.clients import load_clients
from tokendealer.errors import InvalidClient, OAuthError, TooManyFailures
from tokendealer.keys import ALGORITHM, load_key_ring
from tokendealer.settings import TokenDealerSettings
from tokendealer.state import Dealer
from tokendealer.throttle import FailureThrottle

log = structlog.get_logger(__name__)

#: Token requests are a few hundred bytes; refuse big bodies before parsing them.
MAX_BODY_BYTES = 16 * 1024


def create_app(
    settings: TokenDealerSettings | None = None, *, clock: Callable[[], float] = time.time
) -> Quart:
    """Build the TokenDealer.

    Keys and clients are loaded here, from files (no network): a missing or broken one is a
    :class:`~jeeves_shared.runtime.settings.SettingsError` now rather than a failure later. In dev
    mode missing keys and clients are replaced by throwaway ones. ``clock`` (wall-clock seconds)
    dates tokens and drives the failure throttle.
    """
    state = build_dealer(settings or TokenDealerSettings(), clock)
    app = Quart(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["tokendealer"] = state
    instrument(app, "tokendealer")
    install_auth(app, state.verifier)  # maps InvalidToken from /verify_token to 401
    app.register_blueprint(views.blueprint)
    _register_errors(app)
    return app


def build_dealer(settings: TokenDealerSettings, clock: Callable[[], float]) -> Dealer:
    """Load keys and clients and assemble what the views share."""
    keys = load_key_ring(settings)
    return Dealer(
        settings=settings,
        keys=keys,
        clients=load_clients(settings),
        throttle=FailureThrottle(
            limit=settings.tokendealer_max_failures,
            window=settings.tokendealer_failure_window,
            clock=clock,
        ),
        verifier=TokenVerifier(
            StaticJwksSource(keys.jwks()),
            audience=None,
            issuer=settings.tokendealer_issuer,
            algorithms=[ALGORITHM],
        ),
        clock=clock,
    )


def _register_errors(app: Quart) -> None:
    """One table from errors to RFC 6749 JSON answers."""

    @app.errorhandler(OAuthError)
    async def oauth_error(exc: OAuthError) -> Response:
        response = _json_error(exc.status, exc.code, exc.description)
        if isinstance(exc, InvalidClient):
            response.headers["WWW-Authenticate"] = 'Basic realm="jeeves-tokendealer"'
        if isinstance(exc, TooManyFailures):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(HTTPException)
    async def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        return _json_error(code, "invalid_request" if code < 500 else "server_error", exc.name)


def _json_error(status: int, error: str, description: str) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
