"""Leased claims for a busy consumer: many concurrent claims, few requests.

The Slack poster claims every reply before posting it and reports it done after. One request
per claim would make the Data Service the bottleneck of the whole chain; :class:`EventClaims`
sends the claims and reports of concurrent handlers together (group commit, see
:mod:`jeeves_shared.batching`), one request and one transaction per round trip.
"""

from __future__ import annotations

from jeeves_shared.dataclient import Conflict, DataServiceClient, NotFound
from jeeves_shared.dataclient.models import EventLease
from workers.slack.batching import Batcher


class EventClaims:
    """Lease, finish and release event ids in the Data Service, batching across callers."""

    def __init__(self, data: DataServiceClient, *, lease_seconds: int) -> None:
        self.data = data
        self.lease_seconds = lease_seconds
        self._leases: Batcher[tuple[str, str], EventLease] = Batcher(self._lease_batch)
        self._reports: Batcher[tuple[str, str], str] = Batcher(data.finish_events)

    async def _lease_batch(self, claims: list[tuple[str, str]]) -> list[EventLease]:
        return await self.data.lease_events(claims, lease_seconds=self.lease_seconds)

    async def lease(self, event_id: str, *, key: str) -> EventLease:
        """Lease ``event_id`` under ``key`` (see :meth:`DataServiceClient.lease_event`)."""
        return await self._leases((event_id, key))

    async def finish(self, event_id: str, *, key: str) -> None:
        """Report it done; :class:`Conflict` if taken over, :class:`NotFound` if released."""
        outcome = await self._reports((event_id, key))
        if outcome == "taken":
            raise Conflict(409, "conflict", f"event {event_id} was taken over by another claimer")
        if outcome == "not_found":
            raise NotFound(404, "not_found", f"no claim on event {event_id}")

    async def release(self, event_id: str, *, key: str) -> None:
        """Give the claim back (failures are rare: not batched)."""
        await self.data.release_event(event_id, key=key)
