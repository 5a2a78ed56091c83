"""Key-set caching and refresh, against a real local HTTP server serving the JWKS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from jeeves_shared.auth import (
    HttpJwksSource,
    InvalidToken,
    JwksUnavailable,
    StaticJwksSource,
    TokenVerifier,
)
from tests.jeeves_shared.auth.conftest import make_app
from tests.support.clock import FakeClock
from tests.support.http import serving_handler
from tests.support.tokens import TestIssuer, b64url

OLD, NEW = TestIssuer(kid="old"), TestIssuer(kid="new")


class FakeDealer:
    """Serves a JWKS that a test can swap, and counts the requests."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.hits = 0
        self.status = 200

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        await asyncio.sleep(0.01)  # long enough for concurrent callers to pile up
        return web.json_response(self.jwks, status=self.status)


@pytest.fixture
async def dealer() -> AsyncIterator[tuple[FakeDealer, str]]:
    fake = FakeDealer(OLD.jwks)
    async with serving_handler("GET", "/.well-known/jwks.json", fake.handle) as url:
        yield fake, url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def verifier(
    dealer: tuple[FakeDealer, str], clock: FakeClock
) -> AsyncIterator[TokenVerifier]:
    verifier = TokenVerifier(HttpJwksSource(dealer[1]), audience="dataservice", clock=clock)
    yield verifier
    await verifier.aclose()


async def test_keys_are_fetched_once_and_cached(
    dealer: tuple[FakeDealer, str], verifier: TokenVerifier
) -> None:
    for _ in range(5):
        claims = await verifier.verify(OLD.mint(scope="users:read"), scopes=["users:read"])
    assert claims.subject == "test-client"
    assert dealer[0].hits == 1


async def test_unknown_kid_triggers_exactly_one_rate_limited_refresh(
    dealer: tuple[FakeDealer, str], verifier: TokenVerifier, clock: FakeClock
) -> None:
    fake, _ = dealer
    await verifier.verify(OLD.mint())
    clock.advance(31)
    stranger = TestIssuer(kid="stranger").mint()
    results = await asyncio.gather(
        *(verifier.verify(stranger) for _ in range(20)), return_exceptions=True
    )
    assert all(isinstance(r, InvalidToken) and r.reason == "unknown signing key" for r in results)
    assert fake.hits == 2
    clock.advance(10)  # still inside the 30 s window: no new request
    with pytest.raises(InvalidToken):
        await verifier.verify(stranger)
    assert fake.hits == 2


async def test_rotation_new_kid_is_picked_up(
    dealer: tuple[FakeDealer, str], verifier: TokenVerifier, clock: FakeClock
) -> None:
    fake, _ = dealer
    await verifier.verify(OLD.mint())
    fake.jwks = {"keys": OLD.jwks["keys"] + NEW.jwks["keys"]}
    clock.advance(31)
    assert (await verifier.verify(NEW.mint())).issuer == NEW.issuer
    assert (await verifier.verify(OLD.mint())).issuer == OLD.issuer
    assert verifier.key_ids == {"old", "new"}
    assert fake.hits == 2


async def test_stale_keys_are_reloaded_and_kept_when_the_dealer_fails(
    dealer: tuple[FakeDealer, str], verifier: TokenVerifier, clock: FakeClock
) -> None:
    fake, _ = dealer
    await verifier.verify(OLD.mint())
    fake.status = 500
    clock.advance(301)
    await verifier.verify(OLD.mint())  # refresh failed, old keys still trusted
    assert fake.hits == 2
    fake.status, fake.jwks = 200, NEW.jwks
    clock.advance(31)
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await verifier.verify(OLD.mint())  # the old key was withdrawn
    assert fake.hits == 3


async def test_unreachable_dealer_is_503_until_keys_load(clock: FakeClock) -> None:
    source = HttpJwksSource("http://127.0.0.1:9/.well-known/jwks.json", timeout=1)
    verifier = TokenVerifier(source, audience="dataservice", clock=clock)
    app = make_app(verifier)
    async with app.test_app() as test_app:
        response = await test_app.test_client().get(
            "/users", headers={"Authorization": f"Bearer {OLD.mint(scope='users:read')}"}
        )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert (await response.get_json())["error"] == "temporarily_unavailable"


@pytest.mark.parametrize(
    "jwks",
    [
        {"keys": []},
        {"keys": [{"kty": "oct", "kid": "old", "k": b64url(b"s" * 32), "alg": "HS256"}]},
        {"keys": [{**OLD.jwks["keys"][0], "use": "enc"}]},
        {"keys": [{**OLD.jwks["keys"][0], "kid": None}]},
        {"nokeys": True},
    ],
    ids=["empty", "hmac key", "encryption key", "no kid", "not a jwks"],
)
async def test_unusable_key_sets_are_refused(jwks: dict[str, Any]) -> None:
    verifier = TokenVerifier(StaticJwksSource(jwks), audience="dataservice")
    with pytest.raises(JwksUnavailable):
        await verifier.verify(OLD.mint())


@pytest.mark.parametrize("algorithms", [["HS256"], ["none"], ["RS256", "HS256"], []])
def test_only_asymmetric_algorithms_can_be_configured(algorithms: list[str]) -> None:
    with pytest.raises(ValueError, match="asymmetric"):
        TokenVerifier(OLD.source(), audience="x", algorithms=algorithms)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=300), st.builds(".".join, st.lists(st.text(), max_size=4))))
def test_any_string_is_a_valid_token_or_invalid_token(token: str) -> None:
    verifier = TokenVerifier(OLD.source(), audience="dataservice")
    with pytest.raises(InvalidToken):
        asyncio.run(verifier.verify(token))


async def test_audience_none_skips_the_audience_check() -> None:
    verifier = TokenVerifier(OLD.source(), audience=None)
    claims = await verifier.verify(OLD.mint(aud=["a", "b"]))
    assert claims.audience == ("a", "b")
