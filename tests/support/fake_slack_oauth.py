"""The OAuth half of the fake Slack: ``oauth.v2.access`` and ``auth.test``, as Slack answers them.

:class:`FakeOAuth` is the state behind them: the Slack app's client credentials, the
authorization codes a test grants (what Slack's consent screen would), and every bot token and
refresh token issued. Like Slack's:

* client credentials come by HTTP Basic auth (slack_sdk's way) or in the form;
* codes and refresh tokens are single-use: a reused refresh token answers
  ``invalid_refresh_token`` (and so does a revoked one);
* with token rotation on, bot tokens are ``xoxe.xoxb-...`` and expire after ``expires_in``
  seconds, refresh tokens are ``xoxe-1-...``; without, bot tokens are ``xoxb-...`` forever;
* an org-wide install (``is_enterprise_install``) answers ``team: null``.

Tests read :attr:`FakeOAuth.refreshes` (every refresh Slack accepted) and
:attr:`FakeOAuth.refusals` (every one it refused).
"""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

#: The fake Slack app's client credentials (``JEEVES_SLACK_CLIENT_ID`` / ``_SECRET`` in tests).
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "fake-client-secret"
APP_ID = "A0JEEVES"
#: Slack's lifetime of a rotating token: 12 hours.
ROTATING_LIFETIME = 43_200


@dataclass
class Grant:
    """One installation at the fake Slack: who installed what, where."""

    team_id: str | None
    enterprise_id: str | None = None
    is_enterprise_install: bool = False
    bot_user_id: str = "UJEEVESBOT"
    bot_id: str = "BJEEVESBOT"
    installer_user_id: str = "U0INSTALLER"
    scopes: tuple[str, ...] = ("app_mentions:read", "chat:write", "im:history", "users:read")
    rotating: bool = True
    expires_in: int = ROTATING_LIFETIME
    team_name: str = "Drones Club"


@dataclass
class Issued:
    """A bot token the fake issued, and for which grant."""

    grant: Grant
    expires_at: float | None


@dataclass
class FakeOAuth:
    """Codes, tokens and refresh tokens of the fake Slack app (see the module)."""

    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, Issued] = field(default_factory=dict)
    #: Refresh token → its grant, while unused.
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    #: Every refresh accepted: (refresh token used, new bot token).
    refreshes: list[tuple[str, str]] = field(default_factory=list)
    #: Every refresh refused: (refresh token, error).
    refusals: list[tuple[str, str]] = field(default_factory=list)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def grant_code(self, grant: Grant) -> str:
        """A one-time authorization code, as Slack's consent screen gives the redirect."""
        code = f"code-{next(self._serial)}-{secrets.token_hex(4)}"
        self.codes[code] = grant
        return code

    def issue(self, grant: Grant) -> dict[str, Any]:
        """Install ``grant`` directly: the ``oauth.v2.access`` answer of its code."""
        return self._access_answer(grant)

    def revoke(self, token: str) -> None:
        """Revoke a bot token and every refresh token of its grant (``tokens_revoked``)."""
        issued = self.tokens.pop(token, None)
        if issued is not None:
            for refresh, grant in list(self.refresh_tokens.items()):
                if grant is issued.grant:
                    del self.refresh_tokens[refresh]

    def access(self, args: dict[str, Any], authorization: str) -> dict[str, Any]:
        """Answer ``oauth.v2.access`` (``grant_type`` ``authorization_code`` or
        ``refresh_token``)."""
        client_id, client_secret = _client_credentials(args, authorization)
        if client_id != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if client_secret != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        if args.get("grant_type", "authorization_code") == "refresh_token":
            return self._refresh(str(args.get("refresh_token", "")))
        grant = self.codes.pop(str(args.get("code", "")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        return self._access_answer(grant)

    def auth_test(self, authorization: str) -> dict[str, Any]:
        """Answer ``auth.test`` for the bearer token of ``authorization``."""
        problem = self.check(authorization)
        if problem is not None:
            return {"ok": False, "error": problem}
        grant = self.tokens[authorization.removeprefix("Bearer ")].grant
        return {
            "ok": True,
            "url": "https://drones.slack.com/",
            "team": grant.team_name,
            "user": "jeeves",
            "team_id": grant.team_id,
            "user_id": grant.bot_user_id,
            "bot_id": grant.bot_id,
            "enterprise_id": grant.enterprise_id,
            "is_enterprise_install": grant.is_enterprise_install,
        }

    def check(self, authorization: str) -> str | None:
        """Slack's error for a call made with this ``Authorization`` header, None if fine."""
        issued = self.tokens.get(authorization.removeprefix("Bearer "))
        if issued is None:
            return "invalid_auth" if authorization else "not_authed"
        if issued.expires_at is not None and time.time() >= issued.expires_at:
            return "token_expired"
        return None

    def _refresh(self, refresh_token: str) -> dict[str, Any]:
        grant = self.refresh_tokens.pop(refresh_token, None)
        if grant is None:  # never issued, used already, or revoked
            self.refusals.append((refresh_token, "invalid_refresh_token"))
            return {"ok": False, "error": "invalid_refresh_token"}
        answer = self._access_answer(grant)
        self.refreshes.append((refresh_token, answer["access_token"]))
        return answer

    def _access_answer(self, grant: Grant) -> dict[str, Any]:
        serial, noise = next(self._serial), secrets.token_hex(8)
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": APP_ID,
            "authed_user": {"id": grant.installer_user_id},
            "scope": ",".join(grant.scopes),
            "token_type": "bot",
            "bot_user_id": grant.bot_user_id,
            "team": None
            if grant.is_enterprise_install
            else {"id": grant.team_id, "name": grant.team_name},
            "enterprise": None
            if grant.enterprise_id is None
            else {"id": grant.enterprise_id, "name": "Drones Holdings"},
            "is_enterprise_install": grant.is_enterprise_install,
        }
        if not grant.rotating:
            answer["access_token"] = f"xoxb-{serial}-{noise}"
            self.tokens[answer["access_token"]] = Issued(grant, None)
            return answer
        token, refresh = f"xoxe.xoxb-1-{serial}-{noise}", f"xoxe-1-{serial}-{secrets.token_hex(8)}"
        self.tokens[token] = Issued(grant, time.time() + grant.expires_in)
        self.refresh_tokens[refresh] = grant
        return {
            **answer,
            "access_token": token,
            "refresh_token": refresh,
            "expires_in": grant.expires_in,
        }


def _client_credentials(args: dict[str, Any], authorization: str) -> tuple[str, str]:
    """HTTP Basic auth (RFC 7617), else ``client_id`` and ``client_secret`` in the form."""
    if authorization.startswith("Basic "):
        try:
            pair = base64.b64decode(authorization.removeprefix("Basic ")).decode()
        except ValueError:
            return "", ""
        client_id, _, client_secret = pair.partition(":")
        return client_id, client_secret
    return str(args.get("client_id", "")), str(args.get("client_secret", ""))
