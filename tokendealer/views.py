"""HTTP endpoints of the TokenDealer: thin views over :mod:`tokendealer.tokens`."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, current_app, jsonify, request

from jeeves_shared.auth import InvalidToken
from jeeves_shared.observability.metrics import TOKENS
from jeeves_shared.runtime.health import OK, readiness
from jeeves_shared.runtime.lifecycle import is_draining
from tokendealer.credentials import parse_token_request
from tokendealer.errors import InvalidRequest, OAuthError
from tokendealer.state import dealer
from tokendealer.tokens import grant_token

blueprint = Blueprint("tokendealer", __name__)


@blueprint.post("/oauth/token")
async def token() -> Response:
    """RFC 6749 §4.4 client-credentials grant."""
    form = await request.form
    try:
        token_request = parse_token_request(form, request.headers.get("Authorization"))
        issued = await grant_token(token_request, dealer())
    except OAuthError as exc:
        TOKENS.labels(exc.code).inc()
        raise
    TOKENS.labels("issued").inc()
    response = jsonify(issued.to_response())
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@blueprint.get("/.well-known/jwks.json")
async def jwks() -> Response:
    """The public keys, as an RFC 7517 JWK Set."""
    state = dealer()
    response = jsonify(state.keys.jwks())
    response.headers["Cache-Control"] = f"public, max-age={state.settings.tokendealer_jwks_max_age}"
    return response


@blueprint.post("/verify_token")
async def verify_token() -> dict[str, Any]:
    """Return the claims of a token we issued (form or JSON ``token``), or 401.

    An optional ``audience`` is checked too. Meant for tools; services verify locally.
    """
    fields = await _fields()
    token, audience = fields.get("token"), fields.get("audience")
    if not isinstance(token, str) or not token:
        raise InvalidRequest("token is required")
    claims = await dealer().verifier.verify(token)
    if audience is not None and audience not in claims.audience:
        raise InvalidToken("token not meant for this audience")
    return dict(claims.raw)


@blueprint.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: the event loop answers."""
    return {"status": "ok"}


@blueprint.get("/readyz")
async def readyz() -> tuple[dict[str, Any], int]:
    """Ready once the signing keys are loaded (they load before the app is built).

    Unready again once the process starts shutting down.
    """
    keys = OK if dealer().keys.keys else "none loaded"
    status, body = readiness({"keys": keys}, draining=is_draining(current_app))
    return body, status


async def _fields() -> dict[str, Any]:
    if request.is_json:
        body = await request.get_json(silent=True)
        return body if isinstance(body, dict) else {}
    return dict((await request.form).items())
