"""Reply claims: the Slack poster's exactly-once guarantee, one lease per reply id.

A claim is ``pending`` until its holder reports it ``done``, releases it (deleting the row) or
lets ``lease_until`` pass: then the next claimer takes it over, with its own key and lease.
Every change is one conditional statement whose ``WHERE`` re-checks what the caller saw, so of
concurrent claimers exactly one wins: on PostgreSQL a loser's ``UPDATE`` waits for the winner's
row lock, then finds the row changed; on SQLite the first statement of each transaction is a
write, which takes the database's write lock, so claimers run one at a time.

The batch functions (:func:`lease_replies`, :func:`finish_replies`) return one outcome per
claim, as values; the one-claim functions raise :class:`ClaimTaken` or
:class:`RecordNotFound` for the view to answer 409 or 404.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from dataservice.errors import ClaimTaken, RecordNotFound
from dataservice.models import ReplyClaim
from dataservice.queries.shared import insert_ignoring_conflicts
from jeeves_shared.dataclient import models as wire

#: Rounds of insert, read (and take-over) before giving up: a row released between the insert
#: and the read, or taken over by a rival first, costs one more.
_ATTEMPTS = 3

#: ``(reply_id, key)``: a reply and the claimer's ``Idempotency-Key`` for it.
Claim = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _Stored:
    """A claim as stored, with the key of whoever holds it (never shown to callers)."""

    event_id: str
    first_seen: datetime
    status: Literal["pending", "done"]
    lease_until: datetime | None
    idempotency_key: str | None
    taken_over: bool = False

    def to_wire(self) -> wire.ReplyClaim:
        return wire.ReplyClaim.model_validate(self)


@dataclass(frozen=True, slots=True)
class _Refused:
    """Someone else's claim: ``done``, or ``pending`` for ``wait`` more."""

    status: Literal["pending", "done"]
    lease_until: datetime | None = None
    wait: timedelta | None = None

    def error(self, reply_id: str) -> ClaimTaken:
        return ClaimTaken(
            reply_id, status=self.status, lease_until=self.lease_until, wait=self.wait
        )


_COLUMNS = (
    ReplyClaim.event_id,
    ReplyClaim.first_seen,
    ReplyClaim.status,
    ReplyClaim.lease_until,
    ReplyClaim.idempotency_key,
    ReplyClaim.taken_over,
)


# --- one claim (the view turns a refusal into 409) ----------------------------------------------


async def lease_reply(
    conn: AsyncConnection,
    reply_id: str,
    *,
    claimed_by: str,
    key: str,
    now: datetime,
    lease: timedelta,
    team_id: str | None = None,
) -> wire.ReplyClaim:
    """Hold ``reply_id`` ``pending`` until ``now + lease``, or raise :class:`ClaimTaken`.

    The caller holds it when it is new, when ``key`` already holds it (a retry: the lease is
    unchanged), or by taking over a pending claim whose lease ended before ``now`` (then the
    claim says ``taken_over`` if it was another key's: that holder may have done the work).
    """
    held = await _lease(
        conn, reply_id, claimed_by=claimed_by, key=key, now=now, lease=lease, team_id=team_id
    )
    if isinstance(held, _Refused):
        raise held.error(reply_id)
    return held.to_wire()


async def finish_reply(
    conn: AsyncConnection, reply_id: str, *, key: str, now: datetime
) -> wire.ReplyClaim:
    """Mark the claim ``key`` holds ``done`` (again, if it was: a retry).

    Holding it is enough, even past the lease, as long as nobody took it over. Otherwise
    :class:`ClaimTaken` (another key holds it), or :class:`RecordNotFound` (no claim at all).
    """
    finished = await _finish(conn, reply_id, key=key, now=now)
    if finished is None:
        raise RecordNotFound("reply claim", reply_id)
    if isinstance(finished, _Refused):
        raise finished.error(reply_id)
    return finished.to_wire()


async def release_reply(conn: AsyncConnection, reply_id: str, *, key: str, now: datetime) -> None:
    """Delete the pending claim ``key`` holds, so the next claimer gets it at once.

    Nothing to release is fine (a retry); :class:`ClaimTaken` if the claim is ``done`` (it
    cannot be undone) or another key holds it.
    """
    stmt = delete(ReplyClaim).where(
        ReplyClaim.event_id == reply_id,
        ReplyClaim.idempotency_key == key,
        ReplyClaim.status == "pending",
    )
    if (await conn.execute(stmt)).rowcount == 1:
        return
    found = await _read(conn, reply_id)
    if found is not None:
        raise _refusal(found, now).error(reply_id)


