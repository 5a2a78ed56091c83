"""Fixtures: a test issuer, and a real Quart app whose views are guarded by require_scope."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as Client

from jeeves_shared.auth import TokenVerifier
from jeeves_shared.auth.quart_auth import current_claims, install_auth, require_scope
from tests.support.tokens import TestIssuer


def make_app(verifier: TokenVerifier) -> Quart:
    """A tiny service with one protected view, as the Data Service would have."""
    app = Quart(__name__)
    install_auth(app, verifier)

    @app.get("/users")
    @require_scope("users:read")
    async def list_users() -> dict[str, object]:
        claims = current_claims()
        return {"sub": claims.subject, "scopes": sorted(claims.scopes)}

    return app


@pytest.fixture
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture
async def client(issuer: TestIssuer) -> AsyncIterator[Client]:
    app = make_app(TokenVerifier(issuer.source(), audience="dataservice"))
    async with app.test_app() as test_app:
        yield test_app.test_client()
