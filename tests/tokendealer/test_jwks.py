"""The JWKS (RFC 7517), key rotation, ``/verify_token`` and the health endpoints."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import jwt
from quart.typing import TestClientProtocol as Client

from tests.support.clock import FakeClock
from tests.tokendealer.conftest import clients_json, token_form, write_pem
from tokendealer.app import create_app
from tokendealer.settings import TokenDealerSettings

B64URL = re.compile(r"[A-Za-z0-9_-]+")
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def unb64url(text: str) -> bytes:
    assert B64URL.fullmatch(text), text  # base64url, no padding
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def rfc7638_thumbprint(jwk: dict[str, Any]) -> str:
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def get_jwks(client: Client) -> dict[str, Any]:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.mimetype == "application/json"
    jwks: dict[str, Any] = await response.get_json()
    return jwks


async def issue(client: Client) -> str:
    response = await client.post("/oauth/token", form=token_form())
    token: str = (await response.get_json())["access_token"]
    return token


async def test_jwks_is_a_valid_rfc7517_key_set(client: Client) -> None:
    jwks = await get_jwks(client)
    assert jwks.keys() == {"keys"}
    assert len(jwks["keys"]) == 2
    for jwk in jwks["keys"]:
        assert jwk.keys() == {"kty", "use", "alg", "kid", "n", "e"}
        assert not PRIVATE_MEMBERS & jwk.keys()
        assert (jwk["kty"], jwk["use"], jwk["alg"]) == ("RSA", "sig", "RS256")
        assert int.from_bytes(unb64url(jwk["e"]), "big") == 65537
        assert int.from_bytes(unb64url(jwk["n"]), "big").bit_length() == 2048
        assert unb64url(jwk["n"])[0] != 0  # minimal encoding (RFC 7518 §6.3.1.1)
        assert jwk["kid"] == rfc7638_thumbprint(jwk)
    key_set = jwt.PyJWKSet.from_dict(jwks)
    assert [key.key_id for key in key_set] == [jwk["kid"] for jwk in jwks["keys"]]


async def test_newest_key_signs_and_any_listed_key_verifies(client: Client) -> None:
    jwks = await get_jwks(client)
    token = await issue(client)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "kid": jwks["keys"][-1]["kid"], "typ": "at+jwt"}
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    claims = jwt.decode(token, key, algorithms=["RS256"], audience="dataservice")
    assert claims["sub"] == "worker"


async def test_rotation_keeps_old_tokens_valid(tmp_path: Path, clock: FakeClock) -> None:
    old_only = [write_pem(tmp_path / "old.pem", "dealer-old")]
    rotated = [*old_only, write_pem(tmp_path / "new.pem", "dealer-new")]
    before = create_app(_settings(old_only), clock=clock)
    after = create_app(_settings(rotated), clock=clock)
    pinned = create_app(_settings(rotated, signing_kid=_kid(before)), clock=clock)
    async with before.test_app() as b, after.test_app() as a, pinned.test_app() as p:
        old_token = await issue(b.test_client())
        response = await a.test_client().post("/verify_token", form={"token": old_token})
        assert response.status_code == 200
        pinned_token = await issue(p.test_client())
        assert jwt.get_unverified_header(pinned_token)["kid"] == _kid(before)


async def test_verify_token_returns_claims(client: Client) -> None:
    token = await issue(client)
    for kwargs in (
        {"form": {"token": token}},
        {"json": {"token": token, "audience": "dataservice"}},
    ):
        response = await client.post("/verify_token", **kwargs)
        assert response.status_code == 200
        assert (await response.get_json())["sub"] == "worker"


async def test_verify_token_rejections(client: Client, clock: FakeClock) -> None:
    token = await issue(client)
    clock.advance(-2000)
    expired = await issue(client)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"form": {"token": "garbage"}}, 401, "malformed token"),
        ({"form": {"token": expired}}, 401, "token expired"),
        ({"json": {"token": token, "audience": "frontend"}}, 401, "token not meant"),
        ({"json": {"token": 42}}, 400, "token is required"),
        ({"form": {}}, 400, "token is required"),
    ]
    for kwargs, status, description in cases:
        response = await client.post("/verify_token", **kwargs)
        assert response.status_code == status
        assert description in (await response.get_json())["error_description"]


async def test_health(client: Client) -> None:
    assert (await client.get("/healthz")).status_code == 200
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert await response.get_json() == {"status": "ready", "checks": {"keys": "ok"}}


def _settings(key_files: list[Path], signing_kid: str | None = None) -> TokenDealerSettings:
    return TokenDealerSettings(
        env="prod",
        tokendealer_key_files=key_files,
        tokendealer_clients=clients_json(),
        tokendealer_signing_kid=signing_kid,
    )


def _kid(app: Any) -> str:
    kid: str = app.extensions["tokendealer"].keys.signing.kid
    return kid
