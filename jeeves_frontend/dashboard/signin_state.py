"""The ``state`` and ``nonce`` of a sign-in in progress, kept in a short-lived signed cookie.

OpenID Connect's ``state`` ties Slack's redirect back to the browser that started the sign-in
(no login CSRF); its ``nonce`` ties the id_token to it (no token replay). Both live in one
cookie signed with itsdangerous (the keys the dashboard signs its cookies with, newest last, so
that a key rotation does not break sign-ins in flight), valid :data:`LIFETIME` seconds, and
single-use: the redirect's answer deletes the cookie, and the first use of a state is recorded
where every front-door replica sees it (the install pages' :class:`OnceRecord`, the Data
Service's once-only claims), so a replayed redirect fails on any replica.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from jeeves_frontend.install.states import OnceRecord, clocked_signer

#: The cookie's name; sent back only to the redirect URL's path.
COOKIE = "jeeves_signin"
#: Seconds a sign-in may take between leaving for Slack and coming back.
LIFETIME = 600
#: Prefix of the once-only claim recorded for a used state (its SHA-256 follows).
CLAIM_PREFIX = "slack-signin-state:"
_SALT = "jeeves.dashboard.signin"


class StateRejected(Exception):
    """Slack's redirect does not match a sign-in this browser started; ``reason`` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PendingSignIn:
    """One sign-in between our redirect to Slack and Slack's redirect back; ``next_path`` is
    the dashboard page to land on once signed in."""

    state: str
    nonce: str
    next_path: str | None = None

    @classmethod
    def new(cls, *, next_path: str | None = None) -> PendingSignIn:
        """Fresh random values (256 bits each)."""
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        return cls(state=state, nonce=nonce, next_path=next_path)


class SignInStates:
    """Seal a :class:`PendingSignIn` into a cookie value and take it back, once.

    ``secret_keys`` sign the cookie, the last one for new cookies; any of them is accepted.
    ``once`` records the states used; ``clock`` gives Unix seconds (``time.time``).
    """

    def __init__(
        self,
        secret_keys: Sequence[str],
        once: OnceRecord,
        *,
        lifetime: int = LIFETIME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret_keys:
            raise ValueError("at least one secret key is needed to sign the sign-in cookie")
        self.lifetime = lifetime
        self._serializer = URLSafeTimedSerializer(
            list(secret_keys), salt=_SALT, signer=clocked_signer(clock)
        )
        self._once = once

    def seal(self, pending: PendingSignIn) -> str:
        """The cookie value for ``pending``."""
        return self._serializer.dumps(
            {"state": pending.state, "nonce": pending.nonce, "next": pending.next_path}
        )

    async def take(self, cookie: str | None, state: str | None) -> PendingSignIn:
        """The sign-in ``cookie`` holds if ``state`` (from Slack's redirect) is its state.

        Raises :class:`StateRejected` if the cookie is missing, expired, forged, or its state is
        not ``state`` or was already used; a state is usable once. Whatever ``once`` raises
        (the Data Service is down) is raised too.
        """
        pending = self._open(cookie)
        if not state or not hmac.compare_digest(pending.state.encode(), state.encode()):
            raise StateRejected("the sign-in was started in another browser")
        claim_id = CLAIM_PREFIX + hashlib.sha256(pending.state.encode()).hexdigest()
        if not await self._once.first_use(claim_id):
            raise StateRejected("this sign-in link was already used")
        return pending

    def _open(self, cookie: str | None) -> PendingSignIn:
        if not cookie:
            raise StateRejected("no sign-in in progress in this browser")
        try:
            value: Any = self._serializer.loads(cookie, max_age=self.lifetime)
        except SignatureExpired as exc:
            raise StateRejected("the sign-in took too long") from exc
        except BadSignature as exc:
            raise StateRejected("the sign-in cookie is not ours") from exc
        if not isinstance(value, dict):
            raise StateRejected("the sign-in cookie is not ours")
        state, nonce, next_path = value.get("state"), value.get("nonce"), value.get("next")
        if not isinstance(state, str) or not isinstance(nonce, str) or not state or not nonce:
            raise StateRejected("the sign-in cookie is not ours")
        return PendingSignIn(
            state=state, nonce=nonce, next_path=next_path if isinstance(next_path, str) else None
        )
