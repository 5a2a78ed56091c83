"""``/api/v1/events``: claim an event id exactly once, for good or under a lease.

A leased claim is ``pending`` while its holder works, then reported ``done``, or released when
the work failed (see :mod:`dataservice.queries.events`).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from quart import Response

from dataservice import queries
from dataservice.errors import ClaimTaken, InvalidInput, NotFound
from dataservice.routing import Api, Header
from dataservice.schemas import (
    ClaimConflictBody,
    DoneBatchOut,
    DoneBatchRequest,
    DoneOutcome,
    ErrorBody,
    EventClaim,
    EventId,
    EventLeaseRequest,
    IdempotencyKey,
    LeaseBatchOut,
    LeaseBatchRequest,
    LeaseOutcome,
)
from dataservice.views.common import json_response, resources
from jeeves_shared.auth.quart_auth import current_claims

api = Api("events", url_prefix="/api/v1")
IDEMPOTENCY_KEY = Header(
    "A key unique to this claimer and event (a UUID); a retry with it is answered 201 again. "
    "Required with `lease_seconds`.",
    IdempotencyKey,
    argument="idempotency_key",
)
HOLDER_KEY = Header(
    "The `Idempotency-Key` the claim was taken with.",
    IdempotencyKey,
    argument="key",
    required=True,
)
EVENT = {"event_id": EventId}


@api.operation(
    "POST",
    "/events/{event_id}/claim",
    scope="events:claim",
    params=EVENT,
    headers={"Idempotency-Key": IDEMPOTENCY_KEY},
    body=EventLeaseRequest,
    body_required=False,
    summary="Claim an event for processing, exactly once",
    responses={201: EventClaim, 409: ClaimConflictBody, 422: ErrorBody},
)
async def claim_event(
    event_id: str, idempotency_key: str | None, body: EventLeaseRequest | None
) -> Response:
    """201 for the first claimer of ``event_id``, 409 for every later one.

    A claimer that retries (its answer was lost) with the same ``Idempotency-Key`` gets its
    201 again rather than a 409 that would make it drop the event.

    Without a body the claim is `done` for good. With `lease_seconds` (and an
    `Idempotency-Key`) it is `pending` until `lease_until`: report it done, or release it,
    with the same key. Once that lease has ended without either, the next claimer takes it
    over. The 409 body's `status` says `done` (skip the event) or `pending` (another claimer
    holds it until `lease_until`; `Retry-After` gives the seconds left).
    """
    deps = resources()
    claimed_by = current_claims().subject[:128]
    leased = _lease_asked(body, idempotency_key)
    async with deps.database.engine.begin() as conn:
        if leased is None:
            claim = await queries.claim_event(
                conn,
                event_id,
                claimed_by=claimed_by,
                idempotency_key=idempotency_key,
                now=deps.clock(),
            )
        else:
            lease, key = leased
            claim = await queries.lease_event(
                conn, event_id, claimed_by=claimed_by, key=key, now=deps.clock(), lease=lease
            )
    return json_response(EventClaim.model_validate(claim), 201)


def _lease_asked(
    body: EventLeaseRequest | None, idempotency_key: str | None
) -> tuple[timedelta, str] | None:
    """The lease and key of a leased claim; ``None`` for a claim for good."""
    if body is None or body.lease_seconds is None:
        return None
    if idempotency_key is None:
        raise InvalidInput.missing(["header", "Idempotency-Key"], "Required with lease_seconds")
    return timedelta(seconds=body.lease_seconds), idempotency_key


@api.operation(
    "POST",
    "/events/{event_id}/done",
    scope="events:claim",
    params=EVENT,
    headers={"Idempotency-Key": HOLDER_KEY},
    summary="Report a claimed event done",
    responses={200: EventClaim, 404: ErrorBody, 409: ClaimConflictBody, 422: ErrorBody},
)
async def finish_event(event_id: str, key: str) -> Response:
    """Mark the claim held with this `Idempotency-Key` `done` (200 again if it was). It
    counts even after the lease ended, unless another claimer took it over: then 409."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        claim = await queries.finish_event(conn, event_id, key=key, now=deps.clock())
    return json_response(EventClaim.model_validate(claim))


