"""TokenClient caching and single-flight renewal, against a local HTTP token endpoint."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from urllib.parse import unquote_plus

import aiohttp
import pytest
from aiohttp import web

from jeeves_shared.auth import TokenClient, TokenRequestFailed
from tests.support.clock import FakeClock
from tests.support.http import serving_handler

SECRET = "s3cr:et+/="


class FakeDealer:
    """Issues numbered tokens, records every form it received, can be told to fail."""

    def __init__(self) -> None:
        self.forms: list[dict[str, str]] = []
        self.failure: tuple[int, dict[str, str]] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        client_id, _, secret = _basic_credentials(request.headers["Authorization"])
        form = {name: str(value) for name, value in (await request.post()).items()}
        self.forms.append(form)
        await asyncio.sleep(0.02)  # let concurrent callers pile up
        if self.failure:
            return web.json_response(self.failure[1], status=self.failure[0])
        assert (client_id, secret) == ("worker", SECRET)
        token = f"token-{len(self.forms)}-{form['audience']}"
        return web.json_response({"access_token": token, "expires_in": 900, "token_type": "Bearer"})


def _basic_credentials(header: str) -> tuple[str, str, str]:
    decoded = base64.b64decode(header.removeprefix("Basic ")).decode()
    client_id, sep, secret = decoded.partition(":")
    return unquote_plus(client_id), sep, unquote_plus(secret)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def dealer() -> AsyncIterator[tuple[FakeDealer, str]]:
    fake = FakeDealer()
    async with serving_handler("POST", "/oauth/token", fake.handle) as url:
        yield fake, url


@pytest.fixture
async def tokens(dealer: tuple[FakeDealer, str], clock: FakeClock) -> AsyncIterator[TokenClient]:
    async with aiohttp.ClientSession() as session:
        yield TokenClient(
            session, token_url=dealer[1], client_id="worker", client_secret=SECRET, clock=clock
        )


async def test_many_concurrent_callers_cause_one_request(
    dealer: tuple[FakeDealer, str], tokens: TokenClient
) -> None:
    results = await asyncio.gather(*(tokens.get_token("dataservice") for _ in range(50)))
    assert set(results) == {"token-1-dataservice"}
    assert await tokens.get_token("dataservice") == "token-1-dataservice"
    assert dealer[0].forms == [{"grant_type": "client_credentials", "audience": "dataservice"}]


async def test_scopes_are_sent_sorted_and_cached_per_audience_and_scope(
    dealer: tuple[FakeDealer, str], tokens: TokenClient
) -> None:
    await tokens.get_token("dataservice", ["users:write", "users:read"])
    await tokens.get_token("dataservice", ["users:read", "users:write"])
    await tokens.get_token("dataservice", ["users:read"])
    await tokens.get_token("frontend")
    assert [f.get("scope") for f in dealer[0].forms] == [
        "users:read users:write",
        "users:read",
        None,
    ]


async def test_renewal_shortly_before_expiry_is_single_flight(
    dealer: tuple[FakeDealer, str], tokens: TokenClient, clock: FakeClock
) -> None:
    await tokens.get_token("dataservice")
    clock.advance(900 - 61)
    assert await tokens.get_token("dataservice") == "token-1-dataservice"
    clock.advance(2)  # now inside the 60 s refresh margin
    results = await asyncio.gather(*(tokens.get_token("dataservice") for _ in range(20)))
    assert set(results) == {"token-2-dataservice"}
    assert len(dealer[0].forms) == 2


async def test_failed_renewal_keeps_the_unexpired_token(
    dealer: tuple[FakeDealer, str], tokens: TokenClient, clock: FakeClock
) -> None:
    await tokens.get_token("dataservice")
    dealer[0].failure = (503, {"error": "temporarily_unavailable"})
    clock.advance(870)
    assert await tokens.get_token("dataservice") == "token-1-dataservice"
    clock.advance(31)  # expired now
    with pytest.raises(TokenRequestFailed) as failure:
        await tokens.get_token("dataservice")
    assert (failure.value.status, failure.value.error) == (503, "temporarily_unavailable")


async def test_refusal_is_shared_by_concurrent_callers(
    dealer: tuple[FakeDealer, str], tokens: TokenClient
) -> None:
    dealer[0].failure = (400, {"error": "invalid_target", "error_description": "no"})
    results = await asyncio.gather(
        *(tokens.get_token("nope") for _ in range(10)), return_exceptions=True
    )
    assert all(isinstance(r, TokenRequestFailed) and r.error == "invalid_target" for r in results)
    assert len(dealer[0].forms) == 1


async def test_invalidate_refreshes_once_however_many_report_it(
    dealer: tuple[FakeDealer, str], tokens: TokenClient
) -> None:
    rejected = await tokens.get_token("dataservice")
    for _ in range(5):
        tokens.invalidate(rejected)
    results = await asyncio.gather(*(tokens.get_token("dataservice") for _ in range(5)))
    tokens.invalidate(rejected)  # a late report of the old token changes nothing
    assert set(results) == {await tokens.get_token("dataservice")} == {"token-2-dataservice"}
    assert len(dealer[0].forms) == 2


async def test_a_cancelled_caller_does_not_cancel_the_request(
    dealer: tuple[FakeDealer, str], tokens: TokenClient
) -> None:
    impatient = asyncio.ensure_future(tokens.get_token("dataservice"))
    await asyncio.sleep(0.005)
    impatient.cancel()
    assert await tokens.get_token("dataservice") == "token-1-dataservice"
    assert len(dealer[0].forms) == 1


@pytest.mark.parametrize(
    "body", [{"access_token": "t"}, {"expires_in": 60}, {"access_token": "t", "expires_in": -1}]
)
async def test_malformed_success_is_an_error(body: dict[str, object], clock: FakeClock) -> None:
    async def handle(request: web.Request) -> web.Response:
        return web.json_response(body)

    async with (
        serving_handler("POST", "/oauth/token", handle) as url,
        aiohttp.ClientSession() as session,
    ):
        client = TokenClient(session, token_url=url, client_id="a", client_secret="b")
        with pytest.raises(TokenRequestFailed, match="invalid_response"):
            await client.get_token("x")


async def test_unreachable_dealer_is_an_error() -> None:
    async with aiohttp.ClientSession() as session:
        client = TokenClient(
            session, token_url="http://127.0.0.1:9/oauth/token", client_id="a", client_secret="b"
        )
        with pytest.raises(TokenRequestFailed) as failure:
            await client.get_token("x")
    assert (failure.value.status, failure.value.error) == (0, "unreachable")
