"""``/api/v1/events``: claim an event id exactly once."""

from __future__ import annotations

from quart import Response

from dataservice import queries
from dataservice.routing import Api, Header
from dataservice.schemas import ErrorBody, EventClaim, EventId, IdempotencyKey
from dataservice.views.common import json_response, resources
from jeeves_shared.auth.quart_auth import current_claims

api = Api("events", url_prefix="/api/v1")
IDEMPOTENCY_KEY = Header(
    "A key unique to this claimer and event (a UUID); a retry with it is answered 201 again.",
    IdempotencyKey,
    argument="idempotency_key",
)


@api.operation(
    "POST",
    "/events/{event_id}/claim",
    scope="events:claim",
    params={"event_id": EventId},
    headers={"Idempotency-Key": IDEMPOTENCY_KEY},
    summary="Claim an event for processing, exactly once",
    responses={201: EventClaim, 409: ErrorBody, 422: ErrorBody},
)
async def claim_event(event_id: str, idempotency_key: str | None) -> Response:
    """201 for the first claimer of ``event_id``, 409 for every later one.

    A claimer that retries (its answer was lost) with the same ``Idempotency-Key`` gets its
    201 again rather than a 409 that would make it drop the event.
    """
    deps = resources()
    async with deps.database.engine.begin() as conn:
        first_seen = await queries.claim_event(
            conn,
            event_id,
            claimed_by=current_claims().subject[:128],
            idempotency_key=idempotency_key,
            now=deps.clock(),
        )
    return json_response(EventClaim(event_id=event_id, first_seen=first_seen), 201)
