"""Reply claims (URL ``/events``): exactly one winner, however many claimers and however
concurrent; pending, then done or released, and taken over once the lease ends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from dataservice.db import open_database
from dataservice.errors import ClaimTaken
from dataservice.models import ReplyClaim, utcnow
from dataservice.queries import lease_reply
from tests.support.clock import WallClock
from tests.support.dataservice_fixtures import Auth

if TYPE_CHECKING:
    from quart.typing import TestClientProtocol

CLAIM = ("events:claim",)
MINUTE = timedelta(seconds=60)


NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def at(offset: float) -> datetime:
    return NOW + timedelta(seconds=offset)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def keyed(auth: Auth, key: str) -> dict[str, str]:
    return {**auth(*CLAIM), "Idempotency-Key": key}


async def lease(
    client: TestClientProtocol, auth: Auth, key: str, *, event: str = "Ev1", seconds: float = 30
) -> Any:
    return await client.post(
        f"/api/v1/events/{event}/claim", json={"lease_seconds": seconds}, headers=keyed(auth, key)
    )


async def finish(client: TestClientProtocol, auth: Auth, key: str, *, event: str = "Ev1") -> Any:
    return await client.post(f"/api/v1/events/{event}/done", headers=keyed(auth, key))


async def release(client: TestClientProtocol, auth: Auth, key: str, *, event: str = "Ev1") -> Any:
    return await client.delete(f"/api/v1/events/{event}/claim", headers=keyed(auth, key))


async def test_a_lease_holds_the_event_pending_until_it_ends(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW
    first = await lease(client, auth, "a")
    retry = await lease(client, auth, "a", seconds=600)
    clock.now = at(10.5)
    rival = await lease(client, auth, "b")
    clock.now = at(30)  # the lease's last instant
    last_moment = await lease(client, auth, "b")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert await first.get_json() == {
        "event_id": "Ev1",
        "first_seen": iso(NOW),
        "status": "pending",
        "lease_until": iso(at(30)),
        "taken_over": False,
    }
    assert await retry.get_json() == await first.get_json()  # the lease is not extended
    assert (rival.status_code, rival.headers["Retry-After"]) == (409, "20")
    assert await rival.get_json() == {
        "error": "conflict",
        "error_description": "reply claim Ev1 is leased to another claimer",
        "status": "pending",
        "lease_until": iso(at(30)),
    }
    assert (last_moment.status_code, last_moment.headers["Retry-After"]) == (409, "1")


async def test_an_expired_lease_is_taken_over_by_the_next_claimer(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW
    await lease(client, auth, "dead", seconds=5)
    clock.now = at(6)
    taken = await lease(client, auth, "heir", seconds=60)
    late_retry = await lease(client, auth, "dead", seconds=5)
    late_done = await finish(client, auth, "dead")
    late_release = await release(client, auth, "dead")
    done = await finish(client, auth, "heir")

    assert taken.status_code == 201
    assert await taken.get_json() == {
        "event_id": "Ev1",
        "first_seen": iso(NOW),
        "status": "pending",
        "lease_until": iso(at(66)),
        "taken_over": True,  # the dead holder may have done the work: check before redoing it
    }
    for refused in (late_retry, late_done, late_release):
        assert (refused.status_code, refused.headers["Retry-After"]) == (409, "60")
        assert (await refused.get_json())["status"] == "pending"
    assert done.status_code == 200
    assert await done.get_json() == {
        "event_id": "Ev1",
        "first_seen": iso(NOW),
        "status": "done",
        "lease_until": None,
        "taken_over": True,  # by the holder that finished it
    }


async def test_a_holder_renews_its_own_expired_lease_without_a_take_over(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW
    await lease(client, auth, "slow", seconds=5)
    clock.now = at(6)

    renewed = await lease(client, auth, "slow", seconds=5)

    assert renewed.status_code == 201
    body = await renewed.get_json()
    assert (body["lease_until"], body["taken_over"]) == (iso(at(11)), False)


async def test_a_done_claim_is_skipped_and_cannot_be_undone(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW
    await lease(client, auth, "a", seconds=5)
    first_done = await finish(client, auth, "a")
    clock.now = at(3600)
    again = await finish(client, auth, "a")
    redelivered = await lease(client, auth, "b")
    same_key = await lease(client, auth, "a")
    undo = await release(client, auth, "a")

    assert (first_done.status_code, again.status_code) == (200, 200)
    assert await again.get_json() == await first_done.get_json()
    for refused in (redelivered, same_key, undo):
        assert refused.status_code == 409
        assert "Retry-After" not in refused.headers
        body = await refused.get_json()
        assert (body["error"], body["status"]) == ("conflict", "done")
        assert body["error_description"] == "reply claim Ev1 already claimed"
        assert "lease_until" not in body


async def test_done_counts_after_the_lease_if_nobody_took_over(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW
    await lease(client, auth, "slow", seconds=1)
    clock.now = at(120)

    done = await finish(client, auth, "slow")
    after = await lease(client, auth, "next")

    assert done.status_code == 200
    assert (after.status_code, (await after.get_json())["status"]) == (409, "done")


async def test_release_hands_the_event_to_the_next_claimer_at_once(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW
    await lease(client, auth, "a")
    by_rival = await release(client, auth, "b")
    released = await release(client, auth, "a")
    released_again = await release(client, auth, "a")
    reclaimed = await lease(client, auth, "b")
    never_claimed = await release(client, auth, "a", event="EvNever")

    assert (by_rival.status_code, (await by_rival.get_json())["status"]) == (409, "pending")
    assert (released.status_code, released_again.status_code) == (204, 204)
    assert await released.get_data() == b""
    assert reclaimed.status_code == 201
    assert never_claimed.status_code == 204


async def test_first_claim_is_201_then_409(client: TestClientProtocol, auth: Auth) -> None:
    first = await lease(client, auth, "a", event="Ev0123ABC")
    second = await lease(client, auth, "b", event="Ev0123ABC")
    other = await lease(client, auth, "c", event="Ev0456DEF")

    assert (first.status_code, second.status_code, other.status_code) == (201, 409, 201)
    body = await first.get_json()
    assert body["event_id"] == "Ev0123ABC"
    assert body["first_seen"].endswith("Z")
    assert body["status"] == "pending"
    assert body["lease_until"].endswith("Z")
    assert (await second.get_json())["error"] == "conflict"
    assert (await second.get_json())["status"] == "pending"


async def test_a_retry_with_the_same_idempotency_key_is_201_again(
    client: TestClientProtocol, auth: Auth
) -> None:
    first = await lease(client, auth, "a1b2c3")
    retry = await lease(client, auth, "a1b2c3")
    rival = await lease(client, auth, "zzz")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert await first.get_json() == await retry.get_json()
    assert rival.status_code == 409


async def test_bad_reply_ids_and_keys_are_422(client: TestClientProtocol, auth: Auth) -> None:
    too_long = await lease(client, auth, "a", event="E" * 201)
    spaces = await lease(client, auth, "a", event="E%201")
    bad_key = await lease(client, auth, "k" * 65)

    assert (too_long.status_code, spaces.status_code, bad_key.status_code) == (422, 422, 422)
    assert (await bad_key.get_json())["details"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_concurrent_claims_through_the_api_have_one_winner(
    client: TestClientProtocol, auth: Auth
) -> None:
    responses = await asyncio.gather(
        *(lease(client, auth, f"worker-{n}", event="EvRace") for n in range(20))
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
                await lease_reply(
                    conn, "EvDbRace", claimed_by=f"w{n}", key=f"w{n}", now=utcnow(), lease=MINUTE
                )
        except ClaimTaken:
            return False
        return True

    try:
        outcomes = await asyncio.gather(*(claim(n) for n in range(10)))
    finally:
        await database.dispose()

    assert sorted(outcomes) == [False] * 9 + [True]


async def test_done_of_an_unknown_event_is_404(client: TestClientProtocol, auth: Auth) -> None:
    unknown = await finish(client, auth, "a", event="EvNever")

    assert unknown.status_code == 404
    assert await unknown.get_json() == {
        "error": "not_found",
        "error_description": "no reply claim EvNever",
    }


async def test_leases_need_a_key_and_one_to_3600_seconds(
    client: TestClientProtocol, auth: Auth
) -> None:
    no_key = await client.post(
        "/api/v1/events/Ev1/claim", json={"lease_seconds": 30}, headers=auth(*CLAIM)
    )
    bad_seconds = [await lease(client, auth, "a", seconds=n) for n in (0, 3601, 1.5)]
    as_text = await client.post(
        "/api/v1/events/Ev1/claim", json={"lease_seconds": "30"}, headers=keyed(auth, "a")
    )
    unknown_field = await client.post(
        "/api/v1/events/Ev1/claim", json={"lease": 30}, headers=keyed(auth, "a")
    )
    keyless = [
        await client.post("/api/v1/events/Ev1/done", headers=auth(*CLAIM)),
        await client.delete("/api/v1/events/Ev1/claim", headers=auth(*CLAIM)),
    ]

    assert no_key.status_code == 422
    [detail] = (await no_key.get_json())["details"]
    assert detail == {
        "loc": ["header", "Idempotency-Key"],
        "msg": "Field required",
        "type": "missing",
    }
    for refused in (*bad_seconds, as_text, unknown_field):
        assert refused.status_code == 422
        assert (await refused.get_json())["details"][0]["loc"][0] == "body"
    for refused in keyless:
        assert refused.status_code == 422
        assert (await refused.get_json())["details"][0]["loc"] == ["header", "Idempotency-Key"]
    # A claim is always a lease: no body, an empty one or a null lease is refused too.
    no_body = await client.post("/api/v1/events/Ev1/claim", headers=keyed(auth, "a"))
    empty = await client.post("/api/v1/events/Ev1/claim", json={}, headers=keyed(auth, "a"))
    null = await client.post(
        "/api/v1/events/Ev1/claim", json={"lease_seconds": None}, headers=keyed(auth, "a")
    )
    assert (no_body.status_code, empty.status_code, null.status_code) == (422, 422, 422)
    assert (await lease(client, auth, "a")).status_code == 201  # nothing was claimed


async def test_concurrent_takeovers_through_the_api_have_one_winner(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW
    await lease(client, auth, "dead", event="EvTakeover", seconds=1)
    clock.now = at(2)

    responses = await asyncio.gather(
        *(lease(client, auth, f"heir-{n}", event="EvTakeover") for n in range(20))
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 19
    winner = next(n for n, response in enumerate(responses) if response.status_code == 201)
    assert (await finish(client, auth, f"heir-{winner}", event="EvTakeover")).status_code == 200


async def test_concurrent_takeovers_on_separate_connections_have_one_winner(
    database_url: str,
) -> None:
    """Ten connections racing for one expired lease (real parallelism on PostgreSQL)."""
    database = open_database(database_url, pool_size=10)
    one_second = timedelta(seconds=1)

    async def take(key: str, now: datetime) -> bool:
        try:
            async with database.engine.begin() as conn:
                await lease_reply(
                    conn, "EvDbTakeover", claimed_by=key, key=key, now=now, lease=one_second
                )
        except ClaimTaken:
            return False
        return True

    try:
        assert await take("dead", NOW)
        outcomes = await asyncio.gather(*(take(f"w{n}", at(2)) for n in range(10)))
        async with database.engine.connect() as conn:
            holder = (await conn.execute(select(ReplyClaim.idempotency_key))).scalar_one()
    finally:
        await database.dispose()

    assert sorted(outcomes) == [False] * 9 + [True]
    assert holder == f"w{outcomes.index(True)}"


# --- batches ----------------------------------------------------------------------------------


async def lease_batch(
    client: TestClientProtocol, auth: Auth, claims: list[tuple[str, str]], seconds: int = 30
) -> Any:
    body = {"lease_seconds": seconds, "claims": [{"event_id": e, "key": k} for e, k in claims]}
    response = await client.post("/api/v1/events/leases", json=body, headers=auth(*CLAIM))
    assert response.status_code == 200, await response.get_data()
    return (await response.get_json())["results"]


async def done_batch(client: TestClientProtocol, auth: Auth, claims: list[tuple[str, str]]) -> Any:
    body = {"claims": [{"event_id": e, "key": k} for e, k in claims]}
    response = await client.post("/api/v1/events/done", json=body, headers=auth(*CLAIM))
    assert response.status_code == 200, await response.get_data()
    return (await response.get_json())["results"]


async def test_a_batch_of_leases_answers_each_claim_as_one_claim_would(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW
    await lease(client, auth, "other", event="EvHeld")
    await lease(client, auth, "dead", event="EvDead", seconds=5)
    await lease(client, auth, "finisher", event="EvDone")
    await finish(client, auth, "finisher", event="EvDone")
    clock.now = at(10)

    results = await lease_batch(
        client,
        auth,
        [("EvNew", "k1"), ("EvHeld", "k2"), ("EvDead", "k3"), ("EvDone", "k4"), ("EvNew", "k5")],
    )

    assert results == [
        {"event_id": "EvNew", "status": "acquired", "retry_after": 0, "taken_over": False},
        {"event_id": "EvHeld", "status": "held", "retry_after": 20, "taken_over": False},
        {"event_id": "EvDead", "status": "acquired", "retry_after": 0, "taken_over": True},
        {"event_id": "EvDone", "status": "done", "retry_after": 0, "taken_over": False},
        # The same event twice in one batch: the first claim holds it.
        {"event_id": "EvNew", "status": "held", "retry_after": 30, "taken_over": False},
    ]
    # The batch's leases are ordinary leases: reported done one by one or in a batch.
    assert (await finish(client, auth, "k1", event="EvNew")).status_code == 200
    assert await lease_batch(client, auth, [("EvNew", "k1")]) == [
        {"event_id": "EvNew", "status": "done", "retry_after": 0, "taken_over": False}
    ]


async def test_a_batch_of_reports_says_done_taken_or_not_found(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW
    await lease_batch(client, auth, [("Ev1", "a"), ("Ev2", "b"), ("Ev3", "c")], seconds=5)
    clock.now = at(10)
    await lease(client, auth, "heir", event="Ev2")  # b's lease ended and was taken over
    await release(client, auth, "c", event="Ev3")

    results = await done_batch(
        client, auth, [("Ev1", "a"), ("Ev2", "b"), ("Ev3", "c"), ("Ev1", "a")]
    )

    assert [r["status"] for r in results] == ["done", "taken", "not_found", "done"]
    assert [r["event_id"] for r in results] == ["Ev1", "Ev2", "Ev3", "Ev1"]


async def test_batches_are_validated(client: TestClientProtocol, auth: Auth) -> None:
    def post(path: str, body: object) -> Any:
        return client.post(f"/api/v1/events/{path}", json=body, headers=auth(*CLAIM))

    empty = await post("leases", {"lease_seconds": 30, "claims": []})
    too_many = await post(
        "leases",
        {"lease_seconds": 30, "claims": [{"event_id": f"E{n}", "key": "k"} for n in range(101)]},
    )
    no_lease = await post("leases", {"claims": [{"event_id": "E1", "key": "k"}]})
    bad_id = await post("done", {"claims": [{"event_id": "E 1", "key": "k"}]})
    unscoped = await client.post(
        "/api/v1/events/done",
        json={"claims": [{"event_id": "E1", "key": "k"}]},
        headers=auth("users:read"),
    )

    assert [r.status_code for r in (empty, too_many, no_lease, bad_id)] == [422] * 4
    assert unscoped.status_code == 403


async def test_concurrent_batches_over_the_same_events_lease_each_once(
    client: TestClientProtocol, auth: Auth
) -> None:
    events = [f"EvB{n}" for n in range(30)]

    async def claim_all(claimer: int) -> Any:
        # Each claimer asks in its own order: batches must not deadlock each other.
        order = events[claimer % 3 :] + events[: claimer % 3]
        return await lease_batch(client, auth, [(e, f"c{claimer}-{e}") for e in order])

    batches = await asyncio.gather(*(claim_all(n) for n in range(6)))

    winners: dict[str, int] = {}
    for batch in batches:
        for result in batch:
            if result["status"] == "acquired":
                winners[result["event_id"]] = winners.get(result["event_id"], 0) + 1
    assert winners == {event: 1 for event in events}


async def test_a_retried_take_over_is_still_told_it_took_over(
    client: TestClientProtocol, auth: Auth, clock: WallClock
) -> None:
    clock.now = NOW
    await lease(client, auth, "dead", seconds=5)
    clock.now = at(6)
    first = await lease(client, auth, "heir")
    retry = await lease(client, auth, "heir")  # its first answer was lost
    in_a_batch = await lease_batch(client, auth, [("Ev1", "heir")])

    assert (await first.get_json())["taken_over"] is True
    assert (await retry.get_json())["taken_over"] is True
    assert in_a_batch[0]["taken_over"] is True
    # A claim made new is not a take-over, even retried.
    fresh = await lease(client, auth, "k", event="EvFresh")
    fresh_again = await lease(client, auth, "k", event="EvFresh")
    assert (await fresh.get_json())["taken_over"] is False
    assert (await fresh_again.get_json())["taken_over"] is False
