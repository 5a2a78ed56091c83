"""The one-time ``state`` of a Slack install, bound to the browser that started it.

OAuth 2.0's ``state`` (RFC 6749 §10.12) ties Slack's redirect back to the browser that left for
Slack, so that nobody can make another person's browser finish an install with their own code.
Here a state is a random nonce signed with a timestamp (itsdangerous), so every front-door
replica can check it without storage, and it goes to the browser twice: in Slack's authorize
URL and in a ``Secure``, ``HttpOnly`` cookie sent only to the redirect path (slack_sdk's
``OAuthStateUtils`` pattern: the redirect is accepted only when both agree).

It is valid :data:`LIFETIME` seconds and usable once across every replica: the first use is
recorded in the Data Service (its once-only claims, ``/events``), which every replica shares;
a replay reaching any replica finds the claim taken. The signing key is derived from the Slack
client secret, which every replica holds anyway, so no new secret needs distributing (changing
the client secret only abandons the installs in flight).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from jeeves_shared.dataclient import DataServiceClient

#: Seconds between leaving for Slack and coming back (Slack's guidance: about ten minutes).
LIFETIME = 600
#: The cookie that carries the state; sent back only to the redirect path.
COOKIE = "jeeves_slack_install"
#: Prefix of the once-only claim recorded for a used state (its SHA-256 follows).
CLAIM_PREFIX = "slack-install-state:"
_KEY_LABEL = b"jeeves slack install state v1"


class StateRejected(Exception):
    """The redirect does not belong to an install this browser started; ``reason`` says how,
    in words fit for the person (``problem`` is a short code for logs)."""

    def __init__(self, problem: str, reason: str) -> None:
        super().__init__(reason)
        self.problem = problem
        self.reason = reason


class OnceRecord(Protocol):
    """Where used states are recorded, shared by every replica."""

    async def first_use(self, claim_id: str) -> bool:
        """Record ``claim_id`` as used; True only for the first call with it, anywhere."""
        ...


class InstallStates:
    """Issue states and take them back, once.

    ``client_secret`` keys the signature; ``clock`` gives Unix seconds (``time.time``).
    """

    def __init__(
        self,
        client_secret: str,
        *,
        lifetime: int = LIFETIME,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key = hmac.new(client_secret.encode(), _KEY_LABEL, hashlib.sha256).digest()
        self.lifetime = lifetime
        self._signer = clocked_signer(clock)(key, salt="jeeves.slack-install")

    def issue(self) -> str:
        """A new state (URL- and cookie-safe text, about 70 characters)."""
        return self._signer.sign(secrets.token_urlsafe(32)).decode("ascii")

    async def take(self, cookie: str | None, state: str | None, *, once: OnceRecord) -> None:
        """Accept ``state`` from Slack's redirect if this browser's ``cookie`` holds it, it is
        ours, not expired, and not used before (in ``once``); it is used from now on.

        Raises :class:`StateRejected`; whatever ``once`` raises (the Data Service is down) too.
        """
        if not cookie:
            reason = "this browser has no install in progress here (or it took over 10 minutes)"
            raise StateRejected("no_cookie", reason)
        if not state or not hmac.compare_digest(cookie.encode(), state.encode()):
            raise StateRejected("foreign_state", "the link was started in another browser")
        try:
            self._signer.unsign(state, max_age=self.lifetime)
        except SignatureExpired:
            raise StateRejected("expired_state", "the link is more than 10 minutes old") from None
        except BadSignature:
            raise StateRejected("forged_state", "the link was not made by this Jeeves") from None
        claim_id = CLAIM_PREFIX + hashlib.sha256(state.encode()).hexdigest()
        if not await once.first_use(claim_id):
            raise StateRejected("replayed_state", "the link was already used")


def clocked_signer(clock: Callable[[], float]) -> type[TimestampSigner]:
    """itsdangerous' ``TimestampSigner``, timing with ``clock`` (Unix seconds) rather than
    ``time.time()``, so that tests can move it."""

    class ClockedSigner(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(clock())

    return ClockedSigner


class ClaimedOnce:
    """:class:`OnceRecord` in the Data Service's once-only claims (``/events``, scope
    ``events:claim``; ``dataservice`` gives the client when needed): the record that makes
    each Slack reply post once, where one conditional write decides, on SQLite or PostgreSQL,
    which of two concurrent uses is first."""

    def __init__(self, dataservice: Callable[[], DataServiceClient]) -> None:
        self._dataservice = dataservice

    async def first_use(self, claim_id: str) -> bool:
        """Lease ``claim_id`` and mark it done at once; anything but a new lease is a reuse.

        Raises what ``dataservice()`` or the client raises when the Data Service is not
        configured or cannot answer.
        """
        dataservice = self._dataservice()
        key = uuid.uuid4().hex
        claim = [(claim_id, key)]
        [leased] = await dataservice.lease_replies(claim, lease_seconds=LIFETIME)
        if leased.status != "acquired" or leased.taken_over:
            return False
        await dataservice.finish_replies(claim)
        return True
