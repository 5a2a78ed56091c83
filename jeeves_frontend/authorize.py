"""Which installation a Slack request is for, and whether Jeeves still serves it.

With Slack's OAuth install on (``JEEVES_SLACK_CLIENT_ID`` set), every event is authorized per
installation: the front door reads the receiving installation from the envelope's
``authorizations`` (:func:`jeeves_frontend.events.receiver_of`) and finds it in the Data
Service. Events for an installation that is unknown or inactive (uninstalled, tokens revoked)
are acknowledged and ignored. The bot's own messages are recognised by that installation's bot
user id and bot id.

Lookups are cached per process (:class:`cachetools.TLRUCache`, bounded in size and age) so
that a busy workspace costs one Data Service request per :attr:`Installations.ttl` seconds, not
one per event. Unknown and inactive installations are cached too, for
:attr:`Installations.negative_ttl` (shorter), so that a flood of events from a workspace that
never installed Jeeves does not reach the Data Service either, while a reinstall recorded by
another process is seen within seconds. A lifecycle event (uninstall, tokens revoked) drops the
entry at once (:meth:`Installations.forget`); other front-door processes see the change within
the TTL, and the workers refuse the inactive installation's replies meanwhile (no token).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Final

from cachetools import TLRUCache

from jeeves_shared.dataclient import DataServiceClient, Installation
from jeeves_shared.installations import InstallationKey

#: What the cache remembers for an installation the Data Service does not know.
_UNKNOWN: Final = None
#: Seconds an unknown or inactive installation is remembered (see the module's docstring).
NEGATIVE_TTL = 5.0


class Installations:
    """Installations by key, looked up in the Data Service and cached.

    ``client`` is called for the Data Service client at each lookup (the front door opens it
    when it starts serving). Concurrent lookups of one key share one request (cachetools
    memoizes plain calls only, so that part is ours).
    """

    def __init__(
        self,
        client: Callable[[], DataServiceClient],
        *,
        size: int,
        ttl: float,
        negative_ttl: float = NEGATIVE_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.ttl = ttl
        self.negative_ttl = min(negative_ttl, ttl)
        self._cache: TLRUCache[InstallationKey, Installation | None] = TLRUCache(
            maxsize=size, ttu=self._use_until, timer=clock
        )
        self._pending: dict[InstallationKey, asyncio.Future[Installation | None]] = {}
        #: Lookups, and how many of them asked the Data Service (the rest were cache hits).
        self.lookups = 0
        self.fetches = 0

    async def find(self, key: InstallationKey) -> Installation | None:
        """The installation serving ``key`` (inactive ones too, ``active`` false), or None.

        Raises what :meth:`DataServiceClient.find_installation` raises
        (:class:`~jeeves_shared.dataclient.DataServiceError`, token errors) when the Data
        Service cannot answer: the caller answers 503, and Slack delivers the event again.
        """
        self.lookups += 1
        try:
            return self._cache[key]
        except KeyError:
            pass
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch(key))
            self._pending[key] = pending
            pending.add_done_callback(lambda _done: self._pending.pop(key, None))
        # Shielded: one caller cancelled (its client went away) must not fail the others.
        return await asyncio.shield(pending)

    def forget(self, key: InstallationKey) -> None:
        """Drop what is known of ``key`` (after its lifecycle event, or an install)."""
        self._cache.pop(key, None)

    @property
    def hit_rate(self) -> float:
        """The share of lookups answered from the cache (1.0 before the first)."""
        return 1.0 if self.lookups == 0 else 1 - self.fetches / self.lookups

    def _use_until(self, _key: InstallationKey, found: Installation | None, now: float) -> float:
        served = found is not None and found.active
        return now + (self.ttl if served else self.negative_ttl)

    async def _fetch(self, key: InstallationKey) -> Installation | None:
        self.fetches += 1
        found = await self._client().find_installation(key)
        self._cache[key] = found if found is not None else _UNKNOWN
        return found