# --- batches (the Slack poster's: one request and one transaction per round trip) ---------------


async def lease_replies(
    conn: AsyncConnection,
    claims: Sequence[Claim],
    *,
    claimed_by: str,
    now: datetime,
    lease: timedelta,
    teams: Mapping[str, str] | None = None,
) -> list[wire.LeaseOutcome]:
    """:func:`lease_reply` for each claim; one outcome per claim, in order: ``acquired``,
    ``done`` or ``held`` (with ``retry_after`` seconds, at least 1). ``teams`` (reply id →
    the workspace it answers) is recorded on the claims made here, for the admin view's count.

    New replies, the usual case, are leased in one statement; the rest one by one, in reply id
    order, so that concurrent batches lock rows in the same order (no deadlock). A second ask
    for the same reply in one batch is answered as if it came after the first.
    """
    first_keys = {reply_id: key for reply_id, key in reversed(claims)}
    teams = teams or {}
    new = await _insert_new(
        conn, first_keys, claimed_by=claimed_by, now=now, lease=lease, teams=teams
    )
    outcomes: dict[int, wire.LeaseOutcome] = {}
    for n, (reply_id, key) in sorted(enumerate(claims), key=lambda pair: pair[1][0]):
        if reply_id in new and first_keys[reply_id] == key:
            new.discard(reply_id)
            outcomes[n] = wire.LeaseOutcome(event_id=reply_id, status="acquired")
            continue
        held = await _lease(
            conn,
            reply_id,
            claimed_by=claimed_by,
            key=key,
            now=now,
            lease=lease,
            team_id=teams.get(reply_id),
        )
        outcomes[n] = _lease_outcome(reply_id, held)
    return [outcomes[n] for n in range(len(claims))]


async def finish_replies(
    conn: AsyncConnection, claims: Sequence[Claim], *, now: datetime
) -> list[wire.DoneOutcome]:
    """:func:`finish_reply` for each claim; one outcome per claim, in order: ``done``,
    ``taken`` (another key took it over) or ``not_found`` (it was released).

    The claims their keys hold, the usual case, are marked in one statement; the others are
    looked at one by one to say why not.
    """
    finished = await _finish_held(conn, claims)
    outcomes: dict[int, wire.DoneOutcome] = {}
    for n, (reply_id, key) in sorted(enumerate(claims), key=lambda pair: pair[1][0]):
        if (reply_id, key) in finished:
            outcomes[n] = wire.DoneOutcome(event_id=reply_id, status="done")
            continue
        outcomes[n] = _done_outcome(reply_id, await _finish(conn, reply_id, key=key, now=now))
    return [outcomes[n] for n in range(len(claims))]


def _lease_outcome(reply_id: str, held: _Stored | _Refused) -> wire.LeaseOutcome:
    if isinstance(held, _Stored):
        return wire.LeaseOutcome(event_id=reply_id, status="acquired", taken_over=held.taken_over)
    if held.status == "done":
        return wire.LeaseOutcome(event_id=reply_id, status="done")
    retry_after = max(1, math.ceil((held.wait or timedelta(0)).total_seconds()))
    return wire.LeaseOutcome(event_id=reply_id, status="held", retry_after=retry_after)


def _done_outcome(reply_id: str, finished: _Stored | _Refused | None) -> wire.DoneOutcome:
    if finished is None:
        return wire.DoneOutcome(event_id=reply_id, status="not_found")
    if isinstance(finished, _Refused):
        return wire.DoneOutcome(event_id=reply_id, status="taken")
    return wire.DoneOutcome(event_id=reply_id, status="done")


# --- the statements -----------------------------------------------------------------------------


async def _lease(
    conn: AsyncConnection,
    reply_id: str,
    *,
    claimed_by: str,
    key: str,
    now: datetime,
    lease: timedelta,
    team_id: str | None = None,
) -> _Stored | _Refused:
    """The claim ``key`` now holds (see :func:`lease_reply`), or why it cannot."""
    for _ in range(_ATTEMPTS):
        if mine := await _insert(
            conn, reply_id, claimed_by=claimed_by, key=key, now=now, lease=lease, team_id=team_id
        ):
            return mine
        found = await _read(conn, reply_id)
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
        return _refusal(found, now)
    # Claimed and released (or taken over) again and again while we looked: try shortly.
    return _Refused("pending", wait=timedelta(seconds=1))


