"""Event claims: exactly one winner, however many claimers and however concurrent."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from dataservice.db import open_database
from dataservice.errors import Conflict
from dataservice.models import utcnow
from dataservice.queries import claim_event
from tests.dataservice.conftest import Auth

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

CLAIM = ("events:claim",)


async def test_first_claim_is_201_then_409(client: TestClientProtocol, auth: Auth) -> None:
    first = await client.post("/api/v1/events/Ev0123ABC/claim", headers=auth(*CLAIM))
    second = await client.post("/api/v1/events/Ev0123ABC/claim", headers=auth(*CLAIM))
    other = await client.post("/api/v1/events/Ev0456DEF/claim", headers=auth(*CLAIM))

    assert (first.status_code, second.status_code, other.status_code) == (201, 409, 201)
    body = await first.get_json()
    assert body["event_id"] == "Ev0123ABC"
    assert body["first_seen"].endswith("Z")
    assert (await second.get_json())["error"] == "conflict"


async def test_a_retry_with_the_same_idempotency_key_is_201_again(
    client: TestClientProtocol, auth: Auth
) -> None:
    mine = {**auth(*CLAIM), "Idempotency-Key": "a1b2c3"}
    theirs = {**auth(*CLAIM), "Idempotency-Key": "zzz"}

    first = await client.post("/api/v1/events/Ev1/claim", headers=mine)
    retry = await client.post("/api/v1/events/Ev1/claim", headers=mine)
    rival = await client.post("/api/v1/events/Ev1/claim", headers=theirs)
    anonymous = await client.post("/api/v1/events/Ev1/claim", headers=auth(*CLAIM))

    assert (first.status_code, retry.status_code) == (201, 201)
    assert await first.get_json() == await retry.get_json()
    assert (rival.status_code, anonymous.status_code) == (409, 409)


async def test_bad_event_ids_and_keys_are_422(client: TestClientProtocol, auth: Auth) -> None:
    too_long = await client.post(f"/api/v1/events/{'E' * 201}/claim", headers=auth(*CLAIM))
    spaces = await client.post("/api/v1/events/E%201/claim", headers=auth(*CLAIM))
    bad_key = await client.post(
        "/api/v1/events/E1/claim", headers={**auth(*CLAIM), "Idempotency-Key": "k" * 65}
    )

    assert (too_long.status_code, spaces.status_code, bad_key.status_code) == (422, 422, 422)
    assert (await bad_key.get_json())["details"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_concurrent_claims_through_the_api_have_one_winner(
    client: TestClientProtocol, auth: Auth
) -> None:
    headers = [{**auth(*CLAIM), "Idempotency-Key": f"worker-{n}"} for n in range(20)]

    responses = await asyncio.gather(
        *(client.post("/api/v1/events/EvRace/claim", headers=h) for h in headers)
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 19


async def test_concurrent_claims_on_separate_connections_have_one_winner(
    database_url: str,
) -> None:
    """Many connections racing in the database itself (real parallelism on PostgreSQL)."""
    database = open_database(database_url, pool_size=10)

    async def claim(n: int) -> bool:
        try:
            async with database.engine.begin() as conn:
                await claim_event(
                    conn, "EvDbRace", claimed_by=f"w{n}", idempotency_key=None, now=utcnow()
                )
        except Conflict:
            return False
        return True

    try:
        outcomes = await asyncio.gather(*(claim(n) for n in range(10)))
    finally:
        await database.dispose()

    assert sorted(outcomes) == [False] * 9 + [True]
