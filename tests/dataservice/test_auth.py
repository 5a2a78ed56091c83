"""Every API operation demands a valid token with its scope: 401 without, 403 with the wrong one."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pytest
from werkzeug.datastructures import Headers

from dataservice.app import APIS
from dataservice.operations import Operation
from tests.support.dataservice_fixtures import ALL_SCOPES, Auth
from tests.support.tokens import TestIssuer, forge, forge_hmac

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

SAMPLE = {
    "user_id": "1",
    "team_id": "T1",
    "slack_user_id": "U1",
    "key": "k",
    "event_id": "E1",
    "reminder_id": "1",
}
GUARDED = [op for api in APIS for op in api.operations if op.scope is not None]
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def url_of(op: Operation) -> str:
    """The operation's path with sample values in its placeholders."""
    return re.sub(r"{(\w+)}", lambda m: SAMPLE[m[1]], op.path)


async def call(
    client: TestClientProtocol, op: Operation, headers: dict[str, str]
) -> tuple[int, Headers]:
    response = await client.open(url_of(op), method=op.method, headers=headers, json={})
    return response.status_code, response.headers


def test_every_api_operation_is_guarded() -> None:
    api_operations = [op for api in APIS for op in api.operations if op.path.startswith("/api/")]
    assert api_operations == GUARDED
    assert {op.scope for op in GUARDED} == set(ALL_SCOPES)


@sqlite_only
@pytest.mark.parametrize("op", GUARDED, ids=lambda op: op.name)
async def test_no_token_is_401(client: TestClientProtocol, op: Operation) -> None:
    status, headers = await call(client, op, {})

    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")


@sqlite_only
@pytest.mark.parametrize("op", GUARDED, ids=lambda op: op.name)
async def test_every_other_scope_is_403(
    client: TestClientProtocol, auth: Auth, op: Operation
) -> None:
    others = [scope for scope in ALL_SCOPES if scope != op.scope]

    status, headers = await call(client, op, auth(*others))

    assert status == 403
    assert "insufficient_scope" in headers["WWW-Authenticate"]


def bad_tokens(issuer: TestIssuer) -> dict[str, str]:
    """Tokens an attacker or a misconfigured client might send, all with every scope."""
    scope = " ".join(ALL_SCOPES)
    now = time.time()
    claims = issuer.claims(scope=scope)
    good = issuer.mint(scope=scope)
    header, payload, signature = good.split(".")
    tampered = issuer.mint(scope="users:read")
    return {
        "alg none": forge({"alg": "none", "kid": issuer.kid}, claims),
        "HS256 with the public key": forge_hmac({"kid": issuer.kid}, claims, issuer.public_pem),
        "expired": issuer.mint(scope=scope, now=now - 3600),
        "not yet valid": issuer.mint(scope=scope, nbf=int(now) + 3600),
        "wrong audience": issuer.mint(scope=scope, aud="tokendealer"),
        "wrong issuer": issuer.mint(scope=scope, iss="someone-else"),
        "unknown kid": TestIssuer(kid="rogue-key").mint(scope=scope),
        "tampered payload": ".".join([tampered.split(".")[0], payload, tampered.split(".")[2]]),
        "bad signature": ".".join([header, payload, signature[::-1]]),
        "garbage": "not-a-jwt",
    }


@sqlite_only
async def test_bad_tokens_are_401(client: TestClientProtocol, issuer: TestIssuer) -> None:
    for name, token in bad_tokens(issuer).items():
        response = await client.get("/api/v1/users/1", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert (await response.get_json())["error"] == "invalid_token", name


@sqlite_only
async def test_auth_is_checked_before_the_input(client: TestClientProtocol) -> None:
    """Nobody learns whether a user exists, or what the API accepts, without a token."""
    missing = await client.get("/api/v1/users/424242")
    invalid = await client.get("/api/v1/users/not-a-number")

    assert (missing.status_code, invalid.status_code) == (401, 401)


@sqlite_only
async def test_open_endpoints_need_no_token(client: TestClientProtocol) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json"):
        assert (await client.get(path)).status_code == 200, path
