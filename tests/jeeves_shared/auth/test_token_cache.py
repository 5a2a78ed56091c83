"""Tokens already verified are remembered, never beyond their expiry nor past a key reload."""

from __future__ import annotations

import time
from typing import Any

import pytest

from jeeves_shared.auth import InsufficientScope, InvalidToken, TokenVerifier
from jeeves_shared.auth.claims import Claims
from jeeves_shared.auth.token_cache import TokenCache
from tests.jeeves_shared.auth.conftest import make_app
from tests.support.clock import FakeClock
from tests.support.tokens import TestIssuer

OLD, NEW = TestIssuer(kid="old"), TestIssuer(kid="new")


@pytest.fixture
def now() -> float:
    return time.time()


def make_verifier(wall_clock: FakeClock, **options: Any) -> TokenVerifier:
    return TokenVerifier(
        OLD.source(), audience="dataservice", leeway=30, wall_clock=wall_clock, **options
    )


async def test_a_cached_token_is_rejected_once_expired(now: float) -> None:
    wall_clock = FakeClock(now)
    verifier = make_verifier(wall_clock)
    token = OLD.mint(exp=int(now) + 60)
    await verifier.verify(token)
    wall_clock.advance(60 + 29)  # within the leeway: still good
    assert (await verifier.verify(token)).expires_at == int(now) + 60
    wall_clock.advance(1.5)
    with pytest.raises(InvalidToken, match="token expired"):
        await verifier.verify(token)


async def test_a_token_within_its_leeway_is_not_cached_past_it(now: float) -> None:
    # Already expired by the clock, accepted only thanks to the leeway.
    wall_clock = FakeClock(now)
    verifier = make_verifier(wall_clock)
    token = OLD.mint(now=now - 3600, exp=int(now) - 20)
    await verifier.verify(token)
    wall_clock.advance(11)
    with pytest.raises(InvalidToken, match="token expired"):
        await verifier.verify(token)


async def test_the_scope_is_checked_on_every_request() -> None:
    app = make_app(TokenVerifier(OLD.source(), audience="dataservice"))
    token = OLD.mint(scope="users:write")
    async with app.test_app() as test_app:
        client = test_app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        statuses = [(await client.get("/users", headers=headers)).status_code for _ in range(2)]
    assert statuses == [403, 403]


async def test_a_cached_token_still_needs_each_scope() -> None:
    verifier = TokenVerifier(OLD.source(), audience="dataservice")
    token = OLD.mint(scope="users:read")
    await verifier.verify(token, scopes=["users:read"])
    with pytest.raises(InsufficientScope):
        await verifier.verify(token, scopes=["users:write"])


async def test_a_key_reload_forgets_tokens_signed_by_a_withdrawn_key() -> None:
    source, clock = OLD.source(), FakeClock()
    verifier = TokenVerifier(source, audience="dataservice", clock=clock)
    token = OLD.mint()
    await verifier.verify(token)
    source.jwks = NEW.jwks  # a rotation at the TokenDealer withdraws the old key
    clock.advance(31)
    await verifier.verify(NEW.mint())  # an unknown kid: the key set is reloaded
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await verifier.verify(token)


def test_the_cache_is_bounded_and_forgets_the_least_recently_used(now: float) -> None:
    cache = TokenCache(max_entries=2)
    first, second, third = (OLD.mint() for _ in range(3))
    for n, token in enumerate((first, second, first, third)):
        cache.put(token, _claims(n, now))
    assert len(cache) == 2
    assert cache.get(second, now=now) is None
    assert cache.get(first, now=now) is not None
    assert cache.get(third, now=now) is not None


def test_a_cache_holds_at_least_one_token() -> None:
    with pytest.raises(ValueError):
        TokenCache(max_entries=0)


def _claims(n: int, now: float) -> Claims:
    return Claims.from_payload(OLD.claims(now=now, jti=f"j{n}"))