@api.operation(
    "DELETE",
    "/events/{event_id}/claim",
    scope="events:claim",
    params=EVENT,
    headers={"Idempotency-Key": HOLDER_KEY},
    summary="Release a pending claim, for the next claimer",
    responses={204: None, 409: ClaimConflictBody, 422: ErrorBody},
)
async def release_event(event_id: str, key: str) -> Response:
    """Give up the pending claim held with this `Idempotency-Key` (the work failed and will
    be retried): the next claimer gets it at once. 204 also when there is no claim; 409 if it
    is `done` (that cannot be undone) or another claimer holds it."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        await queries.release_event(conn, event_id, key=key, now=deps.clock())
    return Response(b"", status=204)


@api.operation(
    "POST",
    "/events/leases",
    scope="events:claim",
    body=LeaseBatchRequest,
    summary="Lease several events at once",
    responses={200: LeaseBatchOut, 422: ErrorBody},
)
async def lease_events(body: LeaseBatchRequest) -> Response:
    """Lease each event as `POST /events/{event_id}/claim` with `lease_seconds` would, in one
    transaction: for a busy claimer (the Slack poster) one request and one commit instead of
    one per event. Each outcome is `acquired`, `done` or `held` (with `retry_after` seconds)."""
    deps = resources()
    claimed_by = current_claims().subject[:128]
    lease = timedelta(seconds=body.lease_seconds)
    outcomes: dict[int, LeaseOutcome] = {}
    first_asks = {item.event_id: (item.event_id, item.key) for item in reversed(body.claims)}
    async with deps.database.engine.begin() as conn:
        now = deps.clock()
        # New events, the usual case, in one statement; the rest one by one, in event id
        # order, so that concurrent batches lock rows in the same order.
        new = await queries.insert_leases(
            conn, list(first_asks.values()), claimed_by=claimed_by, now=now, lease=lease
        )
        for n, item in sorted(enumerate(body.claims), key=lambda pair: pair[1].event_id):
            if item.event_id in new and first_asks[item.event_id] == (item.event_id, item.key):
                new.discard(item.event_id)  # a second ask for it in this batch finds it held
                outcomes[n] = LeaseOutcome(event_id=item.event_id, status="acquired")
                continue
            try:
                claim = await queries.lease_event(
                    conn, item.event_id, claimed_by=claimed_by, key=item.key, now=now, lease=lease
                )
            except ClaimTaken as taken:
                outcomes[n] = _refused(item.event_id, taken, now)
            else:
                outcomes[n] = LeaseOutcome(
                    event_id=item.event_id, status="acquired", taken_over=claim.taken_over
                )
    return json_response(LeaseBatchOut(results=[outcomes[n] for n in range(len(body.claims))]))


def _refused(event_id: str, taken: ClaimTaken, now: datetime) -> LeaseOutcome:
    if taken.status == "done":
        return LeaseOutcome(event_id=event_id, status="done")
    wait = taken.wait or ((taken.lease_until - now) if taken.lease_until else timedelta(0))
    return LeaseOutcome(
        event_id=event_id,
        status="held",
        retry_after=max(1, math.ceil(wait.total_seconds())),
    )


@api.operation(
    "POST",
    "/events/done",
    scope="events:claim",
    body=DoneBatchRequest,
    summary="Report several leased events done at once",
    responses={200: DoneBatchOut, 422: ErrorBody},
)
async def finish_events(body: DoneBatchRequest) -> Response:
    """Report each claim done as `POST /events/{event_id}/done` would, in one transaction.
    Each outcome is `done`, `taken` (another claimer took it over) or `not_found`."""
    deps = resources()
    outcomes: dict[int, DoneOutcome] = {}
    async with deps.database.engine.begin() as conn:
        now = deps.clock()
        held = [(item.event_id, item.key) for item in body.claims]
        finished = await queries.finish_held(conn, held)
        for n, item in sorted(enumerate(body.claims), key=lambda pair: pair[1].event_id):
            if (item.event_id, item.key) in finished:
                outcomes[n] = DoneOutcome(event_id=item.event_id, status="done")
                continue
            try:
                await queries.finish_event(conn, item.event_id, key=item.key, now=now)
            except ClaimTaken:
                outcomes[n] = DoneOutcome(event_id=item.event_id, status="taken")
            except NotFound:
                outcomes[n] = DoneOutcome(event_id=item.event_id, status="not_found")
            else:
                outcomes[n] = DoneOutcome(event_id=item.event_id, status="done")
    return json_response(DoneBatchOut(results=[outcomes[n] for n in range(len(body.claims))]))
