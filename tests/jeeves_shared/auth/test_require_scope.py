"""JWT attacks and mistakes, each sent to a real Quart view guarded by ``require_scope``."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from quart.typing import TestClientProtocol as Client

from tests.support.tokens import TestIssuer, b64url, forge, forge_hmac

Mint = Callable[[TestIssuer], str]


def now() -> int:
    """Wall-clock seconds at the moment a token is minted (not at import: the suite is long)."""
    return int(time.time())


def _tampered(issuer: TestIssuer) -> str:
    header, _, signature = issuer.mint(scope="users:read").split(".")
    payload = forge({}, issuer.claims(scope="users:read users:write admin")).split(".")[1]
    return f"{header}.{payload}.{signature}"


def _signed_by_stranger(kid: str) -> Mint:
    return lambda issuer: TestIssuer(kid="stranger").mint(scope="users:read", headers={"kid": kid})


REJECTED: dict[str, tuple[Mint, str]] = {
    "alg none": (
        lambda i: forge({"alg": "none", "kid": i.kid}, i.claims(scope="users:read")),
        "algorithm not accepted",
    ),
    "alg None, signature kept": (
        lambda i: forge({"alg": "None", "kid": i.kid}, i.claims(scope="users:read"), b"x"),
        "algorithm not accepted",
    ),
    "HS256 keyed with the public PEM": (
        lambda i: forge_hmac({"kid": i.kid}, i.claims(scope="users:read"), i.public_pem),
        "algorithm not accepted",
    ),
    "RS512 not pinned": (
        lambda i: forge({"alg": "RS512", "kid": i.kid}, i.claims(scope="users:read"), b"sig"),
        "algorithm not accepted",
    ),
    "alg is a list": (
        lambda i: forge({"alg": ["RS256"], "kid": i.kid}, i.claims(scope="users:read")),
        "algorithm not accepted",
    ),
    "expired": (lambda i: i.mint(scope="users:read", exp=now() - 120), "token expired"),
    "not yet valid": (lambda i: i.mint(scope="users:read", nbf=now() + 120), "token not yet valid"),
    "issued in the future": (
        lambda i: i.mint(scope="users:read", iat=now() + 120),
        "token not yet valid",
    ),
    "wrong audience": (
        lambda i: i.mint(scope="users:read", aud="frontend"),
        "token not meant for this audience",
    ),
    "wrong issuer": (
        lambda i: i.mint(scope="users:read", iss="https://evil.example"),
        "token from an unknown issuer",
    ),
    "unknown kid": (_signed_by_stranger("stranger"), "unknown signing key"),
    "our kid, stranger's key": (_signed_by_stranger("test-key-1"), "bad signature"),
    "tampered payload": (_tampered, "bad signature"),
    "no kid": (lambda i: i.mint(scope="users:read", headers={"kid": None}), "no 'kid'"),
    "no exp": (lambda i: i.mint(scope="users:read", exp=None), "missing claim 'exp'"),
    "no aud": (lambda i: i.mint(scope="users:read", aud=None), "missing claim 'aud'"),
    "no jti": (lambda i: i.mint(scope="users:read", jti=None), "missing claim 'jti'"),
    "scope not a string": (lambda i: i.mint(scope=["users:read"]), "claim 'scope'"),
    "kid not a string": (
        lambda i: forge({"alg": "RS256", "kid": 7}, i.claims(scope="users:read")),
        "no 'kid'",
    ),
    "header not an object": (lambda i: f"{b64url(b'[1]')}.e30.", "malformed token"),
    "header deeply nested": (lambda i: f"{b64url(b'[' * 5000)}.e30.", "malformed token"),
    "signed garbage": (lambda i: i.sign_raw(b"\xff not json"), "malformed token"),
    "not a JWT": (lambda i: "not-a-jwt", "malformed token"),
    "payload not JSON": (
        lambda i: i.sign_raw(b"[1, 2]"),
        "malformed token",
    ),
    "huge token": (lambda i: "a" * 10_000, "token too long"),
}


async def get_users(client: Client, token: str) -> tuple[int, dict[str, str], str]:
    response = await client.get("/users", headers={"Authorization": f"Bearer {token}"})
    body = await response.get_json()
    return response.status_code, body, response.headers.get("WWW-Authenticate", "")


async def test_valid_token_reaches_the_view(client: Client, issuer: TestIssuer) -> None:
    status, body, _ = await get_users(client, issuer.mint(sub="worker", scope="users:read x"))
    assert status == 200
    assert body == {"sub": "worker", "scopes": ["users:read", "x"]}


async def test_leeway_accepts_a_token_just_expired(client: Client, issuer: TestIssuer) -> None:
    status, _, _ = await get_users(client, issuer.mint(scope="users:read", exp=now() - 10))
    assert status == 200


@pytest.mark.parametrize("case", sorted(REJECTED))
async def test_bad_tokens_are_401(client: Client, issuer: TestIssuer, case: str) -> None:
    mint, reason = REJECTED[case]
    status, body, challenge = await get_users(client, mint(issuer))
    assert status == 401
    assert body["error"] == "invalid_token"
    assert reason in body["error_description"]
    assert challenge.startswith('Bearer realm="jeeves", error="invalid_token"')


async def test_missing_scope_is_403(client: Client, issuer: TestIssuer) -> None:
    status, body, challenge = await get_users(client, issuer.mint(scope="users:write"))
    assert status == 403
    assert body == {
        "error": "insufficient_scope",
        "error_description": "token lacks scope 'users:read'",
    }
    assert 'error="insufficient_scope", scope="users:read"' in challenge


async def test_no_authorization_header_is_401_without_error_code(
    client: Client,
) -> None:
    response = await client.get("/users")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="jeeves"'
    assert (await response.get_json())["error_description"] == "missing bearer token"


@pytest.mark.parametrize("value", ["Basic dXNlcjpwdw==", "Bearer", "Bearer a b", "Token abc"])
async def test_other_authorization_schemes_are_401(client: Client, value: str) -> None:
    response = await client.get("/users", headers={"Authorization": value})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
