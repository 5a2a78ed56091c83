"""``POST /oauth/token``: what a client gets back, every error, and the failure throttle."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
from quart.typing import TestClientProtocol as Client
from werkzeug.datastructures import Headers

from jeeves_shared.auth import StaticJwksSource, TokenVerifier, basic_authorization
from tests.support.clock import FakeClock
from tests.tokendealer.conftest import SOLO_SECRET, WORKER_SECRET, token_form


async def post_token(
    client: Client, form: dict[str, str], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], Headers]:
    response = await client.post("/oauth/token", form=form, headers=headers or {})
    return response.status_code, await response.get_json(), response.headers


async def verify(client: Client, token: str) -> dict[str, Any]:
    jwks = await (await client.get("/.well-known/jwks.json")).get_json()
    verifier = TokenVerifier(StaticJwksSource(jwks), audience="dataservice")
    return dict((await verifier.verify(token)).raw)


async def test_token_response_and_claims(client: Client, clock: FakeClock) -> None:
    status, body, headers = await post_token(client, token_form(scope="users:read"))
    assert status == 200
    assert headers["Cache-Control"] == "no-store"
    assert body.keys() == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 900, "users:read")
    claims = await verify(client, body["access_token"])
    now = int(clock())
    assert claims.pop("jti")
    assert claims == {
        "iss": "jeeves-tokendealer",
        "sub": "worker",
        "client_id": "worker",
        "aud": "dataservice",
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "scope": "users:read",
    }


async def test_every_token_has_its_own_jti(client: Client) -> None:
    tokens = [(await post_token(client, token_form()))[1]["access_token"] for _ in range(2)]
    jtis = {(await verify(client, token))["jti"] for token in tokens}
    assert len(jtis) == 2


async def test_http_basic_authentication(client: Client) -> None:
    form = {"grant_type": "client_credentials", "audience": "dataservice"}
    headers = {"Authorization": basic_authorization("worker", WORKER_SECRET)}
    status, body, _ = await post_token(client, form, headers)
    assert status == 200
    assert body["scope"] == "users:read users:write"  # no scope asked: all allowed ones


async def test_resource_parameter_and_default_audience(client: Client) -> None:
    status, body, _ = await post_token(client, token_form(audience="", resource="frontend"))
    assert status == 200
    solo = {"grant_type": "client_credentials", "client_id": "solo", "client_secret": SOLO_SECRET}
    status, body, _ = await post_token(client, solo)
    assert status == 200
    assert (await verify(client, body["access_token"]))["aud"] == "dataservice"


def _basic(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


ERRORS: dict[str, tuple[dict[str, str], dict[str, str], int, str]] = {
    "unknown client": (token_form(client_id="nobody"), {}, 401, "invalid_client"),
    "wrong secret": (token_form(client_secret="guess"), {}, 401, "invalid_client"),
    "no credentials": (token_form(client_id="", client_secret=""), {}, 401, "invalid_client"),
    "id without secret": (token_form(client_secret=""), {}, 401, "invalid_client"),
    "basic not base64": (
        token_form(client_id="", client_secret=""),
        {"Authorization": "Basic %%"},
        401,
        "invalid_client",
    ),
    "basic without colon": (
        token_form(client_id="", client_secret=""),
        _basic(b"worker"),
        401,
        "invalid_client",
    ),
    "bearer instead of basic": (
        token_form(client_id="", client_secret=""),
        {"Authorization": "Bearer x"},
        401,
        "invalid_client",
    ),
    "control characters": (token_form(client_secret="a\x00b"), {}, 401, "invalid_client"),
    "basic and form secret": (
        token_form(),
        _basic(b"worker:" + WORKER_SECRET.encode()),
        400,
        "invalid_request",
    ),
    "password grant": (token_form(grant_type="password"), {}, 400, "unsupported_grant_type"),
    "no grant_type": (token_form(grant_type=""), {}, 400, "invalid_request"),
    "scope not allowed": (token_form(scope="users:read admin"), {}, 400, "invalid_scope"),
    "malformed scope": (token_form(scope='users:read "x"'), {}, 400, "invalid_scope"),
    "audience not allowed": (token_form(audience="tokendealer"), {}, 400, "invalid_target"),
    "audience and resource differ": (token_form(resource="frontend"), {}, 400, "invalid_target"),
    "malformed audience": (token_form(audience="data service"), {}, 400, "invalid_target"),
    "audience missing, several allowed": (token_form(audience=""), {}, 400, "invalid_request"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
async def test_errors(client: Client, case: str) -> None:
    form, headers, expected_status, expected_error = ERRORS[case]
    status, body, response_headers = await post_token(client, form, headers)
    assert (status, body["error"]) == (expected_status, expected_error)
    assert body["error_description"]
    assert response_headers["Cache-Control"] == "no-store"
    if status == 401:
        assert response_headers["WWW-Authenticate"].startswith("Basic")


async def test_repeated_parameter_is_invalid_request(client: Client) -> None:
    body = "grant_type=client_credentials&scope=a&scope=b&client_id=worker&client_secret=x"
    response = await client.post(
        "/oauth/token", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 400
    assert (await response.get_json())["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("method", "kwargs", "status"),
    [
        ("post", {"json": token_form()}, 400),
        ("post", {"form": {"scope": "x" * 20_000}}, 413),
        ("get", {}, 405),
    ],
    ids=["json body", "huge body", "get"],
)
async def test_not_a_form_post(
    client: Client, method: str, kwargs: dict[str, Any], status: int
) -> None:
    response = await getattr(client, method)("/oauth/token", **kwargs)
    assert response.status_code == status
    assert (await response.get_json())["error"] == "invalid_request"


async def test_repeated_failures_are_throttled_per_client(client: Client, clock: FakeClock) -> None:
    for _ in range(5):
        assert (await post_token(client, token_form(client_secret="guess")))[0] == 401
    status, body, headers = await post_token(client, token_form())  # even the right secret
    assert (status, body["error"], headers["Retry-After"]) == (429, "temporarily_unavailable", "60")
    solo = {"grant_type": "client_credentials", "client_id": "solo", "client_secret": SOLO_SECRET}
    assert (await post_token(client, solo))[0] == 200  # other clients are not affected
    clock.advance(45)
    assert (await post_token(client, token_form()))[2]["Retry-After"] == "15"
    clock.advance(16)
    assert (await post_token(client, token_form()))[0] == 200


async def test_success_forgives_earlier_failures(client: Client) -> None:
    for _ in range(4):
        await post_token(client, token_form(client_secret="guess"))
    assert (await post_token(client, token_form()))[0] == 200
    for _ in range(4):
        await post_token(client, token_form(client_secret="guess"))
    assert (await post_token(client, token_form()))[0] == 200


async def test_a_concurrent_burst_of_guesses_is_throttled(client: Client) -> None:
    results = await asyncio.gather(
        *(post_token(client, token_form(client_id="nobody")) for _ in range(12))
    )
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [401] * 5 + [429] * 7
