"""``/api/v1/events``: reply claims, so that the Slack poster posts each reply exactly once.

The ids are reply ids (derived from the Slack event a reply answers: the URL keeps the name it
had when they were event ids). A claim is a lease: ``pending`` while its holder posts, then
reported ``done``, or released when the post failed (see :mod:`dataservice.queries.replies`).
"""

from __future__ import annotations

from datetime import timedelta

from quart import Response

from dataservice import queries
from dataservice.operations import Api, Header
from dataservice.schemas.replies import DoneBatchRequest, LeaseBatchRequest, LeaseRequest
from dataservice.schemas.types import EventId, IdempotencyKey
from dataservice.views.common import json_response, resources
from jeeves_shared.auth.quart_auth import current_claims
from jeeves_shared.dataclient.models import (
    ClaimConflictBody,
    DoneOutcomes,
    ErrorBody,
    LeaseOutcomes,
    ReplyClaim,
)

api = Api("replies", url_prefix="/api/v1")
HOLDER_KEY = Header(
    "A key unique to this claimer and reply (a UUID): a retried claim with it is answered 201 "
    "again; report the claim done, or release it, with the same key.",
    IdempotencyKey,
    argument="key",
    required=True,
)
REPLY = {"event_id": EventId}


def _claimer() -> str:
    """Who claims: the ``sub`` of the caller's token (which service), for debugging."""
    return current_claims().subject[:128]


@api.operation(
    "POST",
    "/events/{event_id}/claim",
    scope="events:claim",
    params=REPLY,
    headers={"Idempotency-Key": HOLDER_KEY},
    body=LeaseRequest,
    summary="Lease a reply id, exactly once",
    responses={201: ReplyClaim, 409: ClaimConflictBody, 422: ErrorBody},
)
async def lease_reply(event_id: str, key: str, body: LeaseRequest) -> Response:
    """201 for the claimer that holds the reply now, 409 for every other.

    The claim is `pending` until `lease_until`: report it done, or release it, with the same
    `Idempotency-Key`. A claimer that retries (its answer was lost) with that key gets its 201
    again rather than a 409 that would make it drop the reply. Once the lease has ended
    without either, the next claimer takes it over (`taken_over`). The 409 body's `status`
    says `done` (skip the reply) or `pending` (another claimer holds it until `lease_until`;
    `Retry-After` gives the seconds left).
    """
    deps = resources()
    lease = timedelta(seconds=body.lease_seconds)
    async with deps.database.engine.begin() as conn:
        claim = await queries.lease_reply(
            conn,
            event_id,
            claimed_by=_claimer(),
            key=key,
            now=deps.clock(),
            lease=lease,
            team_id=body.team_id,
        )
    return json_response(claim, 201)


@api.operation(
    "POST",
    "/events/{event_id}/done",
    scope="events:claim",
    params=REPLY,
    headers={"Idempotency-Key": HOLDER_KEY},
    summary="Report a claimed reply posted",
    responses={200: ReplyClaim, 404: ErrorBody, 409: ClaimConflictBody, 422: ErrorBody},
)
async def finish_reply(event_id: str, key: str) -> Response:
    """Mark the claim held with this `Idempotency-Key` `done` (200 again if it was). It
    counts even after the lease ended, unless another claimer took it over: then 409."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        claim = await queries.finish_reply(conn, event_id, key=key, now=deps.clock())
    return json_response(claim)


@api.operation(
    "DELETE",
    "/events/{event_id}/claim",
    scope="events:claim",
    params=REPLY,
    headers={"Idempotency-Key": HOLDER_KEY},
    summary="Release a pending claim, for the next claimer",
    responses={204: None, 409: ClaimConflictBody, 422: ErrorBody},
)
async def release_reply(event_id: str, key: str) -> Response:
    """Give up the pending claim held with this `Idempotency-Key` (the post failed and will
    be retried): the next claimer gets it at once. 204 also when there is no claim; 409 if it
    is `done` (that cannot be undone) or another claimer holds it."""
    deps = resources()
    async with deps.database.engine.begin() as conn:
        await queries.release_reply(conn, event_id, key=key, now=deps.clock())
    return Response(b"", status=204)


@api.operation(
    "POST",
    "/events/leases",
    scope="events:claim",
    body=LeaseBatchRequest,
    summary="Lease several reply ids at once",
    responses={200: LeaseOutcomes, 422: ErrorBody},
)
async def lease_replies(body: LeaseBatchRequest) -> Response:
    """Lease each reply as `POST /events/{event_id}/claim` would, in one transaction: for a
    busy claimer (the Slack poster) one request and one commit instead of one per reply. Each
    outcome is `acquired`, `done` or `held` (with `retry_after` seconds)."""
    deps = resources()
    claims = [(item.event_id, item.key) for item in body.claims]
    teams = {item.event_id: item.team_id for item in body.claims if item.team_id}
    lease = timedelta(seconds=body.lease_seconds)
    async with deps.database.engine.begin() as conn:
        results = await queries.lease_replies(
            conn, claims, claimed_by=_claimer(), now=deps.clock(), lease=lease, teams=teams
        )
    return json_response(LeaseOutcomes(results=results))


@api.operation(
    "POST",
    "/events/done",
    scope="events:claim",
    body=DoneBatchRequest,
    summary="Report several leased reply ids posted at once",
    responses={200: DoneOutcomes, 422: ErrorBody},
)
async def finish_replies(body: DoneBatchRequest) -> Response:
    """Report each claim done as `POST /events/{event_id}/done` would, in one transaction.
    Each outcome is `done`, `taken` (another claimer took it over) or `not_found`."""
    deps = resources()
    claims = [(item.event_id, item.key) for item in body.claims]
    async with deps.database.engine.begin() as conn:
        results = await queries.finish_replies(conn, claims, now=deps.clock())
    return json_response(DoneOutcomes(results=results))
