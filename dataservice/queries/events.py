"""Claims of processed event ids."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from dataservice.errors import Conflict
from dataservice.models import ProcessedEvent
from dataservice.queries.shared import insert_ignoring_conflicts


async def claim_event(
    conn: AsyncConnection,
    event_id: str,
    *,
    claimed_by: str,
    idempotency_key: str | None,
    now: datetime,
) -> datetime:
    """Claim ``event_id`` for the caller: when it was first seen, or :class:`Conflict`.

    The primary key makes this exactly-once: of any number of concurrent claimers, one insert
    succeeds and the others find the conflict. A repeat with the winner's ``idempotency_key``
    (a client retrying after a lost answer) gets the same success back.
    """
    stmt = insert_ignoring_conflicts(conn, ProcessedEvent).values(
        event_id=event_id, first_seen=now, claimed_by=claimed_by, idempotency_key=idempotency_key
    )
    if (await conn.execute(stmt.returning(ProcessedEvent.event_id))).first() is not None:
        return now
    found = await conn.execute(
        select(ProcessedEvent.first_seen, ProcessedEvent.idempotency_key).where(
            ProcessedEvent.event_id == event_id
        )
    )
    claim = found.one()
    if idempotency_key is not None and claim.idempotency_key == idempotency_key:
        first_seen: datetime = claim.first_seen
        return first_seen
    raise Conflict("event", event_id, reason="already claimed")
