"""The real thing: the TokenDealer served by Hypercorn on 127.0.0.1, a TokenClient fetching
tokens from it, and a service verifying them with keys fetched from its JWKS endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from quart import Quart

from jeeves_shared.auth import HttpJwksSource, TokenClient, TokenRequestFailed, TokenVerifier
from tests.jeeves_shared.auth.conftest import make_app
from tests.support.http import serving
from tests.tokendealer.conftest import WORKER_SECRET


@pytest.fixture
async def dealer_url(app: Quart) -> AsyncIterator[str]:
    """Serve the TokenDealer app on a free port of 127.0.0.1."""
    async with serving(app) as url:
        yield url


async def test_token_from_the_dealer_opens_a_protected_view(dealer_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        tokens = TokenClient(
            session,
            token_url=f"{dealer_url}/oauth/token",
            client_id="worker",
            client_secret=WORKER_SECRET,
        )
        verifier = TokenVerifier(
            HttpJwksSource(f"{dealer_url}/.well-known/jwks.json", session=session),
            audience="dataservice",
        )
        service = make_app(verifier)
        async with service.test_app() as test_app:
            client = test_app.test_client()
            tokens_seen = await asyncio.gather(
                *(tokens.get_token("dataservice", ["users:read"]) for _ in range(10))
            )
            assert len(set(tokens_seen)) == 1
            headers = {"Authorization": f"Bearer {tokens_seen[0]}"}
            response = await client.get("/users", headers=headers)
            assert response.status_code == 200
            assert await response.get_json() == {"sub": "worker", "scopes": ["users:read"]}

            write_only = await tokens.get_token("dataservice", ["users:write"])
            response = await client.get("/users", headers={"Authorization": f"Bearer {write_only}"})
            assert response.status_code == 403

        with pytest.raises(TokenRequestFailed) as refused:
            await tokens.get_token("dataservice", ["admin"])
        assert (refused.value.status, refused.value.error) == (400, "invalid_scope")
