"""Claims of processed event ids: permanent ones, and leased ones that end ``done`` or released.

A leased claim is ``pending`` until its holder reports it ``done``, releases it (deleting the
row) or lets ``lease_until`` pass: then the next claimer takes it over, with its own key and
lease. Every change is one conditional statement whose ``WHERE`` re-checks what the caller saw,
so of concurrent claimers exactly one wins: on PostgreSQL a loser's ``UPDATE`` waits for the
winner's row lock, then finds the row changed; on SQLite the first statement of each
transaction is a write, which takes the database's write lock, so claimers run one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dataservice.errors import ClaimTaken, NotFound
from dataservice.models import ProcessedEvent
from dataservice.queries.shared import insert_ignoring_conflicts

#: Rounds of insert, read (and take-over) before giving up: a row released between the insert
#: and the read, or taken over by a rival first, costs one more.
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class EventClaimRecord:
    """A claim on an event, and the key of whoever holds it; ``taken_over`` when the caller
    just took it from another key whose lease had ended."""

    event_id: str
    first_seen: datetime
    status: Literal["pending", "done"]
    lease_until: datetime | None
    idempotency_key: str | None
    taken_over: bool = False


_COLUMNS = (
    ProcessedEvent.event_id,
    ProcessedEvent.first_seen,
    ProcessedEvent.status,
    ProcessedEvent.lease_until,
    ProcessedEvent.idempotency_key,
    ProcessedEvent.taken_over,
)


async def claim_event(
    conn: AsyncConnection,
    event_id: str,
    *,
    claimed_by: str,
    idempotency_key: str | None,
    now: datetime,
) -> EventClaimRecord:
    """Claim ``event_id`` for good (``done`` at once), or raise :class:`ClaimTaken`.

    The primary key makes this exactly-once: of any number of concurrent claimers, one insert
    succeeds and the others find the conflict. A repeat with the winner's ``idempotency_key``
    (a client retrying after a lost answer) gets the same success back. It never takes over a
    leased claim, even an expired one.
    """
    for _ in range(_ATTEMPTS):
        if mine := await _insert(
            conn, event_id, claimed_by=claimed_by, key=idempotency_key, now=now, lease_until=None
        ):
            return mine
        found = await _read(conn, event_id)
        if found is None:
            continue  # released since the insert: insert again
        if idempotency_key is not None and found.idempotency_key == idempotency_key:
            return found
        raise _taken(found, now)
    raise _busy(event_id)


async def lease_event(
    conn: AsyncConnection,
    event_id: str,
    *,
    claimed_by: str,
    key: str,
    now: datetime,
    lease: timedelta,
) -> EventClaimRecord:
    """Hold ``event_id`` ``pending`` until ``now + lease``, or raise :class:`ClaimTaken`.

    The caller holds it when it is new, when ``key`` already holds it (a retry: the lease is
    unchanged), or by taking over a pending claim whose lease ended before ``now`` (then the
    record says ``taken_over`` if it was another key's: that holder may have done the work).
    """
    for _ in range(_ATTEMPTS):
        if mine := await _insert(
            conn, event_id, claimed_by=claimed_by, key=key, now=now, lease_until=now + lease
        ):
            return mine
        found = await _read(conn, event_id)
        if found is None:
            continue  # released since the insert: insert again
        if _is_expired(found, now):
            if mine := await _take_over(
                conn, found, claimed_by=claimed_by, key=key, now=now, lease=lease
            ):
                return mine
            continue  # a rival took it over first: read who holds it now
        if found.status == "pending" and found.idempotency_key == key:
            return found
        raise _taken(found, now)
    raise _busy(event_id)


async def finish_event(
    conn: AsyncConnection, event_id: str, *, key: str, now: datetime
) -> EventClaimRecord:
    """Mark the claim ``key`` holds ``done`` (again, if it was: a retry).

    Holding it is enough, even past the lease, as long as nobody took it over. Otherwise
    :class:`ClaimTaken` (another key holds it), or :class:`NotFound` (no claim at all).
    """
    stmt = (
        update(ProcessedEvent)
        .where(ProcessedEvent.event_id == event_id, ProcessedEvent.idempotency_key == key)
        .values(status="done", lease_until=None)
        .returning(*_COLUMNS)
    )
    if row := (await conn.execute(stmt)).first():
        return EventClaimRecord(**row._mapping)
    found = await _read(conn, event_id)
    if found is None:
        raise NotFound("event claim", event_id)
    raise _taken(found, now)


async def release_event(conn: AsyncConnection, event_id: str, *, key: str, now: datetime) -> None:
    """Delete the pending claim ``key`` holds, so the next claimer gets it at once.

    Nothing to release is fine (a retry); :class:`ClaimTaken` if the claim is ``done`` (it
    cannot be undone) or another key holds it.
    """
    stmt = delete(ProcessedEvent).where(
        ProcessedEvent.event_id == event_id,
        ProcessedEvent.idempotency_key == key,
        ProcessedEvent.status == "pending",
    )
    if (await conn.execute(stmt)).rowcount == 1:
        return
    found = await _read(conn, event_id)
    if found is not None:
        raise _taken(found, now)


async def insert_leases(
    conn: AsyncConnection,
    claims: list[tuple[str, str]],
    *,
    claimed_by: str,
    now: datetime,
    lease: timedelta,
) -> set[str]:
    """Lease every new event of ``claims`` (``(event_id, key)``, distinct ids) in one statement;
    the ids leased. The others (claimed before) need :func:`lease_event`, one by one."""
    if not claims:
        return set()
    rows = [
        {
            "event_id": event_id,
            "first_seen": now,
            "claimed_by": claimed_by,
            "idempotency_key": key,
            "status": "pending",
            "lease_until": now + lease,
            "taken_over": False,
        }
        # In id order: concurrent batches lock rows in the same order (no deadlock).
        for event_id, key in sorted(claims)
    ]
    stmt = insert_ignoring_conflicts(conn, ProcessedEvent).values(rows)
    inserted = await conn.execute(stmt.returning(ProcessedEvent.event_id))
    return {row.event_id for row in inserted}


async def finish_held(conn: AsyncConnection, claims: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Mark ``done``, in one statement, every claim of ``claims`` (``(event_id, key)``) that
    ``key`` holds; those marked. The others need :func:`finish_event` to say why not."""
    if not claims:
        return set()
    pairs = tuple_(ProcessedEvent.event_id, ProcessedEvent.idempotency_key)
    stmt = (
        update(ProcessedEvent)
        .where(pairs.in_(sorted(set(claims))))
        .values(status="done", lease_until=None)
        .returning(ProcessedEvent.event_id, ProcessedEvent.idempotency_key)
    )
    return {(row.event_id, row.idempotency_key) for row in await conn.execute(stmt)}


async def _insert(
    conn: AsyncConnection,
    event_id: str,
    *,
    claimed_by: str,
    key: str | None,
    now: datetime,
    lease_until: datetime | None,
) -> EventClaimRecord | None:
    """The new claim (``pending`` if it has a lease, else ``done``), or ``None`` if there is
    one already."""
    stmt = insert_ignoring_conflicts(conn, ProcessedEvent).values(
        event_id=event_id,
        first_seen=now,
        claimed_by=claimed_by,
        idempotency_key=key,
        status="done" if lease_until is None else "pending",
        lease_until=lease_until,
    )
    row = (await conn.execute(stmt.returning(*_COLUMNS))).first()
    return None if row is None else EventClaimRecord(**row._mapping)


async def _read(conn: AsyncConnection, event_id: str) -> EventClaimRecord | None:
    found = await conn.execute(select(*_COLUMNS).where(ProcessedEvent.event_id == event_id))
    row = found.first()
    return None if row is None else EventClaimRecord(**row._mapping)


def _is_expired(claim: EventClaimRecord, now: datetime) -> bool:
    return claim.status == "pending" and claim.lease_until is not None and claim.lease_until < now


async def _take_over(
    conn: AsyncConnection,
    expired: EventClaimRecord,
    *,
    claimed_by: str,
    key: str,
    now: datetime,
    lease: timedelta,
) -> EventClaimRecord | None:
    """Hand the ``expired`` claim to ``key``, unless it changed since it was read."""
    stmt = (
        update(ProcessedEvent)
        .where(
            ProcessedEvent.event_id == expired.event_id,
            ProcessedEvent.status == "pending",
            ProcessedEvent.lease_until < now,
            ProcessedEvent.idempotency_key.is_not_distinct_from(expired.idempotency_key),
        )
        .values(
            idempotency_key=key,
            claimed_by=claimed_by,
            lease_until=now + lease,
            taken_over=expired.idempotency_key != key,
        )
        .returning(*_COLUMNS)
    )
    row = (await conn.execute(stmt)).first()
    return None if row is None else EventClaimRecord(**row._mapping)


def _taken(claim: EventClaimRecord, now: datetime) -> ClaimTaken:
    if claim.status == "done" or claim.lease_until is None:
        return ClaimTaken(claim.event_id, status="done")
    wait = max(claim.lease_until - now, timedelta(0))
    return ClaimTaken(claim.event_id, status="pending", lease_until=claim.lease_until, wait=wait)


def _busy(event_id: str) -> ClaimTaken:
    """Claimed and released (or taken over) again and again while we looked: try shortly."""
    return ClaimTaken(event_id, status="pending", wait=timedelta(seconds=1))