async def _finish(
    conn: AsyncConnection, reply_id: str, *, key: str, now: datetime
) -> _Stored | _Refused | None:
    """The claim ``key`` held, now ``done``; why not if another holds it; ``None`` if none."""
    stmt = (
        update(ReplyClaim)
        .where(ReplyClaim.event_id == reply_id, ReplyClaim.idempotency_key == key)
        .values(status="done", lease_until=None)
        .returning(*_COLUMNS)
    )
    if row := (await conn.execute(stmt)).first():
        return _Stored(**row._mapping)
    found = await _read(conn, reply_id)
    return None if found is None else _refusal(found, now)


async def _insert_new(
    conn: AsyncConnection,
    first_keys: dict[str, str],
    *,
    claimed_by: str,
    now: datetime,
    lease: timedelta,
    teams: Mapping[str, str],
) -> set[str]:
    """Lease every reply of ``first_keys`` (reply id → key) that nobody claimed yet, in one
    statement; the ids leased."""
    if not first_keys:
        return set()
    rows = [
        {
            "event_id": reply_id,
            "first_seen": now,
            "claimed_by": claimed_by,
            "idempotency_key": key,
            "status": "pending",
            "lease_until": now + lease,
            "taken_over": False,
            "team_id": teams.get(reply_id),
        }
        # In id order: concurrent batches lock rows in the same order (no deadlock).
        for reply_id, key in sorted(first_keys.items())
    ]
    stmt = insert_ignoring_conflicts(conn, ReplyClaim).values(rows)
    inserted = await conn.execute(stmt.returning(ReplyClaim.event_id))
    return {row.event_id for row in inserted}


async def _finish_held(conn: AsyncConnection, claims: Sequence[Claim]) -> set[Claim]:
    """Mark ``done``, in one statement, every claim of ``claims`` that its key holds; those
    marked."""
    if not claims:
        return set()
    pairs = tuple_(ReplyClaim.event_id, ReplyClaim.idempotency_key)
    stmt = (
        update(ReplyClaim)
        .where(pairs.in_(sorted(set(claims))))
        .values(status="done", lease_until=None)
        .returning(ReplyClaim.event_id, ReplyClaim.idempotency_key)
    )
    return {(row.event_id, row.idempotency_key) for row in await conn.execute(stmt)}


async def _insert(
    conn: AsyncConnection,
    reply_id: str,
    *,
    claimed_by: str,
    key: str,
    now: datetime,
    lease: timedelta,
    team_id: str | None = None,
) -> _Stored | None:
    """The new ``pending`` claim, or ``None`` if there is one already."""
    stmt = insert_ignoring_conflicts(conn, ReplyClaim).values(
        team_id=team_id,
        event_id=reply_id,
        first_seen=now,
        claimed_by=claimed_by,
        idempotency_key=key,
        status="pending",
        lease_until=now + lease,
    )
    row = (await conn.execute(stmt.returning(*_COLUMNS))).first()
    return None if row is None else _Stored(**row._mapping)


async def _read(conn: AsyncConnection, reply_id: str) -> _Stored | None:
    found = await conn.execute(select(*_COLUMNS).where(ReplyClaim.event_id == reply_id))
    row = found.first()
    return None if row is None else _Stored(**row._mapping)


def _is_expired(claim: _Stored, now: datetime) -> bool:
    return claim.status == "pending" and claim.lease_until is not None and claim.lease_until < now


async def _take_over(
    conn: AsyncConnection,
    expired: _Stored,
    *,
    claimed_by: str,
    key: str,
    now: datetime,
    lease: timedelta,
) -> _Stored | None:
    """Hand the ``expired`` claim to ``key``, unless it changed since it was read."""
    stmt = (
        update(ReplyClaim)
        .where(
            ReplyClaim.event_id == expired.event_id,
            ReplyClaim.status == "pending",
            ReplyClaim.lease_until < now,
            ReplyClaim.idempotency_key.is_not_distinct_from(expired.idempotency_key),
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
    return None if row is None else _Stored(**row._mapping)


def _refusal(claim: _Stored, now: datetime) -> _Refused:
    if claim.status == "done" or claim.lease_until is None:
        return _Refused("done")
    wait = max(claim.lease_until - now, timedelta(0))
    return _Refused("pending", lease_until=claim.lease_until, wait=wait)
