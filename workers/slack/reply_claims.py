"""Reply claims for a busy consumer: many concurrent claims, few requests.

The Slack poster claims every reply before posting it and reports it done after. One request
per claim would make the Data Service the bottleneck of the whole chain; :class:`ReplyClaims`
sends the claims and reports of concurrent handlers together (group commit, see
:mod:`workers.slack.batching`), one request and one transaction per round trip. Each caller
gets its own claim's outcome back as a value.
"""

from __future__ import annotations

from jeeves_shared.dataclient import DataServiceClient, DoneOutcome, LeaseOutcome
from workers.slack.batching import Batcher


class ReplyClaims:
    """Lease, finish and release reply ids in the Data Service, batching across callers."""

    def __init__(self, data: DataServiceClient, *, lease_seconds: int) -> None:
        self.data = data
        self.lease_seconds = lease_seconds
        self._leases: Batcher[tuple[str, str, str | None], LeaseOutcome] = Batcher(
            self._lease_batch
        )
        self._reports: Batcher[tuple[str, str], DoneOutcome] = Batcher(data.finish_replies)

    async def _lease_batch(self, claims: list[tuple[str, str, str | None]]) -> list[LeaseOutcome]:
        pairs = [(reply_id, key) for reply_id, key, _team in claims]
        teams = {reply_id: team for reply_id, _key, team in claims if team}
        return await self.data.lease_replies(pairs, lease_seconds=self.lease_seconds, teams=teams)

    async def lease(self, reply_id: str, *, key: str, team_id: str | None = None) -> LeaseOutcome:
        """Lease ``reply_id`` under ``key``: ``acquired``, ``done`` or ``held`` (see
        :meth:`DataServiceClient.lease_replies`); ``team_id``, the workspace the reply
        answers, is recorded with a new claim."""
        return await self._leases((reply_id, key, team_id))

    async def finish(self, reply_id: str, *, key: str) -> DoneOutcome:
        """Report it posted: ``done``, ``taken`` (another claimer took it over once the lease
        ended) or ``not_found`` (it was released)."""
        return await self._reports((reply_id, key))

    async def release(self, reply_id: str, *, key: str) -> None:
        """Give the claim back (failures are rare: not batched)."""
        await self.data.release_reply(reply_id, key=key)
