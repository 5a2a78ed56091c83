"""Sign in with Slack on the fake Slack: an authorize step, ``openid.connect.token`` and a JWKS.

``FakeSlackOpenID(fake_slack)`` plugs into a running :class:`~tests.support.fake_slack.FakeSlack`.
A test plays the browser: it follows Jeeves' redirect to Slack's authorize URL into
:meth:`FakeSlackOpenID.approve` (or :meth:`deny`), which gives the redirect back to Jeeves with a
single-use code. Exchanging that code returns an id_token signed with a test RSA key published at
:attr:`FakeSlackOpenID.jwks_url` — or, when the approval asked for a :class:`Flaw`, one a careful
client must refuse. Shapes follow https://docs.slack.dev/reference/methods/openid.connect.token.

A real browser goes to :attr:`FakeSlackOpenID.authorize_url` instead (Jeeves'
``JEEVES_SLACK_OPENID_AUTHORIZE_URL``): Slack's consent page for :attr:`~FakeSlackOpenID.signed_in`
with *Allow* and *Cancel*, which redirect back like :meth:`approve` and :meth:`deny`. As Slack
does, it refuses with an error page (no redirect) an unknown ``client_id`` or a ``redirect_uri``
the app does not list (:attr:`~FakeSlackOpenID.redirect_urls`), and redirects back with an
``error`` a wrong ``response_type`` or a ``scope`` without ``openid``
(https://docs.slack.dev/authentication/sign-in-with-slack/).
"""

from __future__ import annotations

