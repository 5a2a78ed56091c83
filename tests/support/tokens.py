"""Mint access tokens in tests without a running TokenDealer.

A :class:`TestIssuer` holds a throwaway RSA key (one per ``kid``, cached for the test run),
publishes it as a JWKS and signs tokens exactly like the TokenDealer does::

    issuer = TestIssuer()
    verifier = TokenVerifier(issuer.source(), audience="dataservice")
    token = issuer.mint(aud="dataservice", scope="users:read users:write")
    headers = {"Authorization": f"Bearer {token}"}

Any claim can be overridden or dropped (``mint(exp=0)``, ``mint(jti=None)``) and any header
set (``mint(headers={"kid": "other"})``). :func:`forge` and :func:`forge_hmac` build tokens
no honest issuer would (``alg: none``, HS256 keyed with the public key) for attack tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from functools import cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from jeeves_shared.auth import DEFAULT_ISSUER, StaticJwksSource


class TestIssuer:
    """A stand-in TokenDealer: one RSA key, its JWKS, and a :meth:`mint` method."""

    __test__ = False  # not a test class, despite the name

    def __init__(
        self,
        *,
        issuer: str = DEFAULT_ISSUER,
        audience: str = "dataservice",
        kid: str = "test-key-1",
        lifetime: int = 900,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.kid = kid
        self.lifetime = lifetime
        self.private_key = private_key_for(kid)

    @property
    def jwks(self) -> dict[str, Any]:
        """The RFC 7517 key set verifiers should trust."""
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk.pop("key_ops", None)  # RFC 7517 §4.3: not together with "use"
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    @property
    def public_pem(self) -> bytes:
        """The public key as PEM (the "secret" of the HS256 key-confusion attack)."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def source(self) -> StaticJwksSource:
        """A key source serving :attr:`jwks`."""
        return StaticJwksSource(self.jwks)

    def claims(self, *, now: float | None = None, **overrides: Any) -> dict[str, Any]:
        """The payload :meth:`mint` signs; an override of ``None`` drops that claim."""
        issued = int(time.time() if now is None else now)
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "test-client",
            "aud": self.audience,
            "iat": issued,
            "nbf": issued,
            "exp": issued + self.lifetime,
            "jti": uuid.uuid4().hex,
            "scope": "",
        }
        payload.update(overrides)
        return {name: value for name, value in payload.items() if value is not None}

    def mint(
        self, *, headers: dict[str, Any] | None = None, now: float | None = None, **claims: Any
    ) -> str:
        """Sign a token; ``claims`` override the defaults (``sub``, ``aud``, ``scope``...).

        ``headers`` are merged into the JOSE header; a value of ``None`` drops that field.
        """
        header = {"kid": self.kid, "typ": "at+jwt", **(headers or {})}
        header = {name: value for name, value in header.items() if value is not None}
        payload = self.claims(now=now, **claims)
        return jwt.encode(payload, self.private_key, algorithm="RS256", headers=header)

    def sign_raw(self, payload: bytes, *, headers: dict[str, Any] | None = None) -> str:
        """Sign arbitrary bytes as the payload (for "valid signature, garbage claims" tests)."""
        header = {"kid": self.kid, **(headers or {})}
        return jwt.PyJWS().encode(payload, self.private_key, algorithm="RS256", headers=header)


@cache
def private_key_for(kid: str) -> rsa.RSAPrivateKey:
    """A throwaway RSA-2048 key, generated once per ``kid`` per test run."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JOSE uses it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def forge(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """Assemble a compact JWS from arbitrary parts (e.g. ``{"alg": "none"}``, no signature)."""
    return ".".join([_encode_part(header), _encode_part(payload), b64url(signature)])


def forge_hmac(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    """An HS256 token keyed with ``secret`` — PyJWT refuses to make one with a PEM key."""
    signing_input = f"{_encode_part({'alg': 'HS256', **header})}.{_encode_part(payload)}"
    mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def _encode_part(part: dict[str, Any]) -> str:
    return b64url(json.dumps(part, separators=(",", ":")).encode())
