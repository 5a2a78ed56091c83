"""Sign in with Slack on the fake Slack: an authorize step, ``openid.connect.token`` and a JWKS.

``FakeSlackOpenID(fake_slack)`` plugs into a running :class:`~tests.support.fake_slack.FakeSlack`.
A test plays the browser: it follows Jeeves' redirect to Slack's authorize URL into
:meth:`FakeSlackOpenID.approve` (or :meth:`deny`), which gives the redirect back to Jeeves with a
single-use code. Exchanging that code returns an id_token signed with a test RSA key published at
:attr:`FakeSlackOpenID.jwks_url` — or, when the approval asked for a :class:`Flaw`, one a careful
client must refuse. Shapes follow https://docs.slack.dev/reference/methods/openid.connect.token.
"""

from __future__ import annotations

import base64
import enum
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.fake_slack import Call, FakeSlack

CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "fake-client-secret-0123456789abcdef"
AUTHORIZE_URL = "https://slack.com/openid/connect/authorize"
ISSUER = "https://slack.com"


class Flaw(enum.Enum):
    """What is wrong with an id_token the fake issues on purpose."""

    WRONG_AUDIENCE = "wrong_aud"
    WRONG_ISSUER = "wrong_iss"
    EXPIRED = "expired"
    WRONG_NONCE = "wrong_nonce"
    BAD_SIGNATURE = "bad_signature"


@dataclass(frozen=True)
class Person:
    """Who approves the sign-in at Slack."""

    user_id: str = "U0SIGNIN1"
    team_id: str = "T0SIGNIN1"
    name: str = "Ada Lovelace"
    email: str = "ada@example.com"
    team_name: str = "Analytical Engines"
    enterprise_id: str | None = None


@dataclass
class _Grant:
    person: Person
    nonce: str | None
    redirect_uri: str
    flaw: Flaw | None
    used: bool = False


@dataclass
class FakeSlackOpenID:
    """Slack's OpenID Connect provider for one Slack app (:data:`CLIENT_ID`)."""

    slack: FakeSlack
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    kid: str = "fake-slack-key-1"
    #: Every id_token issued, in order (a test can decode what Jeeves was given).
    issued: list[str] = field(default_factory=list)
    _grants: dict[str, _Grant] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.slack.methods["openid.connect.token"] = self._token
        self.slack.pages[urlsplit(self.jwks_url).path] = self._jwks

    @property
    def jwks_url(self) -> str:
        """Where Jeeves must fetch the keys (``JEEVES_SLACK_OPENID_JWKS_URL``)."""
        return self.slack.base_url.removesuffix("/api/") + "/openid/connect/keys"

    def approve(
        self, authorize_url: str, person: Person | None = None, *, flaw: Flaw | None = None
    ) -> str:
        """The person says yes at Slack: the redirect back to Jeeves, with a fresh code."""
        query = self._check_authorize(authorize_url)
        code = secrets.token_urlsafe(16)
        self._grants[code] = _Grant(
            person=person or Person(),
            nonce=query.get("nonce"),
            redirect_uri=query["redirect_uri"],
            flaw=flaw,
        )
        return _back(query["redirect_uri"], code=code, state=query["state"])

    def deny(self, authorize_url: str) -> str:
        """The person cancels at Slack: the redirect back with ``error=access_denied``."""
        query = self._check_authorize(authorize_url)
        return _back(query["redirect_uri"], error="access_denied", state=query["state"])

    def _check_authorize(self, authorize_url: str) -> dict[str, str]:
        parts = urlsplit(authorize_url)
        if f"{parts.scheme}://{parts.netloc}{parts.path}" != AUTHORIZE_URL:
            raise AssertionError(f"not Slack's authorize URL: {authorize_url}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            raise AssertionError(f"Slack would refuse this authorize request: {query}")
        return query

    async def _token(self, args: dict[str, Any], call: Call) -> web.Response:
        if call.authorization != _basic(self.client_id, self.client_secret):
            return _error("invalid_client_id")
        grant = self._grants.get(str(args.get("code", "")))
        if grant is None or grant.used:
            return _error("invalid_code")
        grant.used = True  # Slack's codes are single-use
        if args.get("redirect_uri") != grant.redirect_uri:
            return _error("bad_redirect_uri")
        id_token = self.id_token(grant.person, nonce=grant.nonce, flaw=grant.flaw)
        self.issued.append(id_token)
        answer = {"ok": True, "access_token": "xoxp-fake-openid", "token_type": "Bearer"}
        return web.json_response({**answer, "id_token": id_token})

    def id_token(self, person: Person, *, nonce: str | None, flaw: Flaw | None = None) -> str:
        """An id_token for ``person`` as Slack signs it, spoiled by ``flaw`` if one is given."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": "https://evil.example" if flaw is Flaw.WRONG_ISSUER else ISSUER,
            "sub": person.user_id,
            "aud": "someone-elses-app" if flaw is Flaw.WRONG_AUDIENCE else self.client_id,
            "exp": now - 3600 if flaw is Flaw.EXPIRED else now + 300,
            "iat": now - 3900 if flaw is Flaw.EXPIRED else now,
            "auth_time": now,
            "nonce": "a-nonce-from-elsewhere" if flaw is Flaw.WRONG_NONCE else nonce,
            "https://slack.com/user_id": person.user_id,
            "https://slack.com/team_id": person.team_id,
            "https://slack.com/team_name": person.team_name,
            "https://slack.com/team_domain": person.team_name.lower().replace(" ", "-"),
            "email": person.email,
            "email_verified": True,
            "name": person.name,
            "locale": "en-US",
        }
        if person.enterprise_id:
            claims["https://slack.com/enterprise_id"] = person.enterprise_id
        # A bad signature: made with another key, under the published key's id.
        key = rsa.generate_private_key(65537, 2048) if flaw is Flaw.BAD_SIGNATURE else self._key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})

    async def _jwks(self, request: web.Request) -> web.Response:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        key = {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}
        return web.json_response({"keys": [key]})


def _back(redirect_uri: str, **params: str) -> str:
    return f"{redirect_uri}?{urlencode(params)}"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _error(error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error})