import base64
import enum
import html
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
#: Where the fake serves the authorize page (its :attr:`FakeSlackOpenID.authorize_url`).
AUTHORIZE_PATH = "/openid/connect/authorize"
ISSUER = "https://slack.com"
#: The scopes of Sign in with Slack; a request must ask for ``openid``.
OPENID_SCOPES = frozenset({"openid", "email", "profile"})


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
    #: Who is signed in to Slack in the browser that opens the authorize page.
    signed_in: Person = field(default_factory=Person)
    #: The app's redirect URLs ("OAuth & Permissions"): the authorize page accepts a
    #: ``redirect_uri`` equal to one of them or under it, as Slack does; empty: any.
    redirect_urls: list[str] = field(default_factory=list)
    #: Every choice made on the authorize page, in order: ``allow`` or ``cancel``.
    choices: list[str] = field(default_factory=list)
    _grants: dict[str, _Grant] = field(default_factory=dict)
    #: Authorize requests waiting on the consent page for Allow or Cancel, by one-time ticket.
    _consents: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.slack.methods["openid.connect.token"] = self._token
        self.slack.pages[urlsplit(self.jwks_url).path] = self._jwks
        self.slack.pages[AUTHORIZE_PATH] = self._authorize_page

    @property
    def jwks_url(self) -> str:
        """Where Jeeves must fetch the keys (``JEEVES_SLACK_OPENID_JWKS_URL``)."""
        return self.slack.base_url.removesuffix("/api/") + "/openid/connect/keys"

    @property
    def authorize_url(self) -> str:
        """Slack's authorize page on the fake (``JEEVES_SLACK_OPENID_AUTHORIZE_URL``)."""
        return self.slack.base_url.removesuffix("/api/") + AUTHORIZE_PATH

    def approve(
        self, authorize_url: str, person: Person | None = None, *, flaw: Flaw | None = None
    ) -> str:
        """The person says yes at Slack: the redirect back to Jeeves, with a fresh code."""
        query = self._check_authorize(authorize_url)
        return self._grant(person or Person(), query, flaw)

    def _grant(self, person: Person, query: dict[str, str], flaw: Flaw | None) -> str:
        """A single-use code for ``person``, bound to the request's nonce and redirect URI;
        the redirect back to Jeeves with it."""
        code = secrets.token_urlsafe(16)
        self._grants[code] = _Grant(
            person=person,
            nonce=query.get("nonce"),
            redirect_uri=query["redirect_uri"],
            flaw=flaw,
        )
        return _back(query["redirect_uri"], code=code, state=query.get("state"))

    def deny(self, authorize_url: str) -> str:
        """The person cancels at Slack: the redirect back with ``error=access_denied``."""
        query = self._check_authorize(authorize_url)
        return _back(query["redirect_uri"], error="access_denied", state=query["state"])

    def _check_authorize(self, authorize_url: str) -> dict[str, str]:
        parts = urlsplit(authorize_url)
        if f"{parts.scheme}://{parts.netloc}{parts.path}" not in (
            AUTHORIZE_URL,
            self.authorize_url,
        ):
            raise AssertionError(f"not Slack's authorize URL: {authorize_url}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            raise AssertionError(f"Slack would refuse this authorize request: {query}")
        return query

    async def _authorize_page(self, request: web.Request) -> web.Response:
        """GET: Slack's consent page for the request, or an error page; POST: the choice."""
        if request.method == "POST":
            form = await request.post()
            query = self._consents.pop(str(form.get("ticket", "")), None)
            if query is None:  # a ticket is single-use, as Slack's page is
                return _page(400, "This request has expired", "Go back and try again.")
            choice = "allow" if form.get("choice") == "allow" else "cancel"
            self.choices.append(choice)
            if choice == "allow":
                back = self._grant(self.signed_in, query, None)
            else:
                back = _back(query["redirect_uri"], error="access_denied", state=query.get("state"))
            raise web.HTTPFound(back)
        query = {key: request.query.getone(key) for key in request.query}
        if query.get("client_id") != self.client_id:
            return _page(400, "Oops, something went wrong", "Invalid client_id parameter.")
        redirect_uri = query.get("redirect_uri", "")
        if not redirect_uri or not self._listed(redirect_uri):
            detail = f"redirect_uri did not match any configured URIs. Passed URI: {redirect_uri}"
            return _page(400, "Oops, something went wrong", detail)
        state = query.get("state")
        if query.get("response_type") != "code":
            raise web.HTTPFound(_back(redirect_uri, error="unsupported_response_type", state=state))
        scopes = set(query.get("scope", "").replace(" ", ",").split(",")) - {""}
        if "openid" not in scopes or not scopes <= OPENID_SCOPES:
            raise web.HTTPFound(_back(redirect_uri, error="invalid_scope", state=state))
        ticket = secrets.token_urlsafe(16)
        self._consents[ticket] = query
        return _consent_page(self.signed_in, ticket)

    def _listed(self, redirect_uri: str) -> bool:
        """Whether ``redirect_uri`` is one of the app's redirect URLs, or under one."""
        if not self.redirect_urls:
            return True
        return any(
            redirect_uri == url or redirect_uri.startswith(url.rstrip("/") + "/")
            for url in self.redirect_urls
        )

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


def _back(redirect_uri: str, **params: str | None) -> str:
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return f"{redirect_uri}?{query}"


def _page(status: int, heading: str, detail: str) -> web.Response:
    body = f"<h1>{html.escape(heading)}</h1><p>{html.escape(detail)}</p>"
    return web.Response(status=status, text=_html(heading, body), content_type="text/html")


def _consent_page(person: Person, ticket: str) -> web.Response:
    """Slack's consent screen, reduced to what a person reads and presses."""
    team, name, email = (html.escape(v) for v in (person.team_name, person.name, person.email))
    body = f"""<h1>Sign in to {team}</h1>
<p>Jeeves is requesting permission to access your Slack identity: {name} ({email}).</p>
<form method="post" action="{AUTHORIZE_PATH}">
  <input type="hidden" name="ticket" value="{html.escape(ticket)}">
  <button type="submit" name="choice" value="cancel">Cancel</button>
  <button type="submit" name="choice" value="allow">Allow</button>
</form>"""
    return web.Response(
        text=_html(f"Sign in to {person.team_name}", body), content_type="text/html"
    )


def _html(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} | Slack</title></head><body>{body}</body></html>"
    )


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _error(error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error})
