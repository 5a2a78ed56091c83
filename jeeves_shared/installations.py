"""Which Slack installation a message belongs to, and its bot token, cached per process.

An *installation* is Jeeves installed in one Slack workspace, or org-wide in an Enterprise Grid
org. Slack names the installation that received an event in the envelope's
``authorizations`` (not in its ``team_id``, which in a Slack Connect channel names the other
organisation): :meth:`InstallationKey.from_authorization` reads one of them.

:class:`BotTokens` answers "a bot token for this installation, valid for a while yet" in front
of the Data Service, which alone holds the tokens and refreshes them (once across every
process: see ``docs/dataservice.md``)::

    tokens = BotTokens(data)                      # data: scope installations:token
    client = AsyncWebClient(token=await tokens.get(key))
    ...                                           # Slack answered token_expired:
    tokens.forget(key)                            # then get() again, and retry once

One-workspace mode (``JEEVES_SLACK_BOT_TOKEN``, no OAuth install) uses
``BotTokens.single(token)``, which answers that token for every key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cachetools import TLRUCache

if TYPE_CHECKING:
    # Only for annotations, so that the client (which takes an InstallationKey) can import
    # this module without a cycle.
    from jeeves_shared.dataclient import DataServiceClient
    from jeeves_shared.dataclient.models import BotToken

#: A token handed out is valid for at least this long (callers finish their Slack calls well
#: within it).
DEFAULT_MIN_VALIDITY = timedelta(minutes=5)
#: What the cache asks the Data Service for: a token fetched is then reused for
#: ``DEFAULT_VALID_FOR - DEFAULT_MIN_VALIDITY`` at least.
DEFAULT_VALID_FOR = timedelta(minutes=15)
#: How long a token that never expires is reused before asking again (so a reinstall's new
#: token replaces it within this time even if nobody calls :meth:`BotTokens.forget`).
DEFAULT_MAX_AGE = timedelta(minutes=10)
#: Installations whose tokens one process keeps at once.
DEFAULT_MAX_SIZE = 10_000


@dataclass(frozen=True)
class InstallationKey:
    """Which installation received an event: Slack's (``enterprise_id``, ``team_id``).

    ``enterprise_id`` is ``None`` outside Enterprise Grid; ``team_id`` is ``None`` for an
    org-wide install (``is_enterprise_install``), which serves every workspace of the org.
    """

    enterprise_id: str | None
    team_id: str | None
    is_enterprise_install: bool = False

    @classmethod
    def from_authorization(cls, authorization: Mapping[str, Any]) -> InstallationKey:
        """The key of one item of an Events API envelope's ``authorizations``
        (``{"enterprise_id": ..., "team_id": ..., "is_enterprise_install": ...}``).

        Raises :class:`ValueError` when the ids are not strings (or null), or when neither
        names anything.
        """
        enterprise_id = _optional_id(authorization.get("enterprise_id"), "enterprise_id")
        team_id = _optional_id(authorization.get("team_id"), "team_id")
        is_org = authorization.get("is_enterprise_install") is True
        if is_org:
            if enterprise_id is None:
                raise ValueError("an org-wide authorization without an enterprise_id")
            return cls(enterprise_id, None, True)
        if team_id is None:
            raise ValueError("an authorization without a team_id")
        return cls(enterprise_id, team_id, False)


def _optional_id(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} is not a string")
    return value


def _utcnow() -> datetime:
    return datetime.now(UTC)


class BotTokens:
    """Bot tokens by installation, cached until shortly before they expire.

    :meth:`get` answers from the cache while the cached token has more than ``min_validity``
    left (tokens that never expire: for ``max_age``); otherwise it asks the Data Service for
    one valid ``valid_for`` more (one request per installation at a time: concurrent callers
    share it). :attr:`hit_rate` is the share of :meth:`get` calls answered without a request.

    The expiry-bounded LRU map is :class:`cachetools.TLRUCache`; sharing one request between
    concurrent callers stays here (cachetools memoizes plain calls only).
    """

    def __init__(
        self,
        data: DataServiceClient | None,
        *,
        valid_for: timedelta = DEFAULT_VALID_FOR,
        min_validity: timedelta = DEFAULT_MIN_VALIDITY,
        max_age: timedelta = DEFAULT_MAX_AGE,
        max_size: int = DEFAULT_MAX_SIZE,
        clock: Callable[[], datetime] = _utcnow,
        single_token: str | None = None,
    ) -> None:
        if data is None and single_token is None:
            raise ValueError("BotTokens needs a Data Service client or a single token")
        if valid_for <= min_validity:
            raise ValueError("valid_for must be longer than min_validity")
        self._data = data
        self._single = single_token
        self.valid_for = valid_for
        self.min_validity = min_validity
        self.max_age = max_age
        self._clock = clock
        self._cache: TLRUCache[InstallationKey, BotToken] = TLRUCache(
            maxsize=max_size, ttu=self._use_until, timer=self._now
        )
        self._pending: dict[InstallationKey, asyncio.Future[BotToken]] = {}
        #: :meth:`get` calls, and how many of them asked the Data Service.
        self.gets = 0
        self.fetches = 0

    @classmethod
    def single(cls, token: str) -> BotTokens:
        """One-workspace mode: ``token`` (``JEEVES_SLACK_BOT_TOKEN``) for every installation."""
        return cls(None, single_token=token)

    @property
    def hit_rate(self) -> float:
        """The share of :meth:`get` calls answered without asking the Data Service (0 to 1;
        1.0 before the first call)."""
        return 1.0 if self.gets == 0 else 1 - self.fetches / self.gets

    async def get(self, key: InstallationKey) -> str:
        """A bot token of the installation serving ``key``, valid ``min_validity`` more.

        Raises :class:`~jeeves_shared.dataclient.errors.InstallationNotFound`,
        :class:`~jeeves_shared.dataclient.errors.InstallationInactive`, or
        :class:`~jeeves_shared.dataclient.errors.DataServiceUnavailable`.
        """
        self.gets += 1
        if self._single is not None:
            return self._single
        key = _cache_key(key)
        cached = self._cache.get(key)
        if cached is not None:
            return cached.token
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(key))
            self._pending[key] = pending
            pending.add_done_callback(lambda _done: self._pending.pop(key, None))
        # Shielded: a caller cancelled while it waits must not cancel the others' request.
        token = await asyncio.shield(pending)
        return token.token

    def forget(self, key: InstallationKey) -> None:
        """Drop the cached token of ``key`` (Slack answered ``token_expired`` or
        ``invalid_auth`` with it): the next :meth:`get` asks the Data Service."""
        self._cache.pop(_cache_key(key), None)

    async def _fetch(self, key: InstallationKey) -> BotToken:
        assert self._data is not None  # single mode never fetches
        self.fetches += 1
        token = await self._data.fresh_bot_token(key, valid_for=self.valid_for)
        self._cache[key] = token
        return token

    def _now(self) -> float:
        return self._clock().timestamp()

    def _use_until(self, _key: InstallationKey, token: BotToken, now: float) -> float:
        if token.expires_at is None:
            return now + self.max_age.total_seconds()
        return token.expires_at.timestamp() - self.min_validity.total_seconds()


def _cache_key(key: InstallationKey) -> InstallationKey:
    """Every workspace of an org-wide install shares its one token."""
    if key.is_enterprise_install:
        return InstallationKey(key.enterprise_id, None, True)
    return key
